package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/filter/filtertest"
	"github.com/agent-backlog/backlog/store"
)

// The ranked select by urgency (rank.go) walks an index of upper bounds
// and stops early; these tests hold it to the exact Go figures on random
// backlogs of every shape, and hold the stored columns it walks (urg_own,
// blocking_n, rank_hi of migration 0004) to the Go computation after
// random writes and after a migration from schema 3.

const rankDay = 24 * time.Hour

// rankSeed is BACKLOG_RANK_SEED, or def.
func rankSeed(def uint64) uint64 {
	if v := os.Getenv("BACKLOG_RANK_SEED"); v != "" {
		if s, err := strconv.ParseUint(v, 10, 64); err == nil {
			return s
		}
	}
	return def
}

// rankShape weighs the kinds of task a random backlog is made of.
type rankShape struct {
	name     string
	tie      float64 // a copy of one of a few templates: exact ties
	bare     float64 // no entry, no feature: rank_hi 0
	due      float64 // a due date around the clock, often past
	sched    float64 // a scheduled date
	wait     float64 // a wait date (waiting when in the future)
	deps     float64 // depends on other tasks of the backlog
	next     float64 // the next tag (15 points)
	finished float64 // completed or deleted
	noEntry  float64 // no entry date (features kept)
	// tight: a copy of a template with no term but its own part and one
	// date, spread wide (an entry up to a year old, or a due date around
	// the clock), so that its urgency is its bound less the fall of that
	// one term: the walk's group jumps must be exact.
	tight float64
	// whole: rebuilt from the features worth whole points (next, high
	// priority, start, project; due, scheduled, entry, or instead of the
	// entry a project and three tags), so that tasks of different terms,
	// with and without due and entry dates, share bounds.
	whole float64
}

var rankShapes = []rankShape{
	{name: "mixed", tie: 0.05, bare: 0.05, due: 0.3, sched: 0.1, wait: 0.1, deps: 0.15, next: 0.05, finished: 0.1, noEntry: 0.05, tight: 0.15, whole: 0.15},
	{name: "tight", tight: 0.9, finished: 0.05},
	{name: "whole", whole: 0.9, deps: 0.15, finished: 0.05, tight: 0.05},
	{name: "ties", tie: 0.8, bare: 0.05, deps: 0.05, next: 0.02, finished: 0.05},
	{name: "due", tie: 0.1, due: 0.9, sched: 0.05, wait: 0.05, deps: 0.05, finished: 0.05},
	{name: "deps", tie: 0.1, due: 0.2, deps: 0.6, next: 0.05, finished: 0.2},
	{name: "bare", tie: 0.2, bare: 0.7, wait: 0.1, deps: 0.2, finished: 0.1},
	{name: "waiting", tie: 0.2, due: 0.3, sched: 0.5, wait: 0.6, deps: 0.1, finished: 0.1, noEntry: 0.3},
	{name: "finished", tie: 0.2, bare: 0.1, due: 0.3, deps: 0.2, finished: 0.85},
	{name: "plain", noEntry: 0.02},
}

// rankDate is a date around the clock: on the kinks of the due factor
// (a week overdue, two weeks ahead), on the clock's second, near, or far.
func rankDate(r *rand.Rand) time.Time {
	switch r.IntN(9) {
	case 0:
		return clock.Add(-7 * rankDay)
	case 1:
		return clock.Add(14 * rankDay)
	case 2:
		return clock.Add(time.Duration(r.IntN(3)-1) * time.Second)
	case 3:
		return clock.AddDate(-2+r.IntN(5), 0, 0)
	case 4:
		return clock.Add(time.Duration(r.IntN(5)-2) * 7 * rankDay)
	}
	return clock.Add(time.Duration(r.Int64N(int64(80*rankDay))) - 40*rankDay).Truncate(time.Second)
}

// rankBacklog builds n tasks of the shape: filtertest's random tasks (every
// field varied) reshaped so that the walk meets ties, saturated terms,
// bounds of 0, and blocked and blocking tasks, with dependencies on tasks
// inserted before and after the dependent.
func rankBacklog(r *rand.Rand, n int, sh rankShape) []*backlog.Task {
	tasks := filtertest.RandomTasks(r, n, clock)
	var tpls []*backlog.Task
	for k := 1 + r.IntN(4); k > 0; k-- {
		tpl := tasks[r.IntN(n)].Clone()
		tpl.Status, tpl.Recur, tpl.End = backlog.StatusPending, "", time.Time{}
		if r.IntN(2) == 0 {
			tpl.Entry = clock.Add(-10 * rankDay)
		}
		tpls = append(tpls, tpl)
	}
	// Each tight template has one more tag than the one before, so that
	// their groups' bounds lie a little apart (0.8, then 0.1) and the
	// most urgent tasks come from several groups.
	var tight []*backlog.Task
	for k := 1 + r.IntN(4); len(tight) < k; {
		var x *backlog.Task
		if j := len(tight); j > 0 {
			x = tight[j-1].Clone()
			x.Tags = append(x.Tags, fmt.Sprintf("t%d", j))
		} else {
			y := tasks[r.IntN(n)]
			x = &backlog.Task{Description: "tight", Status: backlog.StatusPending,
				Project: y.Project, Priority: y.Priority, Tags: slices.Clone(y.Tags[:min(len(y.Tags), r.IntN(3))])}
			if r.IntN(2) == 0 { // spread by due, the entry's age full
				x.Entry, x.Due = clock.AddDate(-2, 0, 0), clock
			}
		}
		tight = append(tight, x)
	}
	for i, x := range tasks {
		if r.Float64() < sh.tight {
			y := tight[r.IntN(len(tight))].Clone()
			y.ID, y.UUID = x.ID, x.UUID
			if y.Due.IsZero() {
				y.Entry = clock.Add(-time.Duration(r.Int64N(int64(400 * rankDay)))).Truncate(time.Second)
			} else {
				y.Due = clock.Add(time.Duration(r.Int64N(int64(30*rankDay))) - 10*rankDay).Truncate(time.Second)
			}
			tasks[i] = y
			continue
		}
		if r.Float64() < sh.whole {
			y := &backlog.Task{ID: x.ID, UUID: x.UUID, Description: "whole", Status: backlog.StatusPending}
			if r.IntN(6) == 0 {
				y.Tags = []string{"next"}
			}
			if r.IntN(4) == 0 {
				y.Priority = backlog.PriorityHigh
			}
			if r.IntN(4) == 0 {
				y.Start = clock.Add(-time.Hour)
			}
			if r.IntN(4) == 0 {
				y.Project = "web"
			}
			switch r.IntN(5) {
			case 0, 1: // a week or more overdue: the due term is full
				y.Due = clock.Add(-7*rankDay - time.Duration(r.Int64N(int64(30*rankDay)))).Truncate(time.Second)
			case 2:
				y.Due = clock.Add(time.Duration(r.Int64N(int64(30*rankDay))) - 10*rankDay).Truncate(time.Second)
			}
			if r.IntN(3) == 0 {
				y.Scheduled = clock.Add(time.Duration(r.Int64N(int64(4*rankDay))) - 3*rankDay).Truncate(time.Second)
			}
			switch r.IntN(3) {
			case 0: // young: the age term far from full
				y.Entry = clock.Add(-time.Duration(r.Int64N(int64(60 * rankDay)))).Truncate(time.Second)
			case 1:
				y.Entry = clock.Add(-time.Duration(r.Int64N(int64(400 * rankDay)))).Truncate(time.Second)
			default:
				// No entry, and instead of its 2 points of bound, a project
				// and three tags: the same bound from another term.
				y.Project, y.Tags = "ops", append(y.Tags, "a", "b", "c")
				if y.HasTag("next") {
					y.Tags = []string{"next", "a", "b"} // still 1 for tags
				}
			}
			tasks[i] = y
			continue
		}
		if r.Float64() < sh.tie {
			y := tpls[r.IntN(len(tpls))].Clone()
			y.ID, y.UUID = x.ID, x.UUID
			// Near ties: the same bound, the falling term a little apart.
			switch r.IntN(4) {
			case 0:
				if !y.Entry.IsZero() {
					y.Entry = y.Entry.Add(time.Duration(r.IntN(200)-100) * time.Hour)
				}
			case 1:
				if !y.Due.IsZero() {
					y.Due = y.Due.Add(time.Duration(r.IntN(200)-100) * time.Hour)
				}
			}
			tasks[i], x = y, y
		}
		if r.Float64() < sh.bare {
			*x = backlog.Task{ID: x.ID, UUID: x.UUID, Description: x.Description, Status: backlog.StatusPending}
			if r.IntN(4) == 0 {
				x.Wait = rankDate(r)
			}
		}
		if r.Float64() < sh.noEntry {
			x.Entry = time.Time{}
		}
		if r.Float64() < sh.due {
			x.Due = rankDate(r)
		}
		if r.Float64() < sh.sched {
			x.Scheduled = rankDate(r)
		}
		if r.Float64() < sh.wait {
			x.Wait = rankDate(r)
		}
		if r.Float64() < sh.next && !x.HasTag("next") {
			x.Tags = append(x.Tags, "next")
		}
		if r.Float64() < sh.finished {
			x.Status = []backlog.Status{backlog.StatusCompleted, backlog.StatusDeleted}[r.IntN(2)]
			x.Recur = ""
			if x.End.IsZero() {
				x.End = rankDate(r)
			}
		}
	}
	for _, x := range tasks {
		if r.Float64() < sh.deps {
			for k := 1 + r.IntN(3); k > 0; k-- {
				// Often a close neighbour, before or after: chains.
				j := r.IntN(n)
				if r.IntN(2) == 0 {
					j = min(max(int(x.ID)-1+r.IntN(7)-3, 0), n-1)
				}
				if d := tasks[j].UUID; d != x.UUID && !slices.Contains(x.Depends, d) {
					x.Depends = append(x.Depends, d)
				}
			}
		}
	}
	return tasks
}

