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

	"github.com/agent-backlog/backlog/internal/loadtest"
)

// TestTasksMDClaimRace runs 8 processes that each try 16 `backlog tasksmd
// claim` calls on one 64-task file (50 on 200 tasks with
// BACKLOG_LOAD_TESTS=1): every task is claimed at most once, every claim
// that reported success is in the file, a refused one says the task is
// taken, and no other byte of the file changes.
func TestTasksMDClaimRace(t *testing.T) {
	bin := buildBacklog(t)
	dir := t.TempDir()
	const workers = 8
	stretch := loadtest.Size(8, 25) // the tasks each worker starts on
	tasks, calls := workers*stretch, 2*stretch
	var b strings.Builder
	b.WriteString("# Tasks\n\n## P1\n")
	for i := range tasks {
		fmt.Fprintf(&b, "- [ ] Task %03d\n  - **ID**: task-%03d\n", i, i)
	}
	path := filepath.Join(dir, "TASKS.md")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
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
				id := fmt.Sprintf("task-%03d", (w*stretch+c)%tasks)
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
	if total != len(claimed) || total != tasks {
		t.Errorf("%d claims reported, %d in the file, want %d of each", total, len(claimed), tasks)
	}
	unclaimed := regexp.MustCompile(` \(@agent-\d\)\n`).ReplaceAllString(string(data), "\n")
	if unclaimed != b.String() {
		t.Errorf("the file changed beyond the claims")
	}
}

// TestTasksMDAddRace runs 8 processes of 15 `backlog tasksmd add` each (50
// with BACKLOG_LOAD_TESTS=1) on one file: 120 adds, 120 tasks, none lost,
// none twice.
func TestTasksMDAddRace(t *testing.T) {
	bin := buildBacklog(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "TASKS.md"), []byte("# Tasks\n\n## P2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const workers = 8
	calls := loadtest.Size(15, 50)
	byPriority := [4]int{} // of every worker's calls, as c%4 picks them
	var wg sync.WaitGroup
	errs := make(chan error, workers*calls)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range calls {
				id := fmt.Sprintf("w%d-c%02d", w, c)
				prio := fmt.Sprintf("P%d", c%4)
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
	for c := range calls {
		byPriority[c%4] += workers
	}
	total := workers * calls
	want := fmt.Sprintf(`{"total":%d,"byPriority":{"P0":%d,"P1":%d,"P2":%d,"P3":%d}`, total, byPriority[0], byPriority[1], byPriority[2], byPriority[3])
	out, err := tasksmd(bin, dir, "stats", "--json")
	if err != nil || !strings.HasPrefix(out, want) {
		t.Errorf("stats after %d adds: %v %s, want %s…", total, err, out, want)
	}
	if out, err := tasksmd(bin, dir, "lint", "TASKS.md"); err != nil {
		t.Errorf("the file does not lint after %d adds: %v\n%s", total, err, out)
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
