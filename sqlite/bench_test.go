package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store"
)

// The benchmarks share one store of 100,000 tasks, built once per run in a
// temporary directory (removed by TestMain) with bulk inserts in one
// transaction. Its shape: a quarter of the tasks pending, the rest mostly
// completed; 60 projects (some nested), 30 tags, descriptions of 3 to 8
// words out of 3,000, some annotations and dependencies, a few UDAs.

const benchTasks = 100_000

var bench struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// benchWords is a vocabulary of made-up words: w0000, w0001, ...
func benchWord(i int) string { return fmt.Sprintf("w%04dx", i) }

func benchStore(b *testing.B) string {
	b.Helper()
	bench.once.Do(func() {
		// BACKLOG_SQLITE_BENCH_DB keeps the store between runs.
		if p := os.Getenv("BACKLOG_SQLITE_BENCH_DB"); p != "" {
			bench.path = p
			if _, err := os.Stat(p); err == nil {
				return
			}
			bench.err = buildBenchStore(p)
			return
		}
		bench.dir, bench.err = os.MkdirTemp("", "backlog-bench-")
		if bench.err != nil {
			return
		}
		bench.path = filepath.Join(bench.dir, "bench.db")
		bench.err = buildBenchStore(bench.path)
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.path
}

func buildBenchStore(path string) error {
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		return err
	}
	defer s.Close()
	r := rand.New(rand.NewPCG(7, 7))
	uuids := make([]string, benchTasks)
	for i := range uuids {
		uuids[i] = uuid.Must(uuid.NewRandomFromReader(randReader{r})).String()
	}
	start := time.Now()
	err = s.Write(ctx, func(tx store.Tx) error {
		for i := 0; i < benchTasks; i++ {
			id, err := tx.NextID(ctx)
			if err != nil {
				return err
			}
			t := benchTask(r, id, uuids)
			if err := tx.Insert(ctx, t); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "built a store of %d tasks in %v\n", benchTasks, time.Since(start).Round(time.Millisecond))
	return nil
}

type randReader struct{ r *rand.Rand }

func (rr randReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(rr.r.Uint32())
	}
	return len(p), nil
}

func benchTask(r *rand.Rand, id int64, uuids []string) *backlog.Task {
	t := &backlog.Task{ID: id, UUID: uuids[id-1], Entry: clock.Add(-time.Duration(r.IntN(1000)) * time.Hour)}
	t.Modified = t.Entry
	words := make([]string, 3+r.IntN(6))
	for i := range words {
		words[i] = benchWord(r.IntN(3000))
	}
	t.Description = strings.Join(words, " ")
	switch x := r.IntN(100); {
	case x < 25:
		t.Status = backlog.StatusPending
	case x < 90:
		t.Status = backlog.StatusCompleted
		t.End = t.Entry.Add(time.Hour)
	case x < 98:
		t.Status = backlog.StatusDeleted
	default:
		t.Status = backlog.StatusRecurring
		t.Recur = "weekly"
		t.Due = clock
	}
	t.Project = fmt.Sprintf("proj%d", r.IntN(50))
	if r.IntN(5) == 0 {
		t.Project += fmt.Sprintf(".sub%d", r.IntN(10))
	}
	t.Priority = []backlog.Priority{"", "", "L", "M", "H"}[r.IntN(5)]
	for k := r.IntN(4); k > 0; k-- {
		tag := fmt.Sprintf("tag%d", r.IntN(30))
		if !slices.Contains(t.Tags, tag) {
			t.Tags = append(t.Tags, tag)
		}
	}
	if r.IntN(3) == 0 {
		t.Due = clock.Add(time.Duration(r.IntN(60*24)-30*24) * time.Hour)
	}
	if r.IntN(5) == 0 {
		t.Annotations = []backlog.Annotation{{Entry: t.Entry, Description: "note " + benchWord(r.IntN(3000))}}
	}
	if r.IntN(10) == 0 && id > 1 {
		t.Depends = []string{uuids[r.Int64N(id-1)]}
	}
	if r.IntN(10) == 0 {
		t.Extra = map[string]any{"estimate": float64(r.IntN(8)), "owner": "ana"}
	}
	return t
}

func parseBench(b *testing.B, src string) filter.Expr {
	e, err := filter.Parse(src, filter.Options{Now: clock})
	if err != nil {
		b.Fatal(err)
	}
	return filter.DefaultScope(e)
}

// reportMedian reports the median of per-operation times.
func reportMedian(b *testing.B, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, "median-ms")
}

func openBench(b *testing.B) *Store {
	s, err := Open(context.Background(), benchStore(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkInsert adds one task in its own write transaction.
func BenchmarkInsert(b *testing.B) {
	s := openBench(b)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(9, 9))
	var ds []time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		err := s.Write(ctx, func(tx store.Tx) error {
			id, err := tx.NextID(ctx)
			if err != nil {
				return err
			}
			t := benchTask(r, 1, []string{uuid.NewString()})
			t.ID = id
			return tx.Insert(ctx, t)
		})
		if err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(start))
	}
	reportMedian(b, ds)
}

func benchSelect(b *testing.B, src string, count bool) {
	s := openBench(b)
	ctx := context.Background()
	q := store.Query{Filter: parseBench(b, src), Now: clock}
	var ds []time.Duration
	n := 0
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		err := s.Read(ctx, func(tx store.Tx) error {
			if count {
				c, err := tx.Count(ctx, q)
				n = c
				return err
			}
			ts, err := tx.Select(ctx, q)
			n = len(ts)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(start))
	}
	b.ReportMetric(float64(n), "tasks")
	reportMedian(b, ds)
}

// BenchmarkSelectProjectTag lists `project:proj7 +tag3` (pending).
func BenchmarkSelectProjectTag(b *testing.B) { benchSelect(b, "project:proj7 +tag3", false) }

// BenchmarkSelectWord lists the pending tasks whose text holds a word.
func BenchmarkSelectWord(b *testing.B) { benchSelect(b, benchWord(1234), false) }

// BenchmarkSelectWordAll searches a word in every task, of any status.
func BenchmarkSelectWordAll(b *testing.B) { benchSelect(b, "status.any: "+benchWord(1234), false) }

// BenchmarkCountPending counts the default list.
func BenchmarkCountPending(b *testing.B) { benchSelect(b, "", true) }

// BenchmarkCountReady counts +READY (the graph, in SQL).
func BenchmarkCountReady(b *testing.B) { benchSelect(b, "+READY", true) }

// BenchmarkSelectPending loads the whole default list (about 25,000 tasks).
func BenchmarkSelectPending(b *testing.B) { benchSelect(b, "", false) }

// BenchmarkSelectBlocked lists +BLOCKED, which needs the graph in Go too.
func BenchmarkSelectBlocked(b *testing.B) { benchSelect(b, "+BLOCKED", false) }

// BenchmarkOpen opens the existing database and reads one task, as a
// command does; closing is not timed.
func BenchmarkOpen(b *testing.B) {
	path := benchStore(b)
	ctx := context.Background()
	var ds []time.Duration
	for b.Loop() {
		start := time.Now()
		s, err := Open(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		err = s.Read(ctx, func(tx store.Tx) error {
			_, err := tx.Task(ctx, 42)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(start))
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
	reportMedian(b, ds)
}
