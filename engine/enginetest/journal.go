package enginetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/store"
)

// undo runs Undo with e and fails on an error or when nothing was undone.
func undo(h *H, e *engine.Engine) *engine.UndoResult {
	h.Helper()
	r, err := e.Undo(h.Ctx)
	if err != nil {
		h.Fatalf("undo as %s: %v", e.Agent(), err)
	}
	if r.Undone == nil {
		h.Fatalf("undo as %s: nothing was undone", e.Agent())
	}
	h.track(r.Tasks...)
	return r
}

var journalScenarios = []scenario{
	{"every successful command adds exactly one entry, by its agent, at its time", func(h *H) {
		h.Add("Base")
		steps := []struct {
			command string
			run     func()
		}{
			{"add", func() { h.Add("Task two project:web") }},
			{"log", func() { h.Log("Logged") }},
			{"duplicate", func() {
				r, err := h.E.Duplicate(h.Ctx, "2", &engine.Changes{})
				if err != nil {
					h.Fatalf("duplicate: %v", err)
				}
				h.trackResult(r)
			}},
			{"import", func() { h.Import(`[{"description":"Imported one"},{"description":"Imported two"}]`) }},
			{"modify", func() { h.Modify("1-2", "priority:H") }},
			{"start", func() { h.Do(h.E.Start, "1") }},
			{"stop", func() { h.Do(h.E.Stop, "1") }},
			{"annotate", func() { annotate(h, "1", "note") }},
			{"denotate", func() {
				if _, err := h.E.Denotate(h.Ctx, "1", "note"); err != nil {
					h.Fatalf("denotate: %v", err)
				}
			}},
			{"doc write", func() { docWrite(h, "1", "# Spec") }},
			{"doc delete", func() {
				if _, err := h.E.DocDelete(h.Ctx, "1"); err != nil {
					h.Fatalf("doc delete: %v", err)
				}
			}},
			{"done", func() { h.Do(h.E.Done, "1") }},
			{"delete", func() { h.Do(h.E.Delete, "4") }},
			{"purge", func() { h.Do(h.E.Purge, "4") }},
			{"undo", func() { undo(h, h.E) }},
		}
		var lastSeq int64
		for _, s := range steps {
			h.Clock.Advance(time.Minute)
			n := h.JournalLen()
			s.run()
			j := h.Journal()
			if len(j) != n+1 {
				h.Errorf("%s added %d journal entries, want 1", s.command, len(j)-n)
				continue
			}
			e := j[len(j)-1]
			eq(h, s.command+": entry command", e.Command, s.command)
			eq(h, s.command+": entry agent", e.Agent, "alice")
			h.sameTime(s.command+": entry time", e.At, h.Now())
			if e.Summary == "" {
				h.Errorf("%s: the entry has no summary", s.command)
			}
			if len(e.Changes) == 0 {
				h.Errorf("%s: the entry records no change", s.command)
			}
			if e.Seq <= lastSeq {
				h.Errorf("%s: entry seq %d does not follow %d", s.command, e.Seq, lastSeq)
			}
			lastSeq = e.Seq
		}
		// The undo undid the purge: it names it, and the purge is marked.
		j := h.Journal()
		u, p := j[len(j)-1], j[len(j)-2]
		eq(h, "undo undoes", u.Undoes, p.Seq)
		eq(h, "purge undone by", p.UndoneBy, u.Seq)
	}},

	{"a command that changes nothing, fails or only reads adds no entry", func(h *H) {
		h.Add("Task project:web")
		h.Do(h.E.Start, "1")
		n := h.JournalLen()
		h.Do(h.E.Start, "1")
		h.Modify("project:none", "priority:H")
		h.Modify("1", "project:web")
		if r, err := h.Engine("bob").Undo(h.Ctx); err != nil || r.Undone != nil {
			h.Errorf("undo with nothing to undo: %v, %v", r, err)
		}
		h.E.Done(h.Ctx, "99")
		h.E.Modify(h.Ctx, "1", &engine.Changes{Priority: ptr("X")}, false)
		h.E.Import(h.Ctx, []byte(`[{"description":""}]`), engine.ImportOptions{})
		h.List("", "", 0)
		count(h, "")
		h.Export("")
		h.Info("1")
		h.E.Projects(h.Ctx)
		h.E.Tags(h.Ctx)
		h.E.DocRead(h.Ctx, "1")
		eq(h, "journal entries", h.JournalLen(), n)
	}},

	{"entries keep the before and after image of every task and doc they touched", func(h *H) {
		t := h.Add("Task priority:L estimate:3h points:2 +a")
		e := h.Last()
		if len(e.Changes) != 1 || e.Changes[0].UUID != t.UUID || e.Changes[0].Before != nil || e.Changes[0].After == nil {
			h.Fatalf("add entry changes = %+v", e.Changes)
		}
		after := e.Changes[0].After
		eq(h, "add after: description", after.Description, "Task")
		eq(h, "add after: id", after.ID, int64(1))
		eq[any](h, "add after: points (a number)", after.Extra["points"], 2.0)
		h.eqStrings("add after: tags", after.Tags, []string{"a"})

		stored := h.Stored(t.UUID)
		stored.Urgency = 0
		js, _ := json.Marshal(stored)
		ja, _ := json.Marshal(after)
		if string(js) != string(ja) {
			h.Errorf("the add entry's image differs from the stored task:\nimage  %s\nstored %s", ja, js)
		}

		h.Modify("1", "priority:H")
		e = h.Last()
		eq(h, "modify before: priority", e.Changes[0].Before.Priority, backlog.PriorityLow)
		eq(h, "modify after: priority", e.Changes[0].After.Priority, backlog.PriorityHigh)

		docWrite(h, "1", "# v1")
		e = h.Last()
		if d := e.Changes[0].Doc; d == nil || d.Before != nil || d.After == nil || *d.After != "# v1" {
			h.Errorf("doc write entry doc images = %+v", d)
		}
		docWrite(h, "1", "# v2")
		e = h.Last()
		if d := e.Changes[0].Doc; d == nil || d.Before == nil || *d.Before != "# v1" || d.After == nil || *d.After != "# v2" {
			h.Errorf("second doc write entry doc images = %+v", d)
		}
		h.Do(h.E.Delete, "1")
		h.Do(h.E.Purge, "1")
		e = h.Last()
		if len(e.Changes) != 1 || e.Changes[0].After != nil || e.Changes[0].Before == nil {
			h.Fatalf("purge entry changes = %+v", e.Changes)
		}
		if d := e.Changes[0].Doc; d == nil || d.Before == nil || *d.Before != "# v2" || d.After != nil {
			h.Errorf("purge entry doc images = %+v", d)
		}
	}},

	{"the store reads entries after a sequence number, by task, oldest first", func(h *H) {
		a := h.Add("A")
		b := h.Add("B")
		h.Modify("1", "priority:H")
		h.Modify("1,2", "+x")
		var first int64
		err := h.Store.Read(h.Ctx, func(tx store.Tx) error {
			all, err := tx.Entries(h.Ctx, 0, a.UUID, 0)
			if err != nil {
				return err
			}
			if len(all) != 3 {
				return fmt.Errorf("entries for task 1: %d, want 3", len(all))
			}
			first = all[0].Seq
			later, err := tx.Entries(h.Ctx, first, a.UUID, 0)
			if err != nil {
				return err
			}
			if len(later) != 2 || later[0].Command != "modify" {
				return fmt.Errorf("entries for task 1 after the add: %d", len(later))
			}
			forB, err := tx.Entries(h.Ctx, first, b.UUID, 0)
			if err != nil {
				return err
			}
			if len(forB) != 2 || forB[0].Command != "add" || forB[1].Command != "modify" {
				return fmt.Errorf("entries for task 2 after task 1's add: %v", forB)
			}
			none, err := tx.Entries(h.Ctx, 0, "00000000-0000-4000-8000-000000000000", 0)
			if err != nil {
				return err
			}
			if len(none) != 0 {
				return fmt.Errorf("entries for an unknown task: %d", len(none))
			}
			latest, err := tx.LatestUndoable(h.Ctx, "alice")
			if err != nil {
				return err
			}
			if latest == nil || latest.Command != "modify" || len(latest.Changes) != 2 {
				return fmt.Errorf("latest undoable entry of alice = %+v", latest)
			}
			nobody, err := tx.LatestUndoable(h.Ctx, "nobody")
			if err != nil {
				return err
			}
			if nobody != nil {
				return fmt.Errorf("latest undoable entry of an agent with none = %+v", nobody)
			}
			return nil
		})
		if err != nil {
			h.Error(err)
		}
	}},
}