// rankNows are the clocks the ranked selects run at: the clock, long
// before and after every entry and due date (where the age and due terms
// are all at 0 or all full), one at random, and two of: half a second
// or a nanosecond either side of the clock's second (dates are whole
// seconds), another zone, a year on, three weeks back, nine days on.
func rankNows(r *rand.Rand) []time.Time {
	some := []time.Time{
		clock.Add(500 * time.Millisecond), clock.In(localZone),
		clock.Add(time.Nanosecond), clock.Add(-time.Nanosecond),
		clock.AddDate(1, 1, 0), clock.Add(-20 * rankDay), clock.Add(9*rankDay + time.Hour),
	}
	r.Shuffle(len(some), func(i, j int) { some[i], some[j] = some[j], some[i] })
	return append([]time.Time{clock, clock.AddDate(-4, 0, 0), clock.AddDate(4, 0, 0),
		clock.Add(time.Duration(r.Int64N(int64(900*rankDay))) - 300*rankDay)}, some[:2]...)
}

var rankFilters = []string{
	"", "+READY", "+READY agent.none:", "status:pending", "project:web",
	"+PENDING or +WAITING", "status:completed", "+BLOCKING", "-BLOCKED +next",
}

// rankTruth is what a ranked select must return: the matches of a filter
// and their exact urgencies.
type rankTruth struct {
	match []*backlog.Task
	u     map[string]float64
}

// urgencies are the tasks' urgencies at now, by UUID.
func urgencies(all []*backlog.Task, g backlog.Graph, now time.Time) map[string]float64 {
	u := make(map[string]float64, len(all))
	for _, x := range all {
		u[x.UUID] = backlog.Urgency(x, now, g.Blocked(x), g.Blocking(x))
	}
	return u
}

// newRankTruth is the truth for filter e at now: the tasks it matches by the
// evaluator, with the urgencies u.
func newRankTruth(all []*backlog.Task, e filter.Expr, now time.Time, g backlog.Graph, u map[string]float64) rankTruth {
	m := filter.Compile(e, filter.Env{Now: now, Graph: g})
	truth := rankTruth{u: u}
	for _, x := range all {
		if m(x) {
			truth.match = append(truth.match, x)
		}
	}
	return truth
}

// checkRanked checks a ranked select's answer against the truth: it is a
// subset of the matches, holds at least min(top, matches) tasks, and
// holds every match more urgent than the top-th by more than urgencyEps.
// It returns a description of what is wrong, or "".
func checkRanked(truth rankTruth, got []*backlog.Task, top int) string {
	var msgs []string
	in := make(map[string]bool, len(got))
	matches := make(map[string]bool, len(truth.match))
	for _, x := range truth.match {
		matches[x.UUID] = true
	}
	for _, x := range got {
		if in[x.UUID] {
			msgs = append(msgs, fmt.Sprintf("task %d (%s) returned twice", x.ID, x.UUID))
		}
		in[x.UUID] = true
		if !matches[x.UUID] {
			msgs = append(msgs, fmt.Sprintf("task %d (%s) returned but does not match", x.ID, x.UUID))
		}
	}
	if want := min(top, len(truth.match)); len(got) < want {
		msgs = append(msgs, fmt.Sprintf("%d tasks returned, want at least %d", len(got), want))
	}
	if len(truth.match) > top {
		us := make([]float64, len(truth.match))
		for i, x := range truth.match {
			us[i] = truth.u[x.UUID]
		}
		slices.SortFunc(us, func(a, b float64) int { return cmp.Compare(b, a) })
		nth := us[top-1]
		for _, x := range truth.match {
			if u := truth.u[x.UUID]; u > nth+urgencyEps && !in[x.UUID] {
				msgs = append(msgs, fmt.Sprintf("task %d (%s) of urgency %.12g is missing (the %d-th best is %.12g)", x.ID, x.UUID, u, top, nth))
			}
		}
	}
	return strings.Join(msgs, "\n")
}

// rankCols describes a task's stored ranking columns, for failures.
func rankCols(s *Store, uuid string) string {
	var own, hi float64
	var n int
	if err := s.db.QueryRow("SELECT urg_own, blocking_n, rank_hi FROM tasks WHERE uuid = ?", uuid).Scan(&own, &n, &hi); err != nil {
		return err.Error()
	}
	return fmt.Sprintf("urg_own %v blocking_n %d rank_hi %v", own, n, hi)
}

