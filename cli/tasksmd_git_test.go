package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/agent-backlog/backlog/config"
	"github.com/agent-backlog/backlog/tasksmd"
)

// gitRepo makes a repository in a temporary directory and returns a
// function that writes files (name → content; "" removes the file) and
// commits them at a date.
func gitRepo(t *testing.T) (string, func(at time.Time, files map[string]string)) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	git := func(at time.Time, args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		date := at.Format(time.RFC3339)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date,
			"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com",
			"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	git(time.Now(), "init", "-q")
	return dir, func(at time.Time, files map[string]string) {
		t.Helper()
		for name, content := range files {
			path := filepath.Join(dir, filepath.FromSlash(name))
			if content == "" {
				os.Remove(path)
				continue
			}
			os.MkdirAll(filepath.Dir(path), 0o755)
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		git(at, "add", "-A")
		git(at, "commit", "-q", "--allow-empty", "-m", "step")
	}
}

var throughputNow = time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC)

// throughputHistory is a repository where three tasks were completed: one
// 20 days ago by claude (its block deleted), one 3 days ago by codex
// (checked off, the checked line removed a day later: counted once) and
// one a day ago in another file with no claim; claims, a move to another
// section, a move to another file and a metadata edit count for nothing.
func throughputHistory(t *testing.T) string {
	dir, commit := gitRepo(t)
	day := func(n int) time.Time { return throughputNow.AddDate(0, 0, -n) }
	commit(day(60), map[string]string{"TASKS.md": "# Tasks\n\n## P1\n\n- [ ] Alpha (@claude)\n  - **ID**: alpha\n\n- [ ] Beta\n\n## P2\n\n- [ ] Gamma\n", "README.md": "x\n"})
	commit(day(20), map[string]string{"TASKS.md": "# Tasks\n\n## P1\n\n- [ ] Beta (@codex)\n\n## P2\n\n- [ ] Gamma\n  - **Tags**: web\n"})
	commit(day(3), map[string]string{"TASKS.md": "# Tasks\n\n## P1\n\n- [x] Beta (@codex)\n\n- [ ] Gamma\n  - **Tags**: web\n"})
	commit(day(1), map[string]string{"TASKS.md": "# Tasks\n\n## P1\n", "pkg/a/TASKS.md": "# Tasks\n\n## P1\n\n- [ ] Gamma\n\n- [ ] Delta\n"})
	commit(day(1).Add(time.Hour), map[string]string{"pkg/a/TASKS.md": "# Tasks\n\n## P1\n\n- [ ] Gamma\n"})
	commit(day(0), map[string]string{"README.md": "y\n"})
	return dir
}

func TestGitThroughput(t *testing.T) {
	dir := throughputHistory(t)
	tests := []struct {
		name string
		root string
		want *tasksmd.Throughput
	}{
		{"completions are counted once, by time and agent", dir, &tasksmd.Throughput{Total: 3, Month: 3, Week: 2,
			TopAgents: []tasksmd.AgentCount{{Agent: "claude", Count: 1}, {Agent: "codex", Count: 1}}}},
		{"a subdirectory counts only its own files", filepath.Join(dir, "pkg"), &tasksmd.Throughput{Total: 1, Month: 1, Week: 1}},
		{"a directory outside any repository has no throughput", t.TempDir(), nil},
		{"a directory that does not exist has no throughput", filepath.Join(t.TempDir(), "gone"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := gitThroughput(context.Background(), tt.root, throughputNow)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestThroughputFromLogRanksAgents(t *testing.T) {
	now := time.Unix(1_000_000_000, 0)
	var log bytes.Buffer
	for i, agent := range []string{"b", "a", "c", "a", "d", "e", "f", "a", "c"} {
		log.WriteString("\x00" + "999999999\n\ndiff --git a/TASKS.md b/TASKS.md\n--- a/TASKS.md\n+++ b/TASKS.md\n@@ -1 +0,0 @@\n")
		log.WriteString("-- [ ] Task " + string(rune('A'+i)) + " (@" + agent + ")\n")
	}
	got := throughputFromLog(log.Bytes(), now)
	want := []tasksmd.AgentCount{{Agent: "a", Count: 3}, {Agent: "c", Count: 2}, {Agent: "b", Count: 1}, {Agent: "d", Count: 1}, {Agent: "e", Count: 1}}
	if got.Total != 9 || !reflect.DeepEqual(got.TopAgents, want) {
		t.Errorf("got %d, %+v; want 9, %+v", got.Total, got.TopAgents, want)
	}
}

func TestTasksmdStatsPrintsThroughputInARepository(t *testing.T) {
	dir := throughputHistory(t)
	tests := []struct {
		name, wd string
		json     bool
		want     string
		absent   string
	}{
		{"text in a repository has the throughput section", dir, false, "📊 Throughput\n\n  Completed (all time):  3\n  Completed (this month): 3\n  Completed (this week):  2\n\n  Top agents:\n    @claude: 1 task(s)\n    @codex: 1 task(s)\n", ""},
		{"JSON in a repository has throughput and topAgents", dir, true, `"throughput":{"total":3,"week":2,"month":3},"topAgents":[{"agent":"claude","count":1},{"agent":"codex","count":1}]}`, ""},
		{"outside a repository there is no throughput", t.TempDir(), false, "Files: 0\n", "Throughput"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			args := []string{"tasksmd", "stats"}
			if tt.json {
				args = append(args, "--json")
			}
			env := map[string]string{"BACKLOG_NOW": throughputNow.Format(time.RFC3339)}
			status := Run(context.Background(), args, Env{
				Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
				Config: config.Source{Getenv: func(k string) string { return env[k] }, Getwd: func() (string, error) { return tt.wd, nil }},
			})
			if status != 0 {
				t.Fatalf("status %d: %s", status, errOut.String())
			}
			if !strings.Contains(out.String(), tt.want) {
				t.Errorf("output %q lacks %q", out.String(), tt.want)
			}
			if tt.absent != "" && strings.Contains(out.String(), tt.absent) {
				t.Errorf("output %q has %q", out.String(), tt.absent)
			}
		})
	}
}
