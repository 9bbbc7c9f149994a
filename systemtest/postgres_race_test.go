package systemtest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/postgres"
)

const (
	pgRaceServers = 2 // backlog serve processes on the one namespace
	pgRaceStreams = 4 // claim requests in flight at once on each server
	pgRaceCLI     = 4 // loops running backlog claim --json
)

// TestPostgresClaimRace is the claim race of TestClaimRace on PostgreSQL:
// raceTasks READY tasks in a fresh namespace drained by two backlog serve
// processes, each with several task_claim requests in flight at once over
// its one stdio session, and loops of backlog claim --json processes. Every
// task must be claimed exactly once, by the process that was told so, and
// no one may see anything but a task or "nothing to claim".
func TestPostgresClaimRace(t *testing.T) {
	if testing.Short() {
		t.Skip("starts many claiming processes at once")
	}
	url := requirePostgres(t)
	ns := pgNamespace(t)
	ctx := context.Background()
	st, err := postgres.Open(ctx, url, ns)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := engine.New(st, engine.Options{Agent: "setup"}).Import(ctx, readyTasks(raceTasks, 1), engine.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	bin := buildBacklog(t)
	dir := t.TempDir()

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
	for i := 0; i < pgRaceServers; i++ {
		agent := fmt.Sprintf("mcp%d", i)
		c := startMuxMCP(t, bin, pgEnv(dir, url, ns, agent))
		for j := 0; j < pgRaceStreams; j++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for {
					out, err := c.tool("task_claim", map[string]any{})
					if err != nil {
						fail(fmt.Errorf("%s stream %d: %v", agent, j, err))
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
	}
	for i := 0; i < pgRaceCLI; i++ {
		agent := fmt.Sprintf("cli%d", i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for {
				cmd := exec.Command(bin, "claim", "--json")
				cmd.Env = pgEnv(dir, url, ns, agent)
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
	began := time.Now()
	close(start)
	wg.Wait()
	elapsed := time.Since(began)
	for _, err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}

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
	tasks, err := engine.New(st, engine.Options{Agent: "checker"}).Export(ctx, "")
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
	if n := pgJournalLength(t, ns); n != 1+raceTasks {
		t.Errorf("journal has %d entries, want the import and one per claim: %d", n, 1+raceTasks)
	}
	sort.Strings(counts)
	t.Logf("%d claims in %v (%.0f/s): %s", raceTasks, elapsed.Round(time.Millisecond),
		float64(raceTasks)/elapsed.Seconds(), strings.Join(counts, ", "))
}

// muxClient speaks JSON-RPC to a backlog serve process with any number of
// requests in flight: a reader hands each answer to the caller waiting for
// its id.
type muxClient struct {
	mu      sync.Mutex // guards in, next, waiting, dead
	in      *json.Encoder
	next    int
	waiting map[int]chan muxAnswer
	dead    error
}

type muxAnswer struct {
	result json.RawMessage
	err    error
}

// startMuxMCP starts backlog serve with the environment env and
// initializes the session.
func startMuxMCP(t *testing.T, bin string, env []string) *muxClient {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Env = env
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &muxClient{in: json.NewEncoder(stdin), waiting: map[int]chan muxAnswer{}}
	go c.read(stdout)
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	if _, err := c.call("initialize", map[string]any{
		"protocolVersion": "2025-11-25", "capabilities": map[string]any{},
		"clientInfo": map[string]any{"name": "systemtest", "version": "1"},
	}); err != nil {
		t.Fatalf("initialize: %v", err)
	}
	c.mu.Lock()
	err = c.in.Encode(map[string]any{"jsonrpc": "2.0", "method": "notifications/initialized", "params": map[string]any{}})
	c.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *muxClient) read(stdout interface{ Read([]byte) (int, error) }) {
	sc := bufio.NewScanner(stdout)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var msg struct {
			ID     *int            `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(sc.Bytes(), &msg); err != nil {
			c.close(fmt.Errorf("a line that is not JSON: %q", sc.Text()))
			return
		}
		if msg.ID == nil {
			continue // a notification
		}
		c.mu.Lock()
		ch := c.waiting[*msg.ID]
		delete(c.waiting, *msg.ID)
		c.mu.Unlock()
		if ch == nil {
			continue
		}
		if msg.Error != nil {
			ch <- muxAnswer{err: fmt.Errorf("%s", msg.Error.Message)}
		} else {
			ch <- muxAnswer{result: msg.Result}
		}
	}
	err := sc.Err()
	if err == nil {
		err = fmt.Errorf("the server closed its output")
	}
	c.close(err)
}

// close fails every waiting call and every later one with err.
func (c *muxClient) close(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dead = err
	for id, ch := range c.waiting {
		ch <- muxAnswer{err: err}
		delete(c.waiting, id)
	}
}

// call sends a request and waits for its answer.
func (c *muxClient) call(method string, params any) (json.RawMessage, error) {
	ch := make(chan muxAnswer, 1)
	c.mu.Lock()
	if c.dead != nil {
		c.mu.Unlock()
		return nil, fmt.Errorf("%s: %v", method, c.dead)
	}
	c.next++
	id := c.next
	c.waiting[id] = ch
	err := c.in.Encode(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
	c.mu.Unlock()
	if err != nil {
		return nil, err
	}
	a := <-ch
	if a.err != nil {
		return nil, fmt.Errorf("%s: %v", method, a.err)
	}
	return a.result, nil
}

// tool calls a tool and returns its structured content, or the error text
// of a result with isError.
func (c *muxClient) tool(name string, args map[string]any) (json.RawMessage, error) {
	raw, err := c.call("tools/call", map[string]any{"name": name, "arguments": args})
	if err != nil {
		return nil, err
	}
	var res struct {
		IsError           bool            `json:"isError"`
		StructuredContent json.RawMessage `json:"structuredContent"`
		Content           []struct {
			Text string `json:"text"`
		} `json:"content"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, err
	}
	if res.IsError {
		var text []string
		for _, c := range res.Content {
			text = append(text, c.Text)
		}
		return nil, fmt.Errorf("%s: %s", name, strings.Join(text, " "))
	}
	return res.StructuredContent, nil
}