// TestRankedWalkProperty: on random backlogs of every shape and size, at
// clocks before, around and long after the tasks' dates, a Select with
// Top n and RankUrgency returns every match more urgent than the n-th
// (exact Go figures) and at least min(n, matches) tasks, all matching.
// Due and end ranks are held likewise to their keys.
func TestRankedWalkProperty(t *testing.T) {
	ctx := context.Background()
	seed := rankSeed(1)
	r := rand.New(rand.NewPCG(seed, 0x5a))
	type plan struct {
		size  int
		shape string
	}
	plans := []plan{
		{30, "mixed"}, {30, "ties"}, {45, "tight"}, {60, "whole"}, {80, "due"}, {100, "bare"},
		{150, "deps"}, {150, "waiting"}, {200, "whole"}, {250, "plain"}, {300, "tight"},
		{300, "finished"}, {500, "whole"}, {1200, "mixed"}, {3000, "mixed"},
	}
	if testing.Short() {
		plans = []plan{{30, "mixed"}, {60, "whole"}, {150, "ties"}, {300, "tight"}, {400, "whole"}, {1200, "mixed"}}
	}
	tops := []int{1, 5, 25}
	var walks [3]int
	cases, failures := 0, 0
	for bi, p := range plans {
		size := p.size
		i := slices.IndexFunc(rankShapes, func(sh rankShape) bool { return sh.name == p.shape })
		if i < 0 {
			t.Fatalf("no shape %q", p.shape)
		}
		sh := rankShapes[i]
		name := fmt.Sprintf("seed %d backlog %d (%s, %d tasks)", seed, bi, sh.name, size)
		s := openTest(t)
		tasks := rankBacklog(r, size, sh)
		insertAll(t, s, tasks)
		// Then some updates and purges: statuses, dates and
		// dependencies move, so that the stored columns must follow.
		write(t, s, func(tx store.Tx) error {
			for k := size / 10; k > 0; k-- {
				x := tasks[r.IntN(len(tasks))].Clone()
				switch r.IntN(4) {
				case 0:
					x.Status = []backlog.Status{backlog.StatusPending, backlog.StatusCompleted, backlog.StatusDeleted}[r.IntN(3)]
				case 1:
					x.Depends = nil
					for j := r.IntN(3); j > 0; j-- {
						if d := tasks[r.IntN(len(tasks))].UUID; d != x.UUID && !slices.Contains(x.Depends, d) {
							x.Depends = append(x.Depends, d)
						}
					}
				case 2:
					x.Due, x.Scheduled = rankDate(r), time.Time{}
				case 3:
					x.Tags = append(slices.Clone(x.Tags), "next")
					x.Priority = backlog.PriorityHigh
				}
				if err := tx.Update(ctx, x); err != nil {
					return err
				}
			}
			return purgeSome(tx, r, tasks, size/50)
		})
		all, udas := loadAll(t, s)
		g := backlog.NewIndex(all)
		uuids := make([]string, len(all))
		for i, x := range all {
			uuids[i] = x.UUID
		}
		gen := &filtertest.Gen{R: r, UUIDs: uuids}
		srcs := slices.Clone(rankFilters)
		for len(srcs) < len(rankFilters)+4 {
			src := gen.Expr()
			if _, err := filter.Parse(src, filter.Options{Now: clock, UDAs: udas}); err == nil {
				srcs = append(srcs, src)
			}
		}
		for _, now := range rankNows(r) {
			u := urgencies(all, g, now)
			for _, src := range srcs {
				e, err := filter.Parse(src, filter.Options{Now: now, UDAs: udas})
				if err != nil {
					continue // a date that parses at one clock only
				}
				truth := newRankTruth(all, e, now, g, u)
				w := compileWhere(e, now)
				for _, top := range tops {
					cases++
					var got []*backlog.Task
					read(t, s, func(stx store.Tx) error {
						var err error
						got, err = stx.Select(ctx, store.Query{Filter: e, Now: now, Top: top, Rank: store.RankUrgency})
						if err != nil || !w.Exact {
							return err
						}
						_, how, err := stx.(*tx).topUrgent(ctx, w, now, top)
						walks[how]++
						return err
					})
					if msg := checkRanked(truth, got, top); msg != "" {
						failures++
						var gotDesc []string
						for _, x := range got {
							gotDesc = append(gotDesc, fmt.Sprintf("%d:%.6g", x.ID, u[x.UUID]))
						}
						t.Errorf("%s, filter %q (exact SQL %v), now %v, top %d, %d matches:\n%s\nreturned (id:urgency) %v",
							name, src, w.Exact, now, top, len(truth.match), msg, gotDesc)
						for _, line := range strings.Split(msg, "\n") {
							if _, rest, ok := strings.Cut(line, "("); ok {
								if uuid, _, ok := strings.Cut(rest, ")"); ok && len(uuid) == 36 {
									t.Logf("  %s: %s", uuid, rankCols(s, uuid))
								}
							}
						}
					}
					if failures >= 5 {
						t.FailNow()
					}
					for _, rank := range []store.Rank{store.RankDue, store.RankEnd} {
						if top == 25 {
							continue
						}
						var got []*backlog.Task
						read(t, s, func(tx store.Tx) error {
							var err error
							got, err = tx.Select(ctx, store.Query{Filter: e, Now: now, Top: top, Rank: rank})
							return err
						})
						if msg := checkDateRank(truth, got, top, rank); msg != "" {
							failures++
							t.Errorf("%s, filter %q, now %v, top %d, rank %d:\n%s", name, src, now, top, rank, msg)
						}
					}
				}
			}
		}
		s.Close()
	}
	t.Logf("seed %d: %d ranked selects; exact filters: %d walked, %d ranked in SQL (fewer than top open matches, or a bar at or below 0)", seed, cases, walks[walked], walks[fallback])
	if walks[walked] < cases/10 {
		t.Errorf("only %d of %d selects walked the index", walks[walked], cases)
	}
}

// checkDateRank checks a select ranked by due (earliest first) or by end
// (latest first), tasks without the date last: every match whose key
// beats the top-th's is returned, and at least min(top, matches) tasks.
func checkDateRank(truth rankTruth, got []*backlog.Task, top int, rank store.Rank) string {
	key := func(x *backlog.Task) int64 {
		d := x.Due
		if rank == store.RankEnd {
			d = x.End
		}
		switch {
		case d.IsZero():
			return 1 << 62 // after every date, all tied (store.Query.Top)
		case rank == store.RankEnd:
			return -d.Unix()
		}
		return d.Unix()
	}
	var msgs []string
	in := map[string]bool{}
	for _, x := range got {
		in[x.UUID] = true
	}
	if want := min(top, len(truth.match)); len(got) < want {
		msgs = append(msgs, fmt.Sprintf("%d tasks returned, want at least %d", len(got), want))
	}
	if len(truth.match) > top {
		ks := make([]int64, len(truth.match))
		for i, x := range truth.match {
			ks[i] = key(x)
		}
		slices.Sort(ks)
		for _, x := range truth.match {
			if key(x) < ks[top-1] && !in[x.UUID] {
				msgs = append(msgs, fmt.Sprintf("task %d (key %d) is missing, the %d-th key is %d", x.ID, key(x), top, ks[top-1]))
			}
		}
	}
	return strings.Join(msgs, "\n")
}

