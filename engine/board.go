package engine

import (
	"context"
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
}

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
	{key: "blocked", terms: "+BLOCKED -ACTIVE -CLAIMED", live: true},
	{key: "waiting", terms: "( status:waiting or ( status:pending scheduled.after:now ) ) -BLOCKED -ACTIVE -CLAIMED", live: true},
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
		now := e.Now()
		user, err := parseFilter(ctx, tx, opts.Filter, now)
		if err != nil {
			return err
		}
		// under is a column's terms under the board's filter, as the
		// text "( filter ) terms" parses.
		under := func(terms string) (filter.Expr, error) {
			x, err := filter.Parse(terms, filter.Options{Now: now})
			if err != nil {
				return nil, err // a bug of the terms above, found by any test
			}
			if user != nil {
				x = &filter.BinaryExpr{X: &filter.ParenExpr{X: user}, Op: filter.AND, Y: x}
			}
			return x, nil
		}
		g, err := tx.Graph(ctx)
		if err != nil {
			return err
		}
		out = make([]BoardColumn, len(boardColumns))
		rest := -1   // the column whose count is what the others leave
		counted := 0 // the live tasks the other columns hold
		for i, c := range boardColumns {
			x, err := under(c.terms)
			if err != nil {
				return err
			}
			q := store.Query{Filter: x, Now: now}
			if opts.Limit > 0 {
				q.Top, q.Rank = opts.Limit+listSlack, c.rank
			}
			col := BoardColumn{Key: c.key}
			capped := false // the store may have stopped at Top
			for {
				tasks, err := tx.Select(ctx, q)
				if err != nil {
					return err
				}
				col.Tasks = view(tasks, g, now)
				sortTasks(col.Tasks, c.order())
				capped = q.Top > 0 && len(tasks) >= q.Top
				if !capped || c.rank != store.RankEnd || !col.Tasks[opts.Limit-1].End.Equal(col.Tasks[len(col.Tasks)-1].End) {
					break
				}
				// The last task shown was done in the same second as
				// the last the store returned: the store may have picked
				// any of those, and the column shows the first of them
				// by id, so it reads them all (rare: a bulk done).
				q.Top = 0
			}
			total := len(col.Tasks)
			switch {
			case !capped:
			case c.rest:
				rest = i
			default:
				if total, err = tx.Count(ctx, store.Query{Filter: x, Now: now}); err != nil {
					return err
				}
			}
			if c.live && !c.rest {
				counted += total
			}
			if opts.Limit > 0 && len(col.Tasks) > opts.Limit {
				col.Tasks, col.More = col.Tasks[:opts.Limit], total-opts.Limit
			}
			out[i] = col
		}
		if rest < 0 {
			return nil
		}
		live, err := liveCount(ctx, tx, user, under, now)
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

// liveCount counts the live tasks under the board's filter: from the
// store's tally by status when there is no filter (SQLite keeps a count
// of each status, so that is a read of a few rows), else in the store.
func liveCount(ctx context.Context, tx store.Tx, user filter.Expr, under func(string) (filter.Expr, error), now time.Time) (int, error) {
	if user == nil {
		tally, err := tx.Tally(ctx, store.Query{Now: now}, store.TallyStatus, 0)
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
	x, err := under(liveTerms)
	if err != nil {
		return 0, err
	}
	return tx.Count(ctx, store.Query{Filter: x, Now: now})
}
