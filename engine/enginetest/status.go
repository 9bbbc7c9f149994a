package enginetest

import (
	"context"
	"strings"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
)

// oneCommand names a command on one task, for tables.
type oneCommand struct {
	name string
	run  func(h *H, ref string) (*engine.Result, error)
}

func cmdOf(name string, f func(e *engine.Engine) func(context.Context, string) (*engine.Result, error)) oneCommand {
	return oneCommand{name, func(h *H, ref string) (*engine.Result, error) { return f(h.E)(h.Ctx, ref) }}
}

var (
	cmdStart  = cmdOf("start", func(e *engine.Engine) func(context.Context, string) (*engine.Result, error) { return e.Start })
	cmdStop   = cmdOf("stop", func(e *engine.Engine) func(context.Context, string) (*engine.Result, error) { return e.Stop })
	cmdDone   = cmdOf("done", func(e *engine.Engine) func(context.Context, string) (*engine.Result, error) { return e.Done })
	cmdDelete = cmdOf("delete", func(e *engine.Engine) func(context.Context, string) (*engine.Result, error) { return e.Delete })
	cmdPurge  = cmdOf("purge", func(e *engine.Engine) func(context.Context, string) (*engine.Result, error) { return e.Purge })
)

// statusFixture makes task 1 pending, 2 completed, 3 deleted, 4 active,
// 5 a recurring template (with its instance 6), 7 waiting.
func statusFixture(h *H) {
	h.Helper()
	h.Add("Pending")
	h.Log("Completed")
	h.Add("Deleted")
	h.Do(h.E.Delete, "3")
	h.Add("Active")
	h.Do(h.E.Start, "4")
	h.AddR("Template recur:daily due:tomorrow")
	h.Add("Waiting wait:now+3d")
}

