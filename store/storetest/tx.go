package storetest

import (
	"errors"
	"strings"
	"time"

	"github.com/google/go-cmp/cmp"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store"
)

var txScenarios = []scenario{
	{"a task loads as it was inserted, dates to the second in UTC, without urgency", func(h *H) {
		want := fullTask()
		in := want.Clone()
		in.Due = in.Due.Add(123 * time.Millisecond) // truncated to the second
		in.Urgency = 42                             // never stored
		h.insert(in)
		h.read(func(tx store.Tx) error {
			for _, get := range []func() (*backlog.Task, error){
				func() (*backlog.Task, error) { return tx.Task(h.Ctx, 1) },
				func() (*backlog.Task, error) { return tx.TaskByUUID(h.Ctx, uuid1) },
			} {
				got, err := get()
				if err != nil {
					h.Fatal(err)
				}
				if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
					h.Errorf("round trip (-want +got):\n%s", diff)
				}
				if got.Due.Location() != time.UTC {
					h.Errorf("dates load in %v, want UTC", got.Due.Location())
				}
			}
			return nil
		})
		// A minimal task loads with nothing set.
		min := &backlog.Task{ID: 2, UUID: uuid2, Description: "x", Status: backlog.StatusCompleted}
		h.insert(min)
		h.read(func(tx store.Tx) error {
			got, err := tx.Task(h.Ctx, 2)
			if err != nil {
				h.Fatal(err)
			}
			if diff := cmp.Diff(min, got); diff != "" {
				h.Errorf("minimal round trip (-want +got):\n%s", diff)
			}
			return nil
		})
	}},

	{"a missing task, doc or entry is not found, and a second task with a UUID or id is a conflict", func(h *H) {
		h.insert(&backlog.Task{ID: 12, UUID: uuid1, Description: "a", Status: "pending"})
		h.read(func(tx store.Tx) error {
			checks := []struct {
				err  error
				want string
			}{
				{second(tx.Task(h.Ctx, 999)), "no task with id 999"},
				{second(tx.TaskByUUID(h.Ctx, uuid2)), "no task with UUID " + uuid2},
				{second(tx.Doc(h.Ctx, uuid1)), "task 12 has no doc"},
				{second(tx.Doc(h.Ctx, uuid2)), "no task with UUID " + uuid2},
			}
			for _, c := range checks {
				if !errors.Is(c.err, backlog.ErrNotFound) || c.err.Error() != c.want {
					h.Errorf("got %v, want not found %q", c.err, c.want)
				}
			}
			return nil
		})
		err := h.S.Write(h.Ctx, func(tx store.Tx) error {
			return tx.Update(h.Ctx, &backlog.Task{UUID: uuid2, Description: "b", Status: "pending"})
		})
		if !errors.Is(err, backlog.ErrNotFound) {
			h.Errorf("Update of a missing task: %v", err)
		}
		err = h.S.Write(h.Ctx, func(tx store.Tx) error { return tx.Purge(h.Ctx, uuid2) })
		if !errors.Is(err, backlog.ErrNotFound) {
			h.Errorf("Purge of a missing task: %v", err)
		}
		err = h.S.Write(h.Ctx, func(tx store.Tx) error { return tx.SetDoc(h.Ctx, uuid2, "x") })
		if !errors.Is(err, backlog.ErrNotFound) {
			h.Errorf("SetDoc of a missing task: %v", err)
		}
		err = h.S.Write(h.Ctx, func(tx store.Tx) error { return tx.MarkUndone(h.Ctx, 77, 78) })
		if !errors.Is(err, backlog.ErrNotFound) {
			h.Errorf("MarkUndone of a missing entry: %v", err)
		}
		err = h.S.Write(h.Ctx, func(tx store.Tx) error {
			return tx.Insert(h.Ctx, &backlog.Task{ID: 13, UUID: uuid1, Description: "dup", Status: "pending"})
		})
		if !errors.Is(err, backlog.ErrConflict) || err.Error() != "a task with UUID "+uuid1+" already exists" {
			h.Errorf("Insert of a duplicate UUID: %v", err)
		}
		err = h.S.Write(h.Ctx, func(tx store.Tx) error {
			return tx.Insert(h.Ctx, &backlog.Task{ID: 12, UUID: uuid2, Description: "dup", Status: "pending"})
		})
		if !errors.Is(err, backlog.ErrConflict) || err.Error() != "a task with id 12 already exists" {
			h.Errorf("Insert of a duplicate id: %v", err)
		}
	}},

	{"an update replaces the whole task, and its tags, dependencies, words and UDAs follow", func(h *H) {
		h.insert(fullTask())
		changed := &backlog.Task{
			ID: 1, UUID: uuid1, Description: "renamed", Status: backlog.StatusCompleted,
			Tags: []string{"done"}, End: clock, Extra: map[string]any{"estimate": "big"},
		}
		h.update(changed)
		h.read(func(tx store.Tx) error {
			got, err := tx.TaskByUUID(h.Ctx, uuid1)
			if err != nil {
				h.Fatal(err)
			}
			if diff := cmp.Diff(changed, got, equateEmpty); diff != "" {
				h.Errorf("after update (-want +got):\n%s", diff)
			}
			// The index rows follow: old tags, dependencies and words are gone.
			for f, want := range map[string]int{
				"+bug": 0, "+done": 1, "depends.any:": 0, "naïve": 0, "renamed": 1, "first": 0, "ren": 1,
			} {
				if n := h.countOf(tx, f); n != want {
					h.Errorf("count %q = %d, want %d", f, n, want)
				}
			}
			udas, err := tx.UDAs(h.Ctx)
			if err != nil {
				h.Fatal(err)
			}
			if udas["estimate"] != filter.UDAMixed || udas["owner"] != filter.UDAString || udas["billable"] != filter.UDABool || udas["big"] != filter.UDANumber {
				h.Errorf("UDAs = %v", udas)
			}
			return nil
		})
	}},

	{"a purge removes the task and its doc, and its dependents count it resolved", func(h *H) {
		a := fullTask()
		b := &backlog.Task{ID: 2, UUID: uuid2, Description: "other", Status: "pending", Depends: []string{uuid1}}
		h.write(func(tx store.Tx) error {
			if err := tx.Insert(h.Ctx, a); err != nil {
				return err
			}
			if err := tx.Insert(h.Ctx, b); err != nil {
				return err
			}
			return tx.SetDoc(h.Ctx, uuid1, "# spec")
		})
		h.write(func(tx store.Tx) error { return tx.Purge(h.Ctx, uuid1) })
		h.read(func(tx store.Tx) error {
			if _, err := tx.TaskByUUID(h.Ctx, uuid1); !errors.Is(err, backlog.ErrNotFound) {
				h.Errorf("purged task still loads: %v", err)
			}
			if _, err := tx.Doc(h.Ctx, uuid1); !errors.Is(err, backlog.ErrNotFound) {
				h.Errorf("the purged task's doc still loads: %v", err)
			}
			// The dependent keeps its dependency, which now counts as resolved.
			got, err := tx.TaskByUUID(h.Ctx, uuid2)
			if err != nil || len(got.Depends) != 1 {
				h.Errorf("dependent after purge: %v, %v", got, err)
			}
			if n := h.countOf(tx, "+BLOCKED"); n != 0 {
				h.Errorf("+BLOCKED after purging the blocker: %d", n)
			}
			if n := h.countOf(tx, "note"); n != 0 {
				h.Errorf("the purged task's words still match: %d", n)
			}
			return nil
		})
		if h.backend.Leftovers != nil {
			h.backend.Leftovers(h.T, h.S, uuid1)
		}
	}},

	{"ids are never reused: not after a purge, a reopen or a rolled back write, and an inserted id raises the counter", func(h *H) {
		var ids []int64
		for i := 0; i < 3; i++ {
			h.write(func(tx store.Tx) error {
				id, err := tx.NextID(h.Ctx)
				if err != nil {
					return err
				}
				ids = append(ids, id)
				return tx.Insert(h.Ctx, &backlog.Task{ID: id, UUID: []string{uuid1, uuid2, uuid3}[i], Description: "t", Status: "pending"})
			})
		}
		if diff := cmp.Diff([]int64{1, 2, 3}, ids); diff != "" {
			h.Errorf("ids (-want +got):\n%s", diff)
		}
		// Purging the newest task does not free its id, not even after reopening.
		h.write(func(tx store.Tx) error { return tx.Purge(h.Ctx, uuid3) })
		after := "purge"
		if h.reopen() {
			after = "purge and reopen"
		}
		h.write(func(tx store.Tx) error {
			id, err := tx.NextID(h.Ctx)
			if id != 4 {
				h.Errorf("NextID after %s = %d, want 4", after, id)
			}
			return err
		})
		// An inserted id above the counter (an import) raises it.
		h.insert(&backlog.Task{ID: 40, UUID: uuid3, Description: "t", Status: "pending"})
		h.write(func(tx store.Tx) error {
			id, err := tx.NextID(h.Ctx)
			if id != 41 {
				h.Errorf("NextID after inserting id 40 = %d, want 41", id)
			}
			return err
		})
		// A failed write gives its id back to nobody: it rolls back whole.
		err := h.S.Write(h.Ctx, func(tx store.Tx) error {
			if _, err := tx.NextID(h.Ctx); err != nil {
				return err
			}
			return errors.New("boom")
		})
		if err == nil || err.Error() != "boom" {
			h.Fatalf("Write returned %v", err)
		}
		h.write(func(tx store.Tx) error {
			id, err := tx.NextID(h.Ctx)
			if id != 42 {
				h.Errorf("NextID after a rolled back allocation = %d, want 42", id)
			}
			return err
		})
	}},

	{"a failed write leaves nothing behind, a read refuses changes, and a Tx dies with its function", func(h *H) {
		err := h.S.Write(h.Ctx, func(tx store.Tx) error {
			if err := tx.Insert(h.Ctx, fullTask()); err != nil {
				return err
			}
			if err := tx.SetDoc(h.Ctx, uuid1, "doc"); err != nil {
				return err
			}
			return tx.Insert(h.Ctx, &backlog.Task{ID: 1, UUID: uuid1, Description: "dup", Status: "pending"})
		})
		if err == nil {
			h.Fatal("a duplicate insert succeeded")
		}
		h.read(func(tx store.Tx) error {
			if n := h.countOf(tx, ""); n != 0 {
				h.Errorf("%d tasks after a failed write", n)
			}
			udas, _ := tx.UDAs(h.Ctx)
			if len(udas) != 0 {
				h.Errorf("UDAs after a failed write: %v", udas)
			}
			return nil
		})
		var kept store.Tx
		err = h.S.Read(h.Ctx, func(tx store.Tx) error {
			kept = tx
			return tx.Insert(h.Ctx, fullTask())
		})
		if err == nil || !strings.Contains(err.Error(), "Store.Read") {
			h.Errorf("Insert in Read: %v", err)
		}
		if _, err := kept.Task(h.Ctx, 1); err == nil {
			h.Error("a Tx works after its transaction ended")
		}
	}},

	{"a doc is replaced whole and deleted, and deleting a missing doc is no error", func(h *H) {
		h.write(func(tx store.Tx) error {
			if err := tx.Insert(h.Ctx, fullTask()); err != nil {
				return err
			}
			if err := tx.SetDoc(h.Ctx, uuid1, "first"); err != nil {
				return err
			}
			return tx.SetDoc(h.Ctx, uuid1, "# second\n\nbody")
		})
		h.read(func(tx store.Tx) error {
			got, err := tx.Doc(h.Ctx, uuid1)
			if err != nil || got != "# second\n\nbody" {
				h.Errorf("Doc = %q, %v", got, err)
			}
			return nil
		})
		h.write(func(tx store.Tx) error {
			if err := tx.DeleteDoc(h.Ctx, uuid1); err != nil {
				return err
			}
			return tx.DeleteDoc(h.Ctx, uuid1) // missing: no error
		})
		h.read(func(tx store.Tx) error {
			if _, err := tx.Doc(h.Ctx, uuid1); !errors.Is(err, backlog.ErrNotFound) {
				h.Errorf("Doc after delete: %v", err)
			}
			return nil
		})
	}},

	{"the journal numbers its entries in order and finds them by task and by the agent's latest undoable", func(h *H) {
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
		h.write(func(tx store.Tx) error {
			for _, e := range entries {
				if err := tx.Append(h.Ctx, e); err != nil {
					return err
				}
			}
			return nil
		})
		for i, e := range entries {
			switch {
			case h.backend.DenseSeq && e.Seq != int64(i+1):
				h.Errorf("entry %d has Seq %d, want %d", i, e.Seq, i+1)
			case i > 0 && e.Seq <= entries[i-1].Seq:
				h.Errorf("entry %d has Seq %d after %d", i, e.Seq, entries[i-1].Seq)
			}
		}
		seq := func(i int) int64 { return entries[i-1].Seq } // by number, from 1
		after.Urgency = 0                                    // computed: not kept
		h.read(func(tx store.Tx) error {
			got, err := tx.Entries(h.Ctx, seq(1), uuid1, 0)
			if err != nil {
				h.Fatal(err)
			}
			if diff := cmp.Diff(entries[2:], got, equateEmpty); diff != "" {
				h.Errorf("Entries(1, task 1) (-want +got):\n%s", diff)
			}
			got, err = tx.Entries(h.Ctx, 0, uuid2, 0)
			if err != nil || len(got) != 2 || got[0].Seq != seq(2) || got[1].Seq != seq(3) {
				h.Errorf("Entries(0, task 2) = %v, %v", got, err)
			}
			latest, err := tx.LatestUndoable(h.Ctx, "ana")
			if err != nil || latest == nil || latest.Seq != seq(4) {
				h.Errorf("LatestUndoable(ana) = %v, %v", latest, err)
			}
			latest, err = tx.LatestUndoable(h.Ctx, "nobody")
			if err != nil || latest != nil {
				h.Errorf("LatestUndoable(nobody) = %v, %v", latest, err)
			}
			return nil
		})
		// ana undoes her purge: the undo entry is not undoable, the purge is
		// marked, and the next undoable entry is the one before.
		var undoSeq int64
		h.write(func(tx store.Tx) error {
			undo := &store.Entry{At: clock, Agent: "ana", Command: "undo", Summary: "undo purge", Undoes: seq(4)}
			if err := tx.Append(h.Ctx, undo); err != nil {
				return err
			}
			undoSeq = undo.Seq
			return tx.MarkUndone(h.Ctx, seq(4), undo.Seq)
		})
		if h.backend.DenseSeq && undoSeq != 5 {
			h.Errorf("the undo entry has Seq %d, want 5", undoSeq)
		}
		h.read(func(tx store.Tx) error {
			latest, err := tx.LatestUndoable(h.Ctx, "ana")
			if err != nil || latest == nil || latest.Seq != seq(3) {
				h.Fatalf("LatestUndoable(ana) after undo = %v, %v", latest, err)
			}
			got, err := tx.Entries(h.Ctx, seq(3), uuid1, 0)
			if err != nil || len(got) != 1 || got[0].UndoneBy != undoSeq {
				h.Errorf("the purge entry after undo: %+v, %v", got, err)
			}
			return nil
		})
	}},

	{"names count live tasks, and the graph, dependents and UUID prefixes agree with the tasks", func(h *H) {
		u := func(i int) string { return strings.Repeat(string(rune('a'+i)), 8) + "-0000-4000-8000-000000000000" }
		tasks := []*backlog.Task{
			{ID: 1, UUID: u(0), Description: "a", Status: "pending", Project: "web", Tags: []string{"bug"}},
			{ID: 2, UUID: u(1), Description: "b", Status: "pending", Project: "web.ui", Tags: []string{"bug", "ux"}, Depends: []string{u(0)}},
			{ID: 3, UUID: u(2), Description: "c", Status: "completed", Project: "web", Tags: []string{"bug"}, Depends: []string{u(1)}},
			{ID: 4, UUID: u(3), Description: "d", Status: "recurring", Project: "ops", Tags: []string{"ux"}, Recur: "weekly", Due: clock},
			{ID: 5, UUID: u(4), Description: "e", Status: "pending", Wait: clock.Add(time.Hour), Project: "web", Depends: []string{u(2), u(1)}},
			{ID: 0, UUID: u(5), Description: "f", Status: "deleted", Project: "zzz"},
		}
		h.insert(tasks...)
		h.read(func(tx store.Tx) error {
			projects, err := tx.Names(h.Ctx, store.Projects)
			if err != nil {
				h.Fatal(err)
			}
			if diff := cmp.Diff([]store.NameCount{{Name: "ops", Count: 1}, {Name: "web", Count: 2}, {Name: "web.ui", Count: 1}}, projects); diff != "" {
				h.Errorf("projects (-want +got):\n%s", diff)
			}
			tags, err := tx.Names(h.Ctx, store.Tags)
			if err != nil {
				h.Fatal(err)
			}
			if diff := cmp.Diff([]store.NameCount{{Name: "bug", Count: 2}, {Name: "ux", Count: 2}}, tags); diff != "" {
				h.Errorf("tags (-want +got):\n%s", diff)
			}
			g, err := tx.Graph(h.Ctx)
			if err != nil {
				h.Fatal(err)
			}
			ix := backlog.NewIndex(tasks)
			for _, task := range tasks {
				if g.Blocked(task) != ix.Blocked(task) || g.Blocking(task) != ix.Blocking(task) {
					h.Errorf("task %d: graph says blocked %v blocking %v, index %v %v", task.ID,
						g.Blocked(task), g.Blocking(task), ix.Blocked(task), ix.Blocking(task))
				}
			}
			if g.LatestID() != 5 {
				h.Errorf("LatestID = %d", g.LatestID())
			}
			for _, d := range []string{u(0), u(1), u(2)} {
				id, ok := g.IDOf(d)
				want, wok := ix.IDOf(d)
				if id != want || ok != wok {
					h.Errorf("IDOf(%s) = %d %v, want %d %v", d, id, ok, want, wok)
				}
			}
			deps, err := tx.Dependents(h.Ctx, u(1))
			if err != nil {
				h.Fatal(err)
			}
			if len(deps) != 1 || deps[0].ID != 5 { // task 3 depends on it too, but is not live
				h.Errorf("Dependents = %v", deps)
			}
			byPrefix, err := tx.TasksByUUIDPrefix(h.Ctx, "bbbb", 10)
			if err != nil || len(byPrefix) != 1 || byPrefix[0].ID != 2 {
				h.Errorf("TasksByUUIDPrefix = %v, %v", byPrefix, err)
			}
			byPrefix, err = tx.TasksByUUIDPrefix(h.Ctx, "", 2)
			if err != nil || len(byPrefix) != 2 || byPrefix[0].ID != 0 || byPrefix[1].ID != 1 {
				h.Errorf("TasksByUUIDPrefix(\"\", 2) = %v, %v", byPrefix, err)
			}
			return nil
		})
	}},

	// The dependency rows follow the task depended on: inserted after its
	// dependent, completed, reopened, renumbered, purged.
	{"blocked and blocking follow the task depended on through every change", func(h *H) {
		a := &backlog.Task{ID: 1, UUID: uuid1, Description: "a", Status: "pending", Depends: []string{uuid2}}
		b := &backlog.Task{ID: 2, UUID: uuid2, Description: "b", Status: "pending"}
		state := func(step string, blocked, blocking int, dependsOnID2 int) {
			h.Helper()
			h.read(func(tx store.Tx) error {
				if n := h.countOf(tx, "+BLOCKED"); n != blocked {
					h.Errorf("%s: %d blocked, want %d", step, n, blocked)
				}
				if n := h.countOf(tx, "+BLOCKING"); n != blocking {
					h.Errorf("%s: %d blocking, want %d", step, n, blocking)
				}
				if n := h.countOf(tx, "depends:2"); n != dependsOnID2 {
					h.Errorf("%s: %d depend on id 2, want %d", step, n, dependsOnID2)
				}
				return nil
			})
		}
		h.insert(a)
		state("before the dependency exists", 0, 0, 0)
		h.insert(b)
		state("after it is added", 1, 1, 1)
		b.Status = backlog.StatusCompleted
		h.update(b)
		state("after it is completed", 0, 0, 1)
		b.Status = backlog.StatusPending
		h.update(b)
		state("after it is reopened", 1, 1, 1)
		a.Status = backlog.StatusDeleted
		h.update(a)
		state("after the dependent is deleted", 0, 0, 1)
		a.Status = backlog.StatusPending
		b.ID = 7
		h.update(a, b)
		state("after it is renumbered", 1, 1, 0)
		h.write(func(tx store.Tx) error { return tx.Purge(h.Ctx, uuid2) })
		state("after it is purged", 0, 0, 0)
	}},
}
