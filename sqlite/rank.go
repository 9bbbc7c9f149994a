package sqlite

import (
	"cmp"
	"container/heap"
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/sqlstore"
)

// Ranking by urgency (store.Query.Top with store.RankUrgency).
//
// Urgency moves with the clock, so no index can hold it. What an index can
// hold is an upper bound: tasks.rank_hi (migration 0004) is a task's own
// part of urgency plus every other term at its largest. topUrgent walks the
// tasks_rank index from the highest bound down and stops where the bound
// falls to the Top-th urgency it holds. Within one bound the index orders
// tasks without a due date oldest first, then tasks with one earliest
// first, so the age or due term can only fall along the rest of the group:
// once even the current task's term cannot lift the group over the Top-th
// figure, the walk jumps past the group. SQLite computes each task's figure
// and hands over only the tasks that would enter the Top and those that end
// a group, so a summary of thousands of open tasks returns a few dozen
// rows.
//
// Ties with the Top-th task (within urgencyEps) may be left out, as the
// store contract allows; the engine orders what it gets exactly.

// urgencyEps absorbs the rounding between SQL's sums and Go's. A task
// within it of the bar ties; the walk passes over tasks and groups only
// when their bound is within half of it, so that rounding (far smaller)
// never costs a task that beats the bar by more.
const urgencyEps = 1e-9

// rankSample: the walk's first bar is the Top-th best of the first
// Top*rankSample tasks down the index.
const rankSample = 2

// rankWalk is how topUrgent answered.
type rankWalk int

const (
	walked   rankWalk = iota // tids holds the first Top (and perhaps more)
	fallback                 // rank every match in SQL (urgencyOrder)
)

// urgencySQL is the urgency of task t at now in SQL, without the blocked
// term (so an upper bound of it): backlog.Coefficients.Urgency over the
// stored own part, with the default coefficients. blockedSQL is the
// blocked term.
func urgencySQL(now time.Time) string {
	c := backlog.DefaultCoefficients
	terms := []string{
		"t.urg_own",
		fmt.Sprintf("%g * %s", c.Due, dueFactorSQL(now)),
		fmt.Sprintf("(CASE WHEN t.status = 'pending' AND t.blocking_n > 0 THEN %g ELSE 0 END)", c.Blocking),
		// Dates are whole seconds: before a now with a fraction is up to
		// its second, after it is past its second.
		fmt.Sprintf("(CASE WHEN t.scheduled_at < %d THEN %g ELSE 0 END)", sqlstore.UnixCeil(now), c.Scheduled),
		fmt.Sprintf("%g * %s", c.Age, ageFactorSQL(now)),
		fmt.Sprintf("(CASE WHEN t.status = 'pending' AND t.wait_at > %d THEN %g ELSE 0 END)", sqlstore.UnixFloor(now), c.Waiting),
	}
	return "(CASE WHEN t.status IN ('completed', 'deleted') THEN 0 ELSE " + strings.Join(terms, " + ") + " END)"
}

var blockedSQL = fmt.Sprintf("(CASE WHEN t.status = 'pending' AND EXISTS (SELECT 1 FROM task_deps d WHERE d.task_id = t.tid AND d.dep_live = 1) THEN %g ELSE 0 END)",
	backlog.DefaultCoefficients.Blocked)