var statusScenarios = []scenario{
	{"start sets start to now and keeps the task pending", func(h *H) {
		h.Add("Task")
		h.Clock.Advance(time.Minute)
		r := h.Do(h.E.Start, "1")
		eq(h, "status", r.Task.Status, backlog.StatusPending)
		h.sameTime("start", r.Task.Start, utc(2026, 3, 4, 8, 1, 0))
		h.sameTime("stored start", h.Stored(r.Task.UUID).Start, utc(2026, 3, 4, 8, 1, 0))
		h.eqIDs("+ACTIVE", ids(h.List("+ACTIVE", "", 0)), []int64{1})
	}},

	{"starting an active task again is fine and changes nothing", func(h *H) {
		h.Add("Task")
		h.Do(h.E.Start, "1")
		n := h.JournalLen()
		before := h.Snapshot()
		h.Clock.Advance(time.Hour)
		r := h.Do(h.E.Start, "1")
		h.sameTime("start kept", r.Task.Start, utc(2026, 3, 4, 8, 0, 0))
		h.Unchanged(before, "a second start")
		eq(h, "journal entries", h.JournalLen(), n)
	}},

	{"start, stop, done, delete and purge refuse the wrong status with a sentence", func(h *H) {
		statusFixture(h)
		cases := []struct {
			cmd  oneCommand
			ref  string
			want string
			kind error
		}{
			{cmdStart, "2", "task 2 is completed: it cannot be started", backlog.ErrConflict},
			{cmdStart, "3", "task 3 is deleted: it cannot be started", backlog.ErrConflict},
			{cmdStart, "5", "task 5 is a recurring template: it cannot be started (its instances can)", backlog.ErrConflict},
			{cmdStop, "1", "task 1 is not started", backlog.ErrConflict},
			{cmdStop, "2", "task 2 is not started", backlog.ErrConflict},
			{cmdStop, "7", "task 7 is not started", backlog.ErrConflict},
			{cmdDone, "2", "task 2 is already completed", backlog.ErrConflict},
			{cmdDone, "3", "task 3 is deleted: it cannot be completed (undo the delete first)", backlog.ErrConflict},
			{cmdDone, "5", "task 5 is a recurring template: complete its instances, or delete it to end the series", backlog.ErrConflict},
			{cmdDelete, "3", "task 3 is already deleted", backlog.ErrConflict},
			{cmdPurge, "1", "task 1 is pending: only a deleted task can be purged (delete it first)", backlog.ErrConflict},
			{cmdPurge, "2", "task 2 is completed: only a deleted task can be purged (delete it first)", backlog.ErrConflict},
			{cmdPurge, "4", "task 4 is pending: only a deleted task can be purged (delete it first)", backlog.ErrConflict},
			{cmdPurge, "5", "task 5 is recurring: only a deleted task can be purged (delete it first)", backlog.ErrConflict},
			{cmdPurge, "7", "task 7 is waiting: only a deleted task can be purged (delete it first)", backlog.ErrConflict},
		}
		for _, c := range cases {
			h.Case(c.cmd.name+" "+c.ref, func(h *H) {
				h.Rejects(c.want, c.kind, func() error { _, err := c.cmd.run(h, c.ref); return err })
			})
		}
		for _, cmd := range []oneCommand{cmdStart, cmdStop, cmdDone, cmdDelete, cmdPurge} {
			h.Rejects("no task with id 99", backlog.ErrNotFound, func() error { _, err := cmd.run(h, "99"); return err })
		}
	}},

	{"stop clears start; stopping twice is an error", func(h *H) {
		h.Add("Task")
		h.Do(h.E.Start, "1")
		h.Clock.Advance(time.Hour)
		r := h.Do(h.E.Stop, "1")
		if !r.Task.Start.IsZero() {
			h.Errorf("start after stop = %s, want unset", fmtTime(r.Task.Start))
		}
		if s := h.Stored(r.Task.UUID); !s.Start.IsZero() || s.Status != backlog.StatusPending {
			h.Errorf("stored after stop: start %s status %s", fmtTime(s.Start), s.Status)
		}
		h.Rejects("task 1 is not started", backlog.ErrConflict, func() error { _, err := h.E.Stop(h.Ctx, "1"); return err })
	}},

	{"done completes the task, ended now", func(h *H) {
		h.Add("Task")
		h.Clock.Advance(2 * time.Hour)
		r := h.Do(h.E.Done, "1")
		eq(h, "status", r.Task.Status, backlog.StatusCompleted)
		h.sameTime("end", r.Task.End, utc(2026, 3, 4, 10, 0, 0))
		s := h.Stored(r.Task.UUID)
		eq(h, "stored status", s.Status, backlog.StatusCompleted)
		h.sameTime("stored end", s.End, utc(2026, 3, 4, 10, 0, 0))
		eq(h, "pending", len(h.List("", "", 0)), 0)
	}},

	{"done on a blocked task is allowed and says what still blocks it", func(h *H) {
		h.Add("Blocker one")
		h.Add("Blocker two")
		h.Log("Finished")
		h.Add("Blocked depends:1,2,3")
		r := h.Do(h.E.Done, "4")
		eq(h, "status", r.Task.Status, backlog.StatusCompleted)
		h.eqIDs("blocked by", r.BlockedBy, []int64{1, 2})
	}},

	{"done says which tasks it unblocked", func(h *H) {
		h.Add("Blocker")
		h.Add("Other blocker")
		h.Add("Waits on 1 depends:1")
		h.Add("Waits on 1 and 2 depends:1,2")
		h.Add("Also waits on 1 depends:1")
		h.Log("Completed, depends on 1 depends:1")
		r := h.Do(h.E.Done, "1")
		h.eqIDs("unblocked", r.Unblocked, []int64{3, 5})
		h.eqIDs("blocked by", r.BlockedBy, nil)
		h.eqIDs("+BLOCKED after done", ids(h.List("+BLOCKED", "id+", 0)), []int64{4})
		h.eqIDs("+READY after done", ids(h.List("+READY", "id+", 0)), []int64{2, 3, 5})
	}},

	{"delete marks the task deleted, ends it, keeps start (as done does) and reports its dependents", func(h *H) {
		h.Add("Dependency")
		h.Add("Dependent depends:1")
		h.Add("Other dependent depends:1")
		h.Log("Completed dependent depends:1")
		h.Do(h.E.Start, "1")
		h.Clock.Advance(time.Hour)
		r := h.Do(h.E.Delete, "1")
		eq(h, "status", r.Task.Status, backlog.StatusDeleted)
		h.sameTime("end", r.Task.End, utc(2026, 3, 4, 9, 0, 0))
		h.sameTime("start", r.Task.Start, utc(2026, 3, 4, 8, 0, 0))
		h.eqIDs("dependents", r.Dependents, []int64{2, 3})
		h.eqIDs("unblocked", r.Unblocked, []int64{2, 3})
		s := h.Stored(r.Task.UUID)
		eq(h, "stored status", s.Status, backlog.StatusDeleted)
		eq(h, "deleted tasks", len(h.List("+DELETED", "", 0)), 1)
		eq(h, "pending tasks", len(h.List("", "", 0)), 2)
	}},

	{"deleting a task that no longer blocks anyone reports nobody as unblocked", func(h *H) {
		h.Log("Completed blocker")
		h.Add("Depends on a completed task depends:1")
		h.eqIDs("+BLOCKED before", ids(h.List("+BLOCKED", "", 0)), nil)
		r := h.Do(h.E.Delete, "1")
		h.eqIDs("dependents", r.Dependents, []int64{2})
		h.eqIDs("unblocked (2 was not blocked)", r.Unblocked, nil)
	}},

	{"purge removes a deleted task and its doc for good", func(h *H) {
		h.Add("Keep")
		t := h.Add("Gone")
		h.Do(func(ctx context.Context, ref string) (*engine.Result, error) { return h.E.DocWrite(ctx, ref, "# Spec") }, "2")
		h.Do(h.E.Delete, "2")
		r := h.Do(h.E.Purge, "2")
		eq(h, "purged task id", r.Task.ID, int64(2))
		eq(h, "purged task status (as it was)", r.Task.Status, backlog.StatusDeleted)
		h.Rejects("no task with id 2", backlog.ErrNotFound, func() error { _, err := h.E.Info(h.Ctx, "2"); return err })
		h.Rejects("no task with UUID "+t.UUID, backlog.ErrNotFound, func() error { _, err := h.E.Info(h.Ctx, t.UUID); return err })
		h.Rejects("no task with id 2", backlog.ErrNotFound, func() error { _, err := h.E.DocRead(h.Ctx, "2"); return err })
		if _, ok := h.StoredDoc(t.UUID); ok {
			h.Errorf("the store still holds the purged task's doc")
		}
		for _, x := range h.Export("") {
			if x.UUID == t.UUID {
				h.Errorf("export still has the purged task")
			}
		}
		eq(h, "tasks left", len(h.Export("")), 1)
		eq(h, "count of all statuses", count(h, "status.any:"), 1)
	}},
}

