package board

// The board page on a large backlog: server time and size.
//
//	go test ./web/board -run '^$' -bench BoardPage -benchtime 50x
//
// The targets: under 30 ms of server time and under 300 KB of HTML
// on 10,000 tasks.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/sqlite"
	"github.com/agent-backlog/backlog/store"
)

const (
	largeBacklog = 10_000
	maxPageBytes = 300 << 10
)

// largeBoard writes n tasks into a new SQLite file, spread over every
// column (most of them ready, as in a real backlog), and returns the board
// over it.
func largeBoard(tb testing.TB, n int) http.Handler {
	tb.Helper()
	e := engine.New(largeStore(tb, n), engine.Options{Agent: "board"})
	return Handler(Deps{Engine: func(context.Context) (*engine.Engine, error) { return e, nil }})
}

// largeStore is largeBoard's backlog.
func largeStore(tb testing.TB, n int) store.Store {
	tb.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "backlog.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	now := time.Now().Truncate(time.Second)
	tags := []string{"bug", "perf", "ux", "next", "docs"}
	err = st.Write(ctx, func(tx store.Tx) error {
		var prev string
		for i := range n {
			id, err := tx.NextID(ctx)
			if err != nil {
				return err
			}
			t := &backlog.Task{
				ID: id, UUID: uuid.NewString(), Description: fmt.Sprintf("Task number %d of a large backlog, with a description of a usual length", i),
				Status: backlog.StatusPending, Project: fmt.Sprintf("p%d.sub", i%40), Tags: []string{tags[i%len(tags)]},
				Entry: now.Add(-time.Duration(i) * time.Minute), Modified: now,
			}
			switch {
			case i%20 == 1:
				t.Agent, t.Start = fmt.Sprintf("agent-%d", i%8), now.Add(-time.Hour)
			case i%20 == 2 && prev != "":
				t.Depends = []string{prev}
			case i%20 == 3:
				t.Wait = now.Add(48 * time.Hour)
			case i%20 == 4:
				t.Status, t.End = backlog.StatusCompleted, now
			case i%20 == 5:
				t.Due, t.Priority = now.Add(time.Duration(i%30-10)*24*time.Hour), backlog.PriorityHigh
			}
			if err := tx.Insert(ctx, t); err != nil {
				return err
			}
			prev = t.UUID
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

func BenchmarkBoardPage(b *testing.B) {
	h := largeBoard(b, largeBacklog)
	size := benchPage(b, h, "/")
	if size > maxPageBytes {
		b.Errorf("the board page is %d bytes on %d tasks, more than %d", size, largeBacklog, maxPageBytes)
	}
}

// benchPage gets a page of h over and over, and reports its size and the
// CPU time each took besides the time on the clock (on a busy machine the
// clock counts the waits for a core too).
func benchPage(b *testing.B, h http.Handler, path string) int {
	b.Helper()
	size := 0
	cpu0, cpuOK := cpuTime()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s: status %d: %.300s", path, rec.Code, rec.Body)
		}
		size = rec.Body.Len()
	}
	if cpu1, ok := cpuTime(); ok && cpuOK {
		b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
	}
	b.ReportMetric(float64(size), "html-bytes")
	return size
}

// TestBoardPageStaysSmallOnALargeBacklog checks the size target (not the
// time, which the benchmark measures): the columns are capped, so the page
// does not grow with the backlog.
func TestBoardPageStaysSmallOnALargeBacklog(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 10,000 tasks")
	}
	h := largeBoard(t, largeBacklog)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if n := rec.Body.Len(); n > maxPageBytes {
		t.Errorf("the board page is %d bytes on %d tasks, more than %d", n, largeBacklog, maxPageBytes)
	}
	for _, col := range []string{"ready", "active", "blocked", "waiting", "done"} {
		if !bytesContains(rec.Body.Bytes(), `data-column="`+col+`"`) {
			t.Errorf("the %s column is missing", col)
		}
	}
	if !bytesContains(rec.Body.Bytes(), "more: narrow the filter") {
		t.Error("a capped column does not say how many more tasks it has")
	}
}

func bytesContains(b []byte, s string) bool { return strings.Contains(string(b), s) }

// The other pages on the same backlog: a task with a dependency, the
// agents (500 claims) and the projects (40, with their charts).
//
//	go test ./web/board -run '^$' -bench 'Page$' -benchtime 20x

func BenchmarkTaskPage(b *testing.B) {
	benchPage(b, largeBoard(b, largeBacklog), "/tasks/3")
}

func BenchmarkAgentsPage(b *testing.B) {
	benchPage(b, largeBoard(b, largeBacklog), "/agents")
}

func BenchmarkProjectsPage(b *testing.B) {
	benchPage(b, largeBoard(b, largeBacklog), "/projects")
}
