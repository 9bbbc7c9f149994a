package filter

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	backlog "github.com/agent-backlog/backlog"
)

// zone is a fixed non-UTC local zone, so that calendar-day logic cannot pass
// by accident in UTC.
var zone = time.FixedZone("UTC+2", 2*3600)

// now is Wednesday 2026-11-18 10:00 local: week Mon 16 .. Sun 22, Q4.
var now = time.Date(2026, 11, 18, 10, 0, 0, 0, zone)

func uuidOf(id int64) string { return fmt.Sprintf("%08x-0000-4000-8000-%012x", 0xdeadbe00+id, id) }

func local(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, zone)
}

// fixture is a small backlog exercising every attribute and virtual tag.
func fixture() []*backlog.Task {
	ts := []*backlog.Task{
		{ID: 1, Description: "Fix login bug", Project: "web", Tags: []string{"bug"}, Priority: "H",
			Due: now.Add(-time.Hour), Entry: now.AddDate(0, 0, -10)},
		{ID: 2, Description: "Write docs for API", Project: "web.ui", Tags: []string{"docs"}, Priority: "M",
			Due: local(2026, 11, 19, 12, 0), Annotations: []backlog.Annotation{{Entry: now, Description: "drafted the outline"}}},
		{ID: 3, Description: "Refactor webapp", Project: "webapp", Priority: "L", Start: now.Add(-2 * time.Hour), Agent: "backend"},
		{ID: 4, Description: "Release notes", Status: backlog.StatusCompleted, Project: "web",
			End: now.AddDate(0, 0, -2), Entry: now.AddDate(0, 0, -20)},
		{ID: 5, Description: "Old idea", Status: backlog.StatusDeleted, End: now.AddDate(0, 0, -30)},
		{ID: 6, Description: "Weekly sync", Status: backlog.StatusRecurring, Recur: "weekly", Due: local(2026, 11, 18, 15, 0)},
		{ID: 7, Description: "Weekly sync", Parent: uuidOf(6), Recur: "weekly", Due: local(2026, 11, 18, 15, 0)},
		{ID: 8, Description: "Straße säubern", Wait: now.AddDate(0, 0, 3)},
		{ID: 9, Description: "Deploy login fix", Tags: []string{"bug", "next"}, Depends: []string{uuidOf(1)},
			Due: local(2026, 11, 23, 9, 0)},
		{ID: 10, Description: "Plan Q1 roadmap", Scheduled: now.AddDate(0, 0, 2), Due: local(2027, 1, 5, 0, 0),
			Extra: map[string]any{"estimate": 3.0, "owner": "ana"}},
		{ID: 11, Description: "Spec the importer", HasDoc: true, Tags: []string{"doc"}, Due: local(2026, 12, 31, 23, 0),
			Extra: map[string]any{"estimate": 8.0, "owner": 5.0}},
		{ID: 12, Description: "Call the bank", Due: now},
	}
	for _, t := range ts {
		t.UUID = uuidOf(t.ID)
		if t.Status == "" {
			t.Status = backlog.StatusPending
		}
		if t.Entry.IsZero() {
			t.Entry = now.AddDate(0, 0, -1)
		}
	}
	return ts
}

var udas = map[string]UDAKind{"estimate": UDANumber, "owner": UDAMixed}

// match parses and evaluates src over the fixture, without the implicit
// status rule, and returns the matching ids.
func match(t *testing.T, src string, tasks []*backlog.Task, at time.Time) []int64 {
	t.Helper()
	e, err := Parse(src, Options{Now: at, UDAs: udas})
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	m := Compile(e, Env{Now: at, Graph: backlog.NewIndex(tasks)})
	var ids []int64
	for _, task := range tasks {
		if m(task) {
			ids = append(ids, task.ID)
		}
	}
	return ids
}