var annotationScenarios = []scenario{
	{"annotate adds a timestamped note; denotate removes an exact match", func(h *H) {
		h.Add("Task")
		h.Clock.Advance(time.Minute)
		annotate(h, "1", "  migrated users table  ")
		h.Clock.Advance(time.Minute)
		annotate(h, "1", "tests pass")
		annotate(h, "1", "migrated users table")
		t := h.Stored(h.Info("1").UUID)
		if len(t.Annotations) != 3 {
			h.Fatalf("annotations = %v, want 3", t.Annotations)
		}
		eq(h, "first note", t.Annotations[0].Description, "migrated users table")
		h.sameTime("first note entry", t.Annotations[0].Entry, utc(2026, 3, 4, 8, 1, 0))
		h.sameTime("second note entry", t.Annotations[1].Entry, utc(2026, 3, 4, 8, 2, 0))
		eq(h, "+ANNOTATED", len(h.List("+ANNOTATED", "", 0)), 1)
		eq(h, "search in notes", len(h.List("USERS", "", 0)), 1)

		r, err := h.E.Denotate(h.Ctx, "1", " migrated users table ")
		if err != nil {
			h.Fatalf("denotate: %v", err)
		}
		if len(r.Task.Annotations) != 2 || r.Task.Annotations[0].Description != "tests pass" ||
			r.Task.Annotations[1].Description != "migrated users table" {
			h.Errorf("after denotate: %v, want the first exact match removed", r.Task.Annotations)
		}
		eq(h, "stored annotations", len(h.Stored(r.Task.UUID).Annotations), 2)
	}},

	{"denotate without an exact match is not found and changes nothing", func(h *H) {
		h.Add("Task")
		annotate(h, "1", "migrated users table")
		for _, text := range []string{"migrated", "Migrated users table", "migrated users table and more"} {
			h.Rejects(`task 1 has no annotation "`+text+`"`, backlog.ErrNotFound, func() error {
				_, err := h.E.Denotate(h.Ctx, "1", text)
				return err
			})
		}
		h.Add("No notes")
		h.Rejects(`task 2 has no annotation "x"`, backlog.ErrNotFound, func() error {
			_, err := h.E.Denotate(h.Ctx, "2", "x")
			return err
		})
	}},

	{"a bad annotation is rejected and changes nothing", func(h *H) {
		h.Add("Task")
		cases := []struct{ text, want string }{
			{"", "annotation text must not be empty"},
			{"   ", "annotation text must not be empty"},
			{"two\nlines", "annotation text must be one line (put longer text in the task's doc)"},
			{strings.Repeat("a", 10001), "annotation is 10001 bytes, more than the 10000 allowed"},
		}
		for _, c := range cases {
			h.Rejects(c.want, backlog.ErrInvalid, func() error { _, err := h.E.Annotate(h.Ctx, "1", c.text); return err })
		}
		h.Rejects("no task with id 9", backlog.ErrNotFound, func() error { _, err := h.E.Annotate(h.Ctx, "9", "note"); return err })
	}},
}

func annotate(h *H, ref, text string) *engine.Result {
	h.Helper()
	r, err := h.E.Annotate(h.Ctx, ref, text)
	if err != nil {
		h.Fatalf("annotate %s %q: %v", ref, text, err)
	}
	h.trackResult(r)
	return r
}