// TestRankedSubMicrosecondClock: a clock a nanosecond past a second (or
// short of it) still decides waiting and scheduled as the Go figures do,
// so the ranked select keeps the truly most urgent task. Minimised from
// TestRankedWalkProperty.
func TestRankedSubMicrosecondClock(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	const (
		uA = "aaaaaaaa-0000-4000-8000-000000000001"
		uB = "bbbbbbbb-0000-4000-8000-000000000002"
		uC = "cccccccc-0000-4000-8000-000000000003"
		uD = "dddddddd-0000-4000-8000-000000000004"
	)
	tasks := []*backlog.Task{
		// Scheduled on the clock's second: +5 once the clock is past it.
		{ID: 1, UUID: uA, Description: "scheduled", Status: backlog.StatusPending, Scheduled: clock},
		{ID: 2, UUID: uB, Description: "low", Status: backlog.StatusPending, Priority: backlog.PriorityLow},
		// Waits until the clock's second: -3 while the clock is short of it.
		{ID: 3, UUID: uC, Description: "waits", Status: backlog.StatusPending, Priority: backlog.PriorityHigh, Wait: clock},
		{ID: 4, UUID: uD, Description: "medium", Status: backlog.StatusPending, Priority: backlog.PriorityMedium},
	}
	write(t, s, func(tx store.Tx) error {
		for _, x := range tasks {
			if err := tx.Insert(ctx, x); err != nil {
				return err
			}
		}
		return nil
	})
	for _, c := range []struct {
		now time.Time
		src string
	}{
		{clock.Add(time.Nanosecond), "1,2"},  // A 5 (scheduled before now), B 1.8
		{clock.Add(-time.Nanosecond), "3,4"}, // C 6-3 (waiting), D 3.9
		{clock.Add(time.Microsecond), "1,2"},
		{clock.Add(-time.Microsecond), "3,4"},
	} {
		e, err := filter.Parse(c.src, filter.Options{Now: c.now})
		if err != nil {
			t.Fatal(err)
		}
		var all, got []*backlog.Task
		read(t, s, func(tx store.Tx) error {
			var err error
			if all, err = tx.Select(ctx, store.Query{Now: c.now}); err != nil {
				return err
			}
			got, err = tx.Select(ctx, store.Query{Filter: e, Now: c.now, Top: 1, Rank: store.RankUrgency})
			return err
		})
		g := backlog.NewIndex(all)
		best, bestU := "", 0.0
		m := filter.Compile(e, filter.Env{Now: c.now, Graph: g})
		for _, x := range all {
			if u := backlog.Urgency(x, c.now, g.Blocked(x), g.Blocking(x)); m(x) && (best == "" || u > bestU) {
				best, bestU = x.UUID, u
			}
		}
		if !slices.ContainsFunc(got, func(x *backlog.Task) bool { return x.UUID == best }) {
			var ids []int64
			for _, x := range got {
				ids = append(ids, x.ID)
			}
			t.Errorf("now %s, filter %q, top 1: got tasks %v, want the most urgent, %s (urgency %v)", c.now.Format(time.RFC3339Nano), c.src, ids, best, bestU)
		}
	}
}

