// The durations a person writes on the command line and an agent sends to
// task_claim are read by one parser (engine.ParseStaleAge, engine.ParseLease,
// when.ParseElapsed); these tables hold the two surfaces to the same answers.

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agent-backlog/backlog/config"
	"github.com/agent-backlog/backlog/mcp"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/memstore"
)

// testNow is the time of every command in these tests.
var testNow = time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC)

// claimAges are how long before testNow bob claimed tasks 1 to 6.
var claimAges = []time.Duration{
	20 * time.Second, 10 * time.Minute, 3 * time.Hour, 3 * 24 * time.Hour, 45 * 24 * time.Hour, 730 * 24 * time.Hour,
}

// TestReclaimAgesReadAlikeOnTheCommandLineAndInMCP runs every form of a
// stale age through backlog reclaim --older-than and task_claim's reclaim,
// each over its own backlog of six claims of different ages, and checks
// that both free the same claims or refuse with the same sentence.
func TestReclaimAgesReadAlikeOnTheCommandLineAndInMCP(t *testing.T) {
	const (
		months   = `reclaim %q would be %s: write %smin for minutes`
		notATime = `reclaim must be a time such as 2h or 30min, got %q`
		positive = `a claim is stale after a positive time, such as 2h; got %s`
	)
	tests := []struct {
		age   string
		freed int    // of the claims aged 20s, 10min, 3h, 3d, 45d and 2y
		err   string // or the sentence both give
	}{
		{age: "30s", freed: 5},
		{age: "90sec", freed: 5},
		{age: "5min", freed: 5},
		{age: "30min", freed: 4},
		{age: "30minutes", freed: 4},
		{age: "0.5h", freed: 4},
		{age: "2h", freed: 4},
		{age: "2H", freed: 4},
		{age: " 2h ", freed: 4},
		{age: "PT2H", freed: 4},
		{age: "PT30M", freed: 4},
		{age: "1d", freed: 3},
		{age: "P1D", freed: 3},
		{age: "daily", freed: 3},
		{age: "weekdays", freed: 3},
		{age: "1w", freed: 2},
		{age: "weekly", freed: 2},
		{age: "fortnight", freed: 2},
		{age: "1mo", freed: 2},
		{age: "2months", freed: 1},
		{age: "monthly", freed: 2},
		{age: "P1M", freed: 2},
		{age: "1q", freed: 1},
		{age: "1y", freed: 1},
		{age: "yearly", freed: 1},
		{age: "P30M", freed: 0},
		{age: "3y", freed: 0},
		{age: "30m", err: fmt.Sprintf(months, "30m", "30 months", "30")},
		{age: "1m", err: fmt.Sprintf(months, "1m", "1 month", "1")},
		{age: "30M", err: fmt.Sprintf(months, "30M", "30 months", "30")},
		{age: "+30m", err: fmt.Sprintf(months, "+30m", "30 months", "30")},
		{age: "1.5m", err: fmt.Sprintf(months, "1.5m", "1.5 months", "1.5")},
		{age: "soon", err: fmt.Sprintf(notATime, "soon")},
		{age: "m", err: fmt.Sprintf(notATime, "m")},
		{age: "1h30min", err: fmt.Sprintf(notATime, "1h30min")},
		{age: "0h", err: fmt.Sprintf(positive, "0s")},
		{age: "-2h", err: fmt.Sprintf(positive, "-2h0m0s")},
	}
	for _, tt := range tests {
		t.Run(strconv.Quote(tt.age), func(t *testing.T) {
			cliFreed, cliErr := reclaimByCLI(t, tt.age)
			mcpFreed, mcpErr := reclaimByMCP(t, tt.age)
			if cliFreed != mcpFreed || cliErr != mcpErr {
				t.Fatalf("the surfaces disagree:\n  backlog reclaim --older-than: freed %d, error %q\n  task_claim reclaim:           freed %d, error %q", cliFreed, cliErr, mcpFreed, mcpErr)
			}
			if cliFreed != tt.freed || cliErr != tt.err {
				t.Errorf("both freed %d with error %q; want %d, %q", cliFreed, cliErr, tt.freed, tt.err)
			}
		})
	}
}

