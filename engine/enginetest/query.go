package enginetest

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store"
)

// queryFixture builds a backlog with one task of every kind:
//
//	1 pending  project:web +bug priority:H due:friday
//	2 pending  project:web.ui priority:L, active
//	3 pending  project:webapp priority:M depends:1 (blocked)
//	4 waiting  project:web (wait in 3 days)
//	5 completed project:web +bug
//	6 deleted  project:api
//	7 recurring template project:chores, 8 its instance
//	9 pending  no project, due yesterday (overdue), points:5, annotated
//	10 pending scheduled in 2 days, +bug, with a doc
func queryFixture(h *H) {
	h.Helper()
	h.Add("Fix login page project:web +bug priority:H due:friday")
	h.Add("Polish the header project:web.ui priority:L")
	h.Do(h.E.Start, "2")
	h.Add("Webapp rewrite project:webapp priority:M depends:1")
	h.Add("Later web work project:web wait:now+3d")
	h.Log("Shipped login project:web +bug")
	h.Add("Old api idea project:api")
	h.Do(h.E.Delete, "6")
	h.AddR("Update dependencies project:chores recur:weekly due:friday")
	h.Add("Overdue report due:yesterday points:5")
	annotate(h, "9", "Ask the finance team")
	h.Add("Scheduled cleanup scheduled:now+2d +bug")
	docWrite(h, "10", "# Cleanup plan")
}

