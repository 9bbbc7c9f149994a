package bridge_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/sqlite"
	"github.com/agent-backlog/backlog/tasksmd/bridge"
	"github.com/agent-backlog/backlog/tasksmd/workspace"
)

// newBridge is a bridge over a fresh SQLite backlog and a copy of the
// given files in a temporary directory.
func newBridge(t *testing.T, files map[string]string) (*bridge.Bridge, string) {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "backlog.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	clock := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	e := engine.New(s, engine.Options{Agent: "tester", Clock: func() time.Time { return clock }})
	root := t.TempDir()
	for p, data := range files {
		writeFile(t, filepath.Join(root, p), data)
	}
	return &bridge.Bridge{Engine: e, Workspace: &workspace.Workspace{Root: root}}, root
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// example reads one example tree of ../testdata/examples.
func example(t *testing.T, name string) map[string]string {
	t.Helper()
	dir := filepath.Join("..", "testdata", "examples", name)
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestRoundTrip(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join("..", "testdata", "examples"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range entries {
		t.Run("import then export gives back the bytes of "+ex.Name(), func(t *testing.T) {
			ctx := context.Background()
			files := example(t, ex.Name())
			b, root := newBridge(t, files)
			res, err := b.Import(ctx)
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			if res.Tasks == 0 {
				t.Fatalf("import read no task")
			}
			// The files go: export writes them from the backlog alone.
			for p := range files {
				os.Remove(filepath.Join(root, p))
			}
			if _, err := b.Export(ctx, bridge.ExportOptions{}); err != nil {
				t.Fatalf("export: %v", err)
			}
			for p, want := range files {
				got, err := os.ReadFile(filepath.Join(root, p))
				if err != nil {
					t.Fatalf("export did not write %s: %v", p, err)
				}
				if string(got) != want {
					t.Errorf("%s differs after the round trip:\n--- got\n%s\n--- want\n%s", p, got, want)
				}
			}
		})
	}
}

func TestExportUnchangedKeepsTheFile(t *testing.T) {
	ctx := context.Background()
	b, root := newBridge(t, example(t, "web-app"))
	if _, err := b.Import(ctx); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, "TASKS.md")
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	os.Chtimes(path, old, old)
	res, err := b.Export(ctx, bridge.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Changed {
		t.Errorf("export of an unchanged backlog reported %+v", res)
	}
	st, _ := os.Stat(path)
	if !st.ModTime().Equal(old) {
		t.Errorf("export of an unchanged backlog changed the mtime to %v", st.ModTime())
	}
}

const small = `# Tasks

<!-- policy: keep it short -->

## P0

- [ ] Fix the login crash
  - **ID**: login-crash
  - **Tags**: auth

## P1

- [ ] Write the API docs (@claude)
  - **Tags**: docs
  - **Blocked by**: login-crash
  - [ ] the auth section

- [ ] Tidy the logs

## P3

- [ ] Someday
`

func TestExportCarriesBacklogChanges(t *testing.T) {
	tests := []struct {
		name  string
		words [][]string // engine commands: verb then arguments
		want  string
	}{
		{
			name:  "a task done in the backlog leaves the file with its blank line, and its blockers forget it",
			words: [][]string{{"done", "login-crash"}},
			want: strings.Replace(strings.Replace(small, "- [ ] Fix the login crash\n  - **ID**: login-crash\n  - **Tags**: auth\n\n", "", 1),
				"  - **Blocked by**: login-crash\n", "", 1),
		},
		{
			name:  "a new backlog task goes to the end of its section",
			words: [][]string{{"add", "Rotate the keys", "priority:L", "+ops"}},
			want:  strings.Replace(small, "- [ ] Someday\n", "- [ ] Someday\n\n- [ ] Rotate the keys\n  - **Tags**: ops\n", 1),
		},
		{
			name:  "a new task of a section the file lacks gets the heading in order",
			words: [][]string{{"add", "Medium thing", "priority:M"}},
			want:  strings.Replace(small, "## P3\n", "## P2\n\n- [ ] Medium thing\n\n## P3\n", 1),
		},
		{
			name:  "a changed tag rewrites only the Tags line",
			words: [][]string{{"modify", "Tidy", "+ops"}},
			want:  strings.Replace(small, "- [ ] Tidy the logs\n", "- [ ] Tidy the logs\n  - **Tags**: ops\n", 1),
		},
		{
			name:  "a new agent replaces the claim",
			words: [][]string{{"modify", "API docs", "agent:codex"}},
			want:  strings.Replace(small, "(@claude)", "(@codex)", 1),
		},
		{
			name:  "a lower priority moves the task to its section",
			words: [][]string{{"modify", "Tidy", "priority:L"}},
			want:  strings.Replace(strings.Replace(small, "- [ ] Tidy the logs\n\n", "", 1), "- [ ] Someday\n", "- [ ] Someday\n\n- [ ] Tidy the logs\n", 1),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			b, root := newBridge(t, map[string]string{"TASKS.md": small})
			if _, err := b.Import(ctx); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.words {
				run(t, b.Engine, w)
			}
			if _, err := b.Export(ctx, bridge.ExportOptions{}); err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(filepath.Join(root, "TASKS.md"))
			if string(got) != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

// run applies one command to the backlog; a task is named by a word of
// its description.
func run(t *testing.T, e *engine.Engine, w []string) {
	t.Helper()
	ctx := context.Background()
	ref := func(word string) string {
		tasks, err := e.Export(ctx, "status:pending")
		if err != nil {
			t.Fatal(err)
		}
		for _, task := range tasks {
			if strings.Contains(task.Description, word) || task.Extra[bridge.AttrID] == word {
				return task.UUID
			}
		}
		t.Fatalf("no task %q", word)
		return ""
	}
	var err error
	switch w[0] {
	case "done":
		_, err = e.Done(ctx, ref(w[1]))
	case "add":
		var c *engine.Changes
		if c, err = engine.ParseMods(w[1:], true); err == nil {
			_, err = e.Add(ctx, c)
		}
	case "modify":
		var c *engine.Changes
		if c, err = engine.ParseMods(w[2:], false); err == nil {
			_, err = e.Modify(ctx, ref(w[1]), c, true)
		}
	}
	if err != nil {
		t.Fatalf("%v: %v", w, err)
	}
}
