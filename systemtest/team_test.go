package systemtest

// The multi-agent tests (race, soak, watch) and benchmarks run the real
// backlog binary, built once per test with go build, and, as agent
// processes, this test binary re-executed with BACKLOG_SYSTEMTEST_TEAM set
// (see init below: main_test.go's workers are selected the same way, by
// another variable).

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/sqlite"
)

// init runs this process as a team worker when BACKLOG_SYSTEMTEST_TEAM names
// one; it runs before TestMain, so the worker never sees the test flags.
func init() {
	kind := os.Getenv("BACKLOG_SYSTEMTEST_TEAM")
	if kind == "" {
		return
	}
	if err := runTeamWorker(kind); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// runTeamWorker runs one team worker against the store named by
// BACKLOG_SYSTEMTEST_DB, as the agent BACKLOG_SYSTEMTEST_AGENT.
func runTeamWorker(kind string) error {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, os.Getenv("BACKLOG_SYSTEMTEST_DB"))
	if err != nil {
		return err
	}
	defer st.Close()
	e := engine.New(st, engine.Options{Agent: os.Getenv("BACKLOG_SYSTEMTEST_AGENT"), Clock: time.Now})
	switch kind {
	case "soak":
		return soakAgent(ctx, e)
	case "adder":
		return adder(ctx, e)
	}
	return fmt.Errorf("unknown team worker %q", kind)
}

// startTeamWorker starts this test binary as a team worker.
func startTeamWorker(t *testing.T, kind, path, agent string, extra ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(baseEnv(), "BACKLOG_SYSTEMTEST_TEAM="+kind, "BACKLOG_SYSTEMTEST_DB="+path, "BACKLOG_SYSTEMTEST_AGENT="+agent)
	cmd.Env = append(cmd.Env, extra...)
	return cmd
}

// baseEnv is the environment without the variables that choose a backlog,
// an agent or a clock, so that the tests' own settings decide.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "BACKLOG_") || strings.HasPrefix(k, "TASKDATA") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// backlogEnv is the environment of a backlog process working on the store
// in dir as agent.
func backlogEnv(dir, agent string) []string {
	return append(baseEnv(), "TASKDATA="+dir, "BACKLOG_AGENT_ID="+agent, "NO_COLOR=1")
}

// buildBacklog builds the backlog command into a temporary directory and
// returns its path.
func buildBacklog(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "backlog")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/agent-backlog/backlog/cmd/backlog")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// newStore creates the store file dir/backlog.db, as a first command would,
// runs fn on an engine over it (nil: nothing) and closes it.
func newStore(tb testing.TB, dir string, fn func(*engine.Engine)) string {
	tb.Helper()
	path := filepath.Join(dir, "backlog.db")
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	if fn != nil {
		fn(engine.New(st, engine.Options{Agent: "setup"}))
	}
	return path
}

// readyTasks is an import of n READY tasks.
func readyTasks(n, from int) []byte {
	var b strings.Builder
	b.WriteString("[")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"description":"task %d"}`, from+i)
	}
	b.WriteString("]")
	return []byte(b.String())
}

// adder adds BACKLOG_SYSTEMTEST_N tasks described "<agent>-<i>", one
// command each, and prints "<i> <unix nanoseconds>" once each add returned.
func adder(ctx context.Context, e *engine.Engine) error {
	var n int
	if _, err := fmt.Sscan(os.Getenv("BACKLOG_SYSTEMTEST_N"), &n); err != nil {
		return fmt.Errorf("BACKLOG_SYSTEMTEST_N: %w", err)
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for i := 0; i < n; i++ {
		c, err := engine.ParseMods([]string{fmt.Sprintf("%s-%d", e.Agent(), i)}, true)
		if err != nil {
			return err
		}
		if _, err := e.Add(ctx, c); err != nil {
			return fmt.Errorf("add %d: %w", i, err)
		}
		fmt.Fprintf(out, "%d %d\n", i, time.Now().UnixNano())
	}
	return nil
}

// mcpClient speaks JSON-RPC, one line each way, to a backlog serve process.
type mcpClient struct {
	cmd  *exec.Cmd
	in   *json.Encoder
	out  *bufio.Scanner
	next int
}

// startMCP starts backlog serve on the store in dir as agent, and
// initializes the session.
func startMCP(t *testing.T, bin, dir, agent string) *mcpClient {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Env = backlogEnv(dir, agent)
	return serveMCP(t, cmd, 10*time.Second)
}

// serveMCP starts cmd (a backlog serve), initializes the session, and
// stops the server when the test ends, killing it after grace.
func serveMCP(t *testing.T, cmd *exec.Cmd, grace time.Duration) *mcpClient {
	t.Helper()
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
	c := &mcpClient{cmd: cmd, in: json.NewEncoder(stdin), out: bufio.NewScanner(stdout)}
	c.out.Buffer(nil, 1<<20)
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(grace):
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
	if err := c.in.Encode(map[string]any{"jsonrpc": "2.0", "method": "notifications/initialized", "params": map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	return c
}

// call sends a request and returns its result.
func (c *mcpClient) call(method string, params any) (json.RawMessage, error) {
	c.next++
	if err := c.in.Encode(map[string]any{"jsonrpc": "2.0", "id": c.next, "method": method, "params": params}); err != nil {
		return nil, err
	}
	for c.out.Scan() {
		var msg struct {
			ID     *int            `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(c.out.Bytes(), &msg); err != nil {
			return nil, fmt.Errorf("a line that is not JSON: %q", c.out.Text())
		}
		if msg.ID == nil || *msg.ID != c.next {
			continue // a notification, such as a log message
		}
		if msg.Error != nil {
			return nil, fmt.Errorf("%s: %s", method, msg.Error.Message)
		}
		return msg.Result, nil
	}
	if err := c.out.Err(); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("%s: the server closed its output", method)
}

// tool calls a tool and returns its structured content, or the error text
// of a result with isError.
func (c *mcpClient) tool(name string, args map[string]any) (json.RawMessage, error) {
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
