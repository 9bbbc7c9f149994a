package tasksmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPickOrder(t *testing.T) {
	tests := []struct {
		name    string
		files   []string
		opts    PickOptions
		want    string // summary picked, "" for none
		resumed bool
		cands   int
	}{
		{"the highest priority wins", []string{"TASKS.md", "# Tasks\n## P1\n- [ ] one\n## P0\n- [ ] zero\n"}, PickOptions{}, "zero", false, 2},
		{"a blocked task is skipped", []string{"TASKS.md", "# Tasks\n## P0\n- [ ] b\n  - **Blocked by**: a\n## P1\n- [ ] a\n  - **ID**: a\n"}, PickOptions{}, "a", false, 1},
		{"a blocker found nowhere is resolved", []string{"TASKS.md", "# Tasks\n## P0\n- [ ] b\n  - **Blocked by**: gone\n"}, PickOptions{}, "b", false, 1},
		{"an external Blocked reason blocks", []string{"TASKS.md", "# Tasks\n## P0\n- [ ] b\n  - **Blocked**: needs approval\n## P2\n- [ ] c\n"}, PickOptions{}, "c", false, 1},
		{"a claimed task is skipped", []string{"TASKS.md", "# Tasks\n## P0\n- [ ] b (@x)\n- [ ] c\n"}, PickOptions{}, "c", false, 1},
		{"impact first: the task that unblocks more wins a tie", []string{"TASKS.md", "# Tasks\n## P1\n- [ ] plain\n- [ ] key\n  - **ID**: key\n## P3\n- [ ] w1\n  - **Blocked by**: key\n- [ ] w2\n  - **Blocked by**: key\n"}, PickOptions{}, "key", false, 2},
		{"a blocker in another file blocks", []string{"TASKS.md", "# Tasks\n## P0\n- [ ] b\n  - **Blocked by**: api\n## P2\n- [ ] c\n", "packages/TASKS.md", "# Tasks\n## P3\n- [ ] api\n  - **ID**: api\n"}, PickOptions{}, "c", false, 2},
		{"the tag filter keeps tagged tasks", []string{"TASKS.md", "# Tasks\n## P0\n- [ ] a\n## P2\n- [ ] b\n  - **Tags**: Web\n"}, PickOptions{Tags: []string{"web"}}, "b", false, 1},
		{"the tag filter falls back to all when none match", []string{"TASKS.md", "# Tasks\n## P0\n- [ ] a\n## P2\n- [ ] b\n  - **Tags**: web\n"}, PickOptions{Tags: []string{"db"}}, "a", false, 2},
		{"more shared tags win a tie", []string{"TASKS.md", "# Tasks\n## P1\n- [ ] one\n  - **Tags**: web\n- [ ] two\n  - **Tags**: web, api\n"}, PickOptions{Tags: []string{"web", "api"}}, "two", false, 2},
		{"an agent resumes its own claim", []string{"TASKS.md", "# Tasks\n## P0\n- [ ] a\n## P3\n- [ ] mine (@Bob-1 - in progress)\n"}, PickOptions{Agent: "@bob"}, "mine", true, 1},
		{"a blocked own claim is not resumed", []string{"TASKS.md", "# Tasks\n## P0\n- [ ] a\n  - **ID**: a\n## P3\n- [ ] mine (@bob)\n  - **Blocked by**: a\n"}, PickOptions{Agent: "bob"}, "a", false, 1},
		{"mutual blockers leave nothing", []string{"TASKS.md", "# Tasks\n## P0\n- [ ] a\n  - **ID**: a\n  - **Blocked by**: b\n- [ ] b\n  - **ID**: b\n  - **Blocked by**: a\n"}, PickOptions{}, "", false, 0},
		{"ties keep discovery order", []string{"TASKS.md", "# Tasks\n## P1\n- [ ] first\n", "z/TASKS.md", "# Tasks\n## P1\n- [ ] second\n"}, PickOptions{}, "first", false, 2},
		{"an empty queue has nothing", []string{"TASKS.md", "# Tasks\n"}, PickOptions{}, "", false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := queueOf(tc.files...).Pick(tc.opts)
			if tc.want == "" {
				if p != nil {
					t.Fatalf("picked %q", p.Task.Summary)
				}
				return
			}
			if p == nil {
				t.Fatalf("picked nothing, want %q", tc.want)
			}
			if p.Task.Summary != tc.want || p.Resumed != tc.resumed || p.Candidates != tc.cands {
				t.Errorf("picked %q resumed %v candidates %d, want %q %v %d", p.Task.Summary, p.Resumed, p.Candidates, tc.want, tc.resumed, tc.cands)
			}
		})
	}
}

