package systemtest

import (
	"context"
	"fmt"
	"math/rand/v2"
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

// BenchmarkSummary10k measures Summary on SQLite backlogs of 10,000 tasks;
// the target is under 10 ms. Shapes:
//   - grown: 20% open, the rest history; one open task in ten overdue, one
//     in fifty claimed, a tenth finished in the last two days.
//   - 90% open: the same with nine tasks in ten still open (9,000), of which
//     1,000 overdue (all within 13 days: many tie at the top) and 200 claimed.
//   - 90% open, bare: 9,000 open tasks alike in everything, made at the same
//     second (every one ties).
//   - realistic: 10,000 tasks made over two years, 35% open; priorities,
//     0-3 tags, annotations, due dates from two months ago to two months
//     ahead on one in five, scheduled and waiting ones, dependency chains,
//     claimed and started ones, 30 projects.
func BenchmarkSummary10k(b *testing.B) {
	b.Run("grown", func(b *testing.B) { benchSummary(b, shapeSteps(5), "") })
	b.Run("90% open", func(b *testing.B) { benchSummary(b, shapeSteps(10), "") })
	b.Run("90% open, bare", func(b *testing.B) { benchSummary(b, shapeBare, "") })
	b.Run("realistic", func(b *testing.B) { benchSummary(b, shapeRealistic, "") })
	// A filtered summary (one project of twenty) reads the ranked tasks
	// of every project to find that one's.
	b.Run("90% open, one project", func(b *testing.B) { benchSummary(b, shapeSteps(10), "project:p3.sub") })
	b.Run("realistic, one project", func(b *testing.B) { benchSummary(b, shapeRealistic, "project:proj3") })
}

// A summary shape writes task i of 10,000 as JSON fields (after the
// opening brace and description).
type summaryShape func(sb *strings.Builder, i int, now time.Time, r *rand.Rand)

// shapeSteps: every k-th group of ten open (k = 10: 90% open, k = 5: 20%).
func shapeSteps(k int) summaryShape {
	return func(sb *strings.Builder, i int, now time.Time, _ *rand.Rand) {
		fmt.Fprintf(sb, `,"project":"p%d.sub","tags":["t%d"]`, i%20, i%7)
		switch {
		case k == 5 && i%10 >= 2:
			fmt.Fprintf(sb, `,"status":"completed","end":"%s"`, now.Add(-time.Duration(48+i%5000)*time.Hour).Format(time.RFC3339))
		case i%10 == 0:
			fmt.Fprintf(sb, `,"due":"%s"`, now.Add(-time.Duration(1+i%300)*time.Hour).Format(time.RFC3339))
		case i%10 == 1:
			fmt.Fprintf(sb, `,"status":"completed","end":"%s"`, now.Add(-time.Duration(i%48)*time.Hour).Format(time.RFC3339))
		case i%50 == 2:
			fmt.Fprintf(sb, `,"agent":"agent%d","start":"%s"`, i%9, now.Add(-time.Hour).Format(time.RFC3339))
		}
	}
}

func shapeBare(sb *strings.Builder, i int, now time.Time, _ *rand.Rand) {
	if i%10 == 1 {
		fmt.Fprintf(sb, `,"status":"completed","end":"%s"`, now.Add(-time.Duration(i%48)*time.Hour).Format(time.RFC3339))
	}
}

func shapeRealistic(sb *strings.Builder, i int, now time.Time, r *rand.Rand) {
	at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	days := func(n float64) time.Duration { return time.Duration(n * 24 * float64(time.Hour)) }
	entry := days(-730 * r.Float64())
	fmt.Fprintf(sb, `,"entry":"%s","project":"proj%d"`, at(entry), r.IntN(30))
	if p := r.IntN(6); p < 3 {
		fmt.Fprintf(sb, `,"priority":"%s"`, []string{"H", "M", "L"}[p])
	}
	if n := r.IntN(4); n > 0 {
		sb.WriteString(`,"tags":[`)
		base := r.IntN(25)
		for t := 0; t < n; t++ {
			if t > 0 {
				sb.WriteString(",")
			}
			fmt.Fprintf(sb, `"tag%d"`, (base+7*t)%25)
		}
		sb.WriteString("]")
	}
	if r.IntN(10) == 0 {
		fmt.Fprintf(sb, `,"annotations":[{"entry":"%s","description":"a note"}]`, at(entry/2))
	}
	if r.IntN(100) >= 35 {
		fmt.Fprintf(sb, `,"status":"completed","end":"%s"`, at(entry/3))
		return
	}
	switch r.IntN(20) {
	case 0, 1, 2, 3:
		fmt.Fprintf(sb, `,"due":"%s"`, at(days(120*r.Float64()-60)))
	case 4:
		fmt.Fprintf(sb, `,"scheduled":"%s"`, at(days(20*r.Float64()-10)))
	case 5:
		fmt.Fprintf(sb, `,"wait":"%s"`, at(days(30*r.Float64())))
	case 6:
		fmt.Fprintf(sb, `,"agent":"agent%d","start":"%s"`, r.IntN(8), at(-days(r.Float64())))
	case 7:
		if i > 0 {
			fmt.Fprintf(sb, `,"depends":["%s"]`, benchUUID(i-1))
		}
	}
}

// benchUUID is the UUID the benchmarks give task i.
func benchUUID(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", i) }

// benchSummary times Summary on 10,000 tasks of the shape, with a filter.
func benchSummary(b *testing.B, shape summaryShape, filter string) {
	ctx := context.Background()
	path := newStore(b, b.TempDir(), nil)
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC()
	e := engine.New(st, engine.Options{Agent: "bench", Clock: func() time.Time { return now }})
	r := rand.New(rand.NewPCG(1, 2))
	var sb strings.Builder
	sb.WriteString("[")
	for i := 0; i < 10_000; i++ {
		if i > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `{"uuid":"%s","description":"task %d of a realistic length, say fifty bytes"`, benchUUID(i), i)
		shape(&sb, i, now, r)
		sb.WriteString("}")
	}
	sb.WriteString("]")
	if _, err := e.Import(ctx, []byte(sb.String()), engine.ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := e.Summary(ctx, engine.SummaryOptions{Filter: filter}); err != nil {
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
