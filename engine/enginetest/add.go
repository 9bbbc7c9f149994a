package enginetest

import (
	"strings"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
)

var addScenarios = []scenario{
	{"a new task is pending, stamped now to the second, with a UUID and the next id", func(h *H) {
		for i, desc := range []string{"First", "Second", "Third"} {
			r, err := h.E.Add(h.Ctx, &engine.Changes{Description: ptr(desc)})
			if err != nil {
				h.Fatalf("add %q: %v", desc, err)
			}
			h.trackResult(r)
			t := r.Task
			eq(h, desc+" id", t.ID, int64(i+1))
			eq(h, desc+" status", t.Status, backlog.StatusPending)
			eq(h, desc+" description", t.Description, desc)
			if u, err := backlog.ParseUUID(t.UUID); err != nil || u != t.UUID {
				h.Errorf("%s has UUID %q, want a lower-case canonical UUID", desc, t.UUID)
			}
			h.sameTime(desc+" entry", t.Entry, utc(2026, 3, 4, 8, 0, 0))
			h.sameTime(desc+" modified", t.Modified, utc(2026, 3, 4, 8, 0, 0))
			if !t.Start.IsZero() || !t.End.IsZero() || !t.Due.IsZero() {
				h.Errorf("%s has start %s, end %s, due %s; want none", desc, fmtTime(t.Start), fmtTime(t.End), fmtTime(t.Due))
			}
			if t.Project != "" || t.Priority != "" || len(t.Tags) != 0 || len(t.Depends) != 0 || t.Agent != "" || t.HasDoc || t.Extra != nil {
				h.Errorf("%s has fields nobody set: %+v", desc, t)
			}
			stored := h.Stored(t.UUID)
			eq(h, desc+" stored id", stored.ID, t.ID)
			h.sameTime(desc+" stored entry", stored.Entry, utc(2026, 3, 4, 8, 0, 0))
		}
		if got := h.Export(""); len(got) != 3 {
			h.Errorf("export has %d tasks, want 3", len(got))
		}
	}},

	{"every field of add is stored and read back", func(h *H) {
		h.Add("Dep one")
		two := h.Add("Dep two")
		three := h.Add("Dep three")
		c := &engine.Changes{
			Description: ptr("  Write the spec  "),
			Project:     ptr("web.ui"),
			Priority:    ptr("h"),
			Due:         ptr("friday"),
			Scheduled:   ptr("now+3d"),
			Wait:        ptr("tomorrow"),
			Until:       ptr("eom"),
			Agent:       ptr("claude"),
			Tags:        engine.ParseListEdit([]string{"docs", "urgent"}),
			Depends:     engine.ParseListEdit([]string{"1", strings.ToUpper(two.UUID), prefix8(three.UUID)}),
			UDAs:        map[string]any{"estimate": "3h", "points": 5.0, "billable": true},
		}
		r, err := h.E.Add(h.Ctx, c)
		if err != nil {
			h.Fatalf("add: %v", err)
		}
		h.trackResult(r)
		one := h.Info("1")
		for _, t := range []*backlog.Task{r.Task, h.Info("4"), h.Stored(r.Task.UUID)} {
			eq(h, "id", t.ID, int64(4))
			eq(h, "description", t.Description, "Write the spec")
			eq(h, "project", t.Project, "web.ui")
			eq(h, "priority", t.Priority, backlog.PriorityHigh)
			// Friday after Wednesday 4 March, 00:00 in UTC+2.
			h.sameTime("due", t.Due, utc(2026, 3, 5, 22, 0, 0))
			h.sameTime("scheduled", t.Scheduled, utc(2026, 3, 7, 8, 0, 0))
			h.sameTime("wait", t.Wait, utc(2026, 3, 4, 22, 0, 0))
			h.sameTime("until", t.Until, utc(2026, 3, 31, 21, 59, 59))
			eq(h, "agent", t.Agent, "claude")
			h.eqStrings("tags", t.Tags, []string{"docs", "urgent"})
			h.eqStrings("depends", t.Depends, []string{one.UUID, two.UUID, three.UUID})
			eq(h, "number of UDAs", len(t.Extra), 3)
			eq[any](h, "estimate", t.Extra["estimate"], "3h")
			eq[any](h, "points", t.Extra["points"], 5.0)
			eq[any](h, "billable", t.Extra["billable"], true)
		}
		// The wait date is ahead: the task reads as waiting, and is stored pending.
		eq(h, "status shown", r.Task.Status, backlog.StatusWaiting)
		eq(h, "status stored", h.Stored(r.Task.UUID).Status, backlog.StatusPending)
	}},

	{"add reads Taskwarrior-style words: description, attributes, tags and UDAs", func(h *H) {
		h.Add("Blocker")
		t := h.Add("Fix the login page project:web +bug +ux priority:m due:eom depends:1 pro:web.auth estimate:3h points:5 billable:true")
		eq(h, "description", t.Description, "Fix the login page")
		eq(h, "project (the later word wins)", t.Project, "web.auth")
		eq(h, "priority", t.Priority, backlog.PriorityMedium)
		h.sameTime("due", t.Due, utc(2026, 3, 31, 21, 59, 59))
		h.eqStrings("tags", t.Tags, []string{"bug", "ux"})
		h.eqStrings("depends", t.Depends, []string{h.Info("1").UUID})
		eq[any](h, "estimate", t.Extra["estimate"], "3h")
		eq[any](h, "points", t.Extra["points"], 5.0)
		eq[any](h, "billable", t.Extra["billable"], true)
	}},

	{"date expressions resolve in the local zone and are kept to the second", func(h *H) {
		cases := []struct {
			expr string
			want time.Time
		}{
			{"friday", utc(2026, 3, 5, 22, 0, 0)},
			{"fri", utc(2026, 3, 5, 22, 0, 0)},
			{"wednesday", utc(2026, 3, 10, 22, 0, 0)}, // on a Wednesday: next week's
			{"eom", utc(2026, 3, 31, 21, 59, 59)},
			{"eow", utc(2026, 3, 8, 21, 59, 59)},
			{"now+3d", utc(2026, 3, 7, 8, 0, 0)},
			{"now", utc(2026, 3, 4, 8, 0, 0)},
			{"tomorrow", utc(2026, 3, 4, 22, 0, 0)},
			{"2026-04-01", utc(2026, 3, 31, 22, 0, 0)},
			{"2026-04-01T14:30:00Z", utc(2026, 4, 1, 14, 30, 0)},
			{"20260301T143000Z", utc(2026, 3, 1, 14, 30, 0)},
			{"friday+1w", utc(2026, 3, 12, 22, 0, 0)},
			{"3d", utc(2026, 3, 7, 8, 0, 0)},
		}
		for _, c := range cases {
			r, err := h.E.Add(h.Ctx, &engine.Changes{Description: ptr("due " + c.expr), Due: ptr(c.expr)})
			if err != nil {
				h.Errorf("due:%s: %v", c.expr, err)
				continue
			}
			h.trackResult(r)
			h.sameTime("due:"+c.expr, r.Task.Due, c.want)
			h.sameTime("stored due:"+c.expr, h.Stored(r.Task.UUID).Due, c.want)
		}
	}},

	{"lower-case priorities are accepted and stored upper case", func(h *H) {
		for _, p := range []struct{ in, want string }{{"h", "H"}, {"m", "M"}, {"l", "L"}, {"H", "H"}, {"", ""}} {
			r, err := h.E.Add(h.Ctx, &engine.Changes{Description: ptr("p " + p.in), Priority: ptr(p.in)})
			if err != nil {
				h.Errorf("priority %q: %v", p.in, err)
				continue
			}
			eq(h, "priority from "+p.in, string(h.Stored(r.Task.UUID).Priority), p.want)
		}
	}},

	{"UDAs keep their JSON type: string, number and boolean", func(h *H) {
		t := h.Add("Typed estimate:3h points:2.5 size:007 version:1.10 flag:false")
		eq[any](h, "estimate", t.Extra["estimate"], "3h")
		eq[any](h, "points", t.Extra["points"], 2.5)
		eq[any](h, "size (007 is text)", t.Extra["size"], "007")
		eq[any](h, "version (1.10 is text)", t.Extra["version"], "1.10")
		eq[any](h, "flag", t.Extra["flag"], false)
		s := h.Stored(t.UUID)
		eq[any](h, "stored points", s.Extra["points"], 2.5)
		eq[any](h, "stored flag", s.Extra["flag"], false)
		// A filter on a UDA compares by its type.
		eq(h, "tasks with points.over:2", len(h.List("points.over:2", "", 0)), 1)
		eq(h, "tasks with points.over:3", len(h.List("points.over:3", "", 0)), 0)
	}},

	{"a description of exactly 500 bytes is accepted", func(h *H) {
		for _, d := range []string{strings.Repeat("a", 500), strings.Repeat("é", 250)} {
			r, err := h.E.Add(h.Ctx, &engine.Changes{Description: ptr(d)})
			if err != nil {
				h.Errorf("a %d-byte description: %v", len(d), err)
				continue
			}
			eq(h, "stored description", h.Stored(r.Task.UUID).Description, d)
		}
	}},

	{"a bad description is rejected with a sentence and changes nothing", func(h *H) {
		h.Add("Existing")
		cases := []struct{ desc, want string }{
			{"", "a description is required"},
			{"   ", "a description is required"},
			{"line one\nline two", "description must be one line (put longer text in the task's doc)"},
			{"line one\rline two", "description must be one line (put longer text in the task's doc)"},
			{strings.Repeat("a", 501), "description is 501 bytes, more than the 500 allowed (put longer text in the task's doc)"},
			{strings.Repeat("é", 250) + "a", "description is 501 bytes, more than the 500 allowed (put longer text in the task's doc)"},
			{"bad \xff byte", "description is not valid UTF-8"},
		}
		for _, c := range cases {
			h.Rejects(c.want, backlog.ErrInvalid, func() error {
				_, err := h.E.Add(h.Ctx, &engine.Changes{Description: ptr(c.desc)})
				return err
			})
		}
		h.Rejects("a description is required", backlog.ErrInvalid, func() error {
			_, err := h.E.Add(h.Ctx, &engine.Changes{Project: ptr("web")})
			return err
		})
	}},

	{"a bad field is rejected with a sentence naming the value and changes nothing", func(h *H) {
		h.Add("Existing")
		cases := []struct {
			name string
			c    engine.Changes
			want string
			kind error
		}{
			{"a project with a space", engine.Changes{Project: ptr("web app")},
				`project "web app" contains ' ': use letters, digits, '_' and '-', with '.' between parts`, backlog.ErrInvalid},
			{"a project with an empty part", engine.Changes{Project: ptr("web..ui")},
				`project "web..ui" has an empty part: use letters, digits, '_' and '-', with '.' between parts`, backlog.ErrInvalid},
			{"priority X", engine.Changes{Priority: ptr("X")},
				`priority must be H, M, L or empty, got "X"`, backlog.ErrInvalid},
			{"priority high", engine.Changes{Priority: ptr("high")},
				`priority must be H, M, L or empty, got "high"`, backlog.ErrInvalid},
			{"a due date that is not a date", engine.Changes{Due: ptr("notadate")},
				`cannot parse date "notadate" for due`, backlog.ErrInvalid},
			{"an impossible scheduled date", engine.Changes{Scheduled: ptr("2026-02-30")},
				`cannot parse date "2026-02-30" for scheduled`, backlog.ErrInvalid},
			{"a wait date that is not a date", engine.Changes{Wait: ptr("whenever")},
				`cannot parse date "whenever" for wait`, backlog.ErrInvalid},
			{"an until date that is not a date", engine.Changes{Until: ptr("never")},
				`cannot parse date "never" for until`, backlog.ErrInvalid},
			{"a dependency on an unknown id", engine.Changes{Depends: engine.ParseListEdit([]string{"999"})},
				`no task with id 999`, backlog.ErrNotFound},
			{"a dependency on an unknown UUID prefix", engine.Changes{Depends: engine.ParseListEdit([]string{"deadbeef"})},
				`no task with a UUID starting "deadbeef"`, backlog.ErrNotFound},
			{"a dependency that is not a reference", engine.Changes{Depends: engine.ParseListEdit([]string{"auth"})},
				`"auth" is not a task id or UUID: use a number like 12, a UUID, or a UUID prefix of at least 8 hex digits`, backlog.ErrInvalid},
			{"a virtual tag as a tag", engine.Changes{Tags: engine.ParseListEdit([]string{"READY"})},
				`"READY" is a virtual tag, computed from the task; it cannot be set`, backlog.ErrInvalid},
			{"a tag with a comma inside", engine.Changes{Tags: &engine.ListEdit{Replace: true, Set: []string{"a,b"}}},
				`tag "a,b" contains ',', which a tag cannot hold`, backlog.ErrInvalid},
			{"a recurrence that is not a period", engine.Changes{Recur: ptr("sometimes"), Due: ptr("friday")},
				`recur must be a period such as daily, weekly, weekdays, monthly, 2w or P1M, got "sometimes"`, backlog.ErrInvalid},
			{"a recurrence without a due date", engine.Changes{Recur: ptr("weekly")},
				`a recurring task needs a due date: add due:DATE`, backlog.ErrInvalid},
			{"a UDA named like a built-in attribute", engine.Changes{UDAs: map[string]any{"due": "x"}},
				`"due" is a built-in attribute, not a user-defined one`, backlog.ErrInvalid},
			{"a UDA with a bad name", engine.Changes{UDAs: map[string]any{"my-uda": "x"}},
				`"my-uda" cannot be a user-defined attribute name: use letters, digits and '_', starting with a letter`, backlog.ErrInvalid},
		}
		for _, c := range cases {
			c.c.Description = ptr("New task")
			h.Case(c.name, func(h *H) {
				h.Rejects(c.want, c.kind, func() error {
					_, err := h.E.Add(h.Ctx, &c.c)
					return err
				})
			})
		}
	}},

	{"modification words reject a virtual tag and a bad value before anything runs", func(h *H) {
		cases := []struct{ words, want string }{
			{"+PENDING", `"PENDING" is a virtual tag, computed from the task; it cannot be set`},
			{"+READY", `"READY" is a virtual tag, computed from the task; it cannot be set`},
			{"status:completed", `status cannot be set by a modification (use done, delete, or undo)`},
			{"start:now", `start cannot be set by a modification (use start and stop)`},
			{"end:now", `end cannot be set by a modification (use done or delete)`},
			{"id:7", `id cannot be set by a modification`},
			{"sta:x", `ambiguous attribute "sta": it could be start and status`},
			{"description:Other", `the description is given twice: as words and as description:Other`},
		}
		for _, c := range cases {
			_, err := engine.ParseMods([]string{"Task", c.words}, true)
			CheckErr(h.T, err, c.want, backlog.ErrInvalid)
		}
	}},
}