func TestPickOutputs(t *testing.T) {
	q := queueOf("TASKS.md", "# Tasks\n## P1\n- [ ] key <b>\n  - **ID**: key\n  - **Tags**: web, api\n## P3\n- [ ] w\n  - **Blocked by**: key\n")
	p := q.Pick(PickOptions{})
	wantText := "Picked \"key <b>\" (P1)\n  File: TASKS.md:3\n  ID: key\n  Tags: web, api\n  Unblocks: 1 task(s)\n  Candidates: 1\n"
	if got := PickText(p); got != wantText {
		t.Errorf("text %q", got)
	}
	wantJSON := `{"picked":true,"summary":"key <b>","priority":"P1","file":"TASKS.md","line":3,"id":"key","metadata":{"id":"key","tags":["web","api"]},"unblocks":1,"resumed":false,"candidates":1}` + "\n"
	if got := PickJSON(p); got != wantJSON {
		t.Errorf("json %s", got)
	}
	if PickJSON(nil) != "{\"picked\":false}\n" || PickText(nil) != NoPickText {
		t.Errorf("nothing picked printed %q %q", PickJSON(nil), PickText(nil))
	}
}

func TestListAndStats(t *testing.T) {
	q := queueOf("TASKS.md", "# Tasks\n## P2\n- [ ] later\n## P0\n- [ ] now (@a)\n  - **ID**: now\n  - [ ] sub\n- [ ] wait (@b)\n  - **Blocked by**: now\n")
	t.Run("list_tasks JSON has the reference shape", func(t *testing.T) {
		got := q.ListJSON(q.List(ListOptions{Priority: "p0"}))
		want := "{\n  \"summary\": \"Found 2 task(s) across 1 file(s).\",\n  \"tasks\": [\n    {\n      \"summary\": \"now\",\n      \"priority\": \"P0\",\n      \"claimed\": \"@a\",\n      \"blocked\": false,\n      \"metadata\": {\n        \"id\": \"now\"\n      },\n      \"subtasks\": [\n        \"sub\"\n      ],\n      \"file\": \"TASKS.md\",\n      \"line\": 5\n    },\n    {\n      \"summary\": \"wait\",\n      \"priority\": \"P0\",\n      \"claimed\": \"@b\",\n      \"blocked\": true,\n      \"metadata\": {\n        \"blockedBy\": [\n          \"now\"\n        ]\n      },\n      \"file\": \"TASKS.md\",\n      \"line\": 8\n    }\n  ]\n}"
		if got != want {
			t.Errorf("got\n%s", got)
		}
	})
	t.Run("list text sorts by priority and filters", func(t *testing.T) {
		if got := ListText(q.List(ListOptions{})); got != "P0\tnow\tnow\nP0\t-\twait\nP2\t-\tlater\n" {
			t.Errorf("got %q", got)
		}
		if got := ListText(q.List(ListOptions{Unclaimed: true, Tag: "x"})); got != "No tasks match the filters.\n" {
			t.Errorf("got %q", got)
		}
	})
	t.Run("stats subtract a blocked and claimed task twice", func(t *testing.T) {
		got := StatsJSON(q.Stats(), nil)
		want := `{"total":3,"byPriority":{"P0":2,"P1":0,"P2":1,"P3":0},"blocked":1,"claimed":2,"available":0,"fileCount":1}` + "\n"
		if got != want {
			t.Errorf("got %s", got)
		}
		if text := StatsText(q.Stats(), nil); !strings.Contains(text, "  2    0    1    0    3\n") {
			t.Errorf("text %q", text)
		}
	})
	t.Run("parse JSON keeps claimed with its @ and omits it when free", func(t *testing.T) {
		got := ParseJSON(q.Tasks()[:1])
		want := "[\n  {\n    \"summary\": \"later\",\n    \"priority\": \"P2\",\n    \"metadata\": {},\n    \"subtasks\": [],\n    \"file\": \"TASKS.md\",\n    \"startLine\": 3,\n    \"endLine\": 3,\n    \"rawLines\": [\n      \"- [ ] later\"\n    ]\n  }\n]\n"
		if got != want {
			t.Errorf("got %s", got)
		}
	})
}

// TestExamplesLintCleanAndRoundTrip checks the convention's example files:
// each lints clean (LF ones) and renders back byte for byte.
func TestExamplesLintCleanAndRoundTrip(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/examples/*")
	for _, dir := range dirs {
		t.Run(filepath.Base(dir)+" lints clean and round-trips", func(t *testing.T) {
			paths, err := Discover(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(paths) == 0 {
				t.Skip("no TASKS.md yet")
			}
			var srcs []Source
			q := &Queue{}
			for _, p := range paths {
				data, err := os.ReadFile(filepath.Join(dir, p))
				if err != nil {
					t.Fatal(err)
				}
				f := Parse(p, data)
				if string(Render(f)) != string(data) {
					t.Errorf("%s does not round-trip", p)
				}
				q.Files = append(q.Files, f)
				if !strings.Contains(string(data), "\r\n") {
					srcs = append(srcs, Source{p, data})
				}
			}
			if len(q.Tasks()) == 0 {
				t.Errorf("no task read")
			}
			for _, f := range Lint(srcs, false).Findings {
				t.Errorf("%s", f)
			}
		})
	}
}
