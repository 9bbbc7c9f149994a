package engine

import (
	"cmp"
	"context"
	"slices"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store"
)

// The board: the live tasks split into what is ready, what is at work,
// what is blocked and what is waiting, and what was done today, read in one
// transaction so that every column shows the same moment (five separate
// lists could show a task that moved between them twice, or not at all).

// BoardColumn is one column of the board: the tasks it shows, in order,
// and how many more it holds past the limit.
type BoardColumn struct {
	Key   string // ready, active, blocked, waiting, done
	Tasks []*backlog.Task
	More  int
}

// BoardOptions narrow the board.
type BoardOptions struct {
	Filter string // applies to every column, with the list rule; "" for the whole backlog
	Limit  int    // tasks per column; 0 means all
}

// boardColumn is how a column selects and orders its tasks.
type boardColumn struct {
	key, terms string
	rank       store.Rank // the order shown: urgency (most urgent first) or end (latest first)
	live       bool       // one of the columns that split the live tasks
	rest       bool       // counted as the live tasks the other live columns leave
	// around, when set, are terms the store reads as a few index ranges
	// that hold every task of the column. While they hold no more than
	// smallColumn tasks, Board reads them all and keeps the column's own
	// with the evaluator, which counts them too: a store's ranking walks
	// the live tasks down from the most urgent, a long way for a column
	// whose tasks rank low (blocked ones above all), and counting the
	// column's terms in SQL is a pass of its own.
	around string
}

// smallColumn is the most tasks Board reads whole for a column with
// around terms; past it, the store ranks and counts. A variable for the
// tests of the other way.
var smallColumn = 1000

// order is the column's order as sort keys; ties go by id.
func (c boardColumn) order() []SortKey {
	if c.rank == store.RankEnd {
		return []SortKey{{Field: "end", Desc: true}}
	}
	return []SortKey{{Field: "urgency", Desc: true}}
}

// boardColumns are the board's columns, left to right. The first four
// split the live tasks (pending or waiting): each one is in exactly one
// of them, held or started first, then blocked, then waiting or scheduled
// for later, else ready. Board counts the ready column, the largest by
// far, as what the others leave, which spares the page its dearest count;
// TestBoardColumnsSplitTheLiveTasks holds the split to that promise.
//
// Each column's terms imply a live task or name a status, so the list
// rule (an implicit status:pending) would change nothing and is not
// applied: +ACTIVE, +CLAIMED and +BLOCKED hold only live tasks, +READY
// only pending ones. Written without a status, they read in SQLite as a
// few index ranges rather than a pass over every live task.
var boardColumns = []boardColumn{
	{key: "ready", terms: "+READY -ACTIVE -CLAIMED", live: true, rest: true},
	{key: "active", terms: "+ACTIVE or +CLAIMED", live: true},
	{key: "blocked", terms: "+BLOCKED -ACTIVE -CLAIMED", live: true, around: "+BLOCKED"},
	{key: "waiting", terms: "( status:waiting or ( status:pending scheduled.after:now ) ) -BLOCKED -ACTIVE -CLAIMED", live: true,
		around: "status:waiting or ( status:pending scheduled.after:now )"},
	{key: "done", terms: "status:completed end:today", rank: store.RankEnd},
}

// liveTerms are the tasks the first four columns split between them.
const liveTerms = "status:pending or status:waiting"