func all(except ...int64) []int64 {
	var ids []int64
	for id := int64(1); id <= 12; id++ {
		if !slices.Contains(except, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

func ids(v ...int64) []int64 { return v }

func TestTermsMatch(t *testing.T) {
	u2 := uuidOf(2)
	tests := []struct {
		filter string
		want   []int64
	}{
		// Empty filter and tags.
		{"", all()},
		{"+bug", ids(1, 9)},
		{"-bug", all(1, 9)},
		{"-docs -bug -doc", ids(3, 4, 5, 6, 7, 8, 10, 12)},
		{"+BUG", nil}, // an upper-case tag that is not virtual is an ordinary tag
		// Ids, lists and ranges; a run of ids is one OR-ed group.
		{"3", ids(3)},
		{"1,3,5-7", ids(1, 3, 5, 6, 7)},
		{"7-5", ids(5, 6, 7)},
		{"1 3 +bug", ids(1)},
		{"1 3 9 +bug", ids(1, 9)},
		{"2-4 or +next", ids(2, 3, 4, 9)},
		{"99", nil},
		// UUIDs and prefixes, any case.
		{u2, ids(2)},
		{u2[:8], ids(2)},
		{strings.ToUpper(u2), ids(2)},
		// A run of ids and UUIDs is one list: any of them.
		{u2[:8] + " " + uuidOf(3)[:8], ids(2, 3)},
		{u2 + " " + uuidOf(9), ids(2, 9)},
		{"1 " + u2[:8] + " 5-6", ids(1, 2, 5, 6)},
		{u2[:8] + " " + uuidOf(9)[:8] + " +bug", ids(9)},
		{"not " + u2[:8] + " 3", all(2, 3)},
		{u2[:8] + " deadbeef", ids(2)},
		// Words and phrases: description and annotations, folded.
		{"login", ids(1, 9)},
		{"LOGIN", ids(1, 9)},
		{"outline", ids(2)},
		{"SÄUBERN", ids(8)},
		{"straße", ids(8)},
		{`"login bug"`, ids(1)},
		{`'login bug'`, ids(1)},
		{"login fix", ids(1, 9)},
		{"deploy fix", ids(9)},
		// A full UUID of digits is a UUID; eight digits alone are an id.
		{"12345678-0000-4000-8000-000000000000", nil},
		{"12345678", nil},
		// Regex over description and annotations, case-sensitive.
		{"/^Fix/", ids(1)},
		{"/^fix/", nil},
		{"/(?i)^fix/", ids(1)},
		{"/outline$/", ids(2)},
		{`/a\/b/`, nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q selects %v", tt.filter, tt.want), func(t *testing.T) {
			got := match(t, tt.filter, fixture(), now)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAttributesMatch(t *testing.T) {
	tests := []struct {
		filter string
		want   []int64
	}{
		// Project: hierarchical plain match, not a plain prefix.
		{"project:web", ids(1, 2, 4)},
		{"pro:web", ids(1, 2, 4)},
		{"project:web.ui", ids(2)},
		{"project:we", nil},
		{"project.startswith:web", ids(1, 2, 3, 4)},
		{"project.startswith:WEB", ids(1, 2, 3, 4)},
		{"project.is:web", ids(1, 4)},
		{"project.isnt:web", all(1, 4)},
		{"project.not:web", all(1, 2, 4)},
		{"project:", ids(5, 6, 7, 8, 9, 10, 11, 12)},
		{"project.none:", ids(5, 6, 7, 8, 9, 10, 11, 12)},
		{"project.any:", ids(1, 2, 3, 4)},
		{"project.has:APP", ids(3)},
		{"project.hasnt:app", all(3)},
		{"project.endswith:UI", ids(2)},
		{"project.right:ui", ids(2)},
		{"project.left:web.", ids(2)},
		{"project.before:web", nil},
		{"project.after:web", ids(2, 3)},
		{"project.by:web", ids(1, 4)},
		{"project.regex:^web$", ids(1, 4)},
		{"project.word:ui", ids(2)},
		{"project.noword:ui", all(2)},
		// Priority: '' < L < M < H; none takes part in ordering.
		{"priority:H", ids(1)},
		{"priority:h", ids(1)},
		{"priority:", all(1, 2, 3)},
		{"priority.below:H", all(1)},
		{"priority.under:M", all(1, 2)},
		{"priority.above:L", ids(1, 2)},
		{"priority.by:M", all(1)},
		{"priority.not:H", all(1)},
		{"priority.isnt:M", all(2)},
		// Status: exact, case-insensitive, waiting derived.
		{"status:pending", ids(1, 2, 3, 7, 9, 10, 11, 12)},
		{"status:PENDING", ids(1, 2, 3, 7, 9, 10, 11, 12)},
		{"status:waiting", ids(8)},
		{"status:completed", ids(4)},
		{"status:deleted", ids(5)},
		{"status:recurring", ids(6)},
		{"status.not:pending", ids(4, 5, 6, 8)},
		{"status.isnt:pending", ids(4, 5, 6, 8)},
		{"status.any:", all()},
		{"status.has:ing", ids(1, 2, 3, 6, 7, 8, 9, 10, 11, 12)},
		// Description: plain is a case-sensitive prefix of the description alone.
		{"description:Fix", ids(1)},
		{"description:fix", nil},
		{"desc:Fix", ids(1)},
		{"description.is:'Old idea'", ids(5)},
		{`description.is:"Old idea"`, ids(5)},
		{"description.isnt:'Old idea'", all(5)},
		{"description.startswith:fix", ids(1)},
		{"description.endswith:BUG", ids(1)},
		{"description.has:LOGIN", ids(1, 9)},
		{"description.contains:outline", ids(2)},
		{"description.hasnt:login", all(1, 9)},
		{"description.hasnt:outline", all(2)},
		{"description.word:log", nil},
		{"description.word:login", ids(1, 9)},
		{"description.word:OUTLINE", ids(2)},
		{"description.noword:login", all(1, 9)},
		{"description.regex:^W", ids(2, 6, 7)},
		{"description.regex:outline", ids(2)},
		{"description.before:C", nil},
		{"description.before:D", ids(12)},
		// Plain strings: agent, recur, parent, uuid.
		{"agent:backend", ids(3)},
		{"agent:back", ids(3)},
		{"agent.is:back", nil},
		{"agent.none:", all(3)},
		{"agent.not:backend", all(3)},
		{"agent.any:", ids(3)},
		{"recur:weekly", ids(6, 7)},
		{"parent:" + uuidOf(6)[:8], ids(7)},
		{"parent.any:", ids(7)},
		{"uuid:" + strings.ToUpper(uuidOf(3)[:10]), ids(3)},
		// Dates: plain is the same calendar day.
		{"due:today", ids(1, 6, 7, 12)},
		{"due:now", ids(1, 6, 7, 12)},
		{"due:tomorrow", ids(2)},
		{"due:2026-11-19", ids(2)},
		{"due.before:now", ids(1)},
		{"due.by:now", ids(1, 12)},
		{"due.after:now", ids(2, 6, 7, 9, 10, 11)},
		{"due.before:tomorrow", ids(1, 6, 7, 12)},
		{"due.under:tomorrow", ids(1, 6, 7, 12)},
		{"due.above:eom", ids(10, 11)},
		{"due.is:now", ids(12)},
		{"due.equals:now", ids(12)},
		{"due.isnt:now", all(12)},
		{"due.not:today", all(1, 6, 7, 12)},
		{"due.none:", ids(3, 4, 5, 8)},
		{"due:", ids(3, 4, 5, 8)},
		{"due.any:", all(3, 4, 5, 8)},
		{"due.before:3d", ids(1, 2, 6, 7, 12)},
		{"due.before:now+3d", ids(1, 2, 6, 7, 12)},
		{"due.after:eow", ids(9, 10, 11)},
		{"due.by:2026-11-18T15:00", ids(1, 6, 7, 12)},
		{"entry.before:now-7d", ids(1, 4)},
		{"end.after:now-3d", ids(4)},
		{"start.any:", ids(3)},
		{"scheduled.after:now", ids(10)},
		{"wait.any:", ids(8)},
		{"until.any:", nil},
		{"modified.none:", all()},
		// Numbers.
		{"id:3", ids(3)},
		{"id:1,3,5-7", ids(1, 3, 5, 6, 7)},
		{"id.over:10", ids(11, 12)},
		{"id.by:2", ids(1, 2)},
		{"id.not:3", all(3)},
		{"urgency.over:100", nil},
		{"urgency.under:100", all()},
		{"urgency.over:16", ids(1, 9)}, // 1: H, overdue, blocking; 9: next tag, blocked
		{"urgency.under:16", all(1, 9)},
		// Booleans.
		{"has_doc:yes", ids(11)},
		{"has_doc:true", ids(11)},
		{"has_doc:no", all(11)},
		{"has_doc:FALSE", all(11)},
		{"has_doc.not:yes", all(11)},
		{"has_doc.none:", all(11)},
		// Lists: tags and depends.
		{"tags:bug", ids(1, 9)},
		{"tags.has:next", ids(9)},
		{"tags.contains:bug", ids(1, 9)},
		{"tags.hasnt:bug", all(1, 9)},
		{"tags.not:bug", all(1, 9)},
		{"tags.none:", ids(3, 4, 5, 6, 7, 8, 10, 12)},
		{"tags.any:", ids(1, 2, 9, 11)},
		{"tags.startswith:DO", ids(2, 11)},
		{"tags.endswith:s", ids(2)},
		{"tags.regex:^d", ids(2, 11)},
		{"depends:1", ids(9)},
		{"depends:2", nil},
		{"depends:" + uuidOf(1), ids(9)},
		{"depends:" + uuidOf(1)[:8], ids(9)},
		{"depends.has:1", ids(9)},
		{"depends.any:", ids(9)},
		{"depends.none:", all(9)},
		{"depends.not:1", all(9)},
		// UDAs keep their JSON type.
		{"estimate:3", ids(10)},
		{"estimate.over:5", ids(11)},
		{"estimate.under:5", ids(10)},
		{"estimate.none:", all(10, 11)},
		{"est.any:", ids(10, 11)},
		{"estimate.not:3", all(10)},
		{"owner:ana", ids(10)},
		{"owner:5", ids(11)},
		{"owner.is:5", ids(11)},
		{"owner.not:ana", all(10)},
		{"owner.any:", ids(10, 11)},
		{"owner.over:4", ids(10, 11)}, // 5 > 4 as numbers, "ana" > "4" as strings
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q selects %v", tt.filter, tt.want), func(t *testing.T) {
			got := match(t, tt.filter, fixture(), now)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestVirtualTagsMatch(t *testing.T) {
	tests := []struct {
		tag  string
		want []int64
	}{
		{"PENDING", ids(1, 2, 3, 7, 9, 10, 11, 12)},
		{"WAITING", ids(8)},
		{"COMPLETED", ids(4)},
		{"DELETED", ids(5)},
		{"RECURRING", ids(6)},
		{"TEMPLATE", ids(6)},
		{"PARENT", ids(6)},
		{"INSTANCE", ids(7)},
		{"CHILD", ids(7)},
		{"ACTIVE", ids(3)},
		{"BLOCKED", ids(9)},
		{"UNBLOCKED", all(9)},
		{"BLOCKING", ids(1)},
		{"READY", ids(1, 2, 3, 7, 11, 12)},
		{"OVERDUE", ids(1)},
		{"DUE", ids(1, 2, 7, 9, 12)},
		{"TODAY", ids(1, 7, 12)},
		{"DUETODAY", ids(1, 7, 12)},
		{"TOMORROW", ids(2)},
		{"YESTERDAY", nil},
		{"WEEK", ids(1, 2, 7, 12)},
		{"MONTH", ids(1, 2, 7, 9, 12)},
		{"QUARTER", ids(1, 2, 7, 9, 11, 12)},
		{"YEAR", ids(1, 2, 7, 9, 11, 12)},
		{"ANNOTATED", ids(2)},
		{"TAGGED", ids(1, 2, 9, 11)},
		{"PROJECT", ids(1, 2, 3, 4)},
		{"PRIORITY", ids(1, 2, 3)},
		{"SCHEDULED", ids(10)},
		{"UNTIL", nil},
		{"CLAIMED", ids(3)},
		{"DOC", ids(11)},
		{"UDA", ids(10, 11)},
		{"LATEST", ids(12)},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("+%s selects %v and -%s the rest", tt.tag, tt.want, tt.tag), func(t *testing.T) {
			got := match(t, "+"+tt.tag, fixture(), now)
			if !slices.Equal(got, tt.want) {
				t.Errorf("+%s: got %v, want %v", tt.tag, got, tt.want)
			}
			var rest []int64
			for _, id := range all() {
				if !slices.Contains(tt.want, id) {
					rest = append(rest, id)
				}
			}
			if got := match(t, "-"+tt.tag, fixture(), now); !slices.Equal(got, rest) {
				t.Errorf("-%s: got %v, want %v", tt.tag, got, rest)
			}
		})
	}
}

func TestVirtualTagsWorkInsideExpressions(t *testing.T) {
	tests := []struct {
		filter string
		want   []int64
	}{
		{"+OVERDUE or +BLOCKED", ids(1, 9)},
		{"(+ACTIVE or +DOC) +READY", ids(3, 11)},
		{"not +READY +PENDING", ids(9, 10)},
		{"!(+PENDING or +WAITING)", ids(4, 5, 6)},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			if got := match(t, tt.filter, fixture(), now); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestVirtualTagBoundaries moves the clock and one task's due date around the
// edges of each calendar span.
func TestVirtualTagBoundaries(t *testing.T) {
	monday := local(2026, 11, 16, 0, 0)
	sunday := local(2026, 11, 22, 23, 59)
	tests := []struct {
		name string
		now  time.Time
		due  time.Time
		tag  string
		want bool
	}{
		{"due exactly now is not overdue", now, now, "OVERDUE", false},
		{"due a nanosecond ago is overdue", now, now.Add(-time.Nanosecond), "OVERDUE", true},
		{"due at today's midnight is today", now, local(2026, 11, 18, 0, 0), "TODAY", true},
		{"due at the last second of today is today", now, local(2026, 11, 18, 23, 59).Add(59 * time.Second), "TODAY", true},
		{"due at tomorrow's midnight is not today", now, local(2026, 11, 19, 0, 0), "TODAY", false},
		{"due at tomorrow's midnight is tomorrow", now, local(2026, 11, 19, 0, 0), "TOMORROW", true},
		{"due a second before today is yesterday", now, local(2026, 11, 18, 0, 0).Add(-time.Second), "YESTERDAY", true},
		{"due at today's midnight is DUE", now, local(2026, 11, 18, 0, 0), "DUE", true},
		{"due a second before today is not DUE", now, local(2026, 11, 18, 0, 0).Add(-time.Second), "DUE", false},
		{"due the last second of the seventh day is DUE", now, local(2026, 11, 25, 0, 0).Add(-time.Second), "DUE", true},
		{"due at the start of the eighth day is not DUE", now, local(2026, 11, 25, 0, 0), "DUE", false},
		{"on Monday 00:00 a task due then is this week", monday, monday, "WEEK", true},
		{"on Monday a task due the Sunday before is not this week", monday, monday.Add(-time.Second), "WEEK", false},
		{"on Monday a task due Sunday night is this week", monday, sunday, "WEEK", true},
		{"on Sunday night a task due Monday morning is this week", sunday, monday, "WEEK", true},
		{"on Sunday night a task due next Monday is not this week", sunday, monday.AddDate(0, 0, 7), "WEEK", false},
		{"on the last day of a month its first day is this month", local(2026, 11, 30, 23, 0), local(2026, 11, 1, 0, 0), "MONTH", true},
		{"on the last day of a month the next month is not", local(2026, 11, 30, 23, 0), local(2026, 12, 1, 0, 0), "MONTH", false},
		{"on 31 March a task due 1 January is this quarter", local(2026, 3, 31, 23, 0), local(2026, 1, 1, 0, 0), "QUARTER", true},
		{"on 31 March a task due 1 April is not this quarter", local(2026, 3, 31, 23, 0), local(2026, 4, 1, 0, 0), "QUARTER", false},
		{"on 1 April a task due 31 March is not this quarter", local(2026, 4, 1, 0, 0), local(2026, 3, 31, 23, 59), "QUARTER", false},
		{"on 1 April a task due 30 June is this quarter", local(2026, 4, 1, 0, 0), local(2026, 6, 30, 23, 59), "QUARTER", true},
		{"on 1 April a task due 1 July is not this quarter", local(2026, 4, 1, 0, 0), local(2026, 7, 1, 0, 0), "QUARTER", false},
		{"on 31 December a task due 1 January is this year", local(2026, 12, 31, 23, 0), local(2026, 1, 1, 0, 0), "YEAR", true},
		{"on 31 December next year is not this year", local(2026, 12, 31, 23, 0), local(2027, 1, 1, 0, 0), "YEAR", false},
		{"scheduled exactly now is ready", now, time.Time{}, "READY", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			task := &backlog.Task{ID: 1, UUID: uuidOf(1), Description: "x", Status: backlog.StatusPending, Due: tt.due}
			if tt.tag == "READY" {
				task.Scheduled = tt.now
			}
			got := match(t, "+"+tt.tag, []*backlog.Task{task}, tt.now)
			if (len(got) == 1) != tt.want {
				t.Errorf("+%s at %v with due %v: got %v, want %v", tt.tag, tt.now, tt.due, len(got) == 1, tt.want)
			}
		})
	}
}

func TestLiveOnlyVirtualTags(t *testing.T) {
	done := &backlog.Task{ID: 1, UUID: uuidOf(1), Description: "x", Status: backlog.StatusCompleted,
		Due: now.Add(-time.Hour), Start: now.Add(-2 * time.Hour), Agent: "a", End: now}
	for _, tag := range []string{"OVERDUE", "DUE", "TODAY", "WEEK", "MONTH", "QUARTER", "YEAR", "ACTIVE", "CLAIMED", "BLOCKING", "BLOCKED", "READY"} {
		t.Run(tag+" is false for a completed task", func(t *testing.T) {
			if got := match(t, "+"+tag, []*backlog.Task{done}, now); len(got) != 0 {
				t.Errorf("+%s matched a completed task", tag)
			}
		})
	}
}

func TestPrecedence(t *testing.T) {
	tests := []struct {
		filter string
		want   []int64
		tree   string
	}{
		{"+bug or +docs +next", ids(1, 9), "(+bug or (+docs +next))"},
		{"(+bug or +docs) +next", ids(9), "([(+bug or +docs)] +next)"},
		{"not +bug +next", nil, "(not(+bug) +next)"},
		{"!+bug +next", nil, "(not(+bug) +next)"},
		{"!(+bug or +docs)", all(1, 2, 9), "not([(+bug or +docs)])"},
		{"not (+bug or +docs)", all(1, 2, 9), "not([(+bug or +docs)])"},
		{"+bug xor +next", ids(1), "(+bug xor +next)"},
		{"+bug xor +docs or +next", ids(1, 2), "(+bug xor (+docs or +next))"},
		{"+docs or +next xor +bug", ids(1, 2), "((+docs or +next) xor +bug)"},
		{"+bug and +next", ids(9), "(+bug and +next)"},
		{"+bug AND +next", ids(9), "(+bug and +next)"},
		{"1 or 2 +bug", ids(1), "(1 or (2 +bug))"},
		{"1 2 or +next", ids(1, 2, 9), "(1,2 or +next)"},
		{"deadbe01 2 deadbe03 or +next", ids(1, 2, 3, 9), "(2 deadbe01 deadbe03 or +next)"},
		{"+bug xor +docs xor +next", ids(1, 2), "((+bug xor +docs) xor +next)"},
		{"+bug or +docs or +next", ids(1, 2, 9), "((+bug or +docs) or +next)"},
		{"not not +bug", ids(1, 9), "not(not(+bug))"},
		{"(+bug)", ids(1, 9), "[+bug]"},
		{"((+bug))", ids(1, 9), "[[+bug]]"},
		{"(project:web)", ids(1, 2, 4), "[project:web]"},
		{"(+bug or project:web)status:pending", ids(1, 2, 9), "([(+bug or project:web)] status:pending)"},
		{"+bug)", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			if tt.tree == "" {
				if _, err := Parse(tt.filter, Options{Now: now}); err == nil {
					t.Fatal("parsed; want an error")
				}
				return
			}
			e, err := Parse(tt.filter, Options{Now: now})
			if err != nil {
				t.Fatal(err)
			}
			if got := treeString(e); got != tt.tree {
				t.Errorf("tree %s, want %s", got, tt.tree)
			}
			if got := match(t, tt.filter, fixture(), now); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// treeString prints a tree with every binary node in parentheses, to show
// its shape.
func treeString(e Expr) string {
	switch n := e.(type) {
	case *BinaryExpr:
		op := " " + n.Op.String() + " "
		if n.Implicit {
			op = " "
		}
		return "(" + treeString(n.X) + op + treeString(n.Y) + ")"
	case *NotExpr:
		return "not(" + treeString(n.X) + ")"
	case *ParenExpr:
		return "[" + treeString(n.X) + "]"
	}
	return e.String()
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		filter string
		want   string // the whole message
	}{
		{"project:web ) +x", `unexpected ")" at 12`},
		{"description.cont:x", `unknown modifier "cont" in "description.cont:x" at 0`},
		{"+a due.before:garbage", `cannot parse date "garbage" in "due.before:garbage" at 3`},
		{"urgency.over:lots", `cannot read "lots" as a number for urgency in "urgency.over:lots" at 0`},
		{"has_doc:maybe", `has_doc must be yes, no, true or false, got "maybe" in "has_doc:maybe" at 0`},
		{"/(/", `invalid regex "(": missing closing ) at 0`},
		{"description.regex:(", `invalid regex "(": missing closing ) in "description.regex:(" at 0`},
		{"foo:bar", `unknown attribute "foo" (quote the term to search for it as text) in "foo:bar" at 0`},
		{"d:x", `ambiguous attribute "d": it could be depends, description, due in "d:x" at 0`},
		{"(+a", `unclosed "(" at 0`},
		{"()", `empty parentheses at 1`},
		{"+a or", `unexpected end of filter at 5`},
		{"+a and or +b", `unexpected "or" at 7`},
		{"-", `expected a tag name after "-" at 0`},
		{"+ x", `expected a tag name after "+" at 0`},
		{"1,,3", `malformed id list "1,,3" at 0`},
		{"3-", `malformed id list "3-" at 0`},
		{`"abc`, `unterminated quoted phrase at 0`},
		{`""`, `empty quoted phrase at 0`},
		{"/abc", `unterminated regex (a slash inside it is written \/) at 0`},
		{"/a/b", `a regex must be followed by a space or ")" at 0`},
		{"due.none:x", `"due.none:" takes no value, got "x" in "due.none:x" at 0`},
		{"due.before:", `"due.before:" needs a value in "due.before:" at 0`},
		{"due.has:x", `modifier "has" does not apply to dates in "due.has:x" at 0`},
		{"id.has:1", `modifier "has" does not apply to numbers in "id.has:1" at 0`},
		{"tags.before:x", `modifier "before" does not apply to lists in "tags.before:x" at 0`},
		{"has_doc.over:yes", `modifier "over" does not apply to true/false values in "has_doc.over:yes" at 0`},
		{"priority:X", `priority must be H, M, L or empty, got "X" in "priority:X" at 0`},
		{"status:bogus", `status must be pending, completed, deleted, recurring or waiting, got "bogus" in "status:bogus" at 0`},
		{"depends:foo", `depends takes ids or UUIDs, got "foo" in "depends:foo" at 0`},
		{"estimate:x", `unknown attribute "estimate" (quote the term to search for it as text) in "estimate:x" at 0`},
		{"+a des.word:\xe2", `filter is not valid UTF-8 at 12`},
		{"+a \xff", `filter is not valid UTF-8 at 3`},
		{"+bug a\x00b", `filter contains a NUL byte at 6`},
		{"\x00", `filter contains a NUL byte at 0`},
		{`"a` + "\x00" + `b"`, `filter contains a NUL byte at 2`},
		{"desc.has:x\x00", `filter contains a NUL byte at 10`},
		{"/a\x00/", `filter contains a NUL byte at 2`},
		{"+a \x1b[31m", `filter contains the control character U+001B at 3`},
		{"+a\x7f", `filter contains the control character U+007F at 2`},
		{"+a \u0090", `filter contains the control character U+0090 at 3`},
		{strings.Repeat("(", 200) + "+a" + strings.Repeat(")", 200), `filter nests more than 100 levels deep at 100`},
		{strings.Repeat("not ", 200) + "+a", `filter nests more than 100 levels deep at 400`},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			_, err := Parse(tt.filter, Options{Now: now})
			if err == nil {
				t.Fatalf("parsed; want error %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got: %s\nwant: %s", err, tt.want)
			}
		})
	}
}

func TestErrorsAreInvalidInput(t *testing.T) {
	_, err := Parse("foo:bar", Options{Now: now})
	if !isInvalid(err) {
		t.Errorf("error %v is not backlog.ErrInvalid", err)
	}
}

func TestStringPrintsBackToTheSameTree(t *testing.T) {
	tests := []struct{ in, out string }{
		{"+bug   or  +docs", "+bug or +docs"},
		{"pro:web desc.has:x", "project:web description.has:x"},
		{"description.contains:'two words'", `description.contains:"two words"`},
		{`description:'say "hi"'`, `description:"say \"hi\""`},
		{"due.before:eow", "due.before:eow"},
		{"1 3 5-7", "1,3,5-7"},
		{"7-5", "5-7"},
		{"!(+a or +b) not +c", "!(+a or +b) not +c"},
		{`"login page" /^Fix\/x/`, `"login page" /^Fix\/x/`},
		{"(project:web)", "(project:web)"},
		{"project:", "project:"},
		{"desc.regex:a(b)c", "description.regex:a(b)c"},
		{`desc.has:"a)b"`, `description.has:"a)b"`},
		{"DEADBEEF", "deadbeef"},
		{"1 DEADBEEF 3 abcdef12", "1,3 deadbeef abcdef12"},
		{"deadbeef abcdef12 +x", "deadbeef abcdef12 +x"},
		{"+x (deadbeef) 1", "+x (deadbeef) 1"},
		{"+a xor +b or +c", "+a xor +b or +c"},
		{"(0( )", "(0( )"},
		{"(desc.has:a( )", "(description.has:a( )"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			e, err := Parse(tt.in, Options{Now: now})
			if err != nil {
				t.Fatal(err)
			}
			if got := e.String(); got != tt.out {
				t.Errorf("String() = %q, want %q", got, tt.out)
			}
			checkRoundTrip(t, tt.in, Options{Now: now})
		})
	}
}

func TestDefaultScope(t *testing.T) {
	tests := []struct {
		filter string
		want   []int64
	}{
		{"", ids(1, 2, 3, 7, 9, 10, 11, 12)},
		{"+bug", ids(1, 9)},
		{"project:web", ids(1, 2)},
		{"+bug or project:web", ids(1, 2, 9)},
		{"+ACTIVE", ids(3)},
		{"+BLOCKED", ids(9)},
		{"status:completed", ids(4)},
		{"+bug or status:completed", ids(1, 4, 9)},
		{"status:completed project:web", ids(4)},
		{"+DELETED -bug", ids(5)},
		{"4-6 -bug", ids(4, 5, 6)},
		{"status.any: project:web", ids(1, 2, 4)},
		{"+WAITING", ids(8)},
		{"-PENDING", ids(4, 5, 6, 8)},
		{"+TEMPLATE", ids(6)},
		{"+LATEST", ids(12)},
		{"5", ids(5)},
		{"4 5", ids(4, 5)},
		{uuidOf(4)[:8], ids(4)},
		{uuidOf(4)[:8] + " " + uuidOf(5)[:8], ids(4, 5)},
		{"id.over:3", ids(4, 5, 6, 7, 8, 9, 10, 11, 12)},
		{"status.any:", all()},
		{"idea", nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q lists %v", tt.filter, tt.want), func(t *testing.T) {
			e, err := Parse(tt.filter, Options{Now: now})
			if err != nil {
				t.Fatal(err)
			}
			tasks := fixture()
			m := Compile(DefaultScope(e), Env{Now: now, Graph: backlog.NewIndex(tasks)})
			var got []int64
			for _, task := range tasks {
				if m(task) {
					got = append(got, task.ID)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNeedsGraph(t *testing.T) {
	for src, want := range map[string]bool{
		"+bug project:web": false, "+READY": true, "-BLOCKED": true, "+LATEST": true,
		"urgency.over:3": true, "depends:3": true, "depends.any:": false, "+OVERDUE": false,
	} {
		e, err := Parse(src, Options{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if got := NeedsGraph(e); got != want {
			t.Errorf("NeedsGraph(%q) = %v, want %v", src, got, want)
		}
	}
}

func TestScannerTokens(t *testing.T) {
	src := `(+a -b) name.is:"x y" 1,2-3 deadbeef word "phrase" /re/ and or xor not !`
	want := []struct {
		pos int
		tok Token
		lit string
	}{
		{0, LPAREN, "("}, {1, TAG, "+a"}, {4, TAG, "-b"}, {6, RPAREN, ")"},
		{8, ATTR, `name.is:"x y"`}, {22, ID, "1,2-3"}, {28, UUID, "deadbeef"}, {37, WORD, "word"},
		{42, STRING, "phrase"}, {51, REGEX, "re"}, {56, AND, "and"}, {60, OR, "or"},
		{63, XOR, "xor"}, {67, NOT, "not"}, {71, NOT, "!"}, {72, EOF, ""},
	}
	var s Scanner
	s.Init(src)
	for i, w := range want {
		pos, tok, lit := s.Scan()
		if pos != w.pos || tok != w.tok || lit != w.lit {
			t.Errorf("token %d: got (%d, %v, %q), want (%d, %v, %q)", i, pos, tok, lit, w.pos, w.tok, w.lit)
		}
	}
}
