package s3store_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/agent-backlog/backlog/s3store/s3test"
)

// These tests run the real backlog binary as separate processes, each with
// a cache of its own, as if each were on a machine of its own, all keeping
// one backlog in one object.

var binary struct {
	once sync.Once
	path string
	err  error
}

// backlogBinary builds cmd/backlog once per run.
func backlogBinary(t *testing.T) string {
	t.Helper()
	binary.once.Do(func() {
		dir, err := os.MkdirTemp("", "backlog-s3-bin-")
		if err != nil {
			binary.err = err
			return
		}
		tempDirs = append(tempDirs, dir)
		binary.path = filepath.Join(dir, "backlog")
		out, err := exec.Command("go", "build", "-o", binary.path, "github.com/agent-backlog/backlog/cmd/backlog").CombinedOutput()
		if err != nil {
			binary.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

// process runs backlog commands as one machine.
type process struct {
	t   *testing.T
	bin string
	env []string
}

func newProcess(t *testing.T, srv *s3test.Server, prefix, agent string) *process {
	home := t.TempDir()
	env := append(os.Environ(), srv.Env(prefix, filepath.Join(home, "cache"))...)
	env = append(env, "HOME="+home, "XDG_CACHE_HOME="+home, "XDG_DATA_HOME="+home, "BACKLOG_AGENT_ID="+agent, "BACKLOG_NAMESPACE=")
	return &process{t: t, bin: backlogBinary(t), env: env}
}

// run runs one command and returns its standard output; a failure is
// returned with the command's standard error.
func (p *process) run(args ...string) ([]byte, error) {
	cmd := exec.Command(p.bin, args...)
	cmd.Env = p.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("backlog %q: %v: %s", args, err, stderr.String())
	}
	return stdout.Bytes(), nil
}

// exportedTask is what the test reads of backlog export.
type exportedTask struct {
	ID          int64  `json:"id"`
	UUID        string `json:"uuid"`
	Description string `json:"description"`
	Agent       string `json:"agent"`
}

func (p *process) export() []exportedTask {
	p.t.Helper()
	out, err := p.run("export")
	if err != nil {
		p.t.Fatal(err)
	}
	var ts []exportedTask
	if err := json.Unmarshal(out, &ts); err != nil {
		p.t.Fatalf("export: %v: %s", err, out)
	}
	return ts
}

// TestFourMachinesAddingAndClaimingAtOnceLoseNothing runs on the real
// S3-compatible server the environment names (versitygw in CI), else on
// gofakes3: some 500 processes, too slow to run twice.
func TestFourMachinesAddingAndClaimingAtOnceLoseNothing(t *testing.T) {
	t.Parallel()
	if os.Getenv(s3test.EnvEndpoint) != "" || os.Getenv(s3test.EnvRequire) == "1" {
		fourMachines(t, s3test.Proxied(t, s3test.Real(t)))
		return
	}
	fourMachines(t, s3test.Fake(t))
}

// fourMachines runs 4 processes with separate caches that add 50 tasks
// each at once, then claim the 200 tasks at once, on one object.
func fourMachines(t *testing.T, srv *s3test.Server) {
	const machines, adds = 4, 50
	prefix := "race-" + filepath.Base(t.TempDir())
	procs := make([]*process, machines)
	for i := range procs {
		procs[i] = newProcess(t, srv, prefix, fmt.Sprintf("machine%d", i))
	}

	run := func(each func(i int, p *process) error) {
		var wg sync.WaitGroup
		errs := make(chan error, machines)
		for i, p := range procs {
			wg.Go(func() { errs <- each(i, p) })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	}

	before := srv.Faults.Conflicts()
	run(func(i int, p *process) error {
		for j := range adds {
			if _, err := p.run("add", fmt.Sprintf("task %d-%d", i, j)); err != nil {
				return err
			}
		}
		return nil
	})
	addConflicts := srv.Faults.Conflicts() - before

	tasks := procs[0].export()
	var ids []int64
	var descs []string
	for _, tk := range tasks {
		ids = append(ids, tk.ID)
		descs = append(descs, tk.Description)
	}
	slices.Sort(ids)
	if len(tasks) != machines*adds || len(slices.Compact(slices.Clone(ids))) != len(ids) || ids[0] != 1 || ids[len(ids)-1] != machines*adds {
		t.Fatalf("after %d adds the backlog holds %d tasks with ids %v", machines*adds, len(tasks), ids)
	}
	for i := range machines {
		for j := range adds {
			if !slices.Contains(descs, fmt.Sprintf("task %d-%d", i, j)) {
				t.Errorf("task %d-%d was lost", i, j)
			}
		}
	}

	before = srv.Faults.Conflicts()
	var mu sync.Mutex
	claimedBy := map[int64]string{}
	run(func(i int, p *process) error {
		for {
			out, err := p.run("claim", "--json")
			if err != nil {
				return err
			}
			var r struct {
				Task *exportedTask `json:"task"`
			}
			if err := json.Unmarshal(out, &r); err != nil {
				return fmt.Errorf("claim: %v: %s", err, out)
			}
			if r.Task == nil {
				return nil
			}
			mu.Lock()
			prev, twice := claimedBy[r.Task.ID]
			claimedBy[r.Task.ID] = r.Task.Agent
			mu.Unlock()
			if twice {
				return fmt.Errorf("task %d claimed by %s and by %s", r.Task.ID, prev, r.Task.Agent)
			}
		}
	})
	claimConflicts := srv.Faults.Conflicts() - before

	if len(claimedBy) != machines*adds {
		t.Fatalf("%d tasks claimed, want %d", len(claimedBy), machines*adds)
	}
	perMachine := map[string]int{}
	for _, tk := range procs[3].export() {
		if tk.Agent == "" || tk.Agent != claimedBy[tk.ID] {
			t.Errorf("task %d is held by %q, but the claim answered %q", tk.ID, tk.Agent, claimedBy[tk.ID])
		}
		perMachine[tk.Agent]++
	}
	t.Logf("%d processes × %d adds: %d tasks, ids 1-%d unique; %d uploads refused with 412 and run again",
		machines, adds, len(tasks), machines*adds, addConflicts)
	t.Logf("claim race over %d tasks: each claimed once (%v); %d uploads refused with 412 and run again",
		machines*adds, perMachine, claimConflicts)
}
