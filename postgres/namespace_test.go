package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store"
)

// TestNamespacesNeverMeet fills two namespaces of one database with tasks
// of the same UUIDs and ids, docs, UDAs, journal entries and archives, and
// checks every Tx method (and the change feed) from each side: nothing of
// one namespace reaches the other.
func TestNamespacesNeverMeet(t *testing.T) {
	ctx := context.Background()
	a, b := openTest(t), openTest(t)
	if a.backlog == b.backlog {
		t.Fatal("two namespaces share a backlog row")
	}
	const u1, u2, u3 = uuid1, uuid2, uuid3
	fill := func(s *Store, name string, extra map[string]any) {
		write(t, s, func(tx store.Tx) error {
			for i, u := range []string{u1, u2, u3} {
				task := &backlog.Task{ID: int64(i + 1), UUID: u, Description: fmt.Sprintf("%s task %d", name, i+1),
					Status: backlog.StatusPending, Project: "proj" + name, Tags: []string{"tag" + name}, Extra: extra,
					Entry: clock, Modified: clock}
				if name == "B" && u == u2 {
					task.Depends = []string{u1} // only B has a dependency
				}
				if u == u3 {
					task.Status, task.End = backlog.StatusCompleted, clock
				}
				if err := tx.Insert(ctx, task); err != nil {
					return err
				}
				if err := tx.SetDoc(ctx, u, "doc of "+name); err != nil {
					return err
				}
			}
			if name == "B" {
				if err := tx.Insert(ctx, &backlog.Task{ID: 50, UUID: "55555555-5555-4555-8555-555555555555",
					Description: "B only", Status: backlog.StatusPending, Project: "projB", Tags: []string{"tagB"}}); err != nil {
					return err
				}
			}
			return tx.Append(ctx, &store.Entry{At: clock, Agent: "agent" + name, Command: "add", Summary: "add " + name,
				Changes: []store.Change{{UUID: u1}, {UUID: u2}}})
		})
		write(t, s, func(tx store.Tx) error { return tx.Archive(ctx, u3, "2026-Q1-"+name) })
	}
	fill(a, "A", map[string]any{"estimate": 3.0})
	fill(b, "B", map[string]any{"owner": "bob"})

	check := func(s *Store, name string, latest int64, blocked int, deps int) {
		t.Helper()
		read(t, s, func(tx store.Tx) error {
			task, err := tx.Task(ctx, 1)
			if err != nil || task.Description != name+" task 1" {
				t.Errorf("%s: Task(1) = %v, %v", name, task, err)
			}
			task, err = tx.TaskByUUID(ctx, u2)
			if err != nil || task.Description != name+" task 2" {
				t.Errorf("%s: TaskByUUID = %v, %v", name, task, err)
			}
			ts, err := tx.TasksByUUIDPrefix(ctx, "", 0)
			if err != nil {
				return err
			}
			for _, task := range ts {
				if task.Project != "proj"+name {
					t.Errorf("%s: TasksByUUIDPrefix found %s", name, task.Description)
				}
			}
			all, err := tx.Select(ctx, store.Query{Now: clock})
			if err != nil {
				return err
			}
			for _, task := range all {
				if task.Project != "proj"+name {
					t.Errorf("%s: Select found %s", name, task.Description)
				}
			}
			if n := countOf(t, tx, "status.any:"); n != len(all) {
				t.Errorf("%s: Count %d, Select %d", name, n, len(all))
			}
			if n := countOf(t, tx, "+BLOCKED"); n != blocked {
				t.Errorf("%s: %d blocked, want %d", name, n, blocked)
			}
			if n := countOf(t, tx, "+tagA or +tagB or project:projA or project:projB"); n != len(all) {
				t.Errorf("%s: tags and projects of the other namespace match (%d of %d)", name, n, len(all))
			}
			g, err := tx.Graph(ctx)
			if err != nil {
				return err
			}
			if g.LatestID() != latest {
				t.Errorf("%s: LatestID %d, want %d", name, g.LatestID(), latest)
			}
			udas, err := tx.UDAs(ctx)
			if err != nil {
				return err
			}
			wantUDAs := map[string]filter.UDAKind{"estimate": filter.UDANumber}
			if name == "B" {
				wantUDAs = map[string]filter.UDAKind{"owner": filter.UDAString}
			}
			if fmt.Sprint(udas) != fmt.Sprint(wantUDAs) {
				t.Errorf("%s: UDAs %v", name, udas)
			}
			for _, kind := range []store.NameKind{store.Projects, store.Tags} {
				ns, err := tx.Names(ctx, kind)
				if err != nil {
					return err
				}
				if len(ns) != 1 || ns[0].Name[len(ns[0].Name)-1:] != name {
					t.Errorf("%s: Names(%d) = %v", name, kind, ns)
				}
			}
			dependents, err := tx.Dependents(ctx, u1)
			if err != nil || len(dependents) != deps {
				t.Errorf("%s: Dependents = %v, %v", name, dependents, err)
			}
			doc, err := tx.Doc(ctx, u1)
			if err != nil || doc != "doc of "+name {
				t.Errorf("%s: Doc = %q, %v", name, doc, err)
			}
			es, err := tx.Entries(ctx, 0, "", 0)
			if err != nil || len(es) != 1 || es[0].Agent != "agent"+name {
				t.Errorf("%s: Entries = %v, %v", name, es, err)
			}
			es, err = tx.Entries(ctx, 0, u1, 0)
			if err != nil || len(es) != 1 || es[0].Agent != "agent"+name {
				t.Errorf("%s: Entries of a task = %v, %v", name, es, err)
			}
			for _, agent := range []string{"agentA", "agentB"} {
				e, err := tx.LatestUndoable(ctx, agent)
				if err != nil || (e != nil) != (agent == "agent"+name) {
					t.Errorf("%s: LatestUndoable(%s) = %v, %v", name, agent, e, err)
				}
			}
			segs, err := tx.Segments(ctx)
			if err != nil || len(segs) != 1 || segs[0].Name != "2026-Q1-"+name {
				t.Errorf("%s: Segments = %v, %v", name, segs, err)
			}
			for _, seg := range []string{"2026-Q1-A", "2026-Q1-B"} {
				arch, err := tx.ArchivedTasks(ctx, seg)
				if err != nil || (len(arch) == 1) != (seg == "2026-Q1-"+name) {
					t.Errorf("%s: ArchivedTasks(%s) = %v, %v", name, seg, arch, err)
				}
			}
			found, err := tx.FindArchived(ctx, 3, "", 0)
			if err != nil || len(found) != 1 || found[0].Description != name+" task 3" {
				t.Errorf("%s: FindArchived(3) = %v, %v", name, found, err)
			}
			found, err = tx.FindArchived(ctx, 0, u3[:8], 0)
			if err != nil || len(found) != 1 || found[0].Description != name+" task 3" {
				t.Errorf("%s: FindArchived(prefix) = %v, %v", name, found, err)
			}
			return nil
		})
	}
	check(a, "A", 2, 0, 0)
	check(b, "B", 50, 1, 1)

	// Writes: ids, updates, purges, docs, undo marks, restores and locks of
	// one namespace leave the other alone.
	var bSeq int64
	read(t, b, func(tx store.Tx) error {
		e, err := tx.LatestUndoable(ctx, "agentB")
		bSeq = e.Seq
		return err
	})
	feed, cancel := context.WithCancel(ctx)
	defer cancel()
	aFeed, err := a.Changes(feed)
	if err != nil {
		t.Fatal(err)
	}
	aFirst := <-aFeed
	write(t, a, func(tx store.Tx) error {
		if id, err := tx.NextID(ctx); err != nil || id != 4 {
			t.Errorf("A: NextID = %d, %v; want 4", id, err)
		}
		if err := tx.MarkUndone(ctx, bSeq, 99); !errors.Is(err, backlog.ErrNotFound) {
			t.Errorf("A: MarkUndone of B's entry: %v", err)
		}
		if _, err := tx.Unarchive(ctx, u3); err != nil {
			t.Errorf("A: Unarchive: %v", err)
		}
		ok, err := tx.TryLock(ctx, u1)
		if err != nil || !ok {
			t.Errorf("A: TryLock = %v, %v", ok, err)
		}
		// B locks its task of the same UUID while A holds its own.
		write(t, b, func(tx store.Tx) error {
			ok, err := tx.TryLock(ctx, u1)
			if err != nil || !ok {
				t.Errorf("B: TryLock while A holds its task of the same UUID = %v, %v", ok, err)
			}
			return nil
		})
		task, err := tx.TaskByUUID(ctx, u1)
		if err != nil {
			return err
		}
		task.Description = "A changed"
		if err := tx.Update(ctx, task); err != nil {
			return err
		}
		if err := tx.DeleteDoc(ctx, u1); err != nil {
			return err
		}
		if err := tx.SetDoc(ctx, u2, "A's new doc"); err != nil {
			return err
		}
		if err := tx.Purge(ctx, u2); err != nil {
			return err
		}
		return tx.Append(ctx, &store.Entry{At: clock, Agent: "agentA", Command: "modify", Summary: "A again",
			Changes: []store.Change{{UUID: u1}}})
	})
	// B's commit is not reported to A's feed; A's own is.
	write(t, b, func(tx store.Tx) error {
		return tx.Append(ctx, &store.Entry{At: clock, Agent: "agentB", Command: "modify", Summary: "B again"})
	})
	var aSeq int64
	read(t, a, func(tx store.Tx) error {
		e, err := tx.LatestUndoable(ctx, "agentA")
		aSeq = e.Seq
		return err
	})
	select {
	case got := <-aFeed:
		if got != aSeq {
			t.Errorf("A's feed reported %d (first %d), want A's entry %d", got, aFirst, aSeq)
		}
	case <-time.After(5 * time.Second):
		t.Error("A's feed reported nothing")
	}
	select {
	case got := <-aFeed:
		t.Errorf("A's feed reported %d after B's commit", got)
	case <-time.After(200 * time.Millisecond):
	}
	read(t, b, func(tx store.Tx) error {
		for _, u := range []string{u1, u2} {
			task, err := tx.TaskByUUID(ctx, u)
			if err != nil || task.Description[:1] != "B" {
				t.Errorf("B: task %s after A's writes: %v, %v", u, task, err)
			}
			doc, err := tx.Doc(ctx, u)
			if err != nil || doc != "doc of B" {
				t.Errorf("B: doc of %s after A's writes: %q, %v", u, doc, err)
			}
		}
		if _, err := tx.TaskByUUID(ctx, u3); !errors.Is(err, backlog.ErrNotFound) {
			t.Errorf("B: A's restore brought back B's archived task: %v", err)
		}
		es, err := tx.Entries(ctx, 0, "", 0)
		if err != nil || len(es) != 2 || es[0].UndoneBy != 0 || !slices.ContainsFunc(es, func(e *store.Entry) bool { return e.Summary == "B again" }) {
			t.Errorf("B: Entries after A's writes = %v, %v", es, err)
		}
		return nil
	})
	write(t, b, func(tx store.Tx) error {
		if id, err := tx.NextID(ctx); err != nil || id != 51 {
			t.Errorf("B: NextID = %d, %v; want 51", id, err)
		}
		return nil
	})
}
