package systemtest

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/internal/loadtest"
	"github.com/agent-backlog/backlog/sqlite"
)

const batch = 5 // tasks per import command

// crashWorker runs commands in an endless stream and reports each success on
// stdout as "ok N" once the command has returned. Even commands import a
// batch of tasks tagged bN (one with a doc); odd commands set priority H on
// the batch just imported. Both are multi-task commands, so a half-applied
// one would show.
func crashWorker(ctx context.Context, e *engine.Engine) error {
	out := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		var err error
		if i%2 == 0 {
			var b strings.Builder
			b.WriteString("[")
			for k := 0; k < batch; k++ {
				if k > 0 {
					b.WriteString(",")
				}
				fmt.Fprintf(&b, `{"description":"task %d.%d","tags":["b%d"]`, i, k, i)
				if k == 0 {
					fmt.Fprintf(&b, `,"doc":"# spec %d"`, i)
				}
				b.WriteString("}")
			}
			b.WriteString("]")
			_, err = e.Import(ctx, []byte(b.String()), engine.ImportOptions{})
		} else {
			c, perr := engine.ParseMods([]string{"priority:H"}, false)
			if perr != nil {
				return perr
			}
			_, err = e.Modify(ctx, fmt.Sprintf("+b%d", i-1), c, false)
		}
		if err != nil {
			return fmt.Errorf("command %d: %w", i, err)
		}
		fmt.Fprintf(out, "ok %d\n", i)
		out.Flush()
	}
}

// TestCrashSafety kills a writer with SIGKILL at random moments, 15 times
// (50 with BACKLOG_LOAD_TESTS=1), and checks after each kill that the
// database is intact and holds every acknowledged command whole, and at
// most one more (the command in flight may commit before its
// acknowledgement is written), also whole.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process per kill")
	}
	rounds := loadtest.Size(15, 50)
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	for round := 0; round < rounds; round++ {
		t.Run(fmt.Sprintf("kill %d", round), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "backlog.db")
			acked := runAndKill(t, path, time.Duration(20+r.IntN(250))*time.Millisecond)
			integrityCheck(t, path)
			checkWhole(t, path, acked)
		})
	}
}

// runAndKill starts a crash worker, kills it after d (or once it has
// acknowledged a few commands, whichever is later) and returns how many
// commands it acknowledged.
func runAndKill(t *testing.T, path string, d time.Duration) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "BACKLOG_SYSTEMTEST_WORKER=crash", "BACKLOG_SYSTEMTEST_DB="+path, "BACKLOG_SYSTEMTEST_AGENT=crasher")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan int, 1024)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			n, err := strconv.Atoi(strings.TrimPrefix(sc.Text(), "ok "))
			if err == nil {
				lines <- n
			}
		}
	}()
	acked := 0
	deadline := time.After(d)
	killed := false
	for !killed {
		select {
		case n, ok := <-lines:
			if !ok {
				t.Fatalf("worker exited before the kill: %v\n%s", cmd.Wait(), stderr.String())
			}
			acked = n + 1
		case <-deadline:
			if acked == 0 {
				deadline = time.After(5 * time.Millisecond)
				continue
			}
			_ = cmd.Process.Signal(syscall.SIGKILL)
			killed = true
		}
	}
	for n := range lines { // acknowledgements already written before the kill
		acked = n + 1
	}
	_ = cmd.Wait()
	return acked
}

// checkWhole checks that commands 0..acked-1 are all present and whole, that
// at most one later command is present, whole, and that the journal has
// exactly one entry per present command.
func checkWhole(t *testing.T, path string, acked int) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("reopening after the kill: %v", err)
	}
	defer st.Close()
	e := engine.New(st, engine.Options{Agent: "checker"})
	tasks, err := e.Export(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	byBatch := map[int][]*backlog.Task{}
	for _, task := range tasks {
		if len(task.Tags) == 0 {
			t.Fatalf("task %d has no batch tag", task.ID)
		}
		n, err := strconv.Atoi(strings.TrimPrefix(task.Tags[0], "b"))
		if err != nil {
			t.Fatalf("task %d has tags %v", task.ID, task.Tags)
		}
		byBatch[n] = append(byBatch[n], task)
	}
	present := 0
	for i := 0; ; i += 2 {
		ts := byBatch[i]
		if len(ts) == 0 {
			if i < acked {
				t.Fatalf("acknowledged import %d is missing", i)
			}
			break
		}
		if len(ts) != batch {
			t.Fatalf("import %d is half-applied: %d of %d tasks", i, len(ts), batch)
		}
		present++
		docs := 0
		for _, task := range ts {
			if task.HasDoc {
				docs++
				if doc, err := e.DocRead(ctx, strconv.FormatInt(task.ID, 10)); err != nil || doc != fmt.Sprintf("# spec %d", i) {
					t.Fatalf("import %d: doc of task %d is %q, %v", i, task.ID, doc, err)
				}
			}
		}
		if docs != 1 {
			t.Fatalf("import %d has %d docs, want 1", i, docs)
		}
		high := 0
		for _, task := range ts {
			if task.Priority == backlog.PriorityHigh {
				high++
			}
		}
		switch {
		case high == batch:
			present++
		case high != 0:
			t.Fatalf("modify %d is half-applied: %d of %d tasks", i+1, high, batch)
		case i+1 < acked:
			t.Fatalf("acknowledged modify %d is missing", i+1)
		}
	}
	if present < acked || present > acked+1 {
		t.Fatalf("%d commands present, %d acknowledged: want the acknowledged ones and at most one more", present, acked)
	}
	if n := journalLength(t, path); n != present {
		t.Fatalf("journal has %d entries for %d commands", n, present)
	}
}
