package enginetest

import (
	"time"

	backlog "github.com/agent-backlog/backlog"
)

var recurScenarios = []scenario{
	{"adding a recurring task creates the template and its first pending instance, due at the template's due", func(h *H) {
		n := h.JournalLen()
		r := h.AddR("Water plants recur:weekly due:friday project:home +garden priority:M")
		tpl, inst := r.Task, r.Next
		eq(h, "template id", tpl.ID, int64(1))
		eq(h, "template status", tpl.Status, backlog.StatusRecurring)
		eq(h, "template recur", tpl.Recur, "weekly")
		h.sameTime("template due", tpl.Due, utc(2026, 3, 5, 22, 0, 0))
		if inst == nil {
			h.Fatalf("add with recur returned no instance")
		}
		eq(h, "instance id", inst.ID, int64(2))
		eq(h, "instance status", inst.Status, backlog.StatusPending)
		eq(h, "instance parent", inst.Parent, tpl.UUID)
		eq(h, "instance recur", inst.Recur, "weekly")
		eq(h, "instance project", inst.Project, "home")
		eq(h, "instance priority", inst.Priority, backlog.PriorityMedium)
		h.eqStrings("instance tags", inst.Tags, []string{"garden"})
		h.sameTime("instance due", inst.Due, tpl.Due)
		eq(h, "stored template status", h.Stored(tpl.UUID).Status, backlog.StatusRecurring)
		eq(h, "stored instance parent", h.Stored(inst.UUID).Parent, tpl.UUID)
		h.eqIDs("pending list", ids(h.List("", "", 0)), []int64{2})
		eq(h, "journal entries", h.JournalLen()-n, 1)
		eq(h, "tasks in the add entry", len(h.Last().Changes), 2)
	}},

	{"completing the instance creates exactly one next instance, one period later", func(h *H) {
		tpl := h.AddR("Water plants recur:weekly due:friday").Task
		r := h.Do(h.E.Done, "2")
		if r.Next == nil {
			h.Fatalf("done on an instance created no next instance")
		}
		eq(h, "next id", r.Next.ID, int64(3))
		eq(h, "next parent", r.Next.Parent, tpl.UUID)
		eq(h, "next status", r.Next.Status, backlog.StatusPending)
		h.sameTime("next due", r.Next.Due, utc(2026, 3, 12, 22, 0, 0))
		h.eqIDs("pending instances", ids(pendingInstances(h, tpl.UUID)), []int64{3})
		eq(h, "template still recurring", h.Info("1").Status, backlog.StatusRecurring)

		r = h.Do(h.E.Done, "3")
		h.sameTime("next due after the second done", r.Next.Due, utc(2026, 3, 19, 22, 0, 0))
		h.eqIDs("pending instances", ids(pendingInstances(h, tpl.UUID)), []int64{4})
	}},

	{"completing instances again and again never leaves two pending instances", func(h *H) {
		tpl := h.AddR("Stand-up recur:daily due:tomorrow").Task
		for i := range 5 {
			pend := pendingInstances(h, tpl.UUID)
			if len(pend) != 1 {
				h.Fatalf("step %d: pending instances %v, want exactly one", i, ids(pend))
			}
			ref := itoa(pend[0].ID)
			h.Do(h.E.Done, ref)
			h.Rejects("task "+ref+" is already completed", backlog.ErrConflict, func() error {
				_, err := h.E.Done(h.Ctx, ref)
				return err
			})
		}
		eq(h, "pending instances at the end", len(pendingInstances(h, tpl.UUID)), 1)
		eq(h, "completed instances", count(h, "status:completed"), 5)
	}},

	{"deleting an instance creates the next one", func(h *H) {
		tpl := h.AddR("Chore recur:weekly due:friday").Task
		r := h.Do(h.E.Delete, "2")
		if r.Next == nil {
			h.Fatalf("delete of an instance created no next instance")
		}
		h.sameTime("next due", r.Next.Due, utc(2026, 3, 12, 22, 0, 0))
		h.eqIDs("pending instances", ids(pendingInstances(h, tpl.UUID)), []int64{3})
	}},

	{"after a long pause one instance is created, at the first period date after today", func(h *H) {
		tpl := h.AddR("Chore recur:weekly due:friday").Task
		h.Clock.Set(local(2026, 4, 10, 12, 0, 0)) // five weeks on, a Friday noon
		r := h.Do(h.E.Done, "2")
		if r.Next == nil {
			h.Fatalf("no next instance")
		}
		h.sameTime("next due", r.Next.Due, utc(2026, 4, 16, 22, 0, 0))
		h.eqIDs("pending instances", ids(pendingInstances(h, tpl.UUID)), []int64{3})
		eq(h, "tasks in all", len(h.Export("")), 3)
	}},

	{"an overdue instance stays overdue: reads never generate instances", func(h *H) {
		tpl := h.AddR("Chore recur:daily due:tomorrow").Task
		h.Clock.Advance(10 * 24 * time.Hour)
		n := h.JournalLen()
		h.List("", "", 0)
		h.Export("")
		count(h, "+OVERDUE")
		h.Info("2")
		h.eqIDs("pending instances", ids(pendingInstances(h, tpl.UUID)), []int64{2})
		h.eqIDs("+OVERDUE", ids(h.List("+OVERDUE", "", 0)), []int64{2})
		eq(h, "journal entries", h.JournalLen(), n)
	}},

	{"monthly on the 31st clamps to each month's end without drifting", func(h *H) {
		tpl := h.AddR("Invoice recur:monthly due:2026-01-31").Task
		want := []time.Time{utc(2026, 3, 30, 22, 0, 0), utc(2026, 4, 29, 22, 0, 0), utc(2026, 5, 30, 22, 0, 0)}
		ref := "2"
		for i, w := range want {
			r := h.Do(h.E.Done, ref)
			if r.Next == nil {
				h.Fatalf("step %d: no next instance", i)
			}
			h.sameTime("next due", r.Next.Due, w)
			ref = itoa(r.Next.ID)
		}
		eq(h, "pending instances", len(pendingInstances(h, tpl.UUID)), 1)
	}},

	{"a weekdays series skips the weekend", func(h *H) {
		tpl := h.AddR("Stand-up recur:weekdays due:friday").Task
		r := h.Do(h.E.Done, "2")
		if r.Next == nil {
			h.Fatalf("no next instance")
		}
		h.sameTime("next due after Friday", r.Next.Due, utc(2026, 3, 8, 22, 0, 0)) // Monday 00:00 UTC+2
		eq(h, "pending instances", len(pendingInstances(h, tpl.UUID)), 1)
	}},

	{"until ends the series", func(h *H) {
		tpl := h.AddR("Chore recur:weekly due:friday until:friday+10d").Task
		h.sameTime("until", tpl.Until, utc(2026, 3, 15, 22, 0, 0))
		r := h.Do(h.E.Done, "2")
		if r.Next == nil {
			h.Fatalf("no next instance before until")
		}
		h.sameTime("next due", r.Next.Due, utc(2026, 3, 12, 22, 0, 0))
		h.sameTime("instance until", r.Next.Until, tpl.Until)
		r = h.Do(h.E.Done, "3")
		if r.Next != nil {
			h.Errorf("an instance due %s was created after until %s", fmtTime(r.Next.Due), fmtTime(tpl.Until))
		}
		eq(h, "pending instances", len(pendingInstances(h, tpl.UUID)), 0)
		eq(h, "tasks in all", len(h.Export("")), 3)
	}},

	{"deleting the template ends the series and deletes its pending instance", func(h *H) {
		tpl := h.AddR("Chore recur:weekly due:friday").Task
		h.Add("Unrelated")
		h.Do(h.E.Done, "2") // instance 4 is next
		n := h.JournalLen()
		r := h.Do(h.E.Delete, "1")
		eq(h, "template status", r.Task.Status, backlog.StatusDeleted)
		if r.Next != nil {
			h.Errorf("deleting the template created an instance: %+v", r.Next)
		}
		eq(h, "instance 4 status", h.Info("4").Status, backlog.StatusDeleted)
		eq(h, "completed instance 2 kept", h.Info("2").Status, backlog.StatusCompleted)
		eq(h, "unrelated task", h.Info("3").Status, backlog.StatusPending)
		eq(h, "pending instances", len(pendingInstances(h, tpl.UUID)), 0)
		eq(h, "journal entries", h.JournalLen()-n, 1)
		eq(h, "tasks in the delete entry", len(h.Last().Changes), 2)
	}},

	{"undoing the completion of an instance removes the next instance", func(h *H) {
		tpl := h.AddR("Chore recur:weekly due:friday").Task
		h.Do(h.E.Done, "2")
		undo(h, h.E)
		h.eqIDs("pending instances", ids(pendingInstances(h, tpl.UUID)), []int64{2})
		eq(h, "tasks in all", len(h.Export("")), 2)
		r := h.Do(h.E.Done, "2")
		eq(h, "next id (3 is never reused)", r.Next.ID, int64(4))
	}},
}
