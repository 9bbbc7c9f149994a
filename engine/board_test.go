package engine_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/postgres"
	"github.com/agent-backlog/backlog/sqlite"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/memstore"
)

// boardLists are the board's columns as lists of the board's filter, the
// way the board read them before it had a transaction of its own: each
// column's filter in full, with the list rule.
var boardLists = []struct{ key, terms, sort string }{
	{"ready", "+READY -ACTIVE -CLAIMED", ""},
	{"active", "( status:pending or status:waiting ) ( +ACTIVE or +CLAIMED )", ""},
	{"blocked", "( status:pending or status:waiting ) +BLOCKED -ACTIVE -CLAIMED", ""},
	{"waiting", "( status:waiting or ( status:pending scheduled.after:now ) ) -BLOCKED -ACTIVE -CLAIMED", ""},
	{"done", "status:completed end:today", "end-"},
}

// boardFilters are board filters to try: none, ordinary ones, ones that
// name a status or ids (which turn the list rule off), and one that
// selects nothing.
var boardFilters = []string{
	"", "project:a", "+bug", "project:b or +ACTIVE", "agent:w1", "status:completed",
	"status:pending", "status:waiting", "1-120", "urgency.over:2", "project:nothing",
}

// boardStores are the stores the board is read from: in memory, SQLite,
// and PostgreSQL when one is at hand.
func boardStores(t *testing.T) map[string]store.Store {
	t.Helper()
	ctx := context.Background()
	out := map[string]store.Store{"memstore": memstore.New()}
	lite, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "board.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lite.Close() })
	out["sqlite"] = lite
	url := os.Getenv("BACKLOG_TEST_POSTGRES")
	if url == "" {
		url = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	ns := fmt.Sprintf("test-board-%d-%d", os.Getpid(), time.Now().UnixNano())
	openCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	pg, err := postgres.Open(openCtx, url, ns)
	cancel()
	switch {
	case err == nil:
		t.Cleanup(func() { pg.Close(); dropTestNamespace(t, url, ns) })
		out["postgres"] = pg
	case os.Getenv("BACKLOG_REQUIRE_POSTGRES") == "1":
		t.Fatalf("PostgreSQL is required (BACKLOG_REQUIRE_POSTGRES=1) but unusable: %v", err)
	default:
		t.Logf("PostgreSQL at %s is unusable (%v): the board is read from the other stores only", url, err)
	}
	return out
}

// fillBoard writes n tasks in every state a column tells apart, at
// random but the same each run: started or not, claimed or not, waiting
// or scheduled (for later or already past), depending on a live or a
// finished task, completed today (many in the same second, as a bulk
// done leaves them) or earlier, deleted. Entry dates differ, so that no
// two tasks of a column tie on urgency.
func fillBoard(t *testing.T, st store.Store, n int, now time.Time) {
	t.Helper()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(16, 30))
	err := st.Write(ctx, func(tx store.Tx) error {
		var uuids []string
		for i := range n {
			id, err := tx.NextID(ctx)
			if err != nil {
				return err
			}
			task := &backlog.Task{
				ID: id, UUID: uuid.NewString(), Description: fmt.Sprintf("task %d", i),
				Status: backlog.StatusPending, Project: []string{"a", "b", "a.sub", ""}[r.IntN(4)],
				Entry: now.Add(-time.Duration(i)*7*time.Minute - time.Duration(r.IntN(60))*time.Second), Modified: now,
			}
			if r.IntN(3) == 0 {
				task.Tags = []string{"bug"}
			}
			if r.IntN(4) == 0 {
				task.Priority = backlog.PriorityHigh
			}
			if r.IntN(6) == 0 {
				task.Start = now.Add(-time.Hour)
			}
			if r.IntN(6) == 0 {
				task.Agent = fmt.Sprintf("w%d", r.IntN(3))
			}
			switch r.IntN(8) {
			case 0:
				task.Wait = now.Add(time.Duration(1+r.IntN(48)) * time.Hour)
			case 1:
				task.Wait = now.Add(-time.Hour)
			case 2:
				task.Scheduled = now.Add(time.Duration(1+r.IntN(48)) * time.Hour)
			case 3:
				task.Scheduled = now.Add(-time.Hour)
			}
			if len(uuids) > 0 && r.IntN(5) == 0 {
				task.Depends = []string{uuids[r.IntN(len(uuids))]}
			}
			if r.IntN(9) == 0 {
				task.Due = now.Add(time.Duration(r.IntN(20)-10) * 24 * time.Hour)
			}
			switch r.IntN(10) {
			case 0, 1:
				task.Status, task.End = backlog.StatusCompleted, now.Add(-time.Minute) // one bulk done
			case 2:
				task.Status, task.End = backlog.StatusCompleted, now.Add(-time.Duration(1+r.IntN(120))*time.Minute)
			case 3:
				task.Status, task.End = backlog.StatusCompleted, now.Add(-72*time.Hour)
			case 4:
				task.Status, task.End = backlog.StatusDeleted, now.Add(-time.Hour)
			}
			if err := tx.Insert(ctx, task); err != nil {
				return err
			}
			uuids = append(uuids, task.UUID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func ids(ts []*backlog.Task) []int64 {
	out := make([]int64, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}

// TestBoardReadsWhatTheListsOfItsColumnsRead reads the board, under
// every filter and cap, in one transaction, and checks each column
// against a list of its filter: the same tasks in the same order, and the
// same count past the cap, though the board counts its ready column from
// the others.
func TestBoardReadsWhatTheListsOfItsColumnsRead(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 15, 30, 0, 0, time.UTC)
	for name, st := range boardStores(t) {
		t.Run(name, func(t *testing.T) {
			fillBoard(t, st, 600, now)
			e := engine.New(st, engine.Options{Agent: "board", Clock: func() time.Time { return now }})
			for _, f := range boardFilters {
				for _, limit := range []int{0, 3, 40} {
					cols, err := e.Board(ctx, engine.BoardOptions{Filter: f, Limit: limit})
					if err != nil {
						t.Fatalf("board %q, limit %d: %v", f, limit, err)
					}
					// Every column ranked and counted by the store, as
					// when its tasks are many.
					restore := engine.SetSmallColumn(0)
					ranked, err := e.Board(ctx, engine.BoardOptions{Filter: f, Limit: limit})
					restore()
					if err != nil {
						t.Fatalf("board %q, limit %d, ranked: %v", f, limit, err)
					}
					if len(cols) != len(boardLists) {
						t.Fatalf("the board has %d columns, want %d", len(cols), len(boardLists))
					}
					for i, want := range boardLists {
						src := want.terms
						if f != "" {
							src = "( " + f + " ) " + src
						}
						l, err := e.List(ctx, engine.ListOptions{Filter: src, Sort: want.sort, Limit: limit})
						if err != nil {
							t.Fatal(err)
						}
						for _, got := range []engine.BoardColumn{cols[i], ranked[i]} {
							if got.Key != want.key || !slices.Equal(ids(got.Tasks), ids(l.Tasks)) || got.More != l.More {
								t.Errorf("board %q, limit %d: column %s shows %v and %d more; its list %v and %d more",
									f, limit, got.Key, ids(got.Tasks), got.More, ids(l.Tasks), l.More)
							}
						}
					}
				}
			}
		})
	}
}

// TestBoardColumnsSplitTheLiveTasks checks the promise the board's count
// of its ready column rests on: every live task is in exactly one of the
// first four columns, and no other task is.
func TestBoardColumnsSplitTheLiveTasks(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 15, 30, 0, 0, time.UTC)
	st := memstore.New()
	fillBoard(t, st, 1500, now)
	e := engine.New(st, engine.Options{Agent: "board", Clock: func() time.Time { return now }})
	cols, err := e.Board(ctx, engine.BoardOptions{})
	if err != nil {
		t.Fatal(err)
	}
	in := map[int64][]string{}
	for _, c := range cols[:4] {
		for _, task := range c.Tasks {
			in[task.ID] = append(in[task.ID], c.Key)
		}
	}
	all, err := e.Export(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	live := 0
	for _, task := range all { // with the effective status: waiting is live
		isLive := task.Status == backlog.StatusPending || task.Status == backlog.StatusWaiting
		switch {
		case isLive && len(in[task.ID]) != 1:
			t.Errorf("live task %d (%+v) is in the columns %v, want exactly one", task.ID, task, in[task.ID])
		case !isLive && len(in[task.ID]) != 0:
			t.Errorf("task %d, %s, is in the columns %v", task.ID, task.Status, in[task.ID])
		}
		if isLive {
			live++
		}
	}
	for _, c := range cols[:4] {
		if len(c.Tasks) == 0 {
			t.Errorf("no task of the backlog is in the %s column: the split is not tried there", c.Key)
		}
	}
	t.Logf("%d live tasks", live)
}

// TestBoardReportsAFilterThatDoesNotParse: the filter's error, as List
// gives it, and no board.
func TestBoardReportsAFilterThatDoesNotParse(t *testing.T) {
	e := engine.New(memstore.New(), engine.Options{Agent: "board"})
	cols, err := e.Board(context.Background(), engine.BoardOptions{Filter: "project:web )"})
	if err == nil || cols != nil {
		t.Fatalf("board of a broken filter: %v, %v", cols, err)
	}
	_, lerr := e.List(context.Background(), engine.ListOptions{Filter: "project:web )"})
	if err.Error() != lerr.Error() || !errors.Is(err, backlog.ErrInvalid) {
		t.Errorf("the board says %q, a list %q", err, lerr)
	}
}
