package postgres

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store"
)

// The SQLite store's unit tests, run against PostgreSQL, and what only
// PostgreSQL needs: text it cannot hold, a transaction that must stay usable
// after a refused write, a schema newer than the binary.

var equateEmpty = cmpopts.EquateEmpty()

const (
	uuid1 = "11111111-1111-4111-8111-111111111111"
	uuid2 = "22222222-2222-4222-8222-222222222222"
	uuid3 = "33333333-3333-4333-8333-333333333333"
)

// fullTask has every field set.
func fullTask() *backlog.Task {
	return &backlog.Task{
		ID: 1, UUID: uuid1, Description: "Fix the <login> page & \"quotes\" — naïve",
		Status: backlog.StatusPending, Project: "web.ui", Priority: backlog.PriorityHigh,
		Tags:      []string{"bug", "ux", "ünï"},
		Due:       clock.Add(48 * time.Hour),
		Scheduled: clock.Add(-time.Hour),
		Wait:      clock.Add(-2 * time.Hour),
		Until:     clock.Add(30 * 24 * time.Hour),
		Recur:     "weekly", Parent: uuid3, Mask: "--+",
		Depends: []string{uuid2},
		Agent:   "backend@host",
		Annotations: []backlog.Annotation{
			{Entry: clock.Add(-time.Minute), Description: "first note"},
			{Entry: clock, Description: "Straße ǅ \u212a"},
		},
		HasDoc:   true,
		Entry:    clock.Add(-24 * time.Hour),
		Modified: clock,
		Start:    clock.Add(-30 * time.Minute),
		End:      clock.Add(time.Minute),
		Extra: map[string]any{
			"estimate": 3.5, "big": 1e21, "neg": -2.0, "owner": "ana <a@b>", "billable": true, "draft": false,
		},
	}
}

