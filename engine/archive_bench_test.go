package engine_test

// task_archive at scale, on the SQLite store: archiving 50,000 completed
// tasks is one command in one transaction (one journal entry; a failure
// half-way, a cancelled context or a store error, leaves nothing archived),
// and the working set lists as fast after it as before. The test archives
// 5,000 by default and 50,000 with BACKLOG_LOAD_TESTS=1:
//
//	BACKLOG_LOAD_TESTS=1 go test ./engine -run TestArchiveOfThousands -v   (BACKLOG_ARCHIVE_UNDO=1: undo it too)
//	go test ./engine -run '^$' -bench 'ListWorkingSet|Archive50000' -benchtime 20x

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/internal/loadtest"
	"github.com/agent-backlog/backlog/sqlite"
	"github.com/agent-backlog/backlog/store"
)

const (
	benchPending   = 5_000
	benchCompleted = 50_000
)

// benchEpoch is when the tasks were made; they were finished over the next
// 120 days (2026-Q1 and Q2), and the engine's clock is 250 days after it, so
// every completed task is older than the 90-day cutoff.
var (
	benchEpoch = time.Date(2026, time.January, 10, 9, 0, 0, 0, time.UTC)
	benchNow   = benchEpoch.Add(250 * 24 * time.Hour)
)