// unixFloat is t in unix seconds with the fraction.
func unixFloat(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// dueFactorSQL is the due term's factor (backlog.Urgency) of t.due_at: 0.2 up to two weeks
// before the date, rising linearly to 1.0 a week after it, with the line
// and its ends worked out here (SQLite computes it for every task a walk
// meets).
func dueFactorSQL(now time.Time) string {
	n := unixFloat(now)
	slope := 0.8 / 21 / 86400
	return fmt.Sprintf("(CASE WHEN t.due_at IS NULL THEN 0 WHEN t.due_at <= %.17g THEN 1.0 WHEN t.due_at >= %.17g THEN 0.2 ELSE %.17g - t.due_at * %.17g END)",
		n-7*86400, n+14*86400, n*slope+14*0.8/21+0.2, slope)
}

// ageFactorSQL is backlog.AgeFactor of t.entry_at, likewise.
func ageFactorSQL(now time.Time) string {
	n := unixFloat(now)
	max := backlog.DefaultCoefficients.AgeMax * 86400
	return fmt.Sprintf("(CASE WHEN t.entry_at IS NULL OR t.entry_at >= %.17g THEN 0 WHEN t.entry_at <= %.17g THEN 1.0 ELSE %.17g - t.entry_at * %.17g END)",
		n, n-max, n/max, 1/max)
}

// restBoundSQL bounds the urgency of the tasks after t in its group of
// tasks_rank: t's bound with the due term (or, without a due date, the age
// term) lowered from its largest to t's own, which the rest cannot exceed.
// ageSlack is how far below its largest the age term of every open task
// is (none is older than the oldest).
func restBoundSQL(now time.Time, ageSlack float64) string {
	c := backlog.DefaultCoefficients
	return fmt.Sprintf("t.rank_hi + (CASE WHEN t.due_at IS NOT NULL THEN %[1]g * %[2]s - %[1]g - (CASE WHEN t.entry_at IS NOT NULL THEN %.17[5]g ELSE 0 END) WHEN t.entry_at IS NOT NULL THEN %[3]g * %[4]s - %[3]g ELSE 0 END)",
		c.Due, dueFactorSQL(now), c.Age, ageFactorSQL(now), ageSlack)
}

// urgencyCand is a task met by the walk and its urgency.
type urgencyCand struct {
	tid int64
	u   float64
}

// topUrgent finds the top tasks most urgent at now among those the exact
// WHERE w selects.
func (x *tx) topUrgent(ctx context.Context, w sqlstore.Where, now time.Time, top int) ([]int64, rankWalk, error) {
	// How far every open task's age term is below its largest, from the
	// oldest one: a walk through tasks made together need not allow for
	// ages they do not have. Only when every open task has an entry date:
	// the bound of one without has no age term to lower.
	var (
		oldest  sql.NullInt64
		undated bool
	)
	err := x.queryRow(ctx, "SELECT (SELECT min(entry_at) FROM tasks INDEXED BY tasks_open_entry WHERE status IN ('pending', 'recurring')),"+
		" EXISTS (SELECT 1 FROM tasks INDEXED BY tasks_open_entry WHERE status IN ('pending', 'recurring') AND entry_at IS NULL)").Scan(&oldest, &undated)
	if err != nil {
		return nil, 0, err
	}
	ageSlack := 0.0
	if oldest.Valid && !undated {
		c := backlog.DefaultCoefficients
		ageSlack = max(0, c.Age-c.Age*backlog.AgeFactor(time.Unix(oldest.Int64, 0).UTC(), now)-urgencyEps)
	}

	// One statement walks every stretch (preparing it is the dearest
	// part of a short walk): the tasks matching w whose bound lies in
	// (lo, hi), only those with a due date if asked, in index order,
	// handing over only those whose urgency beats the bar and those where
	// the rest of their group cannot. Each figure is written once, in the
	// subquery, so SQLite computes it once per task.
	walk := walkSQL(w, now, ageSlack)
	type row struct {
		urgencyCand
		hi, rest float64
		due      bool
	}
	// stream runs the walk over a stretch with a bar, handing each row to
	// fn until fn returns false.
	stream := func(lo, hi, bar float64, dueOnly bool, fn func(row) bool) error {
		args := append([]any{lo, hi, !dueOnly}, w.Args...)
		args = append(args, bar+urgencyEps, bar+urgencyEps/2)
		rows, err := x.query(ctx, walk, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.tid, &r.hi, &r.due, &r.u, &r.rest); err != nil {
				return err
			}
			if !fn(r) {
				break
			}
		}
		return rows.Err()
	}

	// The bar starts at the top-th best of the first tasks down the index.
	var (
		first  []urgencyCand
		lastHi float64
	)
	err = stream(0, math.MaxFloat64, math.Inf(-1), false, func(r row) bool {
		first = append(first, r.urgencyCand)
		lastHi = r.hi
		return len(first) < top*rankSample
	})
	if err != nil {
		return nil, 0, err
	}
	exhausted := len(first) < top*rankSample
	slices.SortFunc(first, func(a, b urgencyCand) int { return cmp.Compare(b.u, a.u) })
	if len(first) < top || first[top-1].u < -urgencyEps {
		// Fewer than top open tasks match, or tasks whose bound is 0
		// (finished ones, at urgency 0, and bare open ones, at 0 or
		// below) could rank: let SQL rank every match.
		return nil, fallback, nil
	}
	h := candHeap(first[:top])
	heap.Init(&h)
	bar := func() float64 { return h[0].u }
	in := make(map[int64]bool, len(h))
	for _, c := range h {
		in[c.tid] = true
	}

	if exhausted {
		// The first pass met every match.
		return h.tids(), walked, nil
	}

	// Then on down the index, stretch by stretch, from the group where
	// the first pass stopped (every task above it was met): a stretch
	// ends where the rest of a group cannot beat the bar.
	hi, dueOnly := math.Nextafter(lastHi, math.Inf(1)), false
	for {
		var next *row
		lo := bar() + urgencyEps/2
		if dueOnly {
			lo = math.Nextafter(hi, math.Inf(-1))
			lo = math.Nextafter(lo, math.Inf(-1)) // (lo, hi) holds the one group
		}
		err := stream(lo, hi, bar(), dueOnly, func(r row) bool {
			if r.u > bar()+urgencyEps && !in[r.tid] {
				delete(in, h[0].tid)
				in[r.tid] = true
				h[0] = r.urgencyCand
				heap.Fix(&h, 0)
			}
			if r.rest <= bar()+urgencyEps/2 {
				next = &r
				return false
			}
			return true
		})
		if err != nil {
			return nil, 0, err
		}
		switch {
		case next != nil && !next.due:
			// Past the group's tasks without a due date: on to those
			// with one, if the group has any.
			var any int
			if err := x.queryRow(ctx, "SELECT count(*) FROM (SELECT 1 FROM tasks INDEXED BY tasks_rank WHERE status NOT IN ('completed', 'deleted') AND rank_hi = ? AND due_at IS NOT NULL LIMIT 1)", next.hi).Scan(&any); err != nil {
				return nil, 0, err
			}
			if any > 0 {
				hi, dueOnly = math.Nextafter(next.hi, math.Inf(1)), true
				continue
			}
			hi, dueOnly = next.hi, false
			continue
		case next != nil:
			hi, dueOnly = next.hi, false
			continue
		case dueOnly:
			// The group's tasks with a due date are done: below it.
			hi, dueOnly = math.Nextafter(hi, math.Inf(-1)), false
			continue
		}
		return h.tids(), walked, nil
	}
}

