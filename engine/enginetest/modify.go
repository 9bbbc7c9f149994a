package enginetest

import (
	"fmt"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
)

// modify runs Modify as alice without confirmation and returns the result or
// fails.
func modify(h *H, filter string, c *engine.Changes) *engine.ModifyResult {
	h.Helper()
	r, err := h.E.Modify(h.Ctx, filter, c, false)
	if err != nil {
		h.Fatalf("modify %q: %v", filter, err)
	}
	h.track(r.Tasks...)
	return r
}

var modifyScenarios = []scenario{
	{"modify needs a filter and a change", func(h *H) {
		h.Add("Task")
		for _, f := range []string{"", "   "} {
			h.Rejects("modify needs a filter: give ids (12, 1-3) or a filter such as project:web", backlog.ErrInvalid, func() error {
				_, err := h.E.Modify(h.Ctx, f, h.Edits("priority:H"), false)
				return err
			})
		}
		h.Rejects("nothing to modify: give at least one field to change", backlog.ErrInvalid, func() error {
			_, err := h.E.Modify(h.Ctx, "1", &engine.Changes{}, false)
			return err
		})
	}},

	{"modify changes the fields given, stamps modified and returns the tasks", func(h *H) {
		h.Add("Task project:web")
		h.Add("Other project:api")
		h.Clock.Advance(time.Hour)
		r := h.Modify("1", "priority:H description:Renamed")
		eq(h, "modified", r.Modified, 1)
		h.eqIDs("tasks", ids(r.Tasks), []int64{1})
		s := h.Stored(h.Info("1").UUID)
		eq(h, "description", s.Description, "Renamed")
		eq(h, "priority", s.Priority, backlog.PriorityHigh)
		eq(h, "project kept", s.Project, "web")
		h.sameTime("modified", s.Modified, utc(2026, 3, 4, 9, 0, 0))
		h.sameTime("entry kept", s.Entry, utc(2026, 3, 4, 8, 0, 0))
		h.sameTime("other task's modified", h.Info("2").Modified, utc(2026, 3, 4, 8, 0, 0))
	}},

	{"an empty value clears a field", func(h *H) {
		h.Add("Task project:web priority:H due:friday scheduled:tomorrow wait:now+1d until:eom agent:claude +a estimate:3h points:2")
		r := h.Modify("1", "project: priority: due: scheduled: wait: until: agent: tags: estimate:")
		eq(h, "modified", r.Modified, 1)
		s := h.Stored(h.Info("1").UUID)
		if s.Project != "" || s.Priority != "" || !s.Due.IsZero() || !s.Scheduled.IsZero() || !s.Wait.IsZero() ||
			!s.Until.IsZero() || s.Agent != "" || len(s.Tags) != 0 {
			h.Errorf("fields not cleared: %+v", s)
		}
		if _, ok := s.Extra["estimate"]; ok {
			h.Errorf("UDA estimate not cleared: %v", s.Extra)
		}
		eq[any](h, "points kept", s.Extra["points"], 2.0)

		// The same through Changes.
		h.Add("Second project:web priority:L due:friday agent:x")
		modify(h, "2", &engine.Changes{Project: ptr(""), Priority: ptr(""), Due: ptr(""), Agent: ptr(""),
			UDAs: map[string]any{"nothing": nil}})
		s = h.Stored(h.Info("2").UUID)
		if s.Project != "" || s.Priority != "" || !s.Due.IsZero() || s.Agent != "" {
			h.Errorf("fields not cleared through Changes: %+v", s)
		}
	}},

	{"tags prefixed with + or - are edits; a plain list replaces the tags", func(h *H) {
		h.Add("Task +x +y")
		cases := []struct {
			edit *engine.ListEdit
			want []string
		}{
			{engine.ParseListEdit([]string{"+z", "-x"}), []string{"y", "z"}},
			{engine.ParseListEdit([]string{"+y"}), []string{"y", "z"}}, // already there: no duplicate
			{engine.ParseListEdit([]string{"w", "-z"}), []string{"y", "w"}},
			{engine.ParseListEdit([]string{"-nope"}), []string{"y", "w"}},
			{engine.ParseListEdit([]string{"a", "b"}), []string{"a", "b"}},
			{engine.ParseListEdit([]string{}), nil},
		}
		for i, c := range cases {
			_, err := h.E.Modify(h.Ctx, "1", &engine.Changes{Tags: c.edit}, false)
			if err != nil {
				h.Fatalf("step %d: %v", i, err)
			}
			h.eqStrings(fmt.Sprintf("tags after step %d", i), h.Info("1").Tags, c.want)
		}
		// Words: +tag and -tag.
		h.Modify("1", "+one +two")
		h.Modify("1", "-one +three")
		h.eqStrings("tags after words", h.Info("1").Tags, []string{"two", "three"})
		h.Modify("1", "tags:p,q")
		h.eqStrings("tags after tags:p,q", h.Info("1").Tags, []string{"p", "q"})
	}},

	{"depends may be added to, removed from, replaced and cleared", func(h *H) {
		one := h.Add("One")
		two := h.Add("Two")
		three := h.Add("Three")
		h.Add("Dependent depends:1")
		steps := []struct {
			words string
			want  []string
		}{
			{"depends:+2", []string{one.UUID, two.UUID}},
			{"depends:-1", []string{two.UUID}},
			{"depends:1," + three.UUID[:13], []string{one.UUID, three.UUID}}, // past the hyphen: never all digits
			{"depends:+" + two.UUID, []string{one.UUID, three.UUID, two.UUID}},
			{"depends:", nil},
		}
		for _, s := range steps {
			h.Modify("4", s.words)
			h.eqStrings("depends after "+s.words, h.Stored(h.Info("4").UUID).Depends, s.want)
		}
		modify(h, "4", &engine.Changes{Depends: engine.ParseListEdit([]string{"+3", "+1"})})
		h.eqStrings("depends after +3 +1", h.Info("4").Depends, []string{three.UUID, one.UUID})
	}},

	{"a dependency on a purged task can still be removed by its UUID", func(h *H) {
		gone := h.Add("Gone")
		keep := h.Add("Kept")
		h.Add("Dependent depends:1,2")
		h.Do(h.E.Delete, "1")
		h.Do(h.E.Purge, "1")
		r, err := h.E.Modify(h.Ctx, "3", h.Edits("depends:-"+gone.UUID), false)
		if err != nil {
			h.Fatalf("removing the dependency on purged task %s: %v", gone.UUID, err)
		}
		eq(h, "modified", r.Modified, 1)
		h.eqStrings("depends", h.Stored(r.Tasks[0].UUID).Depends, []string{keep.UUID})
	}},

	{"dates are resolved on modify, including references to the task's own dates", func(h *H) {
		h.Add("Task due:friday")
		h.Modify("1", "due:due+2d scheduled:due-1d wait:due-3d")
		s := h.Stored(h.Info("1").UUID)
		// Friday 6 March 00:00 UTC+2, plus two days: the references see the
		// dates as they were before the command.
		h.sameTime("due", s.Due, utc(2026, 3, 7, 22, 0, 0))
		h.sameTime("scheduled", s.Scheduled, utc(2026, 3, 4, 22, 0, 0))
		h.sameTime("wait", s.Wait, utc(2026, 3, 2, 22, 0, 0))
		h.Clock.Advance(24 * time.Hour)
		h.Modify("1", "until:eow due:entry+1w")
		s = h.Stored(h.Info("1").UUID)
		h.sameTime("until", s.Until, utc(2026, 3, 8, 21, 59, 59))
		h.sameTime("due from entry", s.Due, utc(2026, 3, 11, 8, 0, 0))
		h.Rejects(`cannot parse date "start+1d" for due`, backlog.ErrInvalid, func() error {
			_, err := h.E.Modify(h.Ctx, "1", h.Edits("due:start+1d"), false)
			return err
		})
		h.Rejects(`cannot parse date "garbage" for due`, backlog.ErrInvalid, func() error {
			_, err := h.E.Modify(h.Ctx, "1", h.Edits("due:garbage"), false)
			return err
		})
	}},

	{"every modification word is applied", func(h *H) {
		h.Add("Task +tag +keep project:old")
		r := h.Modify("1", "+new -tag project:x due:friday priority:H myuda:value pro:x.y pri:l")
		eq(h, "modified", r.Modified, 1)
		s := h.Stored(h.Info("1").UUID)
		h.eqStrings("tags", s.Tags, []string{"keep", "new"})
		eq(h, "project (pro:x.y after project:x)", s.Project, "x.y")
		eq(h, "priority (pri:l after priority:H)", s.Priority, backlog.PriorityLow)
		h.sameTime("due", s.Due, utc(2026, 3, 5, 22, 0, 0))
		eq[any](h, "myuda", s.Extra["myuda"], "value")
		eq(h, "description untouched", s.Description, "Task")
	}},

	{"a modification word that cannot be applied is rejected, not ignored", func(h *H) {
		cases := []struct{ word, want string }{
			{"foo", `"foo" is not a modification: use +tag, -tag or name:value`},
			{"two words", `"two words" is not a modification: use +tag, -tag or name:value`},
			{"+", `"+" is not a modification: use +tag, -tag or name:value`},
			{"+PENDING", `"PENDING" is a virtual tag, computed from the task; it cannot be set`},
			{"status:completed", `status cannot be set by a modification (use done, delete, or undo)`},
			{"uuid:x", `uuid cannot be set by a modification`},
			{"has_doc:yes", `has_doc cannot be set by a modification (write or delete the doc)`},
			{"annotations:x", `annotations cannot be set by a modification (use annotate and denotate)`},
			{"urg:1", `urgency cannot be set by a modification`},
		}
		for _, c := range cases {
			_, err := engine.ParseMods([]string{c.word}, false)
			CheckErr(h.T, err, c.want, backlog.ErrInvalid)
		}
		h.Add("Task")
		// A value the engine cannot use is rejected by modify, changing nothing.
		for _, c := range []struct{ words, want string }{
			{"priority:X", `priority must be H, M, L or empty, got "X"`},
			{"due:notadate", `cannot parse date "notadate" for due`},
			{"project:a/b", `project "a/b" contains '/': use letters, digits, '_' and '-', with '.' between parts`},
			{"depends:999", `no task with id 999`},
			{"description:", `description must not be empty`},
		} {
			kind := backlog.ErrInvalid
			if c.words == "depends:999" {
				kind = backlog.ErrNotFound
			}
			h.Rejects(c.want, kind, func() error {
				_, err := h.E.Modify(h.Ctx, "1", h.Edits(c.words), false)
				return err
			})
		}
	}},

	{"a filter matching more than 25 tasks needs confirmation", func(h *H) {
		for i := range 26 {
			h.Add(fmt.Sprintf("Bulk %d project:bulk", i))
		}
		h.Add("Other project:other")
		n := h.JournalLen()
		h.Rejects(`the filter matches 26 tasks: confirm to modify more than 25 (confirm: "yes", or --yes)`, backlog.ErrInvalid, func() error {
			_, err := h.E.Modify(h.Ctx, "project:bulk", h.Edits("priority:H"), false)
			return err
		})
		r, err := h.E.Modify(h.Ctx, "project:bulk", h.Edits("priority:H"), true)
		if err != nil {
			h.Fatalf("confirmed modify: %v", err)
		}
		eq(h, "modified", r.Modified, 26)
		eq(h, "tasks returned", len(r.Tasks), 26)
		eq(h, "journal entries added", h.JournalLen()-n, 1)
		eq(h, "tasks with priority H", len(h.List("priority:H", "", 0)), 26)
		eq(h, "the other task", h.Info("27").Priority, backlog.PriorityNone)
		// 25 need no confirmation.
		modify(h, "1-25", h.Edits("priority:L"))
		eq(h, "tasks with priority L", len(h.List("priority:L", "", 0)), 25)
	}},

	{"a filter matching nothing modifies nothing and adds no journal entry", func(h *H) {
		h.Add("Task project:web")
		n := h.JournalLen()
		before := h.Snapshot()
		for _, f := range []string{"project:nothing", "+nosuchtag", "99"} {
			r, err := h.E.Modify(h.Ctx, f, h.Edits("priority:H"), false)
			if err != nil {
				h.Errorf("modify %q: %v", f, err)
				continue
			}
			eq(h, "modified by "+f, r.Modified, 0)
			if r.Tasks == nil || len(r.Tasks) != 0 {
				h.Errorf("modify %q returned tasks %v, want an empty (non-nil) list", f, r.Tasks)
			}
		}
		h.Unchanged(before, "modify matching nothing")
		eq(h, "journal entries", h.JournalLen(), n)
	}},

	{"a modify that changes no value modifies nothing and adds no journal entry", func(h *H) {
		h.Add("Task project:web priority:H +a")
		n := h.JournalLen()
		before := h.Snapshot()
		h.Clock.Advance(time.Hour)
		r := h.Modify("1", "project:web priority:H +a")
		eq(h, "modified", r.Modified, 0)
		h.Unchanged(before, "a modify to the same values")
		eq(h, "journal entries", h.JournalLen(), n)
	}},

	{"a filter without a status, id or UUID reaches only pending tasks; an id reaches any", func(h *H) {
		h.Add("Pending project:x")
		h.Log("Completed project:x")
		h.Add("Deleted project:x")
		h.Do(h.E.Delete, "3")
		h.Add("Waiting project:x wait:now+5d")
		r := h.Modify("project:x", "priority:H")
		eq(h, "modified by project:x", r.Modified, 1)
		h.eqIDs("tasks modified by project:x", ids(r.Tasks), []int64{1})
		eq(h, "completed task priority", h.Info("2").Priority, backlog.PriorityNone)
		r = h.Modify("2", "priority:M")
		eq(h, "modified by id", r.Modified, 1)
		eq(h, "completed task priority after modify by id", h.Info("2").Priority, backlog.PriorityMedium)
		eq(h, "completed task status", h.Info("2").Status, backlog.StatusCompleted)
		r = h.Modify(h.Info("3").UUID, "priority:L")
		eq(h, "modified by UUID", r.Modified, 1)
		r = h.Modify("status:completed project:x", "+old")
		h.eqIDs("modified by status:completed", ids(r.Tasks), []int64{2})
		r = h.Modify("+WAITING", "+later")
		h.eqIDs("modified by +WAITING", ids(r.Tasks), []int64{4})
	}},

	{"a dependency cycle is rejected, naming the cycle, and changes nothing", func(h *H) {
		h.Add("One")
		h.Add("Two")
		h.Add("Three")
		h.Modify("1", "depends:2")
		h.Rejects("dependency cycle: 2 -> 1 -> 2", backlog.ErrConflict, func() error {
			_, err := h.E.Modify(h.Ctx, "2", h.Edits("depends:1"), false)
			return err
		})
		h.Modify("2", "depends:3")
		h.Rejects("dependency cycle: 3 -> 1 -> 2 -> 3", backlog.ErrConflict, func() error {
			_, err := h.E.Modify(h.Ctx, "3", h.Edits("depends:+1"), false)
			return err
		})
		h.Rejects("task 1 cannot depend on itself", backlog.ErrInvalid, func() error {
			_, err := h.E.Modify(h.Ctx, "1", h.Edits("depends:+1"), false)
			return err
		})
		h.Add("Four depends:1") // no cycle: nothing depends on a new task
		h.Rejects("dependency cycle: 3 -> 1 -> 2 -> 3", backlog.ErrConflict, func() error {
			_, err := h.E.Modify(h.Ctx, "3", h.Edits("depends:1,4"), false)
			return err
		})
		h.Rejects("dependency cycle: 3 -> 4 -> 1 -> 2 -> 3", backlog.ErrConflict, func() error {
			_, err := h.E.Modify(h.Ctx, "3", h.Edits("depends:4"), false)
			return err
		})
	}},

	{"when one of several tasks cannot be modified, none is", func(h *H) {
		h.Add("With due due:friday")
		h.Add("Without due")
		h.Add("With due too due:eom")
		h.Rejects(`task 2: cannot parse date "due+2d" for due`, backlog.ErrInvalid, func() error {
			_, err := h.E.Modify(h.Ctx, "1-3", h.Edits("due:due+2d"), false)
			return err
		})
		h.Rejects("task 1: task 1 cannot depend on itself", backlog.ErrInvalid, func() error {
			_, err := h.E.Modify(h.Ctx, "2,3,1", h.Edits("depends:+1"), false)
			return err
		})
	}},

	{"recurrence cannot be started or cleared by modify", func(h *H) {
		h.Add("Plain")
		h.AddR("Chore recur:weekly due:friday")
		h.Rejects("task 1 does not recur: add a new task with recur to start a series", backlog.ErrInvalid, func() error {
			_, err := h.E.Modify(h.Ctx, "1", h.Edits("recur:weekly"), false)
			return err
		})
		h.Rejects("task 2 is a recurring template: delete it to end the series instead of clearing recur", backlog.ErrInvalid, func() error {
			_, err := h.E.Modify(h.Ctx, "2", h.Edits("recur:"), false)
			return err
		})
		h.Rejects("task 2 is a recurring template: it needs a due date", backlog.ErrInvalid, func() error {
			_, err := h.E.Modify(h.Ctx, "2", h.Edits("due:"), false)
			return err
		})
	}},
}