// checkRankColumns checks every row of tasks against the Go computation:
// blocking_n is the number of live tasks that depend on the task (and the
// number of task_deps rows saying so), urg_own is
// backlog.DefaultCoefficients.Own of the task as loaded, rank_hi bounds
// the task's urgency at every clock given (0 for a finished task). With
// finishedOwn false, finished tasks may keep any urg_own (a backfill
// leaves them). urg_own may differ from the Go figure by ownTol (0:
// exactly). It returns how many open tasks it checked and how many tasks
// had live dependents.
func checkRankColumns(t *testing.T, s *Store, what string, nows []time.Time, finishedOwn bool, ownTol float64) (open, blocking int) {
	t.Helper()
	ctx := context.Background()
	var all []*backlog.Task
	read(t, s, func(tx store.Tx) error {
		var err error
		all, err = tx.Select(ctx, store.Query{Now: clock})
		return err
	})
	// The status counts the triggers keep agree with the tasks.
	stored := map[string]int{}
	for _, x := range all {
		stored[string(x.Status)]++
	}
	rows, err := s.db.QueryContext(ctx, "SELECT status, n FROM status_counts WHERE n != 0")
	if err != nil {
		t.Fatal(err)
	}
	kept := map[string]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			t.Fatal(err)
		}
		kept[st] = n
	}
	rows.Close()
	if !maps.Equal(kept, stored) {
		t.Errorf("%s: status_counts %v, the tasks have %v", what, kept, stored)
	}
	byUUID := make(map[string]*backlog.Task, len(all))
	dependents := map[string]int{}
	for _, x := range all {
		byUUID[x.UUID] = x
		if x.IsLive() {
			seen := map[string]bool{}
			for _, d := range x.Depends {
				if !seen[d] {
					seen[d] = true
					dependents[d]++
				}
			}
		}
	}
	g := backlog.NewIndex(all)
	rows, err = s.db.QueryContext(ctx, `SELECT t.uuid, t.status, t.urg_own, t.blocking_n, t.rank_hi,
		(SELECT count(*) FROM task_deps d WHERE d.dep_uuid = t.uuid AND d.owner_live = 1) FROM tasks t`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	bad := 0
	fail := func(format string, args ...any) {
		t.Helper()
		bad++
		if bad <= 10 {
			t.Errorf(what+": "+format, args...)
		}
	}
	n := 0
	for rows.Next() {
		var uuid, status string
		var own, hi float64
		var blockingN, count int
		if err := rows.Scan(&uuid, &status, &own, &blockingN, &hi, &count); err != nil {
			t.Fatal(err)
		}
		n++
		x := byUUID[uuid]
		if x == nil {
			fail("row %s is not loaded by Select", uuid)
			continue
		}
		if blockingN > 0 {
			blocking++
		}
		if blockingN != count || blockingN != dependents[uuid] {
			fail("task %d (%s): blocking_n %d, task_deps rows of live dependents %d, live dependents %d", x.ID, uuid, blockingN, count, dependents[uuid])
		}
		finished := x.Status == backlog.StatusCompleted || x.Status == backlog.StatusDeleted
		if want := backlog.DefaultCoefficients.Own(x); (finishedOwn || !finished) && !(math.Abs(own-want) <= ownTol) {
			fail("task %d (%s, %s): urg_own %v, want %v", x.ID, uuid, x.Status, own, want)
		}
		if finished {
			if hi != 0 {
				fail("task %d (%s) is %s: rank_hi %v, want 0", x.ID, uuid, x.Status, hi)
			}
			continue
		}
		open++
		// The bound is the own part plus each other term at its largest.
		c := backlog.DefaultCoefficients
		wantHi := c.Own(x)
		for _, term := range []struct {
			on bool
			w  float64
		}{{dependents[uuid] > 0, c.Blocking}, {!x.Due.IsZero(), c.Due}, {!x.Scheduled.IsZero(), c.Scheduled}, {!x.Entry.IsZero(), c.Age}} {
			if term.on {
				wantHi += term.w
			}
		}
		if math.Abs(hi-wantHi) > urgencyEps {
			fail("task %d (%s): rank_hi %v, want %v", x.ID, uuid, hi, wantHi)
		}
		for _, now := range nows {
			if u := backlog.Urgency(x, now, g.Blocked(x), g.Blocking(x)); hi < u-urgencyEps {
				fail("task %d (%s): rank_hi %v is below its urgency %v at %v", x.ID, uuid, hi, u, now)
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != len(all) {
		t.Errorf("%s: %d rows, %d tasks", what, n, len(all))
	}
	return open, blocking
}

// rankClock is an engine clock the test moves.
type rankClock struct{ now time.Time }

func (c *rankClock) Now() time.Time { return c.now }

// TestRankColumnsFollowWrites drives the store through the engine with a
// few hundred random commands (add, modify, dependencies added and
// removed, done, delete, purge, undo, start, annotate, import in any
// order, log, claim, archive and restore) and checks after every batch
// that urg_own, blocking_n and rank_hi agree with the Go computation.
func TestRankColumnsFollowWrites(t *testing.T) {
	ctx := context.Background()
	seed := rankSeed(3)
	r := rand.New(rand.NewPCG(seed, 0xc0))
	s := openTest(t)
	c := &rankClock{now: clock}
	engines := []*engine.Engine{
		engine.New(s, engine.Options{Agent: "alice", Clock: c.Now}),
		engine.New(s, engine.Options{Agent: "bob", Clock: c.Now}),
	}
	steps := 400
	if testing.Short() {
		steps = 150
	}
	newUUID := func() string {
		return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", r.Uint32(), r.IntN(1<<16), r.IntN(1<<12), r.IntN(1<<12), r.Int64N(1<<48))
	}
	dates := []string{"now", "now-10d", "now-8d", "now+3d", "now+20d", "now-1y", "now+1y", "eow", "2025-01-01", "tomorrow", ""}
	var future []string // UUIDs depended on by imports, not yet imported
	okByCmd := map[string]int{}
	tried := map[string]int{}
	checkedOpen, checkedBlocking, lateImports := 0, 0, 0
	for step := 1; step <= steps; step++ {
		if r.IntN(3) == 0 {
			c.now = c.now.Add(time.Duration(r.Int64N(int64(3 * rankDay))))
		}
		var all []*backlog.Task
		read(t, s, func(tx store.Tx) error {
			var err error
			all, err = tx.Select(ctx, store.Query{Now: c.now})
			return err
		})
		var ids, deleted, claimed []string
		for _, x := range all {
			if x.ID > 0 {
				id := strconv.FormatInt(x.ID, 10)
				ids = append(ids, id)
				if x.Status == backlog.StatusDeleted {
					deleted = append(deleted, id)
				}
				if x.Agent != "" || !x.Start.IsZero() {
					claimed = append(claimed, id)
				}
			}
		}
		ref := func() string {
			if len(ids) == 0 {
				return "1"
			}
			return ids[r.IntN(len(ids))]
		}
		refs := func() string {
			var rs []string
			for k := 1 + r.IntN(3); k > 0; k-- {
				rs = append(rs, ref())
			}
			return strings.Join(rs, ",")
		}
		words := func(fresh bool) []string {
			var w []string
			if fresh {
				w = append(w, fmt.Sprintf("task %d", step))
			}
			if r.IntN(3) == 0 {
				w = append(w, "project:"+[]string{"web", "ops", ""}[r.IntN(3)])
			}
			if r.IntN(3) == 0 {
				w = append(w, "priority:"+[]string{"H", "M", "L", ""}[r.IntN(4)])
			}
			if r.IntN(4) == 0 {
				w = append(w, []string{"+next", "+bug", "+ux"}[r.IntN(3)])
			}
			if !fresh && r.IntN(4) == 0 {
				w = append(w, []string{"-next", "-bug"}[r.IntN(2)])
			}
			for _, attr := range []string{"due", "scheduled", "wait"} {
				if r.IntN(4) == 0 {
					w = append(w, attr+":"+dates[r.IntN(len(dates))])
				}
			}
			if r.IntN(3) == 0 {
				switch {
				case fresh || r.IntN(3) == 0:
					w = append(w, "depends:"+refs())
				case r.IntN(2) == 0:
					w = append(w, "depends:+"+ref())
				default:
					w = append(w, "depends:-"+ref())
				}
			}
			if fresh && r.IntN(25) == 0 {
				w = append(w, "recur:weekly", "due:"+[]string{"now", "now+2d", "now-3d"}[r.IntN(3)])
			}
			return w
		}
		e := engines[r.IntN(len(engines))]
		var cmd string
		var err error
		switch k := r.IntN(24); {
		case k < 5:
			cmd = "add"
			var ch *engine.Changes
			if ch, err = engine.ParseNew(words(true)); err == nil {
				_, err = e.Add(ctx, ch)
			}
		case k < 9:
			cmd = "modify"
			w := words(false)
			if r.IntN(2) == 0 {
				w = []string{"depends:" + []string{"+", "-", ""}[r.IntN(3)] + refs()}
			}
			var ch *engine.Changes
			if ch, err = engine.ParseMods(w, false); err == nil {
				_, err = e.Modify(ctx, refs(), ch, true)
			}
		case k < 11:
			cmd = "done"
			_, err = e.Done(ctx, ref())
		case k < 13:
			cmd = "delete"
			_, err = e.Delete(ctx, ref())
		case k < 14:
			cmd = "purge"
			if len(deleted) > 0 {
				_, err = e.Purge(ctx, deleted[r.IntN(len(deleted))])
			}
		case k < 16:
			cmd = "undo"
			_, err = e.Undo(ctx)
		case k < 17:
			cmd = "start"
			if r.IntN(2) == 0 {
				_, err = e.Start(ctx, ref())
			} else {
				cmd = "stop"
				_, err = e.Stop(ctx, ref())
			}
		case k < 18:
			cmd = "annotate"
			_, err = e.Annotate(ctx, ref(), fmt.Sprintf("note %d", r.IntN(3)))
		case k < 20:
			// A batch whose dependents come before the tasks they depend
			// on, which may depend on tasks imported later, or replace
			// tasks already there.
			cmd = "import"
			n := 1 + r.IntN(4)
			objs := make([]map[string]any, n)
			for i := range objs {
				u := newUUID()
				if len(future) > 0 && r.IntN(2) == 0 {
					u, future = future[0], future[1:]
					lateImports++
				} else if len(all) > 0 && r.IntN(5) == 0 {
					u = all[r.IntN(len(all))].UUID
				}
				o := map[string]any{"uuid": u, "description": fmt.Sprintf("imported %d.%d", step, i)}
				if r.IntN(4) == 0 {
					o["status"] = []string{"completed", "deleted", "pending"}[r.IntN(3)]
				}
				if r.IntN(3) == 0 {
					o["due"] = c.now.Add(time.Duration(r.IntN(60)-30) * rankDay).UTC().Format(time.RFC3339)
				}
				if r.IntN(4) == 0 {
					o["tags"] = []string{"next"}
				}
				if r.IntN(4) == 0 {
					o["entry"] = c.now.AddDate(-2, 0, 0).UTC().Format(time.RFC3339)
				}
				objs[i] = o
			}
			for i, o := range objs {
				var deps []string
				for j := i + 1; j < n; j++ {
					if r.IntN(2) == 0 {
						deps = append(deps, objs[j]["uuid"].(string))
					}
				}
				if r.IntN(3) == 0 {
					f := newUUID()
					future = append(future, f)
					deps = append(deps, f)
				}
				if len(all) > 0 && r.IntN(3) == 0 {
					deps = append(deps, all[r.IntN(len(all))].UUID)
				}
				if len(deps) > 0 {
					o["depends"] = deps
				}
			}
			var data []byte
			if data, err = json.Marshal(objs); err == nil {
				_, err = e.Import(ctx, data, engine.ImportOptions{})
			}
		case k < 21:
			cmd = "log"
			var ch *engine.Changes
			if ch, err = engine.ParseNew(words(true)); err == nil {
				_, err = e.Log(ctx, ch)
			}
		case k < 22:
			cmd = "claim"
			if r.IntN(2) == 0 {
				_, err = e.Claim(ctx, engine.ClaimOptions{})
			} else {
				cmd = "release"
				if len(claimed) > 0 {
					_, err = e.Release(ctx, claimed[r.IntN(len(claimed))], "", true)
				}
			}
		case k < 23:
			cmd = "archive"
			_, err = e.Archive(ctx, r.IntN(3))
		default:
			cmd = "restore"
			var segs []store.NameCount
			if segs, err = e.ArchiveSegments(ctx); err == nil && len(segs) > 0 {
				_, err = e.ArchiveRestore(ctx, segs[r.IntN(len(segs))].Name, "")
			}
		}
		tried[cmd]++
		if err == nil {
			okByCmd[cmd]++
		} else {
			var be *backlog.Error
			if !errors.As(err, &be) {
				t.Fatalf("step %d: %s: %v", step, cmd, err)
			}
		}
		if step%10 == 0 || step == steps {
			nows := []time.Time{c.now.AddDate(-2, 0, 0), c.now, c.now.Add(9 * rankDay), c.now.AddDate(1, 0, 0)}
			o, b := checkRankColumns(t, s, fmt.Sprintf("seed %d step %d (after %s)", seed, step, cmd), nows, true, 0)
			checkedOpen += o
			checkedBlocking += b
			if t.Failed() {
				t.FailNow()
			}
		}
	}
	t.Logf("seed %d: commands tried %v, succeeded %v; %d imports of a task depended on before; checked %d open tasks, %d with live dependents",
		seed, tried, okByCmd, lateImports, checkedOpen, checkedBlocking)
	if checkedBlocking == 0 {
		t.Error("no task had live dependents")
	}
	for _, cmd := range []string{"add", "modify", "done", "delete", "purge", "undo", "import", "archive", "restore"} {
		if okByCmd[cmd] == 0 && !testing.Short() {
			t.Errorf("no %s succeeded", cmd)
		}
	}
}

// rankMigrationTasks are random tasks with every part of the own urgency
// term varied (the next tag, priorities, start, 0 to 4 annotations and
// tags, a project) and dependencies on tasks before and after them.
func rankMigrationTasks(r *rand.Rand, n int) []*backlog.Task {
	tasks := rankBacklog(r, n, rankShapes[0])
	for _, x := range tasks {
		if r.IntN(8) == 0 && !x.HasTag("next") {
			x.Tags = append(x.Tags, "next")
		}
		if r.IntN(4) == 0 {
			x.Annotations = nil
			for k := r.IntN(5); k > 0; k-- {
				x.Annotations = append(x.Annotations, backlog.Annotation{Entry: clock, Description: fmt.Sprintf("note %d", k)})
			}
		}
		if r.IntN(5) == 0 {
			x.Start = clock.Add(-time.Hour)
		}
		if r.IntN(4) == 0 {
			var d []string
			for k := 1 + r.IntN(3); k > 0; k-- {
				if u := tasks[r.IntN(n)].UUID; u != x.UUID && !slices.Contains(d, u) {
					d = append(d, u)
				}
			}
			x.Depends = d
		}
	}
	return tasks
}

// TestRankMigrationBackfill: a backlog written at schema 3 (migrations
// 0001-0003, rows as the store wrote them then: without urg_own and
// blocking_n), opened by Open, gets urg_own and blocking_n backfilled to
// what the Go code computes and what a backlog written at schema 4 holds,
// and the rank index and triggers work from then on.
func TestRankMigrationBackfill(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(rankSeed(5), 0x33))

	// The rows, written by the store at schema 4.
	srcPath := dir + "/src.db"
	src, err := Open(ctx, srcPath)
	if err != nil {
		t.Fatal(err)
	}
	tasks := rankMigrationTasks(r, 400)
	write(t, src, func(tx store.Tx) error {
		for _, x := range tasks {
			if err := tx.Insert(ctx, x); err != nil {
				return err
			}
		}
		for k := 0; k < 40; k++ {
			x := tasks[r.IntN(len(tasks))].Clone()
			x.Status = []backlog.Status{backlog.StatusPending, backlog.StatusCompleted, backlog.StatusDeleted}[r.IntN(3)]
			if err := tx.Update(ctx, x); err != nil {
				return err
			}
		}
		return nil
	})
	type cols struct {
		status    string
		own, hi   float64
		blockingN int
	}
	readCols := func(s *Store) map[string]cols {
		out := map[string]cols{}
		rows, err := s.db.QueryContext(ctx, "SELECT uuid, status, urg_own, rank_hi, blocking_n FROM tasks")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var u string
			var c cols
			if err := rows.Scan(&u, &c.status, &c.own, &c.hi, &c.blockingN); err != nil {
				t.Fatal(err)
			}
			out[u] = c
		}
		return out
	}
	want := readCols(src)
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}

	// A database at schema 3, with the same rows.
	oldPath := dir + "/old.db"
	db, err := sql.Open("sqlite", "file:"+oldPath)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1) // ATTACH is per connection
	ms, err := listMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) < 4 || ms[3].Name != "0004_rank.sql" {
		t.Fatalf("migrations %v: want 0004_rank.sql fourth", ms)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for _, m := range ms[:3] {
		text, err := migrations.ReadFile("migration/" + m.Name)
		if err != nil {
			t.Fatal(err)
		}
		exec(string(text))
	}
	exec("PRAGMA user_version = 3")
	exec("ATTACH DATABASE ? AS src", srcPath)
	for _, table := range []string{"tasks", "task_tags", "task_deps", "udas", "docs"} {
		rows, err := db.QueryContext(ctx, "SELECT name FROM pragma_table_info(?, 'main')", table)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for rows.Next() {
			var n string
			rows.Scan(&n)
			if n == "urg_own" || n == "blocking_n" || n == "rank_hi" {
				t.Fatalf("schema 3 has %s.%s", table, n)
			}
			names = append(names, n)
		}
		rows.Close()
		if len(names) == 0 {
			t.Fatalf("no table %s at schema 3", table)
		}
		list := strings.Join(names, ", ")
		exec("INSERT INTO main." + table + " (" + list + ") SELECT " + list + " FROM src." + table)
	}
	exec("UPDATE main.id_counter SET last_id = (SELECT last_id FROM src.id_counter)")
	exec("DETACH DATABASE src")
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM tasks").Scan(&n); err != nil || n != len(want) {
		t.Fatalf("schema 3 copy holds %d tasks (%v), want %d", n, err, len(want))
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// Open migrates to schema 4 and backfills.
	s, err := Open(ctx, oldPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	var v int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil || v != len(ms) {
		t.Fatalf("user_version %d (%v), want %d", v, err, len(ms))
	}
	got := readCols(s)
	if len(got) != len(want) {
		t.Fatalf("%d tasks after the migration, want %d", len(got), len(want))
	}
	openN, backfilled := 0, 0
	for u, w := range want {
		g := got[u]
		finished := w.status == "completed" || w.status == "deleted"
		if g.blockingN != w.blockingN {
			t.Errorf("task %s (%s): blocking_n %d after the migration, %d written at schema 4", u, w.status, g.blockingN, w.blockingN)
		}
		if finished {
			if g.hi != 0 {
				t.Errorf("task %s (%s): rank_hi %v, want 0", u, w.status, g.hi)
			}
			continue
		}
		openN++
		if w.own > 0 {
			backfilled++
		}
		if math.Abs(g.own-w.own) > 1e-12 || math.Abs(g.hi-w.hi) > 1e-12 {
			t.Errorf("task %s (%s): urg_own %v rank_hi %v after the migration, %v and %v written at schema 4", u, w.status, g.own, g.hi, w.own, w.hi)
		}
	}
	if openN < 100 || backfilled < 50 {
		t.Errorf("only %d open tasks, %d with an own urgency: the test checks little", openN, backfilled)
	}
	nows := []time.Time{clock.AddDate(-2, 0, 0), clock, clock.AddDate(1, 0, 0)}
	if _, b := checkRankColumns(t, s, "after the migration", nows, false, 1e-12); b < 20 {
		t.Errorf("only %d tasks with live dependents: the test checks little", b)
	}

	// The triggers and the index work on the migrated database.
	write(t, s, func(tx store.Tx) error {
		for k := 0; k < 60; k++ {
			x := tasks[r.IntN(len(tasks))].Clone()
			x.Status = []backlog.Status{backlog.StatusPending, backlog.StatusCompleted}[r.IntN(2)]
			x.Depends = []string{tasks[r.IntN(len(tasks))].UUID}
			if x.Depends[0] == x.UUID {
				x.Depends = nil
			}
			if err := tx.Update(ctx, x); err != nil {
				return err
			}
		}
		return nil
	})
	checkRankColumns(t, s, "after writes to the migrated database", nows, false, 1e-12)
	var all []*backlog.Task
	read(t, s, func(tx store.Tx) error {
		var err error
		all, err = tx.Select(ctx, store.Query{Now: clock})
		return err
	})
	g := backlog.NewIndex(all)
	u := urgencies(all, g, clock)
	for _, src := range []string{"", "+READY", "status:pending"} {
		e, err := filter.Parse(src, filter.Options{Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		truth := newRankTruth(all, e, clock, g, u)
		var got []*backlog.Task
		read(t, s, func(tx store.Tx) error {
			var err error
			got, err = tx.Select(ctx, store.Query{Filter: e, Now: clock, Top: 10, Rank: store.RankUrgency})
			return err
		})
		if msg := checkRanked(truth, got, 10); msg != "" {
			t.Errorf("migrated database, filter %q: %s", src, msg)
		}
	}
}

// TestRankBoundConstants pins the constants of rank_hi (migration 0004)
// to backlog.DefaultCoefficients: each term alone adds its coefficient,
// and a task with every term at its largest has rank_hi equal to its
// exact urgency.
func TestRankBoundConstants(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	c := backlog.DefaultCoefficients
	uuid := func(i int) string { return fmt.Sprintf("%08d-0000-4000-8000-000000000000", i) }
	pending := func(i int) *backlog.Task {
		return &backlog.Task{ID: int64(i), UUID: uuid(i), Description: fmt.Sprintf("task %d", i), Status: backlog.StatusPending}
	}
	full := pending(1)
	full.Due = clock.Add(-8 * rankDay)
	full.Scheduled = clock.Add(-rankDay)
	full.Entry = clock.AddDate(-1, 0, -2)
	full.Priority = backlog.PriorityHigh
	full.Tags = []string{"next", "bug", "ux"}
	full.Project = "web"
	full.Start = clock.Add(-time.Hour)
	for k := 0; k < 3; k++ {
		full.Annotations = append(full.Annotations, backlog.Annotation{Entry: clock, Description: fmt.Sprintf("note %d", k)})
	}
	dependent := pending(2) // blocked by 1: full is blocking
	dependent.Depends = []string{full.UUID}
	entryOnly := pending(3)
	entryOnly.Entry = clock.Add(-rankDay)
	dueOnly := pending(4)
	dueOnly.Due = clock.AddDate(1, 0, 0)
	schedOnly := pending(5)
	schedOnly.Scheduled = clock.AddDate(1, 0, 0)
	blockingOnly := pending(6)
	dependent2 := pending(7)
	dependent2.Depends = []string{blockingOnly.UUID}
	// Waiting and blocked only lower urgency: they leave the bound.
	waitingBlocked := pending(8)
	waitingBlocked.Entry = clock
	waitingBlocked.Wait = clock.AddDate(0, 1, 0)
	waitingBlocked.Depends = []string{full.UUID}
	done := full.Clone()
	done.ID, done.UUID, done.Status, done.End = 9, uuid(9), backlog.StatusCompleted, clock
	deleted := full.Clone()
	deleted.ID, deleted.UUID, deleted.Status, deleted.End = 10, uuid(10), backlog.StatusDeleted, clock
	dependent3 := pending(11) // makes 9 and 10 blocking, which they cannot be
	dependent3.Depends = []string{done.UUID, deleted.UUID}
	tasks := []*backlog.Task{dependent, full, entryOnly, dueOnly, schedOnly, dependent2, blockingOnly, waitingBlocked, done, deleted, dependent3}
	write(t, s, func(tx store.Tx) error {
		for _, x := range tasks {
			if err := tx.Insert(ctx, x); err != nil {
				return err
			}
		}
		return nil
	})
	rankHi := func(x *backlog.Task) float64 {
		t.Helper()
		var hi float64
		if err := s.db.QueryRowContext(ctx, "SELECT rank_hi FROM tasks WHERE uuid = ?", x.UUID).Scan(&hi); err != nil {
			t.Fatal(err)
		}
		return hi
	}
	if u, hi := backlog.Urgency(full, clock, false, true), rankHi(full); math.Abs(hi-u) > urgencyEps {
		t.Errorf("a task with every term at its largest: rank_hi %v, urgency %v", hi, u)
	}
	if u := backlog.Urgency(full, clock, false, true); math.Abs(u-(c.Own(full)+c.Due+c.Blocking+c.Scheduled+c.Age)) > urgencyEps {
		t.Errorf("the full task's urgency %v is not every term at its largest", u)
	}
	for _, tc := range []struct {
		name string
		x    *backlog.Task
		want float64
	}{
		{"entry alone (age)", entryOnly, c.Age},
		{"due alone", dueOnly, c.Due},
		{"scheduled alone", schedOnly, c.Scheduled},
		{"blocking alone", blockingOnly, c.Blocking},
		{"bare and blocked", dependent2, 0},
		{"waiting and blocked", waitingBlocked, c.Age},
		{"completed", done, 0},
		{"deleted", deleted, 0},
	} {
		if hi := rankHi(tc.x); hi != tc.want {
			t.Errorf("%s: rank_hi %v, want %v", tc.name, hi, tc.want)
		}
	}
	if hi := rankHi(entryOnly); hi != 2 {
		t.Errorf("a bare pending task with an entry date: rank_hi %v, want 2", hi)
	}
	if hi, want := rankHi(dependent), c.Own(dependent); hi != want {
		t.Errorf("a bare blocked task: rank_hi %v, want %v", hi, want)
	}
	// The same task with each own feature, one at a time.
	for i, set := range []func(x *backlog.Task){
		func(x *backlog.Task) { x.Tags = []string{"next"} },
		func(x *backlog.Task) { x.Priority = backlog.PriorityHigh },
		func(x *backlog.Task) { x.Priority = backlog.PriorityMedium },
		func(x *backlog.Task) { x.Priority = backlog.PriorityLow },
		func(x *backlog.Task) { x.Start = clock },
		func(x *backlog.Task) { x.Project = "ops" },
		func(x *backlog.Task) { x.Tags = []string{"a", "b"} },
		func(x *backlog.Task) {
			x.Annotations = []backlog.Annotation{{Entry: clock, Description: "a"}, {Entry: clock, Description: "b"}, {Entry: clock, Description: "c"}, {Entry: clock, Description: "d"}}
		},
	} {
		x := pending(100 + i)
		set(x)
		write(t, s, func(tx store.Tx) error { return tx.Insert(ctx, x) })
		if hi, want := rankHi(x), c.Own(x); hi != want || want <= 0 {
			t.Errorf("own feature %d: rank_hi %v, want %v", i, hi, want)
		}
		if u := backlog.Urgency(x, clock, false, false); math.Abs(u-rankHi(x)) > urgencyEps {
			t.Errorf("own feature %d: urgency %v, rank_hi %v", i, u, rankHi(x))
		}
	}
}

// TestRankedDueGroupWithoutEntry: within one bound, a task with a due
// date and no entry date (whose bound has no age term) may follow tasks
// with an earlier due date and an entry; lowering the rest of the group
// by the age term the entries cannot reach must not skip it. Minimised
// from TestRankedWalkProperty.
func TestRankedDueGroupWithoutEntry(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	pending := func(i int) *backlog.Task {
		return &backlog.Task{ID: int64(i), UUID: fmt.Sprintf("%08d-0000-4000-8000-000000000000", i), Description: fmt.Sprintf("task %d", i),
			Status: backlog.StatusPending, Priority: backlog.PriorityHigh}
	}
	// Bound 6 + 12 + 2 = 20; urgency at the clock 6 + 12*0.2 + 0 = 8.4.
	a1, a2 := pending(1), pending(2)
	a1.Entry, a1.Due = clock, clock.Add(30*rankDay)
	a2.Entry, a2.Due = clock, clock.Add(31*rankDay)
	// Bound 8 + 12 = 20 too; urgency 8 + 12*0.2 = 10.4: the most urgent.
	b := pending(3)
	b.Project, b.Tags, b.Due = "web", []string{"a", "b", "c"}, clock.Add(32*rankDay)
	write(t, s, func(tx store.Tx) error {
		for _, x := range []*backlog.Task{a1, a2, b} {
			if err := tx.Insert(ctx, x); err != nil {
				return err
			}
		}
		return nil
	})
	for _, x := range []*backlog.Task{a1, a2, b} {
		var hi float64
		if err := s.db.QueryRow("SELECT rank_hi FROM tasks WHERE uuid = ?", x.UUID).Scan(&hi); err != nil || hi != 20 {
			t.Fatalf("task %d: rank_hi %v (%v), want 20", x.ID, hi, err)
		}
	}
	if ua, ub := backlog.Urgency(a1, clock, false, false), backlog.Urgency(b, clock, false, false); ub <= ua+urgencyEps {
		t.Fatalf("urgencies %v and %v: the case needs 3 first", ua, ub)
	}
	var got []*backlog.Task
	read(t, s, func(tx store.Tx) error {
		var err error
		got, err = tx.Select(ctx, store.Query{Now: clock, Top: 1, Rank: store.RankUrgency})
		return err
	})
	if !slices.ContainsFunc(got, func(x *backlog.Task) bool { return x.UUID == b.UUID }) {
		var ids []int64
		for _, x := range got {
			ids = append(ids, x.ID)
		}
		t.Errorf("top 1 at the clock: got tasks %v, want task 3 (urgency 10.4; tasks 1 and 2 are at 8.4)", ids)
	}
}

// smallRankBacklog is n tasks drawn from a few features worth whole
// points, so that many tasks share a bound through different terms (an
// entry, or a project and three tags; a due date, or high priority and
// blocking, ...), with dates spread so that the falling terms differ.
func smallRankBacklog(r *rand.Rand, n int) []*backlog.Task {
	tasks := make([]*backlog.Task, n)
	for i := range tasks {
		x := &backlog.Task{ID: int64(i + 1), UUID: fmt.Sprintf("%08x-0000-4000-8000-%012d", r.Uint32(), i),
			Description: "small", Status: backlog.StatusPending}
		if r.IntN(3) == 0 {
			x.Priority = backlog.PriorityHigh
		}
		if r.IntN(8) == 0 {
			x.Start = clock.Add(-time.Hour)
		}
		switch r.IntN(6) {
		case 0, 1:
			x.Entry = clock.Add(-time.Duration(r.Int64N(int64(40 * rankDay)))).Truncate(time.Second)
		case 2:
			x.Entry = clock.Add(-time.Duration(r.Int64N(int64(500 * rankDay)))).Truncate(time.Second)
		case 3:
			x.Project, x.Tags = "ops", []string{"a", "b", "c"} // the bound of an entry
		}
		switch r.IntN(4) {
		case 0:
			x.Due = clock.Add(-7*rankDay - time.Duration(r.Int64N(int64(20*rankDay)))).Truncate(time.Second)
		case 1, 2:
			x.Due = clock.Add(time.Duration(r.Int64N(int64(30*rankDay))) - 10*rankDay).Truncate(time.Second)
		}
		switch r.IntN(8) {
		case 0:
			x.Scheduled = clock.Add(-time.Duration(r.Int64N(int64(3 * rankDay)))).Truncate(time.Second)
		case 1:
			x.Scheduled = clock.Add(time.Duration(r.Int64N(int64(3 * rankDay)))).Truncate(time.Second)
		}
		if r.IntN(8) == 0 {
			x.Wait = clock.Add(time.Duration(r.Int64N(int64(6*rankDay))) - 3*rankDay).Truncate(time.Second)
		}
		if r.IntN(10) == 0 {
			x.Status = backlog.StatusCompleted
			x.End = clock
		}
		tasks[i] = x
	}
	for _, x := range tasks {
		if r.IntN(4) == 0 {
			if d := tasks[r.IntN(n)].UUID; d != x.UUID {
				x.Depends = []string{d}
			}
		}
	}
	return tasks
}

// TestRankedWalkSmallBacklogs: the property of TestRankedWalkProperty on
// many small backlogs from a small space of tasks, where the walk's
// groups (tasks of one bound, with and without due and entry dates) are
// dense.
func TestRankedWalkSmallBacklogs(t *testing.T) {
	ctx := context.Background()
	seed := rankSeed(1)
	r := rand.New(rand.NewPCG(seed, 0x77))
	backlogs := 150
	if testing.Short() {
		backlogs = 50
	}
	var walks [3]int
	cases, failures := 0, 0
	s := openTest(t)
	for bi := 0; bi < backlogs; bi++ {
		tasks := smallRankBacklog(r, 8+r.IntN(40))
		write(t, s, func(tx store.Tx) error {
			old, err := tx.Select(ctx, store.Query{Now: clock})
			if err != nil {
				return err
			}
			for _, x := range old {
				if err := tx.Purge(ctx, x.UUID); err != nil {
					return err
				}
			}
			for _, x := range tasks {
				if err := tx.Insert(ctx, x); err != nil {
					return err
				}
			}
			return nil
		})
		var all []*backlog.Task
		read(t, s, func(tx store.Tx) error {
			var err error
			all, err = tx.Select(ctx, store.Query{Now: clock})
			return err
		})
		g := backlog.NewIndex(all)
		for _, now := range []time.Time{clock, clock.AddDate(-4, 0, 0), clock.AddDate(4, 0, 0), clock.Add(time.Duration(r.Int64N(int64(600*rankDay))) - 200*rankDay)} {
			u := urgencies(all, g, now)
			for _, src := range []string{"", "+READY", "status:pending"} {
				e, err := filter.Parse(src, filter.Options{Now: now})
				if err != nil {
					t.Fatal(err)
				}
				truth := newRankTruth(all, e, now, g, u)
				w := compileWhere(e, now)
				for _, top := range []int{1, 2, 5} {
					cases++
					var got []*backlog.Task
					read(t, s, func(stx store.Tx) error {
						var err error
						if got, err = stx.Select(ctx, store.Query{Filter: e, Now: now, Top: top, Rank: store.RankUrgency}); err != nil {
							return err
						}
						_, how, err := stx.(*tx).topUrgent(ctx, w, now, top)
						walks[how]++
						return err
					})
					if msg := checkRanked(truth, got, top); msg != "" {
						failures++
						var b strings.Builder
						for _, x := range all {
							j, _ := x.MarshalJSON()
							fmt.Fprintf(&b, "\n  %s urgency %.6g, %s", j, u[x.UUID], rankCols(s, x.UUID))
						}
						t.Errorf("seed %d small backlog %d, filter %q, now %v, top %d:\n%s\ntasks:%s", seed, bi, src, now, top, msg, b.String())
						if failures >= 3 {
							t.FailNow()
						}
					}
				}
			}
		}
	}
	t.Logf("seed %d: %d ranked selects: %d walked, %d ranked in SQL", seed, cases, walks[walked], walks[fallback])
}
