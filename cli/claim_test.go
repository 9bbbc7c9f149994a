package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agent-backlog/backlog/store/memstore"
)

// TestClaimByRole checks which tasks a role takes, and that it never takes
// another role's: every task is tried against every role.
func TestClaimByRole(t *testing.T) {
	tasks := []struct {
		words   string
		takenBy []string // the roles that may take it by default
	}{
		{"Own tag +backend", []string{"backend"}},
		{"Own project project:backend", []string{"backend"}},
		{"Own sub-project project:backend.api", []string{"backend"}},
		{"Another role's tag +docs", []string{"docs"}},
		{"A topic tag +bug", nil},
		{"Another project project:web", nil},
		{"No labels at all", []string{"backend", "docs", "Claude Code"}},
		{"Project prefix is not the project project:backendish", nil},
	}
	for _, task := range tasks {
		for _, role := range []string{"backend", "docs", "Claude Code"} {
			st, dir := memstore.New(), t.TempDir()
			if _, errOut, status := run(t, dir, st, append([]string{"add"}, strings.Fields(task.words)...)...); status != 0 {
				t.Fatalf("add %s: %s", task.words, errOut)
			}
			out, errOut, status := run(t, dir, st, "claim", "--agent", role, "--json")
			if status != 0 {
				t.Fatalf("claim --agent %q: %d %s", role, status, errOut)
			}
			var res struct{ Task *struct{ Agent string } }
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatal(err)
			}
			want := false
			for _, r := range task.takenBy {
				want = want || r == role
			}
			if got := res.Task != nil; got != want {
				t.Errorf("%q claimed %q: %v, want %v", role, task.words, got, want)
			}
			if res.Task != nil && res.Task.Agent != role {
				t.Errorf("claimed for %q, want %q", res.Task.Agent, role)
			}
		}
	}
	t.Run("a spec doc does not make a task another role's", func(t *testing.T) {
		st, dir := memstore.New(), t.TempDir()
		run(t, dir, st, "add", "Specified")
		if _, errOut, status := run(t, dir, st, "doc", "write", "1", "--file", writeFile(t, "# spec")); status != 0 {
			t.Fatal(errOut)
		}
		if out, _, _ := run(t, dir, st, "claim", "--agent", "backend"); out != "Claimed task 1 \"Specified\" for backend.\n" {
			t.Errorf("claim: %q", out)
		}
	})
	t.Run("the role's own work comes before unlabelled work, however urgent", func(t *testing.T) {
		st, dir := memstore.New(), t.TempDir()
		run(t, dir, st, "add", "Urgent", "but", "unlabelled", "priority:H")
		run(t, dir, st, "add", "Own", "+backend")
		if out, _, _ := run(t, dir, st, "claim", "--agent", "backend"); out != "Claimed task 2 \"Own\" for backend.\n" {
			t.Errorf("claim: %q", out)
		}
	})
}

func TestClaimWords(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // stdout, or "error: " and stderr
	}{
		{"one id claims it for the caller", []string{"2"}, `Claimed task 2 "Two" for tester.`},
		{"an id and a name claim it for that agent", []string{"2", "backend"}, `Claimed task 2 "Two" for backend.`},
		{"an id and a filter word are a filter", []string{"2", "+x"}, `Claimed task 2 "Two" for tester.`},
		{"an id and an operator are a filter", []string{"1", "or", "2"}, `Claimed task 2 "Two" for tester.`},
		{"two ids are a filter", []string{"1", "2"}, `Claimed task 2 "Two" for tester.`},
		{"a word alone is a search", []string{"Two"}, `Claimed task 2 "Two" for tester.`},
		{"a UUID prefix is an id", []string{"UUID2", "backend"}, `Claimed task 2 "Two" for backend.`},
		{"an id of a missing task is an error", []string{"9", "backend"}, "error: backlog: no task with id 9"},
		{"an id of a waiting task is refused", []string{"1"}, "error: backlog: task 1 is waiting until 9999-12-30T00:00:00Z"},
		{"a lease is said with the claim", []string{"--lease", "30min"}, `Claimed task 2 "Two" for tester with a 30min lease.`},
		{"a lease goes with a claim by id for another agent", []string{"2", "backend", "--lease", "2h"}, `Claimed task 2 "Two" for backend with a 2h lease.`},
		{"a lease that is not a duration is refused", []string{"--lease", "soon"}, `error: backlog: lease must be a duration such as 30min, 2h or 1d, got "soon"`},
		{"a lease of minutes written as months is refused", []string{"2", "--lease", "30m"}, `error: backlog: lease "30m" would be 30 months: write 30min for minutes`},
		{"a lease of nothing is refused", []string{"--lease", "0min"}, `error: backlog: a lease must be at least 1s, such as 30min; got "0min"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, dir := memstore.New(), t.TempDir()
			run(t, dir, st, "add", "One", "wait:someday")
			run(t, dir, st, "add", "Two", "+x")
			out, _, _ := run(t, dir, st, "export", "2")
			var exported []struct{ UUID string }
			if err := json.Unmarshal([]byte(out), &exported); err != nil || len(exported) != 1 {
				t.Fatalf("export: %q %v", out, err)
			}
			args := append([]string{"claim"}, tt.args...)
			for i, a := range args {
				// 13 characters, hyphen included: 8 random hex digits are
				// all decimal one time in 43, and then read as an id.
				args[i] = strings.ReplaceAll(a, "UUID2", exported[0].UUID[:13])
			}
			out, errOut, status := run(t, dir, st, args...)
			got := strings.TrimSuffix(out, "\n")
			if status != 0 {
				got = "error: " + strings.TrimSuffix(errOut, "\n")
			}
			if got != tt.want {
				t.Errorf("backlog %s = %q, want %q", strings.Join(args, " "), got, tt.want)
			}
		})
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "file.md")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
