package importers

import (
	"slices"
	"strings"
	"testing"
	"time"

	backlog "github.com/agent-backlog/backlog"
)

const (
	u1 = "22222222-0000-4000-8000-000000000001"
	u2 = "22222222-0000-4000-8000-000000000002"
	u3 = "22222222-0000-4000-8000-000000000003"
)

func task(uuid, desc string) *backlog.Task {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	return &backlog.Task{UUID: uuid, Description: desc, Status: backlog.StatusPending, Entry: at, Modified: at}
}

// TestFitMakesTasksValid: each thing another tool allows and backlog does
// not is changed, noted, and the task validates.
func TestFitMakesTasksValid(t *testing.T) {
	long := strings.Repeat("é", 300)
	tests := []struct {
		name  string
		edit  func(*backlog.Task)
		check func(*backlog.Task, map[string]string) bool
	}{
		{"a title of several lines keeps its first, the rest in the doc",
			func(x *backlog.Task) { x.Description = "Fix it\nbecause it breaks" },
			func(x *backlog.Task, d map[string]string) bool {
				return x.Description == "Fix it" && d[x.UUID] == "# Fix it\n\nbecause it breaks\n"
			}},
		{"a title of 600 bytes is cut on a character, whole in the doc",
			func(x *backlog.Task) { x.Description = long },
			func(x *backlog.Task, d map[string]string) bool {
				return len(x.Description) <= 500 && strings.HasSuffix(x.Description, "…") && strings.Contains(d[x.UUID], long)
			}},
		{"an empty title is (no title)", func(x *backlog.Task) { x.Description = "  " },
			func(x *backlog.Task, _ map[string]string) bool { return x.Description == "(no title)" }},
		{"tags lose spaces, duplicates and the doc tag",
			func(x *backlog.Task) { x.Tags = []string{"needs review", "doc", "a", "a", "+x"} },
			func(x *backlog.Task, _ map[string]string) bool {
				return slices.Equal(x.Tags, []string{"needs-review", "a", "x"})
			}},
		{"a project with spaces", func(x *backlog.Task) { x.Project = "my app" },
			func(x *backlog.Task, _ map[string]string) bool { return x.Project == "my-app" }},
		{"a note of two lines is one", func(x *backlog.Task) {
			x.Annotations = []backlog.Annotation{{Description: "a\nb"}}
		}, func(x *backlog.Task, _ map[string]string) bool {
			return x.Annotations[0].Description == "a b" && x.Annotations[0].Entry.Equal(x.Entry)
		}},
		{"a period backlog cannot read goes", func(x *backlog.Task) { x.Recur = "every full moon" },
			func(x *backlog.Task, _ map[string]string) bool { return x.Recur == "" }},
		{"a recurring template without a period is pending", func(x *backlog.Task) { x.Status = backlog.StatusRecurring },
			func(x *backlog.Task, _ map[string]string) bool { return x.Status == backlog.StatusPending }},
		{"a recurring template without a due date is due at its entry", func(x *backlog.Task) {
			x.Status, x.Recur = backlog.StatusRecurring, "weekly"
		}, func(x *backlog.Task, _ map[string]string) bool { return x.Due.Equal(x.Entry) }},
		{"dependencies on itself and twice go", func(x *backlog.Task) { x.Depends = []string{u1, u2, u2, "nope"} },
			func(x *backlog.Task, _ map[string]string) bool { return slices.Equal(x.Depends, []string{u2}) }},
		{"a completed task without an end ends at its last change", func(x *backlog.Task) { x.Status = backlog.StatusCompleted },
			func(x *backlog.Task, _ map[string]string) bool { return x.End.Equal(x.Modified) }},
		{"an attribute that is a built-in name goes", func(x *backlog.Task) { x.Extra = map[string]any{"due": "x", "ok": 1.0} },
			func(x *backlog.Task, _ map[string]string) bool { return len(x.Extra) == 1 && x.Extra["ok"] == 1.0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := task(u1, "Title")
			tt.edit(x)
			docs := map[string]string{}
			var n Notes
			Fit(x, docs, &n)
			if !tt.check(x, docs) {
				t.Errorf("got %+v, docs %q", x, docs)
			}
			if err := x.Validate(); err != nil {
				t.Errorf("still invalid: %v", err)
			}
			if len(n.Mapped())+len(n.Skipped()) == 0 {
				t.Error("nothing noted")
			}
		})
	}
}

func TestBreakCyclesDropsTheClosingDependency(t *testing.T) {
	a, b, c := task(u1, "a"), task(u2, "b"), task(u3, "c")
	a.Depends, b.Depends, c.Depends = []string{u2}, []string{u3}, []string{u1}
	var n Notes
	BreakCycles([]*backlog.Task{a, b, c}, &n)
	if len(a.Depends)+len(b.Depends)+len(c.Depends) != 2 || len(n.Skipped()) != 1 {
		t.Errorf("depends %v %v %v, notes %q", a.Depends, b.Depends, c.Depends, n.Skipped())
	}
}

func TestNotesCountEachRule(t *testing.T) {
	var n Notes
	n.Map("x became y")
	n.Map("z")
	n.Map("x became y")
	if got := n.Mapped(); !slices.Equal(got, []string{"x became y (2 tasks)", "z (1 task)"}) {
		t.Errorf("got %q", got)
	}
}

func TestStableUUIDIsTheSameEachTime(t *testing.T) {
	a, b := StableUUID("beads", "bd-1"), StableUUID("beads", "bd-1")
	if a != b || a == StableUUID("beads", "bd-2") || a == StableUUID("backlog-md", "bd-1") {
		t.Errorf("%s %s", a, b)
	}
	if _, err := backlog.ParseUUID(a); err != nil {
		t.Error(err)
	}
}

func TestParseTimeReadsTheToolsDates(t *testing.T) {
	want := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	for _, s := range []string{"2026-03-01T09:30:00Z", "2026-03-01T09:30:00.123Z", "2026-03-01T10:30:00+01:00", "2026-03-01 09:30"} {
		if got, err := ParseTime(s, time.UTC); err != nil || !got.Equal(want) {
			t.Errorf("%q: %v %v", s, got, err)
		}
	}
	if _, err := ParseTime("tomorrow-ish", time.UTC); err == nil {
		t.Error("no error for a word")
	}
}
