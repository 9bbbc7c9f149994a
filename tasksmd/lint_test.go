package tasksmd

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// TestLintFixtures runs every fixture of testdata/lint: NAME-bad.md (or a
// directory NAME) must print NAME.want on stderr and exit 1, NAME-ok.md (or
// NAME-ok/) must be clean; fix-input.md is linted with --fix.
func TestLintFixtures(t *testing.T) {
	t.Chdir("testdata/lint")
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var cases []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || strings.HasSuffix(n, ".md") && !strings.HasPrefix(n, "fix-") {
			cases = append(cases, n)
		}
	}
	if len(cases) < 20 {
		t.Fatalf("only %d lint fixtures", len(cases))
	}
	for _, name := range cases {
		clean := strings.HasSuffix(strings.TrimSuffix(name, ".md"), "-ok")
		sentence := "is clean"
		if !clean {
			sentence = "reports " + strings.TrimSuffix(name, ".md") + ".want"
		}
		t.Run(name+" "+sentence, func(t *testing.T) {
			run := RunLint([]string{name}, false, nil)
			if clean {
				if run.Code != 0 || run.Stderr != "" {
					t.Fatalf("exit %d, stderr:\n%s", run.Code, run.Stderr)
				}
				return
			}
			want, err := os.ReadFile(name + ".want")
			if err != nil {
				want, err = os.ReadFile(strings.TrimSuffix(name, ".md") + ".want")
			}
			if err != nil {
				t.Fatal(err)
			}
			if run.Code != 1 || run.Stderr != string(want) {
				t.Errorf("exit %d, stderr:\n%s\nwant:\n%s", run.Code, run.Stderr, want)
			}
			n := strings.Count(string(want), "\n")
			if wantOut := "\nChecked "; !strings.HasPrefix(run.Stdout, wantOut) || !strings.HasSuffix(run.Stdout, " found "+strconv.Itoa(n)+" error(s)\n") {
				t.Errorf("stdout %q", run.Stdout)
			}
		})
	}
	t.Run("fix removes completed tasks and lints the result", func(t *testing.T) {
		written := map[string]string{}
		run := RunLint([]string{"fix-input.md"}, true, func(p string, d []byte) error { written[p] = string(d); return nil })
		for file, got := range map[string]string{".stdout": run.Stdout, ".want": run.Stderr, ".fixed": written["fix-input.md"]} {
			want, err := os.ReadFile("fix-input.md" + file)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("%s:\n%q\nwant\n%q", file, got, want)
			}
		}
		if run.Code != 1 {
			t.Errorf("exit %d", run.Code)
		}
	})
}

func TestLintRulesInline(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"a CRLF file fails the header rule as the reference does", "# Tasks\r\n## P0\r\n- [ ] a\r\n",
			"ERROR: T.md:1: first line must be '# Tasks', got '# Tasks\r'\n"},
		{"a CRLF file's metadata is orphaned as the reference reads it", "# Tasks\n## P0\n- [ ] a\r\n  - **ID**: a\r\n",
			"ERROR: T.md:4: orphaned metadata (no parent task); nest under a '- [ ]' task line or remove the line\n"},
		{"an empty Last-enriched", "# Tasks\n## P0\n- [ ] a\n  - **Last-enriched**:\n",
			"ERROR: T.md:4: " + msgEnrEmpty + "\n"},
		{"an unclosed comment is reported at the last line", "# Tasks\n<!-- policy: x\n",
			"ERROR: T.md:3: " + msgUnclosed + "\n"},
		{"an empty policy", "# Tasks\n<!-- policy: -->\n", "ERROR: T.md:2: " + msgPolicyNil + "\n"},
		{"a repeated heading is out of order", "# Tasks\n## P1\n## P1\n",
			"ERROR: T.md:3: priority heading P1 out of order (after P1); reorder so P0 < P1 < P2 < P3\n"},
		{"P10 is an invalid heading", "# Tasks\n## P10\n", "ERROR: T.md:2: invalid priority heading '## P10' (must be P0-P3)\n"},
		{"an ID line past a blank line is found where it is", "# Tasks\n## P0\n- [ ] a\n\n  - **ID**: Bad\n",
			"ERROR: T.md:5: ID 'Bad' must be kebab-case (lowercase letters, numbers, hyphens)\n"},
		{"a clean file", "# Tasks\n\n## P0\n\n- [ ] a\n  - **ID**: a\n- [ ] b\n  - **Blocked by**: a\n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			for _, f := range Lint([]Source{{"T.md", []byte(tc.src)}}, false).Findings {
				b.WriteString(f.String() + "\n")
			}
			if b.String() != tc.want {
				t.Errorf("got\n%q\nwant\n%q", b.String(), tc.want)
			}
		})
	}
}

func TestLintUsageErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name   string
		paths  []string
		stdout string
		stderr string
	}{
		{"no PATH prints the usage", nil, LintUsage, ""},
		{"a missing PATH is named", []string{filepath.Join(dir, "nope.md")}, "", "Not found: " + filepath.Join(dir, "nope.md") + "\n"},
		{"a directory without markdown", []string{dir}, "", "No .md files found in the specified paths.\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			run := RunLint(tc.paths, false, nil)
			if run.Code != 2 || run.Stdout != tc.stdout || run.Stderr != tc.stderr {
				t.Errorf("got %d %q %q", run.Code, run.Stdout, run.Stderr)
			}
		})
	}
}

func TestDiscoverSkipsGitAndNodeModules(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"TASKS.md", "packages/api/TASKS.md", "packages/a-b/TASKS.md", ".git/TASKS.md", "node_modules/x/TASKS.md", "docs/README.md"} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte("# Tasks\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Discover(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"TASKS.md", "packages/a-b/TASKS.md", "packages/api/TASKS.md"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("discovered %v, want %v", got, want)
	}
	lint, err := ExpandLintPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range lint {
		lint[i] = strings.TrimPrefix(lint[i], dir+"/")
	}
	sort.Strings(lint)
	if strings.Join(lint, ",") != strings.Join(want, ",") {
		t.Errorf("lint paths %v, want %v", lint, want)
	}
}
