package cli

import (
	"bytes"
	"context"
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

// reclaimNow is the time of every reclaim in TestReclaimAgesReadAlikeOnTheCommandLineAndInMCP.
var reclaimNow = time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC)

// claimAges are how long before reclaimNow bob claimed tasks 1 to 6.
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
	_, errOut, status := runAt(t, dir, st, reclaimNow, "reclaim", "--older-than="+age)
	if status != 0 {
		if status != ExitInvalid {
			t.Errorf("reclaim --older-than=%q: exit status %d, want %d", age, status, ExitInvalid)
		}
		return 0, strings.TrimSuffix(strings.TrimPrefix(errOut, "backlog: "), "\n")
	}
	return freedClaims(t, dir, st), ""
}

// reclaimByMCP calls task_claim with reclaim: age over a backlog of stale
// claims, through an MCP client connected to the server in process.
func reclaimByMCP(t *testing.T, age string) (freed int, refusal string) {
	st, dir := staleClaims(t)
	srv := mcp.NewServer(func(context.Context) (store.Store, error) { return nopClose{st}, nil }, mcp.Options{
		Agent:  "tester",
		Clock:  func() time.Time { return reclaimNow },
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
	res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "task_claim", Arguments: map[string]any{"reclaim": age}})
	if err != nil {
		t.Fatalf("task_claim: %v", err)
	}
	cs.Close()
	fromClient.Close()
	if err := <-served; err != nil {
		t.Errorf("serving: %v", err)
	}
	if res.IsError {
		var text strings.Builder
		for _, c := range res.Content {
			if tc, ok := c.(*sdk.TextContent); ok {
				text.WriteString(tc.Text)
			}
		}
		return 0, text.String()
	}
	return freedClaims(t, dir, st), ""
}

// staleClaims is a backlog in which bob claimed task n+1 claimAges[n] ago,
// and task 7 is free.
func staleClaims(t *testing.T) (store.Store, string) {
	t.Helper()
	st, dir := memstore.New(), t.TempDir()
	start := reclaimNow.Add(-claimAges[len(claimAges)-1] - time.Hour)
	for i := range len(claimAges) + 1 {
		mustRun(t, dir, st, start, "add", fmt.Sprintf("Task %d", i+1))
	}
	for i := len(claimAges) - 1; i >= 0; i-- {
		mustRun(t, dir, st, reclaimNow.Add(-claimAges[i]), "claim", strconv.Itoa(i+1), "bob")
	}
	return st, dir
}

// freedClaims counts the claims of bob that are gone.
func freedClaims(t *testing.T, dir string, st store.Store) int {
	t.Helper()
	out := mustRun(t, dir, st, reclaimNow, "count", "agent:bob")
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
