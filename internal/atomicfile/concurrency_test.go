package atomicfile

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The concurrency tests run the test binary again as worker processes,
// chosen by ATOMICFILE_TEST_WORKER, which edit one file at once.
func TestMain(m *testing.M) {
	if kind := os.Getenv("ATOMICFILE_TEST_WORKER"); kind != "" {
		if err := runWorker(kind, os.Getenv("ATOMICFILE_TEST_FILE"), os.Getenv("ATOMICFILE_TEST_ID")); err != nil {
			fmt.Fprintln(os.Stderr, "worker:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

const (
	processes = 8  // worker processes
	appends   = 50 // edits of each appender
	marker    = "- [ ] Fix the login page\n"
)

// runWorker is one worker: an appender adds its lines one edit at a time,
// a claimer tries once to claim the marked task and prints "won" when its
// edit did.
func runWorker(kind, path, id string) error {
	ctx := context.Background()
	startAt(os.Getenv("ATOMICFILE_TEST_START"))
	switch kind {
	case "append":
		for i := range appends {
			if _, err := Edit(ctx, path, appendLine(fmt.Sprintf("worker %s line %d", id, i))); err != nil {
				return err
			}
		}
		return nil
	case "claim":
		changed, err := Edit(ctx, path, claim(id))
		if changed {
			fmt.Println("won")
		}
		return err
	}
	return fmt.Errorf("unknown worker %q", kind)
}

// claim replaces the unclaimed marker with a claim by agent, and changes
// nothing when someone claimed it first.
func claim(agent string) func([]byte) ([]byte, error) {
	return func(old []byte) ([]byte, error) {
		return bytes.Replace(old, []byte(marker), []byte("- [ ] Fix the login page @"+agent+"\n"), 1), nil
	}
}

// startAt sleeps until the Unix time in nanoseconds given, so that workers
// started one after another begin together.
func startAt(at string) {
	ns, err := strconv.ParseInt(at, 10, 64)
	if err == nil {
		time.Sleep(time.Until(time.Unix(0, ns)))
	}
}

// runWorkers starts n workers of kind on path and returns what each printed.
func runWorkers(t *testing.T, kind, path string, n int) []string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	start := strconv.FormatInt(time.Now().Add(300*time.Millisecond).UnixNano(), 10)
	out := make([]bytes.Buffer, n)
	cmds := make([]*exec.Cmd, n)
	for i := range n {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), "ATOMICFILE_TEST_WORKER="+kind, "ATOMICFILE_TEST_FILE="+path,
			"ATOMICFILE_TEST_ID="+strconv.Itoa(i), "ATOMICFILE_TEST_START="+start)
		cmd.Stdout = &out[i]
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = cmd
	}
	printed := make([]string, n)
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("worker %d: %v", i, err)
		}
		printed[i] = out[i].String()
	}
	return printed
}

// checkAppends checks that the file at path holds its header and every
// line of every appender exactly once, and nothing else.
func checkAppends(t *testing.T, path string, writers int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if lines[0] != "# Tasks" {
		t.Errorf("the header is %q", lines[0])
	}
	seen := map[string]int{}
	for _, l := range lines[1:] {
		seen[l]++
	}
	for w := range writers {
		for i := range appends {
			line := fmt.Sprintf("worker %d line %d", w, i)
			if seen[line] != 1 {
				t.Errorf("%q is in the file %d times, want once", line, seen[line])
			}
			delete(seen, line)
		}
	}
	for l := range seen {
		t.Errorf("the file holds a line no worker wrote: %q", l)
	}
	if names := entries(t, filepath.Dir(path)); !slices.Equal(names, []string{filepath.Base(path)}) {
		t.Errorf("the directory holds %q after the edits, want the file alone", names)
	}
}

func TestConcurrentEdits(t *testing.T) {
	t.Run("processes appending at once lose no line and add none twice", func(t *testing.T) {
		path := newFile(t, t.TempDir(), "TASKS.md", "# Tasks\n", 0o644)
		runWorkers(t, "append", path, processes)
		checkAppends(t, path, processes)
	})

	t.Run("goroutines of one process appending at once lose no line either", func(t *testing.T) {
		path := newFile(t, t.TempDir(), "TASKS.md", "# Tasks\n", 0o644)
		var wg sync.WaitGroup
		for w := range processes {
			wg.Go(func() {
				for i := range appends {
					if _, err := Edit(context.Background(), path, appendLine(fmt.Sprintf("worker %d line %d", w, i))); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		checkAppends(t, path, processes)
	})

	t.Run("processes claiming one task at once: exactly one wins", func(t *testing.T) {
		for round := range 3 {
			path := newFile(t, t.TempDir(), "TASKS.md", "# Tasks\n\n## P1\n"+marker, 0o644)
			printed := runWorkers(t, "claim", path, processes)
			var winners []int
			for i, out := range printed {
				if out == "won\n" {
					winners = append(winners, i)
				}
			}
			if len(winners) != 1 {
				t.Fatalf("round %d: workers %v report a won claim, want exactly one", round, winners)
			}
			data, _ := os.ReadFile(path)
			want := fmt.Sprintf("# Tasks\n\n## P1\n- [ ] Fix the login page @%d\n", winners[0])
			if string(data) != want {
				t.Errorf("round %d: the file holds %q, want %q", round, data, want)
			}
		}
	})
}
