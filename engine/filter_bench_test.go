package engine_test

// Filter cost against term count, through the engine on the SQLite store
// (issue 11: 1,000 OR-ed tags took 33 CPU-seconds on 2,000 tasks; the
// target is 200 ms on 10,000). Each filter ORs n terms of which the first
// selects tasks and the others name tags or projects no task has, so that
// the answer stays the same as n grows and the time shows the terms' cost.
//
//	go test ./engine -run '^$' -bench FilterTerms -benchtime 21x

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/sqlite"
	"github.com/agent-backlog/backlog/store"
)

const filterBenchTasks = 10_000

// filterBenchStore writes filterBenchTasks pending tasks, with 0-2 of 8
// tags and one of 50 projects each, into a new SQLite file.
func filterBenchStore(b *testing.B) *engine.Engine {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "backlog.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	tags := []string{"bug", "perf", "ux", "next", "docs", "infra", "security", "tests"}
	err = st.Write(ctx, func(tx store.Tx) error {
		for i := 0; i < filterBenchTasks; i++ {
			id, err := tx.NextID(ctx)
			if err != nil {
				return err
			}
			t := &backlog.Task{
				ID: id, UUID: uuid.NewString(), Description: fmt.Sprintf("Task number %d of the bench", i),
				Status: backlog.StatusPending, Project: fmt.Sprintf("p%d", i%50),
				Entry: benchNow.Add(-time.Duration(i) * time.Minute), Modified: benchNow,
			}
			for k := 0; k < i%3; k++ {
				t.Tags = append(t.Tags, tags[(i+k*3)%len(tags)])
			}
			if err := tx.Insert(ctx, t); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return engine.New(st, engine.Options{Agent: "bench", Clock: func() time.Time { return benchNow }})
}

// filterBenchTerms is n OR-ed terms of one kind, the first one selecting.
func filterBenchTerms(kind string, n int) string {
	first, other := "+bug", "+t%d"
	if kind == "projects" {
		first, other = "project:p7", "project:q%d"
	}
	terms := make([]string, n)
	terms[0] = first
	for i := 1; i < n; i++ {
		terms[i] = fmt.Sprintf(other, i)
	}
	return strings.Join(terms, " or ")
}

func BenchmarkFilterTerms(b *testing.B) {
	e := filterBenchStore(b)
	ctx := context.Background()
	for _, kind := range []string{"tags", "projects"} {
		for _, n := range []int{10, 100, 1000} {
			src := filterBenchTerms(kind, n)
			b.Run(fmt.Sprintf("Count %d %s", n, kind), func(b *testing.B) {
				var ds []time.Duration
				got := 0
				for b.Loop() {
					t0 := time.Now()
					c, err := e.Count(ctx, src)
					if err != nil {
						b.Fatal(err)
					}
					ds = append(ds, time.Since(t0))
					got = c
				}
				b.ReportMetric(float64(got), "tasks")
				filterBenchMedian(b, ds)
			})
			b.Run(fmt.Sprintf("List %d %s", n, kind), func(b *testing.B) {
				var ds []time.Duration
				got := 0
				for b.Loop() {
					t0 := time.Now()
					l, err := e.List(ctx, engine.ListOptions{Filter: src})
					if err != nil {
						b.Fatal(err)
					}
					ds = append(ds, time.Since(t0))
					got = len(l.Tasks)
				}
				b.ReportMetric(float64(got), "tasks")
				filterBenchMedian(b, ds)
			})
		}
	}
}

// filterBenchMedian reports the median of per-operation times, which a
// shared machine disturbs less than the mean.
func filterBenchMedian(b *testing.B, ds []time.Duration) {
	slices.Sort(ds)
	b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, "median-ms")
}
