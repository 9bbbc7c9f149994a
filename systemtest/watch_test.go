package systemtest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/internal/loadtest"
)

const watchWriters = 4

// watchChanges is how many changes each writer makes: 60, or 250 with
// BACKLOG_LOAD_TESTS=1.
var watchChanges = loadtest.Size(60, 250)

// watchProcess is a running backlog watch and the lines it printed.
type watchProcess struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []watchLine
	done  chan error // the process's exit, once its output is read
}

type watchLine struct {
	ev engine.Event
	at time.Time // when this process read it
}

// startWatch starts backlog watch with args on the store in dir.
func startWatch(t testing.TB, bin, dir string, args ...string) *watchProcess {
	t.Helper()
	w := &watchProcess{cmd: exec.Command(bin, append([]string{"watch"}, args...)...), done: make(chan error, 1)}
	w.cmd.Env = backlogEnv(dir, "watcher")
	w.cmd.Stderr = os.Stderr
	out, err := w.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(nil, 1<<20)
		var bad error
		for sc.Scan() {
			at := time.Now()
			var ev engine.Event
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil && bad == nil {
				bad = fmt.Errorf("watch printed a line that is not an event: %q", sc.Text())
			}
			w.mu.Lock()
			w.lines = append(w.lines, watchLine{ev, at})
			w.mu.Unlock()
		}
		err := w.cmd.Wait()
		if bad != nil {
			err = bad
		}
		w.done <- err
	}()
	t.Cleanup(func() {
		if w.cmd.ProcessState == nil {
			w.cmd.Process.Kill()
		}
	})
	return w
}

// seen returns a copy of the lines printed so far.
func (w *watchProcess) seen() []watchLine {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]watchLine(nil), w.lines...)
}

// waitFor waits until ok holds for the lines printed, or fails.
func (w *watchProcess) waitFor(t testing.TB, what string, ok func([]watchLine) bool) []watchLine {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		lines := w.seen()
		if ok(lines) {
			return lines
		}
		if time.Now().After(deadline) {
			t.Fatalf("watch printed %d lines and still not %s", len(lines), what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// interrupt sends SIGINT and requires a clean exit.
func (w *watchProcess) interrupt(t testing.TB) {
	t.Helper()
	if err := w.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-w.done:
		if err != nil {
			t.Errorf("watch after SIGINT: %v (want exit status 0)", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("watch did not end after SIGINT")
	}
}

// TestWatchProcess starts backlog watch as a process (from now, its
// default), then 4 writer processes that make watchChanges changes each on the same
// SQLite file: watch must print every change exactly once, in order, with
// no gap from its first line on, and end cleanly on SIGINT.
func TestWatchProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 5 processes")
	}
	bin := buildBacklog(t)
	dir := t.TempDir()
	path := newStore(t, dir, nil)
	w := startWatch(t, bin, dir)

	// Watch has no "ready" signal: probe with adds until it prints one, so
	// that the writers start once it is surely watching.
	probe := exec.Command(bin, "add", "probe")
	probe.Env = backlogEnv(dir, "prober")
	if out, err := probe.CombinedOutput(); err != nil {
		t.Fatalf("probe: %v %s", err, out)
	}
	probes := 1
	for len(w.seen()) == 0 {
		time.Sleep(50 * time.Millisecond)
		if len(w.seen()) > 0 {
			break
		}
		probe := exec.Command(bin, "add", "probe")
		probe.Env = backlogEnv(dir, "prober")
		if out, err := probe.CombinedOutput(); err != nil {
			t.Fatalf("probe: %v %s", err, out)
		}
		if probes++; probes > 100 {
			t.Fatal("watch printed nothing after 100 probes")
		}
	}

	var wg sync.WaitGroup
	errs := make([]error, watchWriters)
	for i := 0; i < watchWriters; i++ {
		cmd := startTeamWorker(t, "adder", path, fmt.Sprintf("w%d", i), "BACKLOG_SYSTEMTEST_N="+strconv.Itoa(watchChanges))
		var stderr strings.Builder
		cmd.Stderr = &stderr
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if err := cmd.Run(); err != nil {
				errs[i] = fmt.Errorf("writer w%d: %v: %s", i, err, stderr.String())
			}
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	writes := func(lines []watchLine) int {
		n := 0
		for _, l := range lines {
			if l.ev.Agent != "prober" {
				n++
			}
		}
		return n
	}
	w.waitFor(t, "every writer's change", func(lines []watchLine) bool { return writes(lines) >= watchWriters*watchChanges })
	time.Sleep(200 * time.Millisecond) // room for a change printed twice to show
	w.interrupt(t)

	lines := w.seen()
	if n := writes(lines); n != watchWriters*watchChanges {
		t.Errorf("watch printed %d of the writers' changes, want %d", n, watchWriters*watchChanges)
	}
	next := map[string]int{}
	for i, l := range lines {
		if i > 0 && l.ev.Seq != lines[i-1].ev.Seq+1 {
			t.Fatalf("line %d: seq %d after %d: every change from the first line on must be printed once, in order", i, l.ev.Seq, lines[i-1].ev.Seq)
		}
		if l.ev.Agent == "prober" {
			continue
		}
		if want := fmt.Sprintf("%s-%d", l.ev.Agent, next[l.ev.Agent]); l.ev.Task == nil || l.ev.Task.Description != want || l.ev.Command != "add" {
			t.Fatalf("line %d: %+v, want the add of %q", i, l.ev, want)
		}
		next[l.ev.Agent]++
	}
	t.Logf("%d lines (%d probes before watch was seen watching)", len(lines), probes)
}