// benchBuildDB writes a backlog of pending and completed tasks straight
// into a new SQLite file, in one transaction, and closes it.
func benchBuildDB(tb testing.TB, path string, pending, completed int) {
	tb.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	var firstPending string
	err = st.Write(ctx, func(tx store.Tx) error {
		for i := 0; i < pending+completed; i++ {
			id, err := tx.NextID(ctx)
			if err != nil {
				return err
			}
			t := &backlog.Task{
				ID: id, UUID: uuid.NewString(), Description: fmt.Sprintf("Task number %d of the bench", i),
				Status: backlog.StatusPending, Project: fmt.Sprintf("p%d", i%20), Tags: []string{fmt.Sprintf("t%d", i%7)},
				Entry: benchEpoch, Modified: benchEpoch,
			}
			if i%5 == 0 {
				t.Priority = backlog.PriorityHigh
			}
			if i%11 == 0 {
				t.Due = benchEpoch.Add(time.Duration(i%300) * 24 * time.Hour)
			}
			if i >= pending {
				t.Status = backlog.StatusCompleted
				t.End = benchEpoch.Add(time.Duration(i%120) * 24 * time.Hour) // 2026-Q1 and Q2
			} else if i%50 == 1 && firstPending != "" {
				t.Depends = []string{firstPending}
			}
			if i == 0 {
				firstPending = t.UUID
			}
			if err := tx.Insert(ctx, t); err != nil {
				return err
			}
			if i%1000 == 7 {
				if err := tx.SetDoc(ctx, t.UUID, "# doc of task "+t.UUID); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// benchCopyDB copies a closed SQLite database (and any WAL beside it).
func benchCopyDB(tb testing.TB, from, to string) {
	tb.Helper()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		src, err := os.Open(from + suffix)
		if errors.Is(err, os.ErrNotExist) && suffix != "" {
			continue
		}
		if err != nil {
			tb.Fatal(err)
		}
		dst, err := os.Create(to + suffix)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := io.Copy(dst, src); err != nil {
			tb.Fatal(err)
		}
		src.Close()
		if err := dst.Close(); err != nil {
			tb.Fatal(err)
		}
	}
}

func benchOpenDB(tb testing.TB, path string) *sqlite.Store {
	tb.Helper()
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

func benchEngine(s store.Store) *engine.Engine {
	return engine.New(s, engine.Options{Agent: "bench", Clock: func() time.Time { return benchNow }})
}

// benchFaultStore passes a store through, calling onArchive before each
// Tx.Archive of a write transaction with the call's number (from 1) and the
// transaction's context; an error it returns is Archive's error.
type benchFaultStore struct {
	store.Store
	calls     int
	onArchive func(n int) error
}

func (f *benchFaultStore) Write(ctx context.Context, fn func(store.Tx) error) error {
	return f.Store.Write(ctx, func(tx store.Tx) error { return fn(&benchFaultTx{Tx: tx, f: f}) })
}

type benchFaultTx struct {
	store.Tx
	f *benchFaultStore
}

func (t *benchFaultTx) Archive(ctx context.Context, uuid, segment string) error {
	t.f.calls++
	if err := t.f.onArchive(t.f.calls); err != nil {
		return err
	}
	return t.Tx.Archive(ctx, uuid, segment)
}

// journal returns every journal entry.
func benchJournal(t *testing.T, s store.Store) []*store.Entry {
	t.Helper()
	var es []*store.Entry
	err := s.Read(context.Background(), func(tx store.Tx) error {
		var err error
		es, err = tx.Entries(context.Background(), 0, "", 0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// benchNothingArchived checks that the backlog is as built: no segment, every
// one of the completed tasks in the working set, no journal entry.
func benchNothingArchived(t *testing.T, s store.Store, completed int) {
	t.Helper()
	ctx := context.Background()
	e := benchEngine(s)
	segs, err := e.ArchiveSegments(ctx)
	if err != nil || len(segs) != 0 {
		t.Errorf("segments after a failed archive: %v, %v; want none", segs, err)
	}
	n, err := e.Count(ctx, "status:completed")
	if err != nil || n != completed {
		t.Errorf("completed tasks in the working set after a failed archive: %d, %v; want %d", n, err, completed)
	}
	if es := benchJournal(t, s); len(es) != 0 {
		t.Errorf("a failed archive left %d journal entries (first: %s %q)", len(es), es[0].Command, es[0].Summary)
	}
}

// TestArchiveOfThousandsIsOneTransaction archives 5,000 completed tasks
// beside 500 pending ones (50,000 beside 5,000 with BACKLOG_LOAD_TESTS=1)
// in one command.
func TestArchiveOfThousandsIsOneTransaction(t *testing.T) {
	pending, completed := loadtest.Size(benchPending/10, benchPending), loadtest.Size(benchCompleted/10, benchCompleted)
	if testing.Short() && loadtest.Full() {
		t.Skip("-short: builds a backlog of 55,000 tasks")
	}
	dir := t.TempDir()
	tmpl := filepath.Join(dir, "template.db")
	start := time.Now()
	benchBuildDB(t, tmpl, pending, completed)
	t.Logf("built %d pending and %d completed tasks in %s", pending, completed, time.Since(start).Round(time.Millisecond))
	ctx := context.Background()

	t.Run("one command, one journal entry", func(t *testing.T) {
		path := filepath.Join(dir, "ok.db")
		benchCopyDB(t, tmpl, path)
		st := benchOpenDB(t, path)
		e := benchEngine(st)
		start := time.Now()
		n, err := e.Archive(ctx, 90)
		took := time.Since(start)
		if err != nil || n != completed {
			t.Fatalf("archive = %d, %v; want %d", n, err, completed)
		}
		t.Logf("archived %d tasks in %s", n, took.Round(time.Millisecond))
		es := benchJournal(t, st)
		if len(es) != 1 {
			t.Fatalf("archive wrote %d journal entries, want 1", len(es))
		}
		if es[0].Command != "archive" || len(es[0].Changes) != completed || es[0].Summary != fmt.Sprintf("archive %d tasks older than 90 days", completed) {
			t.Errorf("the entry: %s %q with %d changes", es[0].Command, es[0].Summary, len(es[0].Changes))
		}
		segs, err := e.ArchiveSegments(ctx)
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, s := range segs {
			total += s.Count
		}
		if total != completed || len(segs) != 2 {
			t.Errorf("segments %v: want 2026-Q1 and 2026-Q2 holding %d tasks", segs, completed)
		}
		if n, _ := e.Count(ctx, "status:completed"); n != 0 {
			t.Errorf("%d completed tasks left in the working set", n)
		}
		if n, _ := e.Count(ctx, ""); n != pending {
			t.Errorf("working set: %d pending tasks, want %d", n, pending)
		}
		if os.Getenv("BACKLOG_ARCHIVE_UNDO") == "" {
			t.Logf("BACKLOG_ARCHIVE_UNDO=1 also undoes the archive of %d tasks (about half a minute for 50,000)", completed)
			return
		}
		start = time.Now()
		u, err := e.Undo(ctx)
		if err != nil || u.Undone == nil {
			t.Fatalf("undo of the archive: %v", err)
		}
		t.Logf("undid the archive in %s", time.Since(start).Round(time.Millisecond))
		if n, _ := e.Count(ctx, "status:completed"); n != completed {
			t.Errorf("after undo: %d completed tasks in the working set, want %d", n, completed)
		}
		if segs, _ := e.ArchiveSegments(ctx); len(segs) != 0 {
			t.Errorf("after undo: segments %v", segs)
		}
	})

	t.Run("a context cancelled half-way leaves nothing archived", func(t *testing.T) {
		path := filepath.Join(dir, "cancel.db")
		benchCopyDB(t, tmpl, path)
		st := benchOpenDB(t, path)
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		fs := &benchFaultStore{Store: st, onArchive: func(n int) error {
			if n == completed/2 {
				cancel()
			}
			return nil
		}}
		n, err := benchEngine(fs).Archive(cctx, 90)
		if err == nil {
			t.Fatalf("archive with a context cancelled after %d tasks succeeded: %d archived", completed/2, n)
		}
		if !errors.Is(err, context.Canceled) {
			t.Logf("the error does not wrap context.Canceled: %v", err)
		}
		t.Logf("archive stopped after %d store calls: %v", fs.calls, err)
		benchNothingArchived(t, st, completed)
	})

	t.Run("a store error half-way leaves nothing archived", func(t *testing.T) {
		path := filepath.Join(dir, "fail.db")
		benchCopyDB(t, tmpl, path)
		st := benchOpenDB(t, path)
		boom := errors.New("disk full")
		fs := &benchFaultStore{Store: st, onArchive: func(n int) error {
			if n == completed/2 {
				return boom
			}
			return nil
		}}
		n, err := benchEngine(fs).Archive(ctx, 90)
		if !errors.Is(err, boom) {
			t.Fatalf("archive = %d, %v; want the store's error", n, err)
		}
		benchNothingArchived(t, st, completed)
	})
}

// BenchmarkListWorkingSet lists the 5,000 pending tasks (the default list:
// pending, by urgency) of three backlogs: with nothing else, with 50,000
// completed tasks beside them, and after archiving those 50,000.
func BenchmarkListWorkingSet(b *testing.B) {
	dir := b.TempDir()
	only := filepath.Join(dir, "only.db")
	benchBuildDB(b, only, benchPending, 0)
	with := filepath.Join(dir, "with.db")
	benchBuildDB(b, with, benchPending, benchCompleted)
	after := filepath.Join(dir, "after.db")
	benchCopyDB(b, with, after)
	func() {
		st, err := sqlite.Open(context.Background(), after)
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		if n, err := benchEngine(st).Archive(context.Background(), 90); err != nil || n != benchCompleted {
			b.Fatalf("archive = %d, %v", n, err)
		}
	}()
	for _, c := range []struct{ name, path string }{
		{"5000 pending only", only},
		{"5000 pending beside 50000 completed (before archiving)", with},
		{"5000 pending after archiving 50000 completed", after},
	} {
		b.Run(c.name, func(b *testing.B) {
			e := benchEngine(benchOpenDB(b, c.path))
			ctx := context.Background()
			b.ResetTimer()
			for b.Loop() {
				l, err := e.List(ctx, engine.ListOptions{})
				if err != nil || len(l.Tasks) != benchPending {
					b.Fatalf("list = %v, %v", l, err)
				}
			}
		})
	}
}

// BenchmarkArchive50000 measures the archive command itself: 50,000
// completed tasks beside 5,000 pending ones, moved in one command.
func BenchmarkArchive50000(b *testing.B) {
	dir := b.TempDir()
	tmpl := filepath.Join(dir, "template.db")
	benchBuildDB(b, tmpl, benchPending, benchCompleted)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		path := filepath.Join(dir, fmt.Sprintf("run%d.db", i))
		benchCopyDB(b, tmpl, path)
		st, err := sqlite.Open(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		e := benchEngine(st)
		b.StartTimer()
		n, err := e.Archive(ctx, 90)
		b.StopTimer()
		if err != nil || n != benchCompleted {
			b.Fatalf("archive = %d, %v", n, err)
		}
		st.Close()
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(path + suffix)
		}
		b.StartTimer()
	}
}
