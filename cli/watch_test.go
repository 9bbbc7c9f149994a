package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agent-backlog/backlog/config"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/memstore"
)

// lockedBuffer is a stdout that a test reads while a command writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startWatch runs backlog watch with args in the background until ctx ends,
// and returns its stdout and its exit status, once it has exited.
func startWatch(ctx context.Context, dir string, st store.Store, args ...string) (*lockedBuffer, <-chan int) {
	out := &lockedBuffer{}
	status := make(chan int, 1)
	env := map[string]string{"TASKDATA": dir, "BACKLOG_AGENT_ID": "watcher", "BACKLOG_NOW": "2026-11-18T10:00:00Z"}
	go func() {
		status <- Run(ctx, append([]string{"watch"}, args...), Env{
			Stdin: strings.NewReader(""), Stdout: out, Stderr: os.Stderr,
			Config: config.Source{Getenv: func(k string) string { return env[k] }, Getwd: func() (string, error) { return "/", nil }},
			Open: func(_ context.Context, cfg *config.Config, _ bool) (store.Store, error) {
				path := cfg.File
				return nopClose{st}, os.WriteFile(path, nil, 0o600)
			},
		})
	}()
	return out, status
}

// waitLines waits until out holds n lines and returns them.
func waitLines(t *testing.T, out *lockedBuffer, n int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		if out.String() == "" {
			lines = nil
		}
		if len(lines) >= n {
			return lines
		}
		if time.Now().After(deadline) {
			t.Fatalf("watch printed %d lines, want %d:\n%s", len(lines), n, out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWatchStreamsChangesUntilInterrupted(t *testing.T) {
	st, dir := memstore.New(), t.TempDir()
	run(t, dir, st, "add", "Before", "the", "watch")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, status := startWatch(ctx, dir, st, "--from", "1")
	run(t, dir, st, "add", "Fix", "login", "+web")
	run(t, dir, st, "modify", "2", "priority:H")
	run(t, dir, st, "done", "2")
	lines := waitLines(t, out, 3)
	want := []struct {
		seq     int64
		command string
	}{{2, "add"}, {3, "modify"}, {4, "done"}}
	for i, line := range lines {
		var ev engine.Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("line %d is not an event: %q", i, line)
		}
		if ev.Seq != want[i].seq || ev.Command != want[i].command || ev.Agent != "tester" || ev.Task.ID != 2 {
			t.Errorf("line %d = %s, want seq %d, %s of task 2 by tester", i, line, want[i].seq, want[i].command)
		}
		if strings.Contains(line, "  ") || strings.Contains(line, "\\u003c") {
			t.Errorf("line %d is not compact JSON: %s", i, line)
		}
	}
	cancel() // what SIGINT does in the binary
	select {
	case s := <-status:
		if s != ExitOK {
			t.Errorf("watch ended with status %d, want 0", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("watch did not end when interrupted")
	}
	if n := len(waitLines(t, out, 3)); n != 3 {
		t.Errorf("watch printed %d lines, want 3", n)
	}
}

func TestWatchFiltersByTheTaskAfterTheChange(t *testing.T) {
	st, dir := memstore.New(), t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, status := startWatch(ctx, dir, st, "+web", "--from", "0")
	run(t, dir, st, "add", "Not", "web")
	run(t, dir, st, "add", "Web", "one", "+web")
	run(t, dir, st, "modify", "1", "+web")
	lines := waitLines(t, out, 2)
	if !strings.Contains(lines[0], `"description":"Web one"`) || !strings.Contains(lines[1], `"description":"Not web"`) ||
		!strings.Contains(lines[1], `"command":"modify"`) {
		t.Errorf("watch +web printed:\n%s", strings.Join(lines, "\n"))
	}
	cancel()
	if s := <-status; s != ExitOK {
		t.Errorf("status %d", s)
	}
}
