package systemtest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/internal/loadtest"
	"github.com/agent-backlog/backlog/sqlite"
	"github.com/agent-backlog/backlog/store"
)

// soakDuration is how long the soak's agents work: 10 seconds, or a minute
// with BACKLOG_LOAD_TESTS=1; the check after it takes a second or two.
// BACKLOG_SYSTEMTEST_SOAK (a Go duration) overrides it.
var soakDuration = loadtest.Size(10*time.Second, 60*time.Second)

const (
	soakAgents = 8
	// soakPause is the most an agent waits between two commands (a random
	// wait); none by default: eight agents writing back to back is the
	// hardest case for the store's write queue (sqlite/writelock.go), which
	// must let every writer through in time.
	soakPause = time.Duration(0)
)

// ack is a write a soak agent was told succeeded: the command and the task
// images it returned.
type ack struct {
	Cmd   string            `json:"cmd"`
	Tasks []json.RawMessage `json:"tasks"`
}

// soakAgent runs random commands (add, modify, claim, done, undo) until
// BACKLOG_SYSTEMTEST_UNTIL (Unix nanoseconds), and prints each acknowledged
// write as an ack line, then a line of counts. A refusal (a conflict, such as
// done on a completed task, or a task that an undo removed) is expected
// between agents; any other error ends the agent with a failure.
func soakAgent(ctx context.Context, e *engine.Engine) error {
	until, err := strconv.ParseInt(os.Getenv("BACKLOG_SYSTEMTEST_UNTIL"), 10, 64)
	if err != nil {
		return fmt.Errorf("BACKLOG_SYSTEMTEST_UNTIL: %w", err)
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	r := rand.New(rand.NewPCG(uint64(os.Getpid()), uint64(time.Now().UnixNano())))
	var maxID int64
	var mine []string // ids this agent claimed and has not completed
	see := func(ts ...*backlog.Task) {
		for _, t := range ts {
			if t != nil && t.ID > maxID {
				maxID = t.ID
			}
		}
	}
	anyID := func() string {
		if maxID == 0 {
			return "1"
		}
		return strconv.FormatInt(1+r.Int64N(maxID), 10)
	}
	emit := func(cmd string, ts ...*backlog.Task) error {
		a := ack{Cmd: cmd}
		for _, t := range ts {
			b, err := t.MarshalJSON()
			if err != nil {
				return err
			}
			a.Tasks = append(a.Tasks, b)
		}
		return enc.Encode(a)
	}
	pause, err := time.ParseDuration(os.Getenv("BACKLOG_SYSTEMTEST_PAUSE"))
	if err != nil {
		return fmt.Errorf("BACKLOG_SYSTEMTEST_PAUSE: %w", err)
	}
	counts := map[string]int{}
	var slowest time.Duration
	for n := 0; time.Now().UnixNano() < until; n++ {
		if pause > 0 {
			time.Sleep(time.Duration(r.Int64N(int64(pause))))
		}
		began := time.Now()
		var cmd string
		var acked []*backlog.Task
		var err error
		switch k := r.IntN(100); {
		case k < 25:
			cmd = "add"
			words := []string{"soak", e.Agent(), strconv.Itoa(n), "+t" + strconv.Itoa(r.IntN(5)), "priority:" + []string{"", "L", "M", "H"}[r.IntN(4)]}
			var c *engine.Changes
			if c, err = engine.ParseMods(words, true); err != nil {
				return err
			}
			var res *engine.Result
			if res, err = e.Add(ctx, c); err == nil {
				acked = []*backlog.Task{res.Task}
			}
		case k < 45:
			cmd = "modify"
			change := []string{"priority:" + []string{"", "L", "M", "H"}[r.IntN(4)], "+t" + strconv.Itoa(r.IntN(5)),
				"-t" + strconv.Itoa(r.IntN(5)), "project:p" + strconv.Itoa(r.IntN(3)), "described by " + e.Agent() + " " + strconv.Itoa(n)}[r.IntN(5)]
			var c *engine.Changes
			if c, err = engine.ParseMods(strings.Fields(change), true); err != nil {
				return err
			}
			var res *engine.ModifyResult
			if res, err = e.Modify(ctx, anyID(), c, false); err == nil {
				acked = res.Tasks
			}
		case k < 65:
			cmd = "claim"
			var res *engine.Result
			if res, err = e.Claim(ctx, engine.ClaimOptions{}); err == nil && res.Task != nil {
				acked = []*backlog.Task{res.Task}
				mine = append(mine, strconv.FormatInt(res.Task.ID, 10))
			}
		case k < 85:
			cmd = "done"
			id := anyID()
			if len(mine) > 0 && r.IntN(10) < 7 {
				id, mine = mine[len(mine)-1], mine[:len(mine)-1]
			}
			var res *engine.Result
			if res, err = e.Done(ctx, id); err == nil {
				acked = []*backlog.Task{res.Task}
			}
		default:
			cmd = "undo"
			var res *engine.UndoResult
			if res, err = e.Undo(ctx); err == nil {
				acked = res.Tasks
			}
		}
		took := time.Since(began)
		slowest = max(slowest, took)
		switch {
		case errors.Is(err, backlog.ErrConflict), errors.Is(err, backlog.ErrNotFound):
			counts[cmd+" refused"]++
			continue
		case err != nil:
			return fmt.Errorf("%s, after %v (command %d): %w", cmd, took.Round(time.Millisecond), n, err)
		}
		counts[cmd]++
		see(acked...)
		if len(acked) > 0 {
			if err := emit(cmd, acked...); err != nil {
				return err
			}
		}
	}
	counts["slowest ms"] = int(slowest.Milliseconds())
	b, _ := json.Marshal(counts)
	fmt.Fprintf(out, "counts %s\n", b)
	return nil
}

// image is a task as the journal and the store hold it, comparable as text.
func image(t *backlog.Task) string {
	if t == nil {
		return "null"
	}
	c := t.Clone()
	c.Urgency = 0
	b, err := c.MarshalJSON()
	if err != nil {
		panic(err)
	}
	return string(b)
}

// TestSoak runs 8 agent processes doing random adds, modifies, claims, dones
// and undos on one SQLite file for soakDuration, then checks the journal
// against the final state: every task's images chain (each change's before
// image is the previous change's after image: no write was made from a
// stale read), the last image of each task is the task as stored, ids are
// unique, and every acknowledged write is journalled and still present
// unless a later journalled command (an undo, another agent's change)
// explains its absence.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 8 processes for soakDuration")
	}
	d := soakDuration
	if s := os.Getenv("BACKLOG_SYSTEMTEST_SOAK"); s != "" {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	path := newStore(t, dir, func(e *engine.Engine) {
		if _, err := e.Import(context.Background(), readyTasks(100, 1), engine.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
	})
	pause := soakPause
	if s := os.Getenv("BACKLOG_SYSTEMTEST_SOAK_PAUSE"); s != "" {
		var err error
		if pause, err = time.ParseDuration(s); err != nil {
			t.Fatal(err)
		}
	}
	until := strconv.FormatInt(time.Now().Add(d).UnixNano(), 10)

	acks := make([][]ack, soakAgents)
	counts := make([]string, soakAgents)
	errs := make([]error, soakAgents)
	var wg sync.WaitGroup
	for w := 0; w < soakAgents; w++ {
		cmd := startTeamWorker(t, "soak", path, fmt.Sprintf("agent%d", w), "BACKLOG_SYSTEMTEST_UNTIL="+until,
			"BACKLOG_SYSTEMTEST_PAUSE="+pause.String())
		var stderr strings.Builder
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			sc := bufio.NewScanner(stdout)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				line := sc.Bytes()
				if c, ok := strings.CutPrefix(string(line), "counts "); ok {
					counts[w] = c
					continue
				}
				var a ack
				if err := json.Unmarshal(line, &a); err != nil {
					errs[w] = fmt.Errorf("agent%d printed %q", w, line)
					continue
				}
				acks[w] = append(acks[w], a)
			}
			if err := cmd.Wait(); err != nil {
				errs[w] = fmt.Errorf("agent%d: %v: %s", w, err, stderr.String())
			}
		}(w)
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(d + 30*time.Second):
		t.Fatal("the agents did not stop in time")
	}
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	began := time.Now()

	ctx := context.Background()
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var entries []*store.Entry
	var stored []*backlog.Task
	if err := st.Read(ctx, func(tx store.Tx) error {
		var err error
		if entries, err = tx.Entries(ctx, 0, "", 0); err != nil {
			return err
		}
		stored, err = tx.Select(ctx, store.Query{Now: time.Now()})
		return err
	}); err != nil {
		t.Fatal(err)
	}

	// Replay the journal: images chain, and ids are never shared.
	last := map[string]string{}        // uuid -> last after image
	lastSeq := map[string]int64{}      // uuid -> the last entry that touched it
	idOf := map[int64]string{}         // id -> uuid, over every image
	journalled := map[string][]int64{} // agent, command, uuid, after image -> entries
	for _, en := range entries {
		for _, c := range en.Changes {
			prev, seen := last[c.UUID]
			if !seen {
				prev = "null"
			}
			if before := image(c.Before); before != prev {
				t.Fatalf("entry %d (%s by %s): the before image of task %s is not its last after image, a lost update:\nbefore %s\nlast   %s",
					en.Seq, en.Command, en.Agent, c.UUID, before, prev)
			}
			last[c.UUID], lastSeq[c.UUID] = image(c.After), en.Seq
			for _, im := range []*backlog.Task{c.Before, c.After} {
				if im == nil {
					continue
				}
				if u, ok := idOf[im.ID]; ok && u != im.UUID {
					t.Fatalf("id %d was given to tasks %s and %s", im.ID, u, im.UUID)
				}
				idOf[im.ID] = im.UUID
			}
			if c.After != nil {
				k := en.Agent + "\x00" + en.Command + "\x00" + c.UUID + "\x00" + image(c.After)
				journalled[k] = append(journalled[k], en.Seq)
			}
		}
	}
	// The last image of every task is the task as stored.
	byUUID := map[string]*backlog.Task{}
	ids := map[int64]bool{}
	for _, task := range stored {
		if ids[task.ID] {
			t.Fatalf("id %d is used by two stored tasks", task.ID)
		}
		ids[task.ID] = true
		byUUID[task.UUID] = task
		if got, want := image(task), last[task.UUID]; got != want {
			t.Fatalf("task %d as stored differs from its last journal image:\nstored  %s\njournal %s", task.ID, got, want)
		}
	}
	for u, im := range last {
		if im != "null" && byUUID[u] == nil {
			t.Fatalf("task %s is in the journal but not in the store", u)
		}
	}
	// Every acknowledged write is journalled, and present unless a later
	// journalled command explains its absence.
	total, explained := 0, 0
	for w := range acks {
		agent := fmt.Sprintf("agent%d", w)
		for _, a := range acks[w] {
			for _, raw := range a.Tasks {
				var task backlog.Task
				if err := task.UnmarshalJSON(raw); err != nil {
					t.Fatal(err)
				}
				total++
				seqs := journalled[agent+"\x00"+a.Cmd+"\x00"+task.UUID+"\x00"+image(&task)]
				if len(seqs) == 0 {
					t.Fatalf("%s's acknowledged %s of task %d is not in the journal: %s", agent, a.Cmd, task.ID, raw)
				}
				if lastSeq[task.UUID] > seqs[len(seqs)-1] {
					explained++
					continue
				}
				if got := image(byUUID[task.UUID]); got != image(&task) {
					t.Fatalf("%s's acknowledged %s of task %d is lost:\nstored %s\nacked  %s", agent, a.Cmd, task.ID, got, image(&task))
				}
			}
		}
	}
	integrityCheck(t, path)
	t.Logf("%v of work: %d journal entries, %d tasks stored, %d acknowledged task writes (%d changed since by a later command); checked in %v",
		d, len(entries), len(stored), total, explained, time.Since(began).Round(time.Millisecond))
	for w, c := range counts {
		t.Logf("agent%d: %s", w, c)
	}
}