func TestInsertLoadRoundTrip(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	want := fullTask()
	in := want.Clone()
	in.Due = in.Due.Add(123 * time.Millisecond) // truncated to the second
	in.Urgency = 42                             // never stored
	write(t, s, func(tx store.Tx) error { return tx.Insert(ctx, in) })
	read(t, s, func(tx store.Tx) error {
		for _, get := range []func() (*backlog.Task, error){
			func() (*backlog.Task, error) { return tx.Task(ctx, 1) },
			func() (*backlog.Task, error) { return tx.TaskByUUID(ctx, uuid1) },
		} {
			got, err := get()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
			if got.Due.Location() != time.UTC {
				t.Errorf("dates load in %v, want UTC", got.Due.Location())
			}
		}
		return nil
	})
	// A minimal task loads with nothing set.
	min := &backlog.Task{ID: 2, UUID: uuid2, Description: "x", Status: backlog.StatusCompleted}
	write(t, s, func(tx store.Tx) error { return tx.Insert(ctx, min) })
	read(t, s, func(tx store.Tx) error {
		got, err := tx.Task(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(min, got); diff != "" {
			t.Errorf("minimal round trip (-want +got):\n%s", diff)
		}
		return nil
	})
}

func TestNotFound(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	write(t, s, func(tx store.Tx) error {
		return tx.Insert(ctx, &backlog.Task{ID: 12, UUID: uuid1, Description: "a", Status: "pending"})
	})
	read(t, s, func(tx store.Tx) error {
		checks := []struct {
			err  error
			want string
		}{
			{second(tx.Task(ctx, 999)), "no task with id 999"},
			{second(tx.TaskByUUID(ctx, uuid2)), "no task with UUID " + uuid2},
			{second(tx.Doc(ctx, uuid1)), "task 12 has no doc"},
			{second(tx.Doc(ctx, uuid2)), "no task with UUID " + uuid2},
		}
		for _, c := range checks {
			if !errors.Is(c.err, backlog.ErrNotFound) || c.err.Error() != c.want {
				t.Errorf("got %v, want not found %q", c.err, c.want)
			}
		}
		return nil
	})
	err := s.Write(ctx, func(tx store.Tx) error {
		return tx.Update(ctx, &backlog.Task{UUID: uuid2, Description: "b", Status: "pending"})
	})
	if !errors.Is(err, backlog.ErrNotFound) {
		t.Errorf("Update of a missing task: %v", err)
	}
	err = s.Write(ctx, func(tx store.Tx) error { return tx.Purge(ctx, uuid2) })
	if !errors.Is(err, backlog.ErrNotFound) {
		t.Errorf("Purge of a missing task: %v", err)
	}
	err = s.Write(ctx, func(tx store.Tx) error { return tx.SetDoc(ctx, uuid2, "x") })
	if !errors.Is(err, backlog.ErrNotFound) {
		t.Errorf("SetDoc of a missing task: %v", err)
	}
	err = s.Write(ctx, func(tx store.Tx) error { return tx.MarkUndone(ctx, 77, 78) })
	if !errors.Is(err, backlog.ErrNotFound) {
		t.Errorf("MarkUndone of a missing entry: %v", err)
	}
	err = s.Write(ctx, func(tx store.Tx) error {
		return tx.Insert(ctx, &backlog.Task{ID: 13, UUID: uuid1, Description: "dup", Status: "pending"})
	})
	if !errors.Is(err, backlog.ErrConflict) || err.Error() != "a task with UUID "+uuid1+" already exists" {
		t.Errorf("Insert of a duplicate UUID: %v", err)
	}
	err = s.Write(ctx, func(tx store.Tx) error {
		return tx.Insert(ctx, &backlog.Task{ID: 12, UUID: uuid2, Description: "dup", Status: "pending"})
	})
	if !errors.Is(err, backlog.ErrConflict) || err.Error() != "a task with id 12 already exists" {
		t.Errorf("Insert of a duplicate id: %v", err)
	}
}

func second[T any](_ T, err error) error { return err }

func TestUpdate(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	write(t, s, func(tx store.Tx) error { return tx.Insert(ctx, fullTask()) })
	changed := &backlog.Task{
		ID: 1, UUID: uuid1, Description: "renamed", Status: backlog.StatusCompleted,
		Tags: []string{"done"}, End: clock, Extra: map[string]any{"estimate": "big"},
	}
	write(t, s, func(tx store.Tx) error { return tx.Update(ctx, changed) })
	read(t, s, func(tx store.Tx) error {
		got, err := tx.TaskByUUID(ctx, uuid1)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(changed, got, equateEmpty); diff != "" {
			t.Errorf("after update (-want +got):\n%s", diff)
		}
		// The index rows follow: old tags, dependencies and words are gone.
		for f, want := range map[string]int{
			"+bug": 0, "+done": 1, "depends.any:": 0, "naïve": 0, "renamed": 1, "first": 0, "ren": 1,
		} {
			if n := countOf(t, tx, f); n != want {
				t.Errorf("count %q = %d, want %d", f, n, want)
			}
		}
		udas, err := tx.UDAs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if udas["estimate"] != filter.UDAMixed || udas["owner"] != filter.UDAString || udas["billable"] != filter.UDABool || udas["big"] != filter.UDANumber {
			t.Errorf("UDAs = %v", udas)
		}
		return nil
	})
}

func TestPurge(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	a := fullTask()
	b := &backlog.Task{ID: 2, UUID: uuid2, Description: "other", Status: "pending", Depends: []string{uuid1}}
	write(t, s, func(tx store.Tx) error {
		if err := tx.Insert(ctx, a); err != nil {
			return err
		}
		if err := tx.Insert(ctx, b); err != nil {
			return err
		}
		return tx.SetDoc(ctx, uuid1, "# spec")
	})
	write(t, s, func(tx store.Tx) error { return tx.Purge(ctx, uuid1) })
	read(t, s, func(tx store.Tx) error {
		if _, err := tx.TaskByUUID(ctx, uuid1); !errors.Is(err, backlog.ErrNotFound) {
			t.Errorf("purged task still loads: %v", err)
		}
		// The dependent keeps its dependency, which now counts as resolved.
		got, err := tx.TaskByUUID(ctx, uuid2)
		if err != nil || len(got.Depends) != 1 {
			t.Errorf("dependent after purge: %v, %v", got, err)
		}
		if n := countOf(t, tx, "+BLOCKED"); n != 0 {
			t.Errorf("+BLOCKED after purging the blocker: %d", n)
		}
		return nil
	})
	// No row of the purged task is left in any table.
	for _, q := range []string{
		"SELECT count(*) FROM docs WHERE backlog = $1",
		"SELECT count(*) FROM tasks WHERE backlog = $1 AND search LIKE '%note%'",
		"SELECT count(*) FROM tasks WHERE backlog = $1 AND uuid = '" + uuid1 + "'",
	} {
		var n int
		if err := s.pool.QueryRow(ctx, q, s.backlog).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s = %d after purge", q, n)
		}
	}
}