// Board reads the board's columns in one read transaction, each ordered as
// it shows (the done column by when each task was done, latest first, the
// others by urgency) and capped at the limit. A filter that does not parse
// is an error wrapping backlog.ErrInvalid, a *filter.Error where it has a
// position, as for List.
func (e *Engine) Board(ctx context.Context, opts BoardOptions) ([]BoardColumn, error) {
	if opts.Limit < 0 {
		return nil, backlog.Invalidf("limit must be 0 (all) or more, got %d", opts.Limit)
	}
	var out []BoardColumn
	err := e.store.Read(ctx, func(tx store.Tx) error {
		b := &boardRead{tx: tx, now: e.Now(), limit: opts.Limit}
		var err error
		if b.user, err = parseFilter(ctx, tx, opts.Filter, b.now); err != nil {
			return err
		}
		if b.graph, err = tx.Graph(ctx); err != nil {
			return err
		}
		out = make([]BoardColumn, len(boardColumns))
		rest := -1   // the column whose count is what the others leave
		counted := 0 // the live tasks the other columns hold
		for i, c := range boardColumns {
			col, total, err := b.column(ctx, c)
			if err != nil {
				return err
			}
			switch {
			case total < 0:
				rest = i
			case c.live:
				counted += total
			}
			out[i] = col
		}
		if rest < 0 {
			return nil
		}
		live, err := b.liveCount(ctx)
		if err != nil {
			return err
		}
		out[rest].More = max(0, live-counted-opts.Limit)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// boardRead is one reading of the board: its transaction, clock, filter,
// dependency graph and cap.
type boardRead struct {
	tx    store.Tx
	now   time.Time
	user  filter.Expr // the board's filter; nil for none
	graph backlog.Graph
	limit int
}

// under is terms under the board's filter, as "( filter ) terms" parses.
func (b *boardRead) under(terms string) filter.Expr {
	x, err := filter.Parse(terms, filter.Options{Now: b.now})
	if err != nil {
		panic("engine: the board's terms do not parse: " + err.Error()) // fixed above; any test finds it
	}
	if b.user != nil {
		x = &filter.BinaryExpr{X: &filter.ParenExpr{X: b.user}, Op: filter.AND, Y: x}
	}
	return x
}

// column reads a column, capped, and how many tasks it holds in all; -1
// for the rest column when the store stopped at the cap, which Board
// counts from the others.
func (b *boardRead) column(ctx context.Context, c boardColumn) (BoardColumn, int, error) {
	col := BoardColumn{Key: c.key}
	x := b.under(c.terms)
	tasks, capped, err := b.small(ctx, c, x)
	if err != nil {
		return col, 0, err
	}
	if tasks == nil {
		if tasks, capped, err = b.ranked(ctx, c, x); err != nil {
			return col, 0, err
		}
	}
	total := len(tasks)
	switch {
	case !capped:
	case c.rest:
		total = -1
	default:
		if total, err = b.tx.Count(ctx, store.Query{Filter: x, Now: b.now}); err != nil {
			return col, 0, err
		}
	}
	col.Tasks = b.first(tasks, c)
	if b.limit > 0 && len(tasks) > b.limit {
		col.More = max(0, total-b.limit)
	}
	return col, total, nil
}

// first orders a column's tasks as it shows them (as sortTasks would
// order their views by the column's order) and returns the views of the
// first limit: a view is a copy of the task, and a column read whole may
// hold a thousand.
func (b *boardRead) first(tasks []*backlog.Task, c boardColumn) []*backlog.Task {
	key := c.order()[0]
	urgency := make([]float64, len(tasks))
	if key.Field == "urgency" {
		for i, t := range tasks {
			urgency[i] = backlog.Urgency(t, b.now, b.graph.Blocked(t), b.graph.Blocking(t))
		}
	}
	order := make([]int, len(tasks))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int {
		x, y := tasks[i], tasks[j]
		var by int
		if key.Field == "urgency" {
			by = -cmp.Compare(urgency[i], urgency[j])
		} else {
			by = compareBy(x, y, key)
		}
		if by != 0 {
			return by
		}
		return cmp.Compare(x.ID, y.ID)
	})
	if b.limit > 0 && len(order) > b.limit {
		order = order[:b.limit]
	}
	shown := make([]*backlog.Task, len(order))
	for n, i := range order {
		shown[n] = tasks[i]
	}
	return view(shown, b.graph, b.now)
}

// small reads every task of a column with around terms whose tasks are
// few, keeping those x selects; nil when the column has no such terms or
// they hold too many.
func (b *boardRead) small(ctx context.Context, c boardColumn, x filter.Expr) ([]*backlog.Task, bool, error) {
	if c.around == "" || b.limit == 0 {
		return nil, false, nil
	}
	q := store.Query{Filter: b.under(c.around), Now: b.now}
	n, err := b.tx.Count(ctx, q)
	if err != nil || n > smallColumn {
		return nil, false, err
	}
	all, err := b.tx.Select(ctx, q)
	if err != nil {
		return nil, false, err
	}
	match := filter.Compile(x, filter.Env{Now: b.now, Graph: b.graph})
	tasks := make([]*backlog.Task, 0, len(all))
	for _, t := range all {
		if match(t) {
			tasks = append(tasks, t)
		}
	}
	return tasks, false, nil
}

// ranked reads the first tasks of a column in its order, with slack, and
// reports whether the store may have stopped there. A column ordered by
// when its tasks were done reads them all when the last it shows was done
// in the same second as the last the store returned: the store may have
// picked any of those, and the column shows the first of them by id (rare:
// a bulk done).
func (b *boardRead) ranked(ctx context.Context, c boardColumn, x filter.Expr) ([]*backlog.Task, bool, error) {
	q := store.Query{Filter: x, Now: b.now}
	if b.limit > 0 {
		q.Top, q.Rank = b.limit+listSlack, c.rank
	}
	tasks, err := b.tx.Select(ctx, q)
	if err != nil || q.Top == 0 || len(tasks) < q.Top {
		return tasks, false, err
	}
	if c.rank == store.RankEnd {
		ends := slices.SortedFunc(slices.Values(tasks), func(a, b *backlog.Task) int { return b.End.Compare(a.End) })
		if ends[b.limit-1].End.Equal(ends[len(ends)-1].End) {
			q.Top = 0
			tasks, err = b.tx.Select(ctx, q)
			return tasks, false, err
		}
	}
	return tasks, true, nil
}

// liveCount counts the live tasks under the board's filter: from the
// store's tally by status when there is no filter (SQLite keeps a count
// of each status, so that is a read of a few rows), else in the store.
func (b *boardRead) liveCount(ctx context.Context) (int, error) {
	if b.user == nil {
		tally, err := b.tx.Tally(ctx, store.Query{Now: b.now}, store.TallyStatus, 0)
		if err != nil {
			return 0, err
		}
		n := 0
		for _, g := range tally {
			if g.Value == string(backlog.StatusPending) || g.Value == string(backlog.StatusWaiting) {
				n += g.Count
			}
		}
		return n, nil
	}
	return b.tx.Count(ctx, store.Query{Filter: b.under(liveTerms), Now: b.now})
}
