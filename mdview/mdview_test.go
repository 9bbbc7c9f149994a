package mdview

import (
	"strings"
	"testing"
	"time"

	backlog "github.com/agent-backlog/backlog"
)

var now = time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC)

func day(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC) }

func uuidOf(id int64) string {
	return "00000000-0000-4000-8000-" + strings.Repeat("0", 10) + string(rune('0'+id/10)) + string(rune('0'+id%10))
}

func task(id int64, desc string, edit func(t *backlog.Task)) *backlog.Task {
	t := &backlog.Task{ID: id, UUID: uuidOf(id), Description: desc, Status: backlog.StatusPending, Entry: day(1)}
	if edit != nil {
		edit(t)
	}
	return t
}

func render(t *testing.T, tasks []*backlog.Task, opts Options) string {
	t.Helper()
	var b strings.Builder
	if err := Write(&b, tasks, opts); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestWriteGroupsTasksInAFixedOrder(t *testing.T) {
	tasks := []*backlog.Task{
		task(1, "Ready low", func(t *backlog.Task) { t.Priority = backlog.PriorityLow }),
		task(2, "Ready high, due later", func(t *backlog.Task) { t.Priority = backlog.PriorityHigh; t.Due = day(30) }),
		task(3, "Ready high, due sooner", func(t *backlog.Task) { t.Priority = backlog.PriorityHigh; t.Due = day(20) }),
		task(4, "Claimed", func(t *backlog.Task) { t.Agent = "backend"; t.Project = "web" }),
		task(5, "Started", func(t *backlog.Task) { t.Start = day(17) }),
		task(6, "Blocked", func(t *backlog.Task) { t.Depends = []string{uuidOf(1), uuidOf(3)} }),
		task(7, "Hidden a while", func(t *backlog.Task) { t.Status = backlog.StatusWaiting; t.Wait = day(25) }),
		task(8, "Scheduled later", func(t *backlog.Task) { t.Scheduled = time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC) }),
		task(9, "Finished first", func(t *backlog.Task) { t.Status = backlog.StatusCompleted; t.End = day(10); t.Due = day(9) }),
		task(10, "Finished last", func(t *backlog.Task) {
			t.Status = backlog.StatusCompleted
			t.End = day(12).Add(15*time.Hour + 4*time.Minute)
		}),
		task(11, "Gone", func(t *backlog.Task) { t.Status = backlog.StatusDeleted; t.End = day(12) }),
		task(12, "Every week", func(t *backlog.Task) { t.Status = backlog.StatusRecurring; t.Recur = "weekly"; t.Due = day(20) }),
		task(13, "Scheduled in the past is ready", func(t *backlog.Task) { t.Scheduled = day(2) }),
		task(14, "Imported", func(t *backlog.Task) {
			t.Tags = []string{"bug", "auth"}
			t.Source = &backlog.Source{Type: "github", Host: "github.com", Project: "acme/app", IID: 42, URL: "https://github.com/acme/app/issues/42"}
		}),
	}
	opts := Options{Now: now, Blockers: map[string][]string{uuidOf(6): {"1", "3"}}}
	want := `## Active (2)

- [ ] **4** Claimed — project web · agent ` + "`backend`" + `
- [ ] **5** Started

## Blocked (1)

- [ ] **6** Blocked — blocked by 1, 3

## Ready (5)

- [ ] **3** Ready high, due sooner — priority H · due 2026-11-20
- [ ] **2** Ready high, due later — priority H · due 2026-11-30
- [ ] **1** Ready low — priority L
- [ ] **13** Scheduled in the past is ready
- [ ] **14** Imported — +bug +auth · [acme/app#42](https://github.com/acme/app/issues/42)

## Waiting (2)

- [ ] **8** Scheduled later — scheduled 2026-11-21 09:30
- [ ] **7** Hidden a while — waits until 2026-11-25

## Done (2)

- [x] **10** Finished last — done 2026-11-12
- [x] **9** Finished first — done 2026-11-10
`
	if got := render(t, tasks, opts); got != want {
		t.Errorf("page:\n%s\nwant:\n%s", got, want)
	}

	t.Run("the order of the input does not matter", func(t *testing.T) {
		reversed := make([]*backlog.Task, len(tasks))
		for i, tk := range tasks {
			reversed[len(tasks)-1-i] = tk
		}
		if got := render(t, reversed, opts); got != want {
			t.Errorf("page from reversed input:\n%s", got)
		}
	})
}

func TestWriteWithNothingToShowSaysSo(t *testing.T) {
	for name, tasks := range map[string][]*backlog.Task{
		"no tasks":           nil,
		"only deleted tasks": {task(1, "Gone", func(t *backlog.Task) { t.Status = backlog.StatusDeleted })},
	} {
		t.Run(name, func(t *testing.T) {
			if got := render(t, tasks, Options{Now: now}); got != "No matching tasks.\n" {
				t.Errorf("page %q", got)
			}
		})
	}
}

func TestWritePrintsDatesInNowsZone(t *testing.T) {
	berlin := time.FixedZone("CET", 3600)
	due := time.Date(2026, 12, 9, 0, 0, 0, 0, berlin) // midnight there, 23:00 the day before in UTC
	tk := task(1, "Fix", func(t *backlog.Task) { t.Due = due.UTC() })
	for _, tt := range []struct {
		name string
		now  time.Time
		want string
	}{
		{"a midnight in Now's zone is a day", now.In(berlin), "due 2026-12-09\n"},
		{"any other time has its minute", now, "due 2026-12-08 23:00\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := render(t, []*backlog.Task{tk}, Options{Now: tt.now}); !strings.HasSuffix(got, tt.want) {
				t.Errorf("page %q, want it to end %q", got, tt.want)
			}
		})
	}
}

