package systemtest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/sqlite"
)

// BenchmarkClaimConcurrent measures claims per second with 8 claimers at
// once, each with its own connection to one SQLite file (as 8 processes
// would have), draining rounds of 1,000 READY tasks.
func BenchmarkClaimConcurrent(b *testing.B) {
	const claimers, round = 8, 1000
	ctx := context.Background()
	path := newStore(b, b.TempDir(), nil)
	engines := make([]*engine.Engine, claimers)
	for i := range engines {
		st, err := sqlite.Open(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		engines[i] = engine.New(st, engine.Options{Agent: fmt.Sprintf("claimer%d", i)})
	}
	var busy time.Duration
	for claimed := 0; claimed < b.N; {
		n := min(round, b.N-claimed)
		if _, err := engines[0].Import(ctx, readyTasks(n, claimed), engine.ImportOptions{}); err != nil {
			b.Fatal(err)
		}
		began := time.Now()
		var wg sync.WaitGroup
		var mu sync.Mutex
		for _, e := range engines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					res, err := e.Claim(ctx, engine.ClaimOptions{})
					if err != nil {
						b.Error(err)
						return
					}
					if res.Task == nil {
						return
					}
					mu.Lock()
					claimed++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		busy += time.Since(began)
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(float64(b.N)/busy.Seconds(), "claims/s")
}

// BenchmarkSummary10k measures Summary on a SQLite backlog of 10,000 tasks
// (pending, overdue, claimed and recently completed ones); the target is
// under 10 ms.
func BenchmarkSummary10k(b *testing.B) {
	// Shaped like a backlog that has grown to 10,000 tasks: mostly history.
	b.Run("20% pending", func(b *testing.B) { benchSummary(b, 5) })
	// The stress case: nine in ten tasks still pending.
	b.Run("90% pending", func(b *testing.B) { benchSummary(b, 10) })
}

// benchSummary times Summary on 10,000 tasks of which every k-th group of
// ten is open: k = 10 leaves 90% pending, k = 5 about 20%.
func benchSummary(b *testing.B, k int) {
	ctx := context.Background()
	path := newStore(b, b.TempDir(), nil)
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC()
	e := engine.New(st, engine.Options{Agent: "bench", Clock: func() time.Time { return now }})
	var sb strings.Builder
	sb.WriteString("[")
	for i := 0; i < 10_000; i++ {
		if i > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `{"description":"task %d of a realistic length, say fifty bytes","project":"p%d.sub","tags":["t%d"]`, i, i%20, i%7)
		switch {
		case k == 5 && i%10 >= 2:
			fmt.Fprintf(&sb, `,"status":"completed","end":"%s"`, now.Add(-time.Duration(48+i%5000)*time.Hour).Format(time.RFC3339))
		case i%10 == 0:
			fmt.Fprintf(&sb, `,"due":"%s"`, now.Add(-time.Duration(1+i%300)*time.Hour).Format(time.RFC3339))
		case i%10 == 1:
			fmt.Fprintf(&sb, `,"status":"completed","end":"%s"`, now.Add(-time.Duration(i%48)*time.Hour).Format(time.RFC3339))
		case i%50 == 2:
			fmt.Fprintf(&sb, `,"agent":"agent%d","start":"%s"`, i%9, now.Add(-time.Hour).Format(time.RFC3339))
		}
		sb.WriteString("}")
	}
	sb.WriteString("]")
	if _, err := e.Import(ctx, []byte(sb.String()), engine.ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := e.Summary(ctx, engine.SummaryOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWatchLatency measures the time from a writer's commit returning
// to a backlog watch process printing the change (the target is under
// 100 ms). SQLite has no cross-process notification: watch polls the
// journal's newest sequence number every 20 ms.
func BenchmarkWatchLatency(b *testing.B) {
	ctx := context.Background()
	bin := buildBacklog(b)
	dir := b.TempDir()
	path := newStore(b, dir, nil)
	w := startWatch(b, bin, dir, "--from", "0")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	e := engine.New(st, engine.Options{Agent: "writer"})
	add := func(i int) time.Time {
		c, err := engine.ParseMods([]string{fmt.Sprintf("change %d", i)}, true)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.Add(ctx, c); err != nil {
			b.Fatal(err)
		}
		return time.Now()
	}
	add(-1) // the watch is running once it prints this
	w.waitFor(b, "the first change", func(l []watchLine) bool { return len(l) == 1 })
	var lat []time.Duration
	i := 0
	for b.Loop() {
		committed := add(i)
		i++
		lines := w.waitFor(b, "the change", func(l []watchLine) bool { return len(l) == i+1 })
		lat = append(lat, lines[i].at.Sub(committed))
	}
	w.interrupt(b)
	slices.Sort(lat)
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(float64(sum.Microseconds())/float64(len(lat))/1000, "ms/notify")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}
