package enginetest

import (
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
)

var logDuplicateScenarios = []scenario{
	{"log creates a completed task ended now, outside the default list", func(h *H) {
		h.Clock.Advance(90 * time.Minute)
		t := h.Log("Reviewed the PR project:web +review")
		eq(h, "id", t.ID, int64(1))
		eq(h, "status", t.Status, backlog.StatusCompleted)
		h.sameTime("end", t.End, utc(2026, 3, 4, 9, 30, 0))
		h.sameTime("entry", t.Entry, utc(2026, 3, 4, 9, 30, 0))
		eq(h, "project", t.Project, "web")
		s := h.Stored(t.UUID)
		eq(h, "stored status", s.Status, backlog.StatusCompleted)
		h.sameTime("stored end", s.End, utc(2026, 3, 4, 9, 30, 0))
		eq(h, "pending tasks", len(h.List("", "", 0)), 0)
		eq(h, "completed tasks", len(h.List("status:completed", "", 0)), 1)
	}},

	{"log refuses a recurrence and a bad field, changing nothing", func(h *H) {
		h.Rejects("a logged task cannot recur: it is already done", backlog.ErrInvalid, func() error {
			_, err := h.E.Log(h.Ctx, h.Mods("Chore recur:weekly due:friday"))
			return err
		})
		h.Rejects(`priority must be H, M, L or empty, got "X"`, backlog.ErrInvalid, func() error {
			_, err := h.E.Log(h.Ctx, &engine.Changes{Description: ptr("Done"), Priority: ptr("X")})
			return err
		})
		h.Rejects("a description is required", backlog.ErrInvalid, func() error {
			_, err := h.E.Log(h.Ctx, &engine.Changes{})
			return err
		})
	}},

	{"duplicate makes a pending copy with a new id and UUID and no start, end or agent", func(h *H) {
		dep := h.Add("Dependency")
		src := h.Add("Original project:web +a +b priority:H due:friday agent:claude estimate:3h depends:1")
		h.Do(h.E.Start, "2")
		h.Clock.Advance(time.Hour)
		h.Do(h.E.Done, "2")
		h.Clock.Advance(time.Hour)
		r, err := h.E.Duplicate(h.Ctx, "2", &engine.Changes{})
		if err != nil {
			h.Fatalf("duplicate: %v", err)
		}
		h.trackResult(r)
		c := r.Task
		eq(h, "id", c.ID, int64(3))
		if c.UUID == src.UUID || c.UUID == "" {
			h.Errorf("the copy has UUID %q, want a new one", c.UUID)
		}
		eq(h, "status", c.Status, backlog.StatusPending)
		eq(h, "description", c.Description, "Original")
		eq(h, "project", c.Project, "web")
		eq(h, "priority", c.Priority, backlog.PriorityHigh)
		h.eqStrings("tags", c.Tags, []string{"a", "b"})
		h.sameTime("due", c.Due, src.Due)
		h.eqStrings("depends", c.Depends, []string{dep.UUID})
		eq[any](h, "estimate", c.Extra["estimate"], "3h")
		if !c.Start.IsZero() || !c.End.IsZero() || c.Agent != "" {
			h.Errorf("the copy has start %s, end %s, agent %q; want none", fmtTime(c.Start), fmtTime(c.End), c.Agent)
		}
		h.sameTime("entry", c.Entry, utc(2026, 3, 4, 10, 0, 0))
		s := h.Stored(c.UUID)
		eq(h, "stored status", s.Status, backlog.StatusPending)
		if !s.Start.IsZero() || !s.End.IsZero() || s.Agent != "" {
			h.Errorf("the stored copy has start, end or agent: %+v", s)
		}
		// The original is untouched.
		o := h.Stored(src.UUID)
		eq(h, "original status", o.Status, backlog.StatusCompleted)
		eq(h, "original agent", o.Agent, "claude")
	}},

	{"duplicate applies overrides", func(h *H) {
		h.Add("Original project:web +a priority:H due:friday")
		r, err := h.E.Duplicate(h.Ctx, "1", h.Edits("description:Copy project:api -a +b priority: due:eom"))
		if err != nil {
			h.Fatalf("duplicate: %v", err)
		}
		c := r.Task
		eq(h, "description", c.Description, "Copy")
		eq(h, "project", c.Project, "api")
		h.eqStrings("tags", c.Tags, []string{"b"})
		eq(h, "priority", c.Priority, backlog.PriorityNone)
		h.sameTime("due", c.Due, utc(2026, 3, 31, 21, 59, 59))
		eq(h, "original description", h.Info("1").Description, "Original")
	}},

	{"duplicate with no overrides (nil changes) copies the task", func(h *H) {
		h.Add("Original")
		h.noPanic("Duplicate(ref, nil)", func() {
			r, err := h.E.Duplicate(h.Ctx, "1", nil)
			if err != nil {
				h.Errorf("duplicate with nil changes: %v", err)
				return
			}
			eq(h, "copy description", r.Task.Description, "Original")
		})
	}},

	{"a bad override rejects the duplicate and changes nothing", func(h *H) {
		h.Add("Original")
		h.Rejects(`priority must be H, M, L or empty, got "X"`, backlog.ErrInvalid, func() error {
			_, err := h.E.Duplicate(h.Ctx, "1", &engine.Changes{Priority: ptr("X")})
			return err
		})
		h.Rejects(`cannot parse date "notadate" for due`, backlog.ErrInvalid, func() error {
			_, err := h.E.Duplicate(h.Ctx, "1", &engine.Changes{Due: ptr("notadate")})
			return err
		})
	}},

	{"duplicating a recurring template starts a new series; duplicating an instance does not", func(h *H) {
		r := h.AddR("Water plants recur:weekly due:friday project:home")
		tpl, inst := r.Task, r.Next
		eq(h, "template id", tpl.ID, int64(1))
		eq(h, "instance id", inst.ID, int64(2))
		d, err := h.E.Duplicate(h.Ctx, "1", &engine.Changes{Description: ptr("Water the garden")})
		if err != nil {
			h.Fatalf("duplicate template: %v", err)
		}
		h.trackResult(d)
		eq(h, "copy status", d.Task.Status, backlog.StatusRecurring)
		eq(h, "copy recur", d.Task.Recur, "weekly")
		if d.Next == nil {
			h.Fatalf("duplicating a template gave no first instance")
		}
		eq(h, "new instance parent", d.Next.Parent, d.Task.UUID)
		eq(h, "new instance status", d.Next.Status, backlog.StatusPending)
		h.sameTime("new instance due", d.Next.Due, d.Task.Due)
		eq(h, "pending instances of the copy", len(pendingInstances(h, d.Task.UUID)), 1)
		eq(h, "pending instances of the original", len(pendingInstances(h, tpl.UUID)), 1)
		eq(h, "journal entries for the duplicate", len(h.Last().Changes), 2)

		di, err := h.E.Duplicate(h.Ctx, "2", &engine.Changes{})
		if err != nil {
			h.Fatalf("duplicate instance: %v", err)
		}
		eq(h, "copy of an instance: status", di.Task.Status, backlog.StatusPending)
		eq(h, "copy of an instance: parent", di.Task.Parent, "")
		eq(h, "copy of an instance: recur", di.Task.Recur, "")
		if di.Next != nil {
			h.Errorf("duplicating an instance created another task: %+v", di.Next)
		}
	}},
}

// pendingInstances returns the pending (or waiting) instances of a template.
func pendingInstances(h *H, tpl string) []*backlog.Task {
	h.Helper()
	var out []*backlog.Task
	for _, t := range h.Export("") {
		if t.Parent == tpl && (t.Status == backlog.StatusPending || t.Status == backlog.StatusWaiting) {
			out = append(out, t)
		}
	}
	return out
}
