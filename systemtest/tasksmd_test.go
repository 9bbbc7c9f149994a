package systemtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// TestTasksMDClaimRace runs 8 processes that each try 50 `backlog tasksmd
// claim` calls on one 200-task file: every task is claimed at most once,
// every claim that reported success is in the file, a refused one says the
// task is taken, and no other byte of the file changes.
func TestTasksMDClaimRace(t *testing.T) {
	bin := buildBacklog(t)
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("# Tasks\n\n## P1\n")
	for i := range 200 {
		fmt.Fprintf(&b, "- [ ] Task %03d\n  - **ID**: task-%03d\n", i, i)
	}
	path := filepath.Join(dir, "TASKS.md")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	const workers, calls = 8, 50
	won := make([][]string, workers)
	var wg sync.WaitGroup
	errs := make(chan error, workers*calls)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			agent := fmt.Sprintf("agent-%d", w)
			for c := range calls {
				// Each worker walks its own stretch and then into the
				// next worker's, so that every task is wanted by two.
				id := fmt.Sprintf("task-%03d", (w*25+c)%200)
				out, err := tasksmd(bin, dir, "claim", id, "--agent", agent)
				switch {
				case err == nil && strings.HasPrefix(out, "Claimed "):
					won[w] = append(won[w], id)
				case err != nil && strings.Contains(out, "is already claimed by @"):
				default:
					errs <- fmt.Errorf("%s claiming %s: %v: %s", agent, id, err, out)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	claimed := regexp.MustCompile(`(?m)^- \[ \] Task (\d{3}) \(@(agent-\d)\)$`).FindAllStringSubmatch(string(data), -1)
	holder := map[string]string{}
	for _, m := range claimed {
		holder["task-"+m[1]] = m[2]
	}
	total := 0
	for w, ids := range won {
		for _, id := range ids {
			total++
			if holder[id] != fmt.Sprintf("agent-%d", w) {
				t.Errorf("agent-%d was told it claimed %s, but the file says %q", w, id, holder[id])
			}
		}
	}
	if total != len(claimed) || total != 200 {
		t.Errorf("%d claims reported, %d in the file, want 200 of each", total, len(claimed))
	}
	unclaimed := regexp.MustCompile(` \(@agent-\d\)\n`).ReplaceAllString(string(data), "\n")
	if unclaimed != b.String() {
		t.Errorf("the file changed beyond the claims")
	}
}

// TestTasksMDAddRace runs 8 processes of 50 `backlog tasksmd add` each on
// one file: 400 adds, 400 tasks, none lost, none twice.
func TestTasksMDAddRace(t *testing.T) {
	bin := buildBacklog(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "TASKS.md"), []byte("# Tasks\n\n## P2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const workers, calls = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers*calls)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range calls {
				id := fmt.Sprintf("w%d-c%02d", w, c)
				prio := fmt.Sprintf("P%d", c%4) // 13, 13, 12 and 12 of each worker's 50
				if out, err := tasksmd(bin, dir, "add", "Task "+id, "--id", id, "--priority", prio); err != nil {
					errs <- fmt.Errorf("add %s: %v: %s", id, err, out)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	out, err := tasksmd(bin, dir, "stats", "--json")
	if err != nil || !strings.HasPrefix(out, `{"total":400,"byPriority":{"P0":104,"P1":104,"P2":96,"P3":96}`) {
		t.Errorf("stats after 400 adds: %v %s", err, out)
	}
	if out, err := tasksmd(bin, dir, "lint", "TASKS.md"); err != nil {
		t.Errorf("the file does not lint after 400 adds: %v\n%s", err, out)
	}
}

// tasksmd runs `backlog tasksmd ARGS...` in dir and returns its output.
func tasksmd(bin, dir string, args ...string) (string, error) {
	cmd := exec.Command(bin, append([]string{"tasksmd"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TASKDATA="+filepath.Join(dir, "data"))
	out, err := cmd.CombinedOutput()
	return string(out), err
}
