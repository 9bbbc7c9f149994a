package systemtest

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/internal/loadtest"
	"github.com/agent-backlog/backlog/sqlite"
)

const (
	raceMCPServers = 8 // backlog serve processes, each driven by a client here
	raceCLILoops   = 8 // loops running backlog claim --json, one process at a time
)

// raceTasks are the READY tasks the claim races drain: 250, or 1,000 with
// BACKLOG_LOAD_TESTS=1.
var raceTasks = loadtest.Size(250, 1000)

// claimed is one claim a process was told it won.
type claimed struct {
	ID    int64  `json:"id"`
	UUID  string `json:"uuid"`
	Agent string `json:"agent"`
}

// TestClaimRace drains raceTasks READY tasks with 16 processes claiming at once
// on one SQLite file: 8 MCP servers over stdio, each called task_claim in a
// loop by a JSON-RPC client, and 8 loops of backlog claim --json processes.
// Every task must be claimed exactly once, by the process that was told so,
// and no process may see anything but a task or "nothing to claim".
func TestClaimRace(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 16 claiming processes at once")
	}
	bin := buildBacklog(t)
	dir := t.TempDir()
	path := newStore(t, dir, func(e *engine.Engine) {
		if _, err := e.Import(context.Background(), readyTasks(raceTasks, 1), engine.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
	})

	var mu sync.Mutex
	won := map[string][]claimed{} // by claiming process
	var errs []error
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	began := time.Now()
	for i := 0; i < raceMCPServers; i++ {
		agent := fmt.Sprintf("mcp%d", i)
		c := startMCP(t, bin, dir, agent)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for {
				out, err := c.tool("task_claim", map[string]any{})
				if err != nil {
					fail(fmt.Errorf("%s: %v", agent, err))
					return
				}
				var res struct{ Task *claimed }
				if err := json.Unmarshal(out, &res); err != nil {
					fail(fmt.Errorf("%s: %v in %s", agent, err, out))
					return
				}
				if res.Task == nil {
					return
				}
				mu.Lock()
				won[agent] = append(won[agent], *res.Task)
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < raceCLILoops; i++ {
		agent := fmt.Sprintf("cli%d", i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for {
				cmd := exec.Command(bin, "claim", "--json")
				cmd.Env = backlogEnv(dir, agent)
				var stderr strings.Builder
				cmd.Stderr = &stderr
				out, err := cmd.Output()
				if err != nil {
					fail(fmt.Errorf("%s: backlog claim: %v: %s", agent, err, stderr.String()))
					return
				}
				var res struct{ Task *claimed }
				if err := json.Unmarshal(out, &res); err != nil {
					fail(fmt.Errorf("%s: %v in %q", agent, err, out))
					return
				}
				if res.Task == nil {
					return
				}
				mu.Lock()
				won[agent] = append(won[agent], *res.Task)
				mu.Unlock()
			}
		}()
	}
	close(start)
	wg.Wait()
	elapsed := time.Since(began)
	for _, err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}

	// Every task claimed exactly once, by the process that was told so.
	byID := map[int64]string{}
	var counts []string
	for agent, cs := range won {
		counts = append(counts, fmt.Sprintf("%s %d", agent, len(cs)))
		for _, c := range cs {
			if c.Agent != agent {
				t.Errorf("%s was given task %d claimed for %q", agent, c.ID, c.Agent)
			}
			if other, dup := byID[c.ID]; dup {
				t.Errorf("task %d claimed twice: by %s and %s", c.ID, other, agent)
			}
			byID[c.ID] = agent
		}
	}
	if len(byID) != raceTasks {
		t.Errorf("%d tasks claimed, want %d", len(byID), raceTasks)
	}
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tasks, err := engine.New(st, engine.Options{Agent: "checker"}).Export(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != raceTasks {
		t.Fatalf("%d tasks in the store, want %d", len(tasks), raceTasks)
	}
	for _, task := range tasks {
		if task.Agent == "" || task.Agent != byID[task.ID] || task.Start.IsZero() || task.Status != backlog.StatusPending {
			t.Errorf("task %d is held by %q (started %v, %s), but %q was told it won it", task.ID, task.Agent, task.Start, task.Status, byID[task.ID])
		}
	}
	if n := journalLength(t, path); n != 1+raceTasks {
		t.Errorf("journal has %d entries, want the import and one per claim: %d", n, 1+raceTasks)
	}
	integrityCheck(t, path)
	sort.Strings(counts)
	t.Logf("%d claims in %v (%.0f/s): %s", raceTasks, elapsed.Round(time.Millisecond), float64(raceTasks)/elapsed.Seconds(), strings.Join(counts, ", "))
}