func TestNextID(t *testing.T) {
	ctx := context.Background()
	ns := testNamespace()
	s := openNS(t, ns, false)
	var ids []int64
	for i := 0; i < 3; i++ {
		write(t, s, func(tx store.Tx) error {
			id, err := tx.NextID(ctx)
			if err != nil {
				return err
			}
			ids = append(ids, id)
			return tx.Insert(ctx, &backlog.Task{ID: id, UUID: []string{uuid1, uuid2, uuid3}[i], Description: "t", Status: "pending"})
		})
	}
	if diff := cmp.Diff([]int64{1, 2, 3}, ids); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
	// Purging the newest task does not free its id, not even after reopening.
	write(t, s, func(tx store.Tx) error { return tx.Purge(ctx, uuid3) })
	s.Close()
	s, err := Open(ctx, testURL(), ns)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	write(t, s, func(tx store.Tx) error {
		id, err := tx.NextID(ctx)
		if id != 4 {
			t.Errorf("NextID after purge and reopen = %d, want 4", id)
		}
		return err
	})
	// An inserted id above the counter (an import) raises it.
	write(t, s, func(tx store.Tx) error {
		return tx.Insert(ctx, &backlog.Task{ID: 40, UUID: uuid3, Description: "t", Status: "pending"})
	})
	write(t, s, func(tx store.Tx) error {
		id, err := tx.NextID(ctx)
		if id != 41 {
			t.Errorf("NextID after inserting id 40 = %d, want 41", id)
		}
		return err
	})
	// A failed write gives its id back to nobody: it rolls back whole.
	err = s.Write(ctx, func(tx store.Tx) error {
		if _, err := tx.NextID(ctx); err != nil {
			return err
		}
		return errors.New("boom")
	})
	if err == nil || err.Error() != "boom" {
		t.Fatalf("Write returned %v", err)
	}
	write(t, s, func(tx store.Tx) error {
		id, err := tx.NextID(ctx)
		if id != 42 {
			t.Errorf("NextID after a rolled back allocation = %d, want 42", id)
		}
		return err
	})
}

func TestRollback(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	err := s.Write(ctx, func(tx store.Tx) error {
		if err := tx.Insert(ctx, fullTask()); err != nil {
			return err
		}
		if err := tx.SetDoc(ctx, uuid1, "doc"); err != nil {
			return err
		}
		return tx.Insert(ctx, &backlog.Task{ID: 1, UUID: uuid1, Description: "dup", Status: "pending"})
	})
	if err == nil {
		t.Fatal("a duplicate insert succeeded")
	}
	read(t, s, func(tx store.Tx) error {
		if n := countOf(t, tx, ""); n != 0 {
			t.Errorf("%d tasks after a failed write", n)
		}
		udas, _ := tx.UDAs(ctx)
		if len(udas) != 0 {
			t.Errorf("UDAs after a failed write: %v", udas)
		}
		return nil
	})
	// Changes are refused in a read transaction, and a Tx dies with its function.
	var kept store.Tx
	err = s.Read(ctx, func(tx store.Tx) error {
		kept = tx
		return tx.Insert(ctx, fullTask())
	})
	if err == nil || !strings.Contains(err.Error(), "Store.Read") {
		t.Errorf("Insert in Read: %v", err)
	}
	if _, err := kept.Task(ctx, 1); err == nil {
		t.Error("a Tx works after its transaction ended")
	}
}

func TestDocs(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	write(t, s, func(tx store.Tx) error {
		if err := tx.Insert(ctx, fullTask()); err != nil {
			return err
		}
		if err := tx.SetDoc(ctx, uuid1, "first"); err != nil {
			return err
		}
		return tx.SetDoc(ctx, uuid1, "# second\n\nbody")
	})
	read(t, s, func(tx store.Tx) error {
		got, err := tx.Doc(ctx, uuid1)
		if err != nil || got != "# second\n\nbody" {
			t.Errorf("Doc = %q, %v", got, err)
		}
		return nil
	})
	write(t, s, func(tx store.Tx) error {
		if err := tx.DeleteDoc(ctx, uuid1); err != nil {
			return err
		}
		return tx.DeleteDoc(ctx, uuid1) // missing: no error
	})
	read(t, s, func(tx store.Tx) error {
		if _, err := tx.Doc(ctx, uuid1); !errors.Is(err, backlog.ErrNotFound) {
			t.Errorf("Doc after delete: %v", err)
		}
		return nil
	})
}

