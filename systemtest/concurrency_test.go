package systemtest

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/internal/loadtest"
	"github.com/agent-backlog/backlog/sqlite"
)

const writers = 8

// addsPerAgent is how many tasks each writer adds: 100, or 500 with
// BACKLOG_LOAD_TESTS=1.
var addsPerAgent = loadtest.Size(100, 500)

// concurrentWriter adds tasks tagged with its agent name and, after every
// fifth add, annotates a random task it knows exists. It prints the id of
// each add and "n K" with the number of commands at the end.
func concurrentWriter(ctx context.Context, e *engine.Engine) error {
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	r := rand.New(rand.NewPCG(uint64(os.Getpid()), 3))
	tag := "+" + e.Agent()
	commands := 0
	var last int64
	for i := 0; i < addsPerAgent; i++ {
		c, err := engine.ParseMods([]string{"task", strconv.Itoa(i), "of", e.Agent(), tag}, true)
		if err != nil {
			return err
		}
		res, err := e.Add(ctx, c)
		if err != nil {
			return fmt.Errorf("add %d: %w", i, err)
		}
		commands++
		last = res.Task.ID
		fmt.Fprintf(out, "id %d\n", last)
		if i%5 == 4 {
			// Every id up to one this process created exists: ids are
			// allocated inside committed transactions and nothing deletes.
			id := 1 + r.Int64N(last)
			if _, err := e.Annotate(ctx, strconv.FormatInt(id, 10), "seen by "+e.Agent()); err != nil {
				return fmt.Errorf("annotate %d: %w", id, err)
			}
			commands++
		}
	}
	fmt.Fprintf(out, "n %d\n", commands)
	return nil
}

// TestConcurrentProcesses runs 8 processes that add addsPerAgent tasks each and
// annotate random ones, all at once on one SQLite file: no process may fail,
// no task may be lost, no id may repeat, and the journal must hold one entry
// per command.
func TestConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 8 processes writing tasks at once")
	}
	path := filepath.Join(t.TempDir(), "backlog.db")
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path) // create the schema once, as a first command would
	if err != nil {
		t.Fatal(err)
	}
	st.Close()

	var wg sync.WaitGroup
	ids := make([][]int64, writers)
	commands := make([]int, writers)
	errs := make([]error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "BACKLOG_SYSTEMTEST_WORKER=writer", "BACKLOG_SYSTEMTEST_DB="+path,
				fmt.Sprintf("BACKLOG_SYSTEMTEST_AGENT=agent%d", w))
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				errs[w] = fmt.Errorf("agent%d: %v: %s", w, err, stderr.String())
				return
			}
			for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				kind, v, _ := strings.Cut(line, " ")
				n, _ := strconv.ParseInt(v, 10, 64)
				switch kind {
				case "id":
					ids[w] = append(ids[w], n)
				case "n":
					commands[w] = int(n)
				}
			}
		}(w)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	st, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e := engine.New(st, engine.Options{Agent: "checker"})
	tasks, err := e.Export(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != writers*addsPerAgent {
		t.Fatalf("%d tasks in the store, want %d", len(tasks), writers*addsPerAgent)
	}
	seen := map[int64]string{}
	for _, task := range tasks {
		if other, dup := seen[task.ID]; dup {
			t.Fatalf("id %d given to two tasks: %s and %s", task.ID, other, task.UUID)
		}
		seen[task.ID] = task.UUID
	}
	total := 0
	for w := 0; w < writers; w++ {
		if len(ids[w]) != addsPerAgent {
			t.Fatalf("agent%d acknowledged %d adds, want %d", w, len(ids[w]), addsPerAgent)
		}
		for _, id := range ids[w] {
			task := findTask(tasks, id)
			if task == nil || !slices.Contains(task.Tags, fmt.Sprintf("agent%d", w)) {
				t.Fatalf("agent%d's task %d is missing or not its own", w, id)
			}
		}
		total += commands[w]
	}
	if n := journalLength(t, path); n != total {
		t.Fatalf("journal has %d entries, want one per command: %d", n, total)
	}
	integrityCheck(t, path)
}

func findTask(tasks []*backlog.Task, id int64) *backlog.Task {
	for _, t := range tasks {
		if t.ID == id {
			return t
		}
	}
	return nil
}