// walkSQL is the statement of a ranked walk: see topUrgent.
func walkSQL(w sqlstore.Where, now time.Time, ageSlack float64) string {
	return "SELECT tid, hi, due, u + (CASE WHEN status = 'pending' AND EXISTS (SELECT 1 FROM task_deps d WHERE d.task_id = tid AND d.dep_live = 1) THEN " +
		fmt.Sprint(backlog.DefaultCoefficients.Blocked) + " ELSE 0 END), rest FROM (SELECT t.tid AS tid, t.rank_hi AS hi, t.due_at IS NOT NULL AS due, t.status AS status, " +
		urgencySQL(now) + " AS u, " + restBoundSQL(now, ageSlack) + " AS rest FROM tasks t INDEXED BY tasks_rank WHERE t.status NOT IN ('completed', 'deleted') AND t.rank_hi > ? AND t.rank_hi < ? AND (? OR t.due_at IS NOT NULL) AND (" +
		w.SQL + ") ORDER BY t.rank_hi DESC, t.due_at, t.entry_at, t.tid) WHERE u > ? OR rest <= ?"
}

// candHeap keeps the walk's best candidates, the least urgent on top.
type candHeap []urgencyCand

// tids lists the candidates' row ids.
func (h candHeap) tids() []int64 {
	out := make([]int64, len(h))
	for i, c := range h {
		out[i] = c.tid
	}
	return out
}