var undoScenarios = []scenario{
	{"undo reverses a modify of 10 tasks as a whole", func(h *H) {
		for i := range 10 {
			h.Add(fmt.Sprintf("Task %d project:x", i))
		}
		before := h.Snapshot()
		h.Clock.Advance(time.Hour)
		r := h.Modify("project:x", "priority:H +bulk")
		eq(h, "modified", r.Modified, 10)
		u := undo(h, h.E)
		eq(h, "undone", *u.Undone, "modify 10 tasks (priority, tags)")
		h.eqIDs("tasks restored", ids(u.Tasks), []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
		for _, t := range h.Export("") {
			if t.Priority != "" || len(t.Tags) != 0 {
				h.Errorf("task %d after undo: priority %q tags %v", t.ID, t.Priority, t.Tags)
			}
			h.sameTime("modified after undo", t.Modified, utc(2026, 3, 4, 8, 0, 0))
		}
		eq(h, "undo entry", h.Last().Command, "undo")
		eq(h, "tasks in the undo entry", len(h.Last().Changes), 10)
		h.unchangedTasks(before, "modify then undo (tasks and docs)")
	}},

	{"undo reverses an import of 30 tasks as a whole", func(h *H) {
		h.Add("Existing")
		var objs []string
		for i := range 30 {
			objs = append(objs, fmt.Sprintf(`{"description":"Imported %d","doc":"# doc %d"}`, i, i))
		}
		r := h.Import("[" + strings.Join(objs, ",") + "]")
		eq(h, "imported", r.Imported, 30)
		u := undo(h, h.E)
		eq(h, "undone", *u.Undone, "import 30 tasks")
		h.eqIDs("tasks left", ids(h.Export("")), []int64{1})
		for _, t := range r.Tasks {
			if _, ok := h.StoredDoc(t.UUID); ok {
				h.Errorf("the doc of undone import task %d is still stored", t.ID)
			}
		}
		eq(h, "id of the next task", h.Add("After").ID, int64(32))
	}},

	{"undo reverses a doc write: the previous doc, or none", func(h *H) {
		h.Add("Task +a")
		docWrite(h, "1", "# v1")
		docWrite(h, "1", "# v2")
		u := undo(h, h.E)
		eq(h, "undone", *u.Undone, `doc write 1 "Task"`)
		eq(h, "doc after one undo", docRead(h, "1"), "# v1")
		undo(h, h.E)
		t := h.Stored(h.Info("1").UUID)
		eq(h, "has_doc after two undos", t.HasDoc, false)
		h.eqStrings("tags after two undos", t.Tags, []string{"a"})
		h.Rejects("task 1 has no doc", backlog.ErrNotFound, func() error { _, err := h.E.DocRead(h.Ctx, "1"); return err })
	}},

	{"undo reverses a doc delete", func(h *H) {
		h.Add("Task")
		docWrite(h, "1", "# Spec")
		if _, err := h.E.DocDelete(h.Ctx, "1"); err != nil {
			h.Fatalf("doc delete: %v", err)
		}
		undo(h, h.E)
		eq(h, "doc", docRead(h, "1"), "# Spec")
		eq(h, "has_doc", h.Info("1").HasDoc, true)
	}},

	{"undo reverses a delete, a done and a start", func(h *H) {
		h.Add("Task")
		before := h.Snapshot()
		h.Do(h.E.Start, "1")
		h.Do(h.E.Done, "1")
		h.Add("Other")
		h.Do(h.E.Delete, "2")
		u := undo(h, h.E)
		eq(h, "undone", *u.Undone, `delete 2 "Other"`)
		eq(h, "task 2 status", h.Info("2").Status, backlog.StatusPending)
		if !h.Info("2").End.IsZero() {
			h.Errorf("task 2 keeps end after undoing its delete")
		}
		undo(h, h.E) // the add of 2
		undo(h, h.E) // done
		eq(h, "task 1 status", h.Info("1").Status, backlog.StatusPending)
		undo(h, h.E) // start
		h.unchangedTasks(before, "start, done, add, delete and four undos")
	}},

	{"undo of a purge brings the task back with its id and doc", func(h *H) {
		t := h.Add("Task project:web")
		docWrite(h, "1", "# Spec")
		h.Do(h.E.Delete, "1")
		h.Do(h.E.Purge, "1")
		u := undo(h, h.E)
		eq(h, "undone", *u.Undone, `purge 1 "Task"`)
		back := h.Info(t.UUID)
		eq(h, "id", back.ID, int64(1))
		eq(h, "status", back.Status, backlog.StatusDeleted)
		eq(h, "has_doc", back.HasDoc, true)
		eq(h, "doc", docRead(h, "1"), "# Spec")
		undo(h, h.E)
		eq(h, "status after undoing the delete", h.Info("1").Status, backlog.StatusPending)
	}},

	{"undo of a recurring add removes the template and its instance", func(h *H) {
		h.AddR("Chore recur:weekly due:friday")
		undo(h, h.E)
		eq(h, "tasks", len(h.Export("")), 0)
	}},

	{"repeated undo walks further back, then there is nothing to undo", func(h *H) {
		h.Add("One")
		h.Add("Two")
		h.Modify("1", "priority:H")
		want := []string{`modify 1 task (priority)`, `add 2 "Two"`, `add 1 "One"`}
		for _, w := range want {
			u := undo(h, h.E)
			eq(h, "undone", *u.Undone, w)
		}
		eq(h, "tasks", len(h.Export("")), 0)
		n := h.JournalLen()
		r, err := h.E.Undo(h.Ctx)
		if err != nil {
			h.Fatalf("undo with nothing left: %v", err)
		}
		if r.Undone != nil || r.Tasks == nil || len(r.Tasks) != 0 {
			h.Errorf("undo with nothing left = %+v, want undone nil and no tasks", r)
		}
		eq(h, "journal entries", h.JournalLen(), n)
	}},

	{"undo skips commands already undone", func(h *H) {
		h.Add("One")
		h.Modify("1", "priority:H")
		undo(h, h.E)
		h.Modify("1", "priority:L")
		eq(h, "first undo", *undo(h, h.E).Undone, "modify 1 task (priority)")
		eq(h, "priority", h.Info("1").Priority, backlog.PriorityNone)
		eq(h, "second undo", *undo(h, h.E).Undone, `add 1 "One"`)
		eq(h, "tasks", len(h.Export("")), 0)
	}},

	{"undo never creates a dependency cycle", func(h *H) {
		bob := h.Engine("bob")
		h.Add("One")
		h.Add("Two")
		h.Modify("1", "depends:2")
		h.Modify("1", "depends:")
		if _, err := bob.Modify(h.Ctx, "2", h.Edits("depends:1"), false); err != nil {
			h.Fatalf("bob: %v", err)
		}
		before := h.Snapshot()
		_, err := h.E.Undo(h.Ctx)
		if err == nil || !errors.Is(err, backlog.ErrConflict) || !strings.Contains(err.Error(), "cycle") {
			h.Errorf("undo that would restore 1 -> 2 while 2 -> 1: error %v, want a conflict naming the cycle", err)
		}
		h.Unchanged(before, "an undo that would create a cycle")
	}},

	{"undo with nothing to undo gives nothing, no error and no entry", func(h *H) {
		r, err := h.E.Undo(h.Ctx)
		if err != nil {
			h.Fatalf("undo: %v", err)
		}
		if r == nil || r.Undone != nil || r.Tasks == nil || len(r.Tasks) != 0 {
			h.Errorf("undo = %+v, want undone nil and an empty list", r)
		}
		eq(h, "journal entries", h.JournalLen(), 0)
	}},

	{"undo is per agent: one agent never undoes another's work", func(h *H) {
		bob := h.Engine("bob")
		h.Add("Alice task")
		r, err := bob.Add(h.Ctx, h.Mods("Bob task"))
		if err != nil {
			h.Fatalf("bob add: %v", err)
		}
		h.trackResult(r)
		u := undo(h, h.E)
		eq(h, "alice undid", *u.Undone, `add 1 "Alice task"`)
		h.eqIDs("tasks after alice's undo", ids(h.Export("")), []int64{2})
		if r, err := h.E.Undo(h.Ctx); err != nil || r.Undone != nil {
			h.Errorf("alice's second undo = %+v, %v; want nothing to undo", r, err)
		}
		eq(h, "bob undid", *undo(h, bob).Undone, `add 2 "Bob task"`)
		eq(h, "tasks", len(h.Export("")), 0)
	}},

	{"undo refuses when another agent changed the same task since, naming the agent, and changes nothing", func(h *H) {
		bob := h.Engine("bob")
		h.Add("Write tests")
		h.Add("Other")
		if _, err := bob.Modify(h.Ctx, "1", h.Edits("priority:H"), false); err != nil {
			h.Fatalf("bob modify: %v", err)
		}
		h.Modify("2", "+mine")
		// Alice's latest command touched task 2 only: it can be undone.
		undo(h, h.E)
		// Her add of task 2 too, then her add of 1 is refused.
		undo(h, h.E)
		h.Rejects(`cannot undo "add 1 \"Write tests\"": task 1 was changed since by bob (modify 1 task (priority)); undo refused, nothing changed`,
			backlog.ErrConflict, func() error { _, err := h.E.Undo(h.Ctx); return err })
		// Bob undoes his change: now alice may undo hers.
		undo(h, bob)
		u := undo(h, h.E)
		eq(h, "alice undid", *u.Undone, `add 1 "Write tests"`)
		eq(h, "tasks", len(h.Export("")), 0)
	}},

	{"a refused undo names the other agent even when the caller touched the task later", func(h *H) {
		bob := h.Engine("bob")
		h.Add("Write tests")
		if _, err := bob.Modify(h.Ctx, "1", h.Edits("priority:H"), false); err != nil {
			h.Fatalf("bob modify: %v", err)
		}
		h.Modify("1", "+mine")
		undo(h, h.E) // alice's +mine
		h.Rejects(`cannot undo "add 1 \"Write tests\"": task 1 was changed since by bob (modify 1 task (priority)); undo refused, nothing changed`,
			backlog.ErrConflict, func() error { _, err := h.E.Undo(h.Ctx); return err })
	}},

	{"undo refuses when another agent completed, deleted or purged the task since", func(h *H) {
		bob := h.Engine("bob")
		for i, step := range []func(ref string) error{
			func(ref string) error { _, err := bob.Done(h.Ctx, ref); return err },
			func(ref string) error { _, err := bob.Delete(h.Ctx, ref); return err },
			func(ref string) error {
				if _, err := bob.Delete(h.Ctx, ref); err != nil {
					return err
				}
				_, err := bob.Purge(h.Ctx, ref)
				return err
			},
			func(ref string) error { _, err := bob.DocWrite(h.Ctx, ref, "# bob's"); return err },
		} {
			t := h.Add(fmt.Sprintf("Task %d", i))
			h.Modify(itoa(t.ID), "priority:H")
			if err := step(itoa(t.ID)); err != nil {
				h.Fatalf("bob's step %d: %v", i, err)
			}
			before := h.Snapshot()
			_, err := h.E.Undo(h.Ctx)
			if err == nil || !strings.Contains(err.Error(), "changed since by bob") || !errors.Is(err, backlog.ErrConflict) {
				h.Errorf("step %d: undo = %v, want a conflict naming bob", i, err)
			}
			h.Unchanged(before, "a refused undo")
			// Bob undoes his step, and alice's undo goes through again.
			undo(h, bob)
			if i == 2 {
				undo(h, bob) // the delete before the purge
			}
			undo(h, h.E)
			eq(h, "priority after alice's undo", h.Info(itoa(t.ID)).Priority, backlog.PriorityNone)
		}
	}},

	{"undo survives a restart: a new engine for the same agent undoes the last command", func(h *H) {
		h.Add("One")
		h.Modify("1", "priority:H")
		restarted := h.Engine("alice")
		u := undo(h, restarted)
		eq(h, "undone", *u.Undone, "modify 1 task (priority)")
		eq(h, "priority", h.Info("1").Priority, backlog.PriorityNone)
		eq(h, "undone by a second restart", *undo(h, h.Engine("alice")).Undone, `add 1 "One"`)
	}},
}

// unchangedTasks fails when the tasks or docs are no longer as the snapshot
// saw them, whatever the journal says.
func (h *H) unchangedTasks(before Snapshot, after string) {
	h.Helper()
	now := withoutJournal(h.Snapshot())
	if now.text != withoutJournal(before).text {
		h.Errorf("%s did not restore the backlog:\nbefore:\n%s\nafter:\n%s", after, withoutJournal(before).text, now.text)
	}
}

// withoutJournal drops the journal lines of a snapshot, to compare the tasks
// and docs alone (undo adds entries while restoring the tasks).
func withoutJournal(s Snapshot) Snapshot {
	var keep []string
	for _, l := range strings.Split(s.text, "\n") {
		if !strings.HasPrefix(l, "journal ") {
			keep = append(keep, l)
		}
	}
	return Snapshot{text: strings.Join(keep, "\n")}
}

var concurrencyScenarios = []scenario{
	{"8 agents adding and modifying at once through their own engines lose nothing", func(h *H) {
		const agents, adds = 8, 50
		var (
			mu        sync.Mutex
			committed []int64
			mine      = make([][]int64, agents)
			uuids     = make([][]string, agents)
			modifies  = make([]int, agents)
			wg        sync.WaitGroup
		)
		for g := range agents {
			wg.Add(1)
			go func() {
				defer wg.Done()
				e := h.Engine(fmt.Sprintf("agent-%d", g))
				rng := rand.New(rand.NewPCG(uint64(g), 42))
				ctx := context.Background()
				for i := range adds {
					r, err := e.Add(ctx, &engine.Changes{Description: ptr(fmt.Sprintf("agent %d task %d", g, i))})
					if err != nil {
						h.Errorf("agent %d add %d: %v", g, i, err)
						return
					}
					mine[g] = append(mine[g], r.Task.ID)
					uuids[g] = append(uuids[g], r.Task.UUID)
					mu.Lock()
					committed = append(committed, r.Task.ID)
					target := committed[rng.IntN(len(committed))]
					mu.Unlock()
					m, err := e.Modify(ctx, strconv.FormatInt(target, 10),
						&engine.Changes{Description: ptr(fmt.Sprintf("modified by agent %d at step %d", g, i)),
							UDAs: map[string]any{"touches": float64(i)}}, false)
					if err != nil {
						h.Errorf("agent %d modify %d: %v", g, target, err)
						return
					}
					if m.Modified != 1 {
						h.Errorf("agent %d modify %d: modified %d, want 1", g, target, m.Modified)
					}
					modifies[g]++
				}
			}()
		}
		wg.Wait()
		if h.Failed() {
			return
		}
		all := h.Export("")
		eq(h, "tasks", len(all), agents*adds)
		seenIDs := map[int64]bool{}
		for _, t := range all {
			if seenIDs[t.ID] {
				h.Errorf("id %d is given twice", t.ID)
			}
			seenIDs[t.ID] = true
		}
		for g := range agents {
			if !slices.IsSorted(mine[g]) {
				h.Errorf("agent %d got ids out of order: %v", g, mine[g])
			}
			for _, u := range uuids[g] {
				h.Stored(u)
				h.track(&backlog.Task{UUID: u})
			}
		}
		total := agents * adds
		for _, n := range modifies {
			total += n
		}
		j := h.Journal()
		eq(h, "journal entries", len(j), total)
		perAgent := map[string]int{}
		for _, e := range j {
			perAgent[e.Agent]++
		}
		for g := range agents {
			eq(h, fmt.Sprintf("entries of agent-%d", g), perAgent[fmt.Sprintf("agent-%d", g)], adds+modifies[g])
		}
	}},
}