func TestJournal(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	before := fullTask()
	after := before.Clone()
	after.Status = backlog.StatusCompleted
	after.Urgency = 7.5
	doc := "the doc"
	entries := []*store.Entry{
		{At: clock, Agent: "ana", Command: "add", Summary: "add task 1",
			Changes: []store.Change{{UUID: uuid1, After: before, Doc: &store.DocChange{After: &doc}}}},
		{At: clock.Add(time.Second), Agent: "bob", Command: "add", Summary: "add task 2",
			Changes: []store.Change{{UUID: uuid2, After: &backlog.Task{UUID: uuid2, Description: "b", Status: "pending"}}}},
		{At: clock.Add(2 * time.Second), Agent: "ana", Command: "done", Summary: "done task 1",
			Changes: []store.Change{{UUID: uuid1, Before: before, After: after}, {UUID: uuid2}}},
		{At: clock.Add(3 * time.Second), Agent: "ana", Command: "purge", Summary: "purge task 1",
			Changes: []store.Change{{UUID: uuid1, Before: after, Doc: &store.DocChange{Before: &doc}}}},
	}
	write(t, s, func(tx store.Tx) error {
		for _, e := range entries {
			if err := tx.Append(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
	// Sequence numbers grow (from one sequence for the database: other
	// backlogs may take numbers in between).
	for i, e := range entries {
		if i > 0 && e.Seq <= entries[i-1].Seq {
			t.Errorf("entry %d has Seq %d after %d", i, e.Seq, entries[i-1].Seq)
		}
	}
	seq := func(i int) int64 { return entries[i-1].Seq } // by number, from 1
	after.Urgency = 0                                    // computed: not kept
	read(t, s, func(tx store.Tx) error {
		got, err := tx.Entries(ctx, seq(1), uuid1, 0)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(entries[2:], got, equateEmpty); diff != "" {
			t.Errorf("Entries(1, task 1) (-want +got):\n%s", diff)
		}
		got, err = tx.Entries(ctx, 0, uuid2, 0)
		if err != nil || len(got) != 2 || got[0].Seq != seq(2) || got[1].Seq != seq(3) {
			t.Errorf("Entries(0, task 2) = %v, %v", got, err)
		}
		latest, err := tx.LatestUndoable(ctx, "ana")
		if err != nil || latest == nil || latest.Seq != seq(4) {
			t.Errorf("LatestUndoable(ana) = %v, %v", latest, err)
		}
		latest, err = tx.LatestUndoable(ctx, "nobody")
		if err != nil || latest != nil {
			t.Errorf("LatestUndoable(nobody) = %v, %v", latest, err)
		}
		return nil
	})
	// ana undoes her purge: the undo entry is not undoable, the purge is
	// marked, and the next undoable entry is the one before.
	var undoSeq int64
	write(t, s, func(tx store.Tx) error {
		undo := &store.Entry{At: clock, Agent: "ana", Command: "undo", Summary: "undo purge", Undoes: seq(4)}
		if err := tx.Append(ctx, undo); err != nil {
			return err
		}
		undoSeq = undo.Seq
		return tx.MarkUndone(ctx, seq(4), undo.Seq)
	})
	read(t, s, func(tx store.Tx) error {
		latest, err := tx.LatestUndoable(ctx, "ana")
		if err != nil || latest == nil || latest.Seq != seq(3) {
			t.Fatalf("LatestUndoable(ana) after undo = %v, %v", latest, err)
		}
		got, err := tx.Entries(ctx, seq(3), uuid1, 0)
		if err != nil || len(got) != 1 || got[0].UndoneBy != undoSeq {
			t.Errorf("the purge entry after undo: %+v, %v", got, err)
		}
		return nil
	})
}

func TestNamesAndGraph(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	u := func(i int) string { return strings.Repeat(string(rune('a'+i)), 8) + "-0000-4000-8000-000000000000" }
	tasks := []*backlog.Task{
		{ID: 1, UUID: u(0), Description: "a", Status: "pending", Project: "web", Tags: []string{"bug"}},
		{ID: 2, UUID: u(1), Description: "b", Status: "pending", Project: "web.ui", Tags: []string{"bug", "ux"}, Depends: []string{u(0)}},
		{ID: 3, UUID: u(2), Description: "c", Status: "completed", Project: "web", Tags: []string{"bug"}, Depends: []string{u(1)}},
		{ID: 4, UUID: u(3), Description: "d", Status: "recurring", Project: "ops", Tags: []string{"ux"}, Recur: "weekly", Due: clock},
		{ID: 5, UUID: u(4), Description: "e", Status: "pending", Wait: clock.Add(time.Hour), Project: "web", Depends: []string{u(2), u(1)}},
		{ID: 0, UUID: u(5), Description: "f", Status: "deleted", Project: "zzz"},
	}
	write(t, s, func(tx store.Tx) error {
		for _, task := range tasks {
			if err := tx.Insert(ctx, task); err != nil {
				return err
			}
		}
		return nil
	})
	read(t, s, func(tx store.Tx) error {
		projects, err := tx.Names(ctx, store.Projects)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]store.NameCount{{Name: "ops", Count: 1}, {Name: "web", Count: 2}, {Name: "web.ui", Count: 1}}, projects); diff != "" {
			t.Errorf("projects (-want +got):\n%s", diff)
		}
		tags, err := tx.Names(ctx, store.Tags)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]store.NameCount{{Name: "bug", Count: 2}, {Name: "ux", Count: 2}}, tags); diff != "" {
			t.Errorf("tags (-want +got):\n%s", diff)
		}
		g, err := tx.Graph(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ix := backlog.NewIndex(tasks)
		for _, task := range tasks {
			if g.Blocked(task) != ix.Blocked(task) || g.Blocking(task) != ix.Blocking(task) {
				t.Errorf("task %d: graph says blocked %v blocking %v, index %v %v", task.ID,
					g.Blocked(task), g.Blocking(task), ix.Blocked(task), ix.Blocking(task))
			}
		}
		if g.LatestID() != 5 {
			t.Errorf("LatestID = %d", g.LatestID())
		}
		for _, d := range []string{u(0), u(1), u(2)} {
			id, ok := g.IDOf(d)
			want, wok := ix.IDOf(d)
			if id != want || ok != wok {
				t.Errorf("IDOf(%s) = %d %v, want %d %v", d, id, ok, want, wok)
			}
		}
		deps, err := tx.Dependents(ctx, u(1))
		if err != nil {
			t.Fatal(err)
		}
		if len(deps) != 1 || deps[0].ID != 5 { // task 3 depends on it too, but is not live
			t.Errorf("Dependents = %v", deps)
		}
		byPrefix, err := tx.TasksByUUIDPrefix(ctx, "bbbb", 10)
		if err != nil || len(byPrefix) != 1 || byPrefix[0].ID != 2 {
			t.Errorf("TasksByUUIDPrefix = %v, %v", byPrefix, err)
		}
		byPrefix, err = tx.TasksByUUIDPrefix(ctx, "", 2)
		if err != nil || len(byPrefix) != 2 || byPrefix[0].ID != 0 || byPrefix[1].ID != 1 {
			t.Errorf("TasksByUUIDPrefix(\"\", 2) = %v, %v", byPrefix, err)
		}
		return nil
	})
}

// TestBlockedFollowsDependencies checks that the dependency rows follow the
// task depended on: inserted after its dependent, completed, reopened,
// renumbered, purged.
func TestBlockedFollowsDependencies(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	a := &backlog.Task{ID: 1, UUID: uuid1, Description: "a", Status: "pending", Depends: []string{uuid2}}
	b := &backlog.Task{ID: 2, UUID: uuid2, Description: "b", Status: "pending"}
	state := func(step string, blocked, blocking int, dependsOnID2 int) {
		t.Helper()
		read(t, s, func(tx store.Tx) error {
			if n := countOf(t, tx, "+BLOCKED"); n != blocked {
				t.Errorf("%s: %d blocked, want %d", step, n, blocked)
			}
			if n := countOf(t, tx, "+BLOCKING"); n != blocking {
				t.Errorf("%s: %d blocking, want %d", step, n, blocking)
			}
			if n := countOf(t, tx, "depends:2"); n != dependsOnID2 {
				t.Errorf("%s: %d depend on id 2, want %d", step, n, dependsOnID2)
			}
			return nil
		})
	}
	write(t, s, func(tx store.Tx) error { return tx.Insert(ctx, a) })
	state("before the dependency exists", 0, 0, 0)
	write(t, s, func(tx store.Tx) error { return tx.Insert(ctx, b) })
	state("after it is added", 1, 1, 1)
	b.Status = backlog.StatusCompleted
	write(t, s, func(tx store.Tx) error { return tx.Update(ctx, b) })
	state("after it is completed", 0, 0, 1)
	b.Status = backlog.StatusPending
	write(t, s, func(tx store.Tx) error { return tx.Update(ctx, b) })
	state("after it is reopened", 1, 1, 1)
	a.Status = backlog.StatusDeleted
	write(t, s, func(tx store.Tx) error { return tx.Update(ctx, a) })
	state("after the dependent is deleted", 0, 0, 1)
	a.Status = backlog.StatusPending
	b.ID = 7
	write(t, s, func(tx store.Tx) error {
		if err := tx.Update(ctx, a); err != nil {
			return err
		}
		return tx.Update(ctx, b)
	})
	state("after it is renumbered", 1, 1, 0)
	write(t, s, func(tx store.Tx) error { return tx.Purge(ctx, uuid2) })
	state("after it is purged", 0, 0, 0)
}
