package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/sqlite"
	"github.com/agent-backlog/backlog/store"
)

// The benchmarks share one backlog of 100,000 tasks, built once per run in
// a namespace of its own (deleted by TestMain) with COPY in one
// transaction: the shape and the random seed of the SQLite store's
// benchmarks (sqlite/bench_test.go), so the two run on the same tasks. A
// quarter of the tasks pending, the rest mostly completed; 60 projects
// (some nested), 30 tags, descriptions of 3 to 8 words out of 3,000, some
// annotations and dependencies, a few UDAs.
//
// BenchmarkClaim8 and BenchmarkClaim8SQLite measure claim throughput with 8
// concurrent claimers on each store (SQLite's benchmarks have no claim).
// BACKLOG_POSTGRES_BENCH_NAMESPACE keeps the PostgreSQL data between runs.

const benchTasks = 100_000

var bench struct {
	once      sync.Once
	namespace string
	keep      bool
	err       error

	liteOnce sync.Once
	liteDir  string
	litePath string
	liteErr  error
}

func benchWord(i int) string { return fmt.Sprintf("w%04dx", i) }

type randReader struct{ r *rand.Rand }

func (rr randReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(rr.r.Uint32())
	}
	return len(p), nil
}

// benchData is the SQLite benchmarks' data: same seed, same order of draws.
func benchData() []*backlog.Task {
	r := rand.New(rand.NewPCG(7, 7))
	uuids := make([]string, benchTasks)
	for i := range uuids {
		uuids[i] = uuid.Must(uuid.NewRandomFromReader(randReader{r})).String()
	}
	tasks := make([]*backlog.Task, benchTasks)
	for i := range tasks {
		tasks[i] = benchTask(r, int64(i+1), uuids)
	}
	return tasks
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

// benchNamespace builds (once) the PostgreSQL backlog of the benchmarks.
func benchNamespace(b *testing.B) string {
	b.Helper()
	requireServer(b)
	bench.once.Do(func() {
		ctx := context.Background()
		bench.namespace = os.Getenv("BACKLOG_POSTGRES_BENCH_NAMESPACE")
		bench.keep = bench.namespace != ""
		if !bench.keep {
			bench.namespace = "bench-" + testNamespace()
		}
		s, err := Open(ctx, testURL(), bench.namespace)
		if err != nil {
			bench.err = err
			return
		}
		defer s.Close()
		var n int
		if err := s.Read(ctx, func(tx store.Tx) error {
			var err error
			n, err = tx.Count(ctx, store.Query{})
			return err
		}); err != nil || n > 0 {
			bench.err = err
			return
		}
		start := time.Now()
		if bench.err = s.BulkInsert(ctx, benchData()); bench.err != nil {
			return
		}
		if _, bench.err = s.pool.Exec(ctx, "VACUUM ANALYZE tasks"); bench.err == nil {
			_, bench.err = s.pool.Exec(ctx, "VACUUM ANALYZE task_deps")
		}
		fmt.Fprintf(os.Stderr, "built a PostgreSQL backlog of %d tasks in %v\n", benchTasks, time.Since(start).Round(time.Millisecond))
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.namespace
}

// benchSQLite builds (once) the SQLite database of the same tasks, with
// Insert in one transaction as SQLite's own benchmarks do.
func benchSQLite(b *testing.B) string {
	b.Helper()
	bench.liteOnce.Do(func() {
		ctx := context.Background()
		bench.liteDir, bench.liteErr = os.MkdirTemp("", "backlog-bench-")
		if bench.liteErr != nil {
			return
		}
		bench.litePath = filepath.Join(bench.liteDir, "bench.db")
		s, err := sqlite.Open(ctx, bench.litePath)
		if err != nil {
			bench.liteErr = err
			return
		}
		defer s.Close()
		start := time.Now()
		tasks := benchData()
		bench.liteErr = s.Write(ctx, func(tx store.Tx) error {
			for _, t := range tasks {
				if err := tx.Insert(ctx, t); err != nil {
					return err
				}
			}
			return nil
		})
		fmt.Fprintf(os.Stderr, "built a SQLite backlog of %d tasks in %v\n", benchTasks, time.Since(start).Round(time.Millisecond))
	})
	if bench.liteErr != nil {
		b.Fatal(bench.liteErr)
	}
	return bench.litePath
}

// cleanBench removes the benchmark data (TestMain).
func cleanBench() {
	if bench.namespace != "" && !bench.keep && server.admin != nil {
		dropNamespace(nopLogger{}, DefaultSchema, bench.namespace)
	}
	if bench.liteDir != "" {
		os.RemoveAll(bench.liteDir)
	}
}

type nopLogger struct{ testing.TB }

func (nopLogger) Logf(string, ...any) {}

func openBench(b *testing.B) *Store {
	s, err := Open(context.Background(), testURL(), benchNamespace(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
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

// BenchmarkOpen opens the store and reads one task, as a command does;
// closing is not timed.
func BenchmarkOpen(b *testing.B) {
	ns := benchNamespace(b)
	ctx := context.Background()
	var ds []time.Duration
	for b.Loop() {
		start := time.Now()
		s, err := Open(ctx, testURL(), ns)
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

// benchClaims runs b.N claims through engine.Claim with 8 claimers on s,
// each with its own engine, and reports claims per second. The claimed
// tasks are released when the run ends.
func benchClaims(b *testing.B, s store.Store, filterSrc string) {
	const claimers = 8
	ctx := context.Background()
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var ds []time.Duration
	var claimed []string
	b.Cleanup(func() {
		release := engine.New(s, engine.Options{Agent: "bench-release", Clock: func() time.Time { return clock }})
		for _, u := range claimed {
			if _, err := release.Release(ctx, u, "", true); err != nil {
				b.Error(err)
			}
		}
	})
	b.ResetTimer()
	start := time.Now()
	for g := 0; g < claimers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := engine.New(s, engine.Options{Agent: fmt.Sprintf("bench-claimer-%d", g), Clock: func() time.Time { return clock }})
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				r, err := e.Claim(ctx, engine.ClaimOptions{Filter: filterSrc})
				if err != nil {
					b.Error(err)
					return
				}
				if r.Task == nil {
					b.Error("nothing left to claim")
					return
				}
				mu.Lock()
				ds = append(ds, time.Since(t0))
				claimed = append(claimed, r.Task.UUID)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "claims/s")
	reportMedian(b, ds)
}

// claimFilter narrows claims to one project: about 400 ready tasks of the
// 100,000, as an agent working on one part of a project claims.
const claimFilter = "project:proj3"

// BenchmarkClaim8 claims with 8 concurrent claimers, each claim taking the
// most urgent ready task of the project.
func BenchmarkClaim8(b *testing.B) { benchClaims(b, openBench(b), claimFilter) }

// BenchmarkClaim8SQLite is the same on the SQLite store.
func BenchmarkClaim8SQLite(b *testing.B) {
	s, err := sqlite.Open(context.Background(), benchSQLite(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	benchClaims(b, s, claimFilter)
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

// benchAdd adds one task through the engine (validation, id, insert,
// journal entry and, on PostgreSQL, its NOTIFY), as `backlog add` does.
func benchAdd(b *testing.B, s store.Store) {
	ctx := context.Background()
	e := engine.New(s, engine.Options{Agent: "bench-adder", Clock: func() time.Time { return clock }})
	var ds []time.Duration
	i := 0
	b.ResetTimer()
	for b.Loop() {
		i++
		start := time.Now()
		desc := fmt.Sprintf("added %s %s %d", benchWord(i%3000), benchWord((i*7)%3000), i)
		if _, err := e.Add(ctx, &engine.Changes{Description: &desc, Project: ptr("proj1"), Tags: &engine.ListEdit{Add: []string{"tag1"}}}); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(start))
	}
	reportMedian(b, ds)
}

func ptr(s string) *string { return &s }

// BenchmarkAdd is an engine add on the 100,000 tasks.
func BenchmarkAdd(b *testing.B) { benchAdd(b, openBench(b)) }

// BenchmarkAddSQLite is the same on the SQLite store.
func BenchmarkAddSQLite(b *testing.B) {
	s, err := sqlite.Open(context.Background(), benchSQLite(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	benchAdd(b, s)
}
