package sqlite

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/store"
)

// childEnv switches the test binary into a writer process for
// TestConcurrentProcesses: BACKLOG_SQLITE_CHILD=<path>,<writes>.
const childEnv = "BACKLOG_SQLITE_CHILD"

func TestMain(m *testing.M) {
	if arg := os.Getenv(childEnv); arg != "" {
		os.Exit(runChild(arg))
	}
	code := m.Run()
	if bench.dir != "" {
		os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

// runChild opens the store (perhaps a new file, perhaps at the same time
// as other processes) and adds tasks, one write each, printing their ids.
func runChild(arg string) int {
	path, n, _ := strings.Cut(arg, ",")
	writes, _ := strconv.Atoi(n)
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		return 1
	}
	defer s.Close()
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for i := 0; i < writes; i++ {
		id, err := addTask(ctx, s, fmt.Sprintf("child %d write %d", os.Getpid(), i))
		if err != nil {
			fmt.Fprintln(os.Stderr, "write:", err)
			return 1
		}
		fmt.Fprintln(out, id)
	}
	return 0
}

// addTask allocates an id, inserts a task and journals it, in one write.
func addTask(ctx context.Context, s *Store, desc string) (int64, error) {
	var id int64
	err := s.Write(ctx, func(tx store.Tx) error {
		var err error
		if id, err = tx.NextID(ctx); err != nil {
			return err
		}
		t := &backlog.Task{ID: id, UUID: uuid.NewString(), Description: desc, Status: backlog.StatusPending,
			Tags: []string{"load"}, Entry: time.Now(), Modified: time.Now()}
		if err := tx.Insert(ctx, t); err != nil {
			return err
		}
		return tx.Append(ctx, &store.Entry{At: time.Now(), Agent: desc, Command: "add", Summary: "add " + desc,
			Changes: []store.Change{{UUID: t.UUID, After: t}}})
	})
	return id, err
}

func TestConcurrentGoroutines(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	const workers, writes = 8, 25
	var mu sync.Mutex
	seen := map[int64]bool{}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < writes; i++ {
				id, err := addTask(ctx, s, fmt.Sprintf("goroutine %d write %d", w, i))
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				if seen[id] {
					errs <- fmt.Errorf("id %d allocated twice", id)
				}
				seen[id] = true
				mu.Unlock()
				// Readers run alongside the writers.
				if err := s.Read(ctx, func(tx store.Tx) error { _, err := tx.Task(ctx, id); return err }); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	checkLoad(t, s, workers*writes)
}

// checkLoad checks that n tasks were added with the ids 1..n.
func checkLoad(t *testing.T, s *Store, n int) {
	t.Helper()
	read(t, s, func(tx store.Tx) error {
		got := countOf(t, tx, "+load status.any:")
		if got != n {
			t.Errorf("%d tasks, want %d", got, n)
		}
		g, err := tx.Graph(context.Background())
		if err != nil {
			return err
		}
		if g.LatestID() != int64(n) {
			t.Errorf("latest id %d, want %d", g.LatestID(), n)
		}
		return nil
	})
}

func TestConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	// The processes open a file that does not exist yet, at once: one of
	// them creates and migrates it, the others wait and find it ready.
	path := filepath.Join(t.TempDir(), "new", "shared.db")
	const procs, writes = 6, 30
	var cmds []*exec.Cmd
	var outs []*strings.Builder
	for p := 0; p < procs; p++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s,%d", childEnv, path, writes))
		out, errOut := &strings.Builder{}, &strings.Builder{}
		cmd.Stdout, cmd.Stderr = out, errOut
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
		outs = append(outs, out, errOut)
	}
	// This process writes too, with goroutines, while the others run.
	var wg sync.WaitGroup
	var mu sync.Mutex
	var mine []int64
	var s *Store
	for {
		var err error
		if s, err = Open(context.Background(), path); err == nil {
			break
		}
		t.Fatal(err)
	}
	defer s.Close()
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < writes; i++ {
				id, err := addTask(context.Background(), s, fmt.Sprintf("parent %d write %d", w, i))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				mine = append(mine, id)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	seen := map[int64]bool{}
	for _, id := range mine {
		seen[id] = true
	}
	for p, cmd := range cmds {
		err := cmd.Wait()
		stdout, stderr := outs[2*p].String(), outs[2*p+1].String()
		if err != nil {
			t.Errorf("process %d: %v\n%s", p, err, stderr)
			continue
		}
		for _, line := range strings.Fields(stdout) {
			id, err := strconv.ParseInt(line, 10, 64)
			if err != nil {
				t.Fatalf("process %d printed %q", p, line)
			}
			if seen[id] {
				t.Errorf("id %d allocated twice", id)
			}
			seen[id] = true
		}
	}
	total := (procs + 3) * writes
	if len(seen) != total {
		t.Errorf("%d distinct ids, want %d", len(seen), total)
	}
	checkLoad(t, s, total)
}