// TestTrickyTextCannotBreakTheList feeds markdown and worse in every text
// field and checks each item stays one literal line.
func TestTrickyTextCannotBreakTheList(t *testing.T) {
	for _, tt := range []struct {
		name string
		task *backlog.Task
		want string
	}{
		{"emphasis, code, links and images in a description",
			task(1, "**bold** _it_ `code` [x](http://e.com) ![i](i.png)", nil),
			"- [ ] **1** \\*\\*bold\\*\\* \\_it\\_ \\`code\\` \\[x\\](http://e.com) !\\[i\\](i.png)"},
		{"pipes, HTML, entities, strikethrough and math",
			task(1, "a | b <script>alert(1)</script> &amp; ~~old~~ $x$", nil),
			"- [ ] **1** a \\| b \\<script\\>alert(1)\\</script\\> \\&amp; \\~\\~old\\~\\~ \\$x\\$"},
		{"a backslash, and block markers that mean nothing mid-line",
			task(1, `C:\temp\ # not a heading > not a quote - 1. ---`, nil),
			`- [ ] **1** C:\\temp\\ # not a heading \> not a quote - 1. ---`},
		{"control characters become spaces, and the line ends without one",
			task(1, "tab\there\x1b[31m trailing  ", nil),
			"- [ ] **1** tab here \\[31m trailing"},
		{"an agent holding backticks gets a longer fence",
			task(1, "Fix", func(t *backlog.Task) { t.Agent = "a``b" }),
			"- [ ] **1** Fix — agent ```a``b```"},
		{"an agent starting with a backtick gets spaces inside the fence",
			task(1, "Fix", func(t *backlog.Task) { t.Agent = "`x" }),
			"- [ ] **1** Fix — agent `` `x ``"},
		{"tags and projects with markdown characters",
			task(1, "Fix", func(t *backlog.Task) { t.Project = "my_app"; t.Tags = []string{"*wip*", "a|b"} }),
			`- [ ] **1** Fix — project my\_app · +\*wip\* +a\|b`},
		{"a link whose address holds parentheses and spaces",
			task(1, "Fix", func(t *backlog.Task) {
				t.Source = &backlog.Source{Type: "gitlab", Host: "gitlab.com", Project: "g/my_proj", IID: 7, URL: "https://gitlab.com/g/p/-/issues/7?q=(a)<b>"}
			}),
			`- [ ] **1** Fix — [g/my\_proj#7](https://gitlab.com/g/p/-/issues/7?q=%28a%29%3Cb%3E)`},
		{"a source whose address is not a web page is plain text",
			task(1, "Fix", func(t *backlog.Task) {
				t.Source = &backlog.Source{Type: "github", Host: "github.com", Project: "a/b", IID: 1, URL: "javascript:alert(1)"}
			}),
			`- [ ] **1** Fix — a/b#1`},
		{"a task without an id is named by its UUID's start",
			task(0, "Fix", func(t *backlog.Task) { t.UUID = "3f2a9c1e-0000-4000-8000-000000000000" }),
			`- [ ] **3f2a9c1e** Fix`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := render(t, []*backlog.Task{tt.task}, Options{Now: now})
			lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
			if len(lines) != 3 || !strings.HasPrefix(lines[0], "## ") || !strings.HasSuffix(lines[0], " (1)") || lines[1] != "" {
				t.Fatalf("page is not one group of one item:\n%s", got)
			}
			if lines[2] != tt.want {
				t.Errorf("item:\n got %s\nwant %s", lines[2], tt.want)
			}
		})
	}
}

func TestEscapeLeavesNoSpecialCharacterBare(t *testing.T) {
	for _, r := range specials {
		got := Escape("a" + string(r) + "b")
		if want := "a\\" + string(r) + "b"; got != want {
			t.Errorf("Escape(%q) = %q, want %q", "a"+string(r)+"b", got, want)
		}
	}
	if got := Escape("Überprüfen · 日本語"); got != "Überprüfen · 日本語" {
		t.Errorf("plain text changed: %q", got)
	}
}

func TestBlockersNamesTheLiveTasksABlockedTaskWaitsFor(t *testing.T) {
	related := []*backlog.Task{
		task(5, "Waits for 3 and 2", func(t *backlog.Task) { t.Depends = []string{uuidOf(3), uuidOf(2), uuidOf(9)} }),
		task(3, "Blocks 5, waiting itself", func(t *backlog.Task) { t.Status = backlog.StatusWaiting }),
		task(2, "Blocks 5", nil),
	}
	got := Blockers(related)
	if len(got) != 1 || strings.Join(got[uuidOf(5)], ",") != "2,3" {
		t.Errorf("Blockers = %v, want only task 5 blocked by 2,3", got)
	}
}

func FuzzEscapeKeepsOneLine(f *testing.F) {
	f.Add("**a** | `b` <c> \\")
	f.Fuzz(func(t *testing.T, s string) {
		e := Escape(s)
		if strings.ContainsAny(e, "\n\r") {
			t.Fatalf("Escape(%q) = %q holds a line break", s, e)
		}
		// Every special character is behind a backslash: removing the
		// escaped pairs leaves none bare.
		var rest strings.Builder
		for i := 0; i < len(e); i++ {
			if e[i] == '\\' && i+1 < len(e) {
				i++
				continue
			}
			rest.WriteByte(e[i])
		}
		if strings.ContainsAny(rest.String(), specials) {
			t.Fatalf("Escape(%q) = %q leaves a special character bare", s, e)
		}
	})
}