// reclaimByCLI runs backlog reclaim --older-than age over a backlog of
// stale claims, and returns how many it freed or the sentence it refused
// with.
func reclaimByCLI(t *testing.T, age string) (freed int, refusal string) {
	st, dir := staleClaims(t)
	_, errOut, status := runAt(t, dir, st, testNow, "reclaim", "--older-than="+age)
	if status != 0 {
		if status != ExitInvalid {
			t.Errorf("reclaim --older-than=%q: exit status %d, want %d", age, status, ExitInvalid)
		}
		return 0, strings.TrimSuffix(strings.TrimPrefix(errOut, "backlog: "), "\n")
	}
	return freedClaims(t, dir, st), ""
}

// reclaimByMCP calls task_claim with reclaim: age over a backlog of stale
// claims, and returns how many claims it freed or the sentence it refused
// with.
func reclaimByMCP(t *testing.T, age string) (freed int, refusal string) {
	st, dir := staleClaims(t)
	if text, failed := callMCP(t, st, "task_claim", map[string]any{"reclaim": age}); failed {
		return 0, text
	}
	return freedClaims(t, dir, st), ""
}

// callMCP calls a tool through an MCP client connected to a server over st
// in process, and returns the text of the result and whether it is an
// error.
func callMCP(t *testing.T, st store.Store, tool string, args map[string]any) (text string, failed bool) {
	t.Helper()
	srv := mcp.NewServer(func(context.Context) (store.Store, error) { return nopClose{st}, nil }, mcp.Options{
		Agent:  "tester",
		Clock:  func() time.Time { return testNow },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	toServer, fromClient := io.Pipe()
	toClient, fromServer := io.Pipe()
	served := make(chan error, 1)
	go func() { served <- srv.ServeStdio(ctx, toServer, fromServer) }()
	client := sdk.NewClient(&sdk.Implementation{Name: "agreement", Version: "1"}, nil)
	cs, err := client.Connect(ctx, &sdk.IOTransport{Reader: toClient, Writer: fromClient}, nil)
	if err != nil {
		t.Fatalf("connecting to the MCP server: %v", err)
	}
	res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	cs.Close()
	fromClient.Close()
	if err := <-served; err != nil {
		t.Errorf("serving: %v", err)
	}
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*sdk.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String(), res.IsError
}

// TestLeasesReadAlikeOnTheCommandLineAndInMCP runs every form of a lease
// through backlog claim --lease and task_claim's lease and checks that both
// grant the same lease or refuse with the same sentence.
func TestLeasesReadAlikeOnTheCommandLineAndInMCP(t *testing.T) {
	const (
		months   = `lease %q would be %s: write %smin for minutes`
		notATime = `lease must be a duration such as 30min, 2h or 1d, got %q`
	)
	tests := []struct {
		lease   string
		seconds int    // the lease granted
		err     string // or the sentence both give
	}{
		{lease: "90s", seconds: 90},
		{lease: "30min", seconds: 1800},
		{lease: "PT30M", seconds: 1800},
		{lease: "1.5h", seconds: 5400},
		{lease: " 2H ", seconds: 7200},
		{lease: "1d", seconds: 86400},
		{lease: "weekly", seconds: 7 * 86400},
		{lease: "1mo", seconds: 30 * 86400},
		{lease: "1y", seconds: 365 * 86400},
		{lease: "30m", err: fmt.Sprintf(months, "30m", "30 months", "30")},
		{lease: "1m", err: fmt.Sprintf(months, "1m", "1 month", "1")},
		{lease: "soon", err: fmt.Sprintf(notATime, "soon")},
		{lease: "0s", err: `a lease must be at least 1s, such as 30min; got "0s"`},
		{lease: "-1h", err: `a lease must be at least 1s, such as 30min; got "-1h"`},
		{lease: "2y", err: `a lease is at most 365d, got "2y"`},
	}
	for _, tt := range tests {
		t.Run(strconv.Quote(tt.lease), func(t *testing.T) {
			var viaCLI, viaMCP struct {
				seconds int
				err     string
			}
			st, dir := memstore.New(), t.TempDir()
			mustRun(t, dir, st, testNow, "add", "Leased")
			if out, errOut, status := runAt(t, dir, st, testNow, "claim", "1", "--lease="+tt.lease, "--json"); status != 0 {
				viaCLI.err = strings.TrimSuffix(strings.TrimPrefix(errOut, "backlog: "), "\n")
			} else {
				viaCLI.seconds = leaseOf(t, out)
			}
			st, dir = memstore.New(), t.TempDir()
			mustRun(t, dir, st, testNow, "add", "Leased")
			if text, failed := callMCP(t, st, "task_claim", map[string]any{"id": "1", "lease": tt.lease}); failed {
				viaMCP.err = text
			} else {
				viaMCP.seconds = leaseOf(t, text)
			}
			if viaCLI != viaMCP {
				t.Fatalf("the surfaces disagree: backlog claim --lease %+v, task_claim lease %+v", viaCLI, viaMCP)
			}
			if viaCLI.seconds != tt.seconds || viaCLI.err != tt.err {
				t.Errorf("both gave %+v; want %d, %q", viaCLI, tt.seconds, tt.err)
			}
		})
	}
}

// leaseOf reads the lease of the task in a claim's JSON result.
func leaseOf(t *testing.T, result string) int {
	t.Helper()
	var res struct{ Task struct{ Lease int } }
	if err := json.Unmarshal([]byte(result), &res); err != nil {
		t.Fatalf("claim result %q: %v", result, err)
	}
	return res.Task.Lease
}

// staleClaims is a backlog in which bob claimed task n+1 claimAges[n] ago,
// and task 7 is free.
func staleClaims(t *testing.T) (store.Store, string) {
	t.Helper()
	st, dir := memstore.New(), t.TempDir()
	start := testNow.Add(-claimAges[len(claimAges)-1] - time.Hour)
	for i := range len(claimAges) + 1 {
		mustRun(t, dir, st, start, "add", fmt.Sprintf("Task %d", i+1))
	}
	for i := len(claimAges) - 1; i >= 0; i-- {
		mustRun(t, dir, st, testNow.Add(-claimAges[i]), "claim", strconv.Itoa(i+1), "bob")
	}
	return st, dir
}

// freedClaims counts the claims of bob that are gone.
func freedClaims(t *testing.T, dir string, st store.Store) int {
	t.Helper()
	out := mustRun(t, dir, st, testNow, "count", "agent:bob")
	held, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("count agent:bob printed %q", out)
	}
	return len(claimAges) - held
}

func mustRun(t *testing.T, dir string, st store.Store, now time.Time, args ...string) string {
	t.Helper()
	out, errOut, status := runAt(t, dir, st, now, args...)
	if status != 0 {
		t.Fatalf("%s: exit status %d: %s", strings.Join(args, " "), status, errOut)
	}
	return out
}

// runAt is run with the clock at now.
func runAt(t *testing.T, dir string, st store.Store, now time.Time, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := map[string]string{"TASKDATA": dir, "BACKLOG_AGENT_ID": "tester", "BACKLOG_NOW": now.Format(time.RFC3339)}
	status = Run(context.Background(), args, Env{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
		Config: config.Source{
			Getenv: func(k string) string { return env[k] },
			Getwd:  func() (string, error) { return "/", nil },
		},
		Open: func(_ context.Context, cfg *config.Config, _ bool) (store.Store, error) {
			return nopClose{st}, os.WriteFile(cfg.File, nil, 0o600)
		},
	})
	return out.String(), errOut.String(), status
}
