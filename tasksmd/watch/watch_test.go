package watch_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/sqlite"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/tasksmd/bridge"
	"github.com/agent-backlog/backlog/tasksmd/watch"
	"github.com/agent-backlog/backlog/tasksmd/workspace"
)

const start = `# Tasks

## P1

- [ ] Fix the login crash
  - **ID**: login-crash

## P2

- [ ] Tidy the logs
`

// safeBuffer is a log sink the loop and the test share.
type safeBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *safeBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *safeBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestLoop runs the loop over a SQLite backlog (its own handle, as another
// process would) and a TASKS.md, and checks each direction in turn.
func TestLoop(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	root, db := t.TempDir(), filepath.Join(t.TempDir(), "backlog.db")
	path := filepath.Join(root, "TASKS.md")
	write(t, path, start)

	// The test's own handle, an agent writing through the backlog.
	s, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	agent := engine.New(s, engine.Options{Agent: "claude"})

	var mu sync.Mutex
	var syncs, writes int // syncs, and those that wrote a file
	logs := &safeBuffer{}
	loop := &watch.Loop{
		Workspace: &workspace.Workspace{Root: root},
		Open:      func(ctx context.Context) (store.Store, error) { return sqlite.Open(ctx, db) },
		Engine:    engine.Options{Agent: "tasksmd-sync"},
		Logger:    slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
		Synced: func(res *bridge.SyncResult, err error) {
			mu.Lock()
			defer mu.Unlock()
			syncs++
			if res != nil && len(res.Written) > 0 {
				writes++
			}
		},
	}
	done := make(chan error, 1)
	go func() { done <- loop.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("the loop ended with %v", err)
		}
	}()

	defer func() {
		if t.Failed() {
			t.Log(logs.String())
		}
	}()
	t.Run("the file is imported at start", func(t *testing.T) {
		waitFor(t, "the backlog to hold the file's tasks", func() bool {
			return slices.Equal(pending(t, agent), []string{"Fix the login crash", "Tidy the logs"})
		})
	})
	t.Run("a task added in the file reaches the backlog within 2 s", func(t *testing.T) {
		write(t, path, strings.Replace(start, "- [ ] Tidy the logs\n", "- [ ] Tidy the logs\n- [ ] Add the export button\n", 1))
		waitFor(t, "the backlog to hold the new task", func() bool {
			return slices.Contains(pending(t, agent), "Add the export button")
		})
	})
	t.Run("a task added in the backlog reaches the file within 2 s", func(t *testing.T) {
		desc, prio := "Write the changelog", "M"
		if _, err := agent.Add(ctx, &engine.Changes{Description: &desc, Priority: &prio}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the file to hold the new task", func() bool {
			data, err := os.ReadFile(path)
			return err == nil && strings.Contains(string(data), "- [ ] Write the changelog\n")
		})
	})
	t.Run("a file that does not lint mid-edit is logged and synced once fixed", func(t *testing.T) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		good := string(data)
		write(t, path, strings.Replace(good, "  - **ID**: login-crash\n", "  - **ID**: login-crash\n- [ ] Clash\n  - **ID**: login-crash\n", 1))
		waitFor(t, "a warning naming the file", func() bool {
			return strings.Contains(logs.String(), "level=WARN") && strings.Contains(logs.String(), "TASKS.md")
		})
		write(t, path, strings.Replace(good, "- [ ] Tidy the logs\n", "- [ ] Tidy the logs\n- [ ] Rotate the keys\n", 1))
		waitFor(t, "the backlog to hold the task added after the fix", func() bool {
			return slices.Contains(pending(t, agent), "Rotate the keys")
		})
	})
	t.Run("an idle loop leaves the file alone", func(t *testing.T) {
		time.Sleep(600 * time.Millisecond) // the sync's own writes settle
		before, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		n, w := syncs, writes
		mu.Unlock()
		time.Sleep(time.Second)
		after, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if !after.ModTime().Equal(before.ModTime()) || writes != w {
			t.Errorf("the file was rewritten while idle: mtime %v then %v, %d file writes then %d", before.ModTime(), after.ModTime(), w, writes)
		}
		if syncs != n {
			t.Errorf("an idle loop synced %d times in a second, want none", syncs-n)
		}
	})
}

// write replaces the file by a rename, as an editor and the tasksmd
// commands do.
func write(t *testing.T, path, data string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// waitFor fails the test unless cond holds within 2 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 2 s for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// pending is the descriptions of the backlog's pending tasks, sorted.
func pending(t *testing.T, e *engine.Engine) []string {
	t.Helper()
	all, err := e.Export(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, task := range all {
		if task.Status == backlog.StatusPending {
			out = append(out, task.Description)
		}
	}
	slices.Sort(out)
	return out
}