func docWrite(h *H, ref, content string) *engine.Result {
	h.Helper()
	r, err := h.E.DocWrite(h.Ctx, ref, content)
	if err != nil {
		h.Fatalf("doc write %s: %v", ref, err)
	}
	h.trackResult(r)
	return r
}

func docRead(h *H, ref string) string {
	h.Helper()
	d, err := h.E.DocRead(h.Ctx, ref)
	if err != nil {
		h.Fatalf("doc read %s: %v", ref, err)
	}
	return d
}

func count(h *H, filter string) int {
	h.Helper()
	n, err := h.E.Count(h.Ctx, filter)
	if err != nil {
		h.Fatalf("count %q: %v", filter, err)
	}
	return n
}

var docScenarios = []scenario{
	{"writing a doc sets has_doc and the doc tag; reading returns it", func(h *H) {
		h.Add("Task +spec")
		content := "# SSO login\n\nUse OIDC. Ünïcödé and `code`.\n"
		r := docWrite(h, "1", content)
		eq(h, "has_doc", r.Task.HasDoc, true)
		h.eqStrings("tags", r.Task.Tags, []string{"spec", "doc"})
		s := h.Stored(r.Task.UUID)
		eq(h, "stored has_doc", s.HasDoc, true)
		h.eqStrings("stored tags", s.Tags, []string{"spec", "doc"})
		eq(h, "doc read", docRead(h, "1"), content)
		eq(h, "+DOC", len(h.List("+DOC", "", 0)), 1)
		eq(h, "has_doc:yes", len(h.List("has_doc:yes", "", 0)), 1)

		r = docWrite(h, "1", "second version")
		h.eqStrings("tags after a second write", r.Task.Tags, []string{"spec", "doc"})
		eq(h, "doc read after a second write", docRead(h, "1"), "second version")
	}},

	{"reading a task without a doc is an error", func(h *H) {
		h.Add("Task")
		h.Rejects("task 1 has no doc", backlog.ErrNotFound, func() error { _, err := h.E.DocRead(h.Ctx, "1"); return err })
		h.Rejects("no task with id 2", backlog.ErrNotFound, func() error { _, err := h.E.DocRead(h.Ctx, "2"); return err })
	}},

	{"deleting the doc clears has_doc and the doc tag", func(h *H) {
		h.Add("Task +a")
		docWrite(h, "1", "# Spec")
		r, err := h.E.DocDelete(h.Ctx, "1")
		if err != nil {
			h.Fatalf("doc delete: %v", err)
		}
		eq(h, "has_doc", r.Task.HasDoc, false)
		h.eqStrings("tags", r.Task.Tags, []string{"a"})
		s := h.Stored(r.Task.UUID)
		eq(h, "stored has_doc", s.HasDoc, false)
		h.eqStrings("stored tags", s.Tags, []string{"a"})
		if _, ok := h.StoredDoc(s.UUID); ok {
			h.Errorf("the store still holds the doc")
		}
		h.Rejects("task 1 has no doc", backlog.ErrNotFound, func() error { _, err := h.E.DocRead(h.Ctx, "1"); return err })
		h.Rejects("task 1 has no doc", backlog.ErrNotFound, func() error { _, err := h.E.DocDelete(h.Ctx, "1"); return err })
	}},

	{"a doc of 1 MiB is accepted and one byte more is rejected", func(h *H) {
		h.Add("Task")
		big := strings.Repeat("x", 1<<20)
		docWrite(h, "1", big)
		if got := docRead(h, "1"); got != big {
			h.Errorf("a 1 MiB doc reads back as %d bytes", len(got))
		}
		h.Add("Other")
		h.Rejects("doc is 1048577 bytes, more than the 1048576 allowed", backlog.ErrInvalid, func() error {
			_, err := h.E.DocWrite(h.Ctx, "2", big+"x")
			return err
		})
		h.Rejects("doc is 1048577 bytes, more than the 1048576 allowed", backlog.ErrInvalid, func() error {
			_, err := h.E.DocWrite(h.Ctx, "1", big+"y")
			return err
		})
		h.Rejects("doc is not valid UTF-8", backlog.ErrInvalid, func() error {
			_, err := h.E.DocWrite(h.Ctx, "2", "bad \xff")
			return err
		})
		h.Rejects("no task with id 9", backlog.ErrNotFound, func() error {
			_, err := h.E.DocWrite(h.Ctx, "9", "# doc")
			return err
		})
	}},

	{"rewriting the same doc changes nothing and adds no journal entry", func(h *H) {
		h.Add("Task")
		docWrite(h, "1", "# Spec")
		n := h.JournalLen()
		before := h.Snapshot()
		h.Clock.Advance(time.Hour)
		docWrite(h, "1", "# Spec")
		h.Unchanged(before, "writing the same doc again")
		eq(h, "journal entries", h.JournalLen(), n)
	}},
}