var queryScenarios = []scenario{
	{"tally counts tasks by effective status and by agent, with the first ids of each, largest group first", func(h *H) {
		queryFixture(h)
		h.Do(h.E.Start, "9")
		claimer := h.Engine("bob")
		if _, err := claimer.Claim(h.Ctx, engine.ClaimOptions{ID: "10"}); err != nil {
			h.Fatal(err)
		}
		tally := func(src string, by store.TallyKey, n int) []store.Tally {
			h.Helper()
			var out []store.Tally
			err := h.Store.Read(h.Ctx, func(tx store.Tx) error {
				var x filter.Expr
				if src != "" {
					var err error
					if x, err = filter.Parse(src, filter.Options{Now: h.Now()}); err != nil {
						return err
					}
				}
				var err error
				out, err = tx.Tally(h.Ctx, store.Query{Filter: x, Now: h.Now()}, by, n)
				return err
			})
			if err != nil {
				h.Fatal(err)
			}
			return out
		}
		show := func(ts []store.Tally) string {
			var parts []string
			for _, t := range ts {
				parts = append(parts, fmt.Sprintf("%s=%d%v", t.Value, t.Count, t.IDs))
			}
			return strings.Join(parts, " ")
		}
		check := func(what string, got []store.Tally, want string) {
			h.Helper()
			if g := show(got); g != want {
				h.Errorf("%s: got %s, want %s", what, g, want)
			}
		}
		// Ten tasks: 1 2 3 8 9 10 pending, 4 waiting, 5 completed, 6
		// deleted, 7 the template. Starting a task names no agent;
		// claiming one does.
		check("by status", tally("", store.TallyStatus, 0),
			"pending=6[] completed=1[] deleted=1[] recurring=1[] waiting=1[]")
		check("by status, two ids each", tally("", store.TallyStatus, 2),
			"pending=6[1 2] completed=1[5] deleted=1[6] recurring=1[7] waiting=1[4]")
		check("active or claimed by agent", tally("+ACTIVE or +CLAIMED", store.TallyAgent, 5), "=2[2 9] bob=1[10]")
		check("one id each", tally("+ACTIVE or +CLAIMED", store.TallyAgent, 1), "=2[2] bob=1[10]")
		check("a filter narrows it", tally("project:web", store.TallyStatus, 3),
			"pending=2[1 2] completed=1[5] waiting=1[4]")
		check("nothing matches", tally("project:nowhere", store.TallyAgent, 3), "")
		// A filter SQL cannot take whole (a regex) gets the same answers.
		check("regex filter", tally("/^(Fix|Polish)/", store.TallyStatus, 3), "pending=2[1 2]")
		check("regex filter by agent", tally("/^(Fix|Polish|Overdue)/ (+ACTIVE or +CLAIMED)", store.TallyAgent, 3), "=2[2 9]")
		// Each count equals Count with the matching status.
		for _, g := range tally("", store.TallyStatus, 0) {
			eq(h, "count of "+g.Value, count(h, "status:"+g.Value), g.Count)
		}
	}},

	{"an empty filter lists pending tasks: active included, waiting, completed, deleted and templates not", func(h *H) {
		queryFixture(h)
		got := ids(h.List("", "id+", 0))
		h.eqIDs("list", got, []int64{1, 2, 3, 8, 9, 10})
		eq(h, "count", count(h, ""), 6)
		for _, t := range h.List("", "", 0) {
			if t.Status != backlog.StatusPending {
				h.Errorf("task %d in the default list has status %s", t.ID, t.Status)
			}
		}
	}},

	{"a filter that names no status gets the implicit status:pending; naming one reaches the others", func(h *H) {
		queryFixture(h)
		cases := []struct {
			filter string
			want   []int64
		}{
			{"project:web", []int64{1, 2}},
			{"+bug", []int64{1, 10}},
			{"project:web or +bug", []int64{1, 2, 10}},
			{"status:pending", []int64{1, 2, 3, 8, 9, 10}},
			{"status:waiting", []int64{4}},
			{"+WAITING", []int64{4}},
			{"status:completed", []int64{5}},
			{"status:COMPLETED", []int64{5}},
			{"+COMPLETED", []int64{5}},
			{"status:deleted", []int64{6}},
			{"+DELETED", []int64{6}},
			{"status:recurring", []int64{7}},
			{"+TEMPLATE", []int64{7}},
			{"+INSTANCE", []int64{8}},
			{"status.any:", []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
			{"status.any: project:web", []int64{1, 2, 4, 5}},
			{"project:web status:completed", []int64{5}},
			{"status:completed project:web", []int64{5}},
			{"+DELETED project:api", []int64{6}},
			{"project:api +DELETED", []int64{6}},
			{"4-6 +bug", []int64{5}},
			{"+bug 4-6", []int64{5}},
			{"(status:completed or status:deleted) project.any:", []int64{5, 6}},
			{"5", []int64{5}},
			{"4-6", []int64{4, 5, 6}},
			{"1,3,5-7", []int64{1, 3, 5, 6, 7}},
			{"+ACTIVE", []int64{2}},
			{"+BLOCKED", []int64{3}},
			{"+BLOCKING", []int64{1}},
			{"+READY", []int64{1, 2, 8, 9}},
			{"+OVERDUE", []int64{9}},
			{"+DOC", []int64{10}},
			{"+ANNOTATED", []int64{9}},
			{"finance", []int64{9}},
			{"LOGIN", []int64{1}},
			{"/^Fix/", []int64{1}},
			{"points.over:4", []int64{9}},
			{"points:5", []int64{9}},
			{"due.before:eow", []int64{1, 8, 9}},
			{"priority.below:M", []int64{2, 8, 9, 10}},
			{"project.startswith:web", []int64{1, 2, 3}},
			{"+LATEST", []int64{10}},
			{"due:friday", []int64{1, 8}},
			{"due:2026-03-06", []int64{1, 8}},
			{"due.before:friday", []int64{9}},
			{"due.by:friday", []int64{1, 8, 9}},
			{"due.after:friday", nil},
			{"+YESTERDAY", []int64{9}},
			{"+DUE", []int64{1, 8}},
			{"+WEEK", []int64{1, 8, 9}},
			{"-bug", []int64{2, 3, 8, 9}},
			{"project:Web", nil},
			{"+BUG", nil},
			{"/fix/", nil},
			{"/(?i)fix/", []int64{1}},
			{"project.none:", []int64{9, 10}},
			{"scheduled.any:", []int64{10}},
			{"+SCHEDULED", []int64{10}},
			{"+PRIORITY", []int64{1, 2, 3}},
			{"+UDA", []int64{9}},
			{"+nosuchtag", nil},
		}
		for _, c := range cases {
			got := ids(h.List(c.filter, "id+", 0))
			h.eqIDs("list "+c.filter, got, c.want)
			eq(h, "count "+c.filter, count(h, c.filter), len(c.want))
		}
		// The instance's UUID and prefix reach it whatever its status.
		inst := h.Info("8")
		h.eqIDs("list by UUID", ids(h.List(inst.UUID, "", 0)), []int64{8})
		h.eqIDs("list by UUID prefix", ids(h.List(prefix8(h.Info("5").UUID), "", 0)), []int64{5})
	}},

	{"text search folds Unicode case and takes % and _ literally", func(h *H) {
		h.Add("Ünïcödé Café menu")
		h.Add("100% done")
		h.Add("snake_case names")
		h.Add("snakeXcase names")
		h.Add("Plain")
		annotate(h, "5", "ÉLAN vital")
		cases := []struct {
			filter string
			want   []int64
		}{
			{"üNÏCÖDÉ", []int64{1}},
			{"café", []int64{1}},
			{`"cafÉ menu"`, []int64{1}},
			{"élan", []int64{5}},
			{"%", []int64{2}},
			{"100%", []int64{2}},
			{"_", []int64{3}},
			{"snake_case", []int64{3}},
			{"desc.has:%", []int64{2}},
			{"desc.startswith:snake_", []int64{3}},
			{"description.is:Plain", []int64{5}},
			{"description.is:plain", nil},
			{"description:Pla", []int64{5}},
			{"description.word:case", nil},
			{"description.word:names", []int64{3, 4}},
		}
		for _, c := range cases {
			h.eqIDs("list "+c.filter, ids(h.List(c.filter, "id+", 0)), c.want)
			eq(h, "count "+c.filter, count(h, c.filter), len(c.want))
		}
	}},

	{"a dependency on a completed, deleted or purged task is resolved", func(h *H) {
		h.Add("Will be done")
		h.Add("Will be deleted")
		h.Add("Will be purged")
		h.Add("Waits on all depends:1,2,3")
		h.eqIDs("+BLOCKED", ids(h.List("+BLOCKED", "", 0)), []int64{4})
		h.eqIDs("+BLOCKING", ids(h.List("+BLOCKING", "id+", 0)), []int64{1, 2, 3})
		h.Do(h.E.Done, "1")
		h.Do(h.E.Delete, "2")
		h.eqIDs("+BLOCKED with one live blocker", ids(h.List("+BLOCKED", "", 0)), []int64{4})
		h.Do(h.E.Delete, "3")
		h.Do(h.E.Purge, "3")
		h.eqIDs("+BLOCKED", ids(h.List("+BLOCKED", "", 0)), nil)
		h.eqIDs("+READY", ids(h.List("+READY", "", 0)), []int64{4})
		h.eqIDs("+BLOCKING", ids(h.List("+BLOCKING status.any:", "", 0)), nil)
		h.eqIDs("+UNBLOCKED", ids(h.List("+UNBLOCKED", "", 0)), []int64{4})
		eq(h, "urgency of 4 (no blocked penalty)", h.Info("4").Urgency, 0.0)
	}},

	{"LATEST is the highest id that exists, whatever its status", func(h *H) {
		h.Add("One")
		h.Add("Two")
		h.Log("Three")
		h.eqIDs("+LATEST", ids(h.List("+LATEST", "", 0)), []int64{3})
		h.Add("Four")
		h.Do(h.E.Delete, "4")
		h.Do(h.E.Purge, "4")
		h.eqIDs("+LATEST after purging 4", ids(h.List("+LATEST", "", 0)), []int64{3})
	}},

	{"a UDA holding numbers on some tasks and text on others compares per task by its type", func(h *H) {
		h.Add("Numeric size:5")
		h.Add("Textual size:big")
		h.Add("None")
		h.eqIDs("size:5", ids(h.List("size:5", "id+", 0)), []int64{1})
		h.eqIDs("size:big", ids(h.List("size:big", "id+", 0)), []int64{2})
		h.eqIDs("size.any:", ids(h.List("size.any:", "id+", 0)), []int64{1, 2})
		h.eqIDs("size.none:", ids(h.List("size.none:", "id+", 0)), []int64{3})
		eq(h, "count size.any:", count(h, "size.any:"), 2)
	}},

	{"count equals the length of the list for every filter", func(h *H) {
		queryFixture(h)
		filters := []string{"", "project:web", "+bug", "-bug", "status:completed", "status.any:", "+DELETED",
			"+READY", "+BLOCKED", "+OVERDUE", "due.any:", "due.none:", "urgency.over:3", "has_doc:no",
			"points.under:10", "not +bug", "+bug xor project:web", "(+bug or +ACTIVE) and priority.any:",
			"desc.has:LOGIN", "description.word:rewrite", "agent.none:", "scheduled.after:now", "+UDA", "+TAGGED",
			"+PROJECT", "1-100", "entry.before:now", "modified.by:now"}
		for _, f := range filters {
			eq(h, "count of "+f, count(h, f), len(h.List(f, "", 0)))
		}
	}},

	{"list sorts by urgency, most urgent first, by default", func(h *H) {
		h.Add("None")
		h.Add("Low priority:L")
		h.Add("High priority:H")
		h.Add("Medium priority:M")
		h.Add("Next +next")
		got := h.List("", "", 0)
		h.eqIDs("default order", ids(got), []int64{5, 3, 4, 2, 1})
		for i := 1; i < len(got); i++ {
			if got[i-1].Urgency < got[i].Urgency {
				h.Errorf("urgency not descending: %v then %v", got[i-1].Urgency, got[i].Urgency)
			}
		}
		h.eqIDs("urgency-", ids(h.List("", "urgency-", 0)), []int64{5, 3, 4, 2, 1})
		h.eqIDs("urgency+", ids(h.List("", "urgency+", 0)), []int64{1, 2, 4, 3, 5})
		if got[0].Urgency <= 0 {
			h.Errorf("urgency of the first task = %v, want it computed", got[0].Urgency)
		}
	}},

	{"list sorts by the keys given, tasks without a value last, then by id", func(h *H) {
		h.Add("No due")
		h.Add("Due eom due:eom project:b")
		h.Add("Due friday due:friday project:a")
		h.Add("Due friday too due:friday project:c")
		h.Add("No due either project:a")
		h.eqIDs("due+,id+", ids(h.List("", "due+,id+", 0)), []int64{3, 4, 2, 1, 5})
		h.eqIDs("due-,id-", ids(h.List("", "due-,id-", 0)), []int64{2, 4, 3, 5, 1})
		h.eqIDs("project+", ids(h.List("", "project+", 0)), []int64{3, 5, 2, 4, 1})
		h.eqIDs("project-,due+", ids(h.List("", "project-,due+", 0)), []int64{4, 2, 3, 5, 1})
		h.eqIDs("id-", ids(h.List("", "id-", 0)), []int64{5, 4, 3, 2, 1})
		h.eqIDs("due (ascending by default)", ids(h.List("", "due", 0)), []int64{3, 4, 2, 1, 5})
	}},

	{"limit keeps the first tasks of the sorted list", func(h *H) {
		h.Add("Low priority:L")
		h.Add("High priority:H")
		h.Add("Medium priority:M")
		h.eqIDs("limit 2", ids(h.List("", "", 2)), []int64{2, 3})
		h.eqIDs("limit 0 (all)", ids(h.List("", "", 0)), []int64{2, 3, 1})
		h.eqIDs("limit 10", ids(h.List("", "id+", 10)), []int64{1, 2, 3})
		_, err := h.E.List(h.Ctx, engine.ListOptions{Limit: -1})
		CheckErr(h.T, err, "limit must be 0 (all) or more, got -1", backlog.ErrInvalid)
	}},

	{"a bad sort or a bad filter is an error", func(h *H) {
		h.Add("Task")
		fields := "id, uuid, description, status, project, priority, due, scheduled, wait, until, entry, modified, start, end, urgency, agent, recur"
		for _, s := range []string{"bogus", "due+,bogus-", "tags+"} {
			bad := s
			if i := strings.LastIndex(s, ","); i >= 0 {
				bad = s[i+1:]
			}
			_, err := h.E.List(h.Ctx, engine.ListOptions{Sort: s})
			CheckErr(h.T, err, `cannot sort by "`+bad+`": use one of `+fields+`, each followed by + or -`, backlog.ErrInvalid)
		}
		for _, c := range []struct{ filter, want string }{
			{"(+a", `unclosed "(" at 0`},
			{"due.before:garbage", `cannot parse date "garbage" in "due.before:garbage" at 0`},
			{"description.cont:x", `unknown modifier "cont" in "description.cont:x" at 0`},
			{"nosuchattr:x", `unknown attribute "nosuchattr" (quote the term to search for it as text) in "nosuchattr:x" at 0`},
		} {
			for what, run := range map[string]func() error{
				"list":   func() error { _, err := h.E.List(h.Ctx, engine.ListOptions{Filter: c.filter}); return err },
				"count":  func() error { _, err := h.E.Count(h.Ctx, c.filter); return err },
				"export": func() error { _, err := h.E.Export(h.Ctx, c.filter); return err },
				"modify": func() error { _, err := h.E.Modify(h.Ctx, c.filter, h.Edits("+x"), false); return err },
			} {
				err := run()
				if err == nil {
					h.Errorf("%s %q: no error", what, c.filter)
					continue
				}
				if err.Error() != c.want {
					h.Errorf("%s %q: error %q, want %q", what, c.filter, err, c.want)
				}
				if !errors.Is(err, backlog.ErrInvalid) {
					h.Errorf("%s %q: error %q is not ErrInvalid", what, c.filter, err)
				}
			}
		}
	}},

	{"export applies no implicit status and returns every task by id", func(h *H) {
		queryFixture(h)
		all := h.Export("")
		h.eqIDs("export", ids(all), []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
		want := map[int64]backlog.Status{4: backlog.StatusWaiting, 5: backlog.StatusCompleted, 6: backlog.StatusDeleted,
			7: backlog.StatusRecurring, 8: backlog.StatusPending}
		for id, st := range want {
			eq(h, "export status of "+itoa(id), byID(all, id).Status, st)
		}
		h.eqIDs("export project:web", ids(h.Export("project:web")), []int64{1, 2, 4, 5})
		h.eqIDs("export +bug", ids(h.Export("+bug")), []int64{1, 5, 10})
		// What export prints is what import reads.
		for _, t := range all {
			var back backlog.Task
			j, _ := t.MarshalJSON()
			if err := back.UnmarshalJSON(j); err != nil {
				h.Errorf("task %d: export does not read back: %v\n%s", t.ID, err, j)
			}
		}
	}},

	{"info reads a task of any status, with annotations and doc presence", func(h *H) {
		queryFixture(h)
		for id, st := range map[string]backlog.Status{"1": backlog.StatusPending, "4": backlog.StatusWaiting,
			"5": backlog.StatusCompleted, "6": backlog.StatusDeleted, "7": backlog.StatusRecurring, "8": backlog.StatusPending} {
			eq(h, "info "+id+" status", h.Info(id).Status, st)
		}
		t := h.Info("9")
		if len(t.Annotations) != 1 || t.Annotations[0].Description != "Ask the finance team" {
			h.Errorf("info 9 annotations = %v", t.Annotations)
		}
		eq(h, "info 10 has_doc", h.Info("10").HasDoc, true)
		eq(h, "info 3 is blocked: urgency lower than 1's", h.Info("3").Urgency < h.Info("1").Urgency, true)
	}},

	{"dates read back as UTC instants to the second", func(h *H) {
		t := h.Add("Task due:2026-03-10T14:30:45+02:00")
		s := h.Stored(t.UUID)
		h.sameTime("due", s.Due, utc(2026, 3, 10, 12, 30, 45))
		h.sameTime("entry", s.Entry, utc(2026, 3, 4, 8, 0, 0))
		j, _ := h.Info("1").MarshalJSON()
		for _, want := range []string{`"due":"2026-03-10T12:30:45Z"`, `"entry":"2026-03-04T08:00:00Z"`, `"modified":"2026-03-04T08:00:00Z"`} {
			if !strings.Contains(string(j), want) {
				h.Errorf("task JSON %s lacks %s", j, want)
			}
		}
	}},

	{"a waiting task comes back to the list when its wait date passes", func(h *H) {
		h.Add("Waiting wait:now+2d")
		eq(h, "pending now", count(h, ""), 0)
		h.Clock.Advance(49 * time.Hour)
		eq(h, "pending after the wait date", count(h, ""), 1)
		eq(h, "status after the wait date", h.Info("1").Status, backlog.StatusPending)
	}},
}

var nameScenarios = []scenario{
	{"projects and tags count pending and recurring tasks, exact names, sorted, no roll-up", func(h *H) {
		h.Add("a project:web +x")
		h.Add("b project:web.ui +x +y")
		h.Log("c project:web +x +done")
		h.Add("d project:ops +z")
		h.Do(h.E.Delete, "4")
		h.AddR("e project:chores recur:weekly due:friday +x") // template 5, instance 6
		h.Add("f project:Zeta +Upper")
		h.Add("g project:alpha")
		projects, err := h.E.Projects(h.Ctx)
		if err != nil {
			h.Fatalf("projects: %v", err)
		}
		eqNames(h, "projects", projects, []store.NameCount{{Name: "Zeta", Count: 1}, {Name: "alpha", Count: 1},
			{Name: "chores", Count: 2}, {Name: "web", Count: 1}, {Name: "web.ui", Count: 1}})
		tags, err := h.E.Tags(h.Ctx)
		if err != nil {
			h.Fatalf("tags: %v", err)
		}
		eqNames(h, "tags", tags, []store.NameCount{{Name: "Upper", Count: 1}, {Name: "x", Count: 4}, {Name: "y", Count: 1}})
	}},

	{"an empty backlog has no projects and no tags", func(h *H) {
		p, err := h.E.Projects(h.Ctx)
		if err != nil || p == nil || len(p) != 0 {
			h.Errorf("projects = %v, %v; want an empty list", p, err)
		}
		t, err := h.E.Tags(h.Ctx)
		if err != nil || t == nil || len(t) != 0 {
			h.Errorf("tags = %v, %v; want an empty list", t, err)
		}
		h.Log("Done project:web +x")
		p, _ = h.E.Projects(h.Ctx)
		eqNames(h, "projects of completed tasks only", p, nil)
	}},
}

func eqNames(h *H, what string, got, want []store.NameCount) {
	h.Helper()
	if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
		h.Errorf("%s = %v, want %v", what, got, want)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