func (h candHeap) Len() int           { return len(h) }
func (h candHeap) Less(i, j int) bool { return h[i].u < h[j].u }
func (h candHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *candHeap) Push(x any)        { *h = append(*h, x.(urgencyCand)) }
func (h *candHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// ranked selects at least the first q.Top tasks by q.Rank among those
// the exact WHERE w selects.
func (x *tx) ranked(ctx context.Context, w sqlstore.Where, q store.Query) ([]*backlog.Task, error) {
	top := strconv.Itoa(q.Top)
	sel := "SELECT " + sqlstore.TaskColumns + " FROM tasks t WHERE "
	switch q.Rank {
	case store.RankDue, store.RankEnd:
		// Tasks with the date first, in the order of a (status, date)
		// index, which the walk stops reading at top; then, if that was
		// not enough and the filter lets a task lack the date, those
		// without it by row id. SQL ordering both at once would sort every
		// match ("end after yesterday" may be a whole imported history).
		col, dir, name := "t.due_at", "", "due"
		if q.Rank == store.RankEnd {
			col, dir, name = "t.end_at", " DESC", "end"
		}
		ts, err := x.QueryTasks(ctx, sel+"t.tid IN (SELECT t.tid FROM tasks t WHERE ("+w.SQL+") AND "+col+" IS NOT NULL ORDER BY "+col+dir+" LIMIT "+top+")", w.Args...)
		if err != nil || len(ts) >= q.Top || requiresDate(q.Filter, name) {
			return ts, err
		}
		more, err := x.QueryTasks(ctx, sel+"t.tid IN (SELECT t.tid FROM tasks t WHERE ("+w.SQL+") AND "+col+" IS NULL ORDER BY t.tid LIMIT "+strconv.Itoa(q.Top-len(ts))+")", w.Args...)
		return append(ts, more...), err
	}
	tids, how, err := x.topUrgent(ctx, w, q.Now, q.Top)
	switch {
	case err != nil:
		return nil, err
	case how == walked:
		return x.QueryTasks(ctx, sel+"t.tid IN ("+placeholders(len(tids))+")", anys(tids)...)
	}
	return x.QueryTasks(ctx, sel+"t.tid IN (SELECT t.tid FROM tasks t WHERE "+w.SQL+" ORDER BY "+urgencyOrder(q.Now)+" LIMIT "+top+")", w.Args...)
}

// urgencyOrder is the ORDER BY clause that ranks every match by urgency
// in SQL, for when the walk cannot answer. The engine recomputes the exact
// figure for what it keeps, so this only has to order like it, and the
// caller asks for slack.
func urgencyOrder(now time.Time) string {
	return "(" + urgencySQL(now) + " + " + blockedSQL + ") DESC, t.id"
}

// dueTags are the virtual tags that hold only tasks with a due date.
var dueTags = map[string]bool{
	"OVERDUE": true, "DUE": true, "TODAY": true, "DUETODAY": true, "YESTERDAY": true, "TOMORROW": true,
	"WEEK": true, "MONTH": true, "QUARTER": true, "YEAR": true,
}

// requiresDate reports whether every task e matches has the date (due or
// end), as the SQL compiled from it says: a term that compares the date,
// or a due virtual tag, that must hold.
func requiresDate(e filter.Expr, name string) bool {
	switch e := e.(type) {
	case *filter.BinaryExpr:
		switch e.Op {
		case filter.AND:
			return requiresDate(e.X, name) || requiresDate(e.Y, name)
		case filter.OR:
			return requiresDate(e.X, name) && requiresDate(e.Y, name)
		}
	case *filter.ParenExpr:
		return requiresDate(e.X, name)
	case *filter.TagExpr:
		return name == "due" && e.Include && e.Virtual && dueTags[e.Name]
	case *filter.AttrExpr:
		if e.Name != name {
			return false
		}
		if e.Value == "" {
			return e.Mod == filter.ModAny
		}
		switch e.Mod {
		case filter.ModNone, filter.ModIs, filter.ModBefore, filter.ModAfter, filter.ModBy:
			return true
		}
	}
	return false
}
