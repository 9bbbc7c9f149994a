package sqlite

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/sqlstore"
)

// tallied counts the tasks of the exact WHERE w in SQL (sqlstore.Tx.Tally).
func (x *tx) tallied(ctx context.Context, w sqlstore.Where, q store.Query, by store.TallyKey, ids int) ([]store.Tally, error) {
	if by == store.TallyStatus && ids == 0 {
		if q.Filter == nil {
			return x.tallyAll(ctx, q.Now)
		}
		return x.tallyStatus(ctx, q, w)
	}
	key := sqlstore.Column("t.agent")
	if by == store.TallyStatus {
		key = sqlstore.EffectiveStatus(dialect{}, q.Now)
	}
	// With ids, each group brings every id in it, kept here up to ids:
	// linear in the matches, which is what asking for ids is for (the few
	// tasks at work, not every pending one).
	list := "''"
	if ids > 0 {
		list = "group_concat(t.id)"
	}
	rows, err := x.tx.QueryContext(ctx, "SELECT "+key.SQL()+" AS v, count(*), "+list+" FROM tasks t WHERE "+w.SQL+" GROUP BY v",
		append(append([]any{}, key.Args()...), w.Args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Tally
	for rows.Next() {
		var (
			g     store.Tally
			idSet string
		)
		if err := rows.Scan(&g.Value, &g.Count, &idSet); err != nil {
			return nil, err
		}
		if ids > 0 {
			for f := range strings.SplitSeq(idSet, ",") {
				if id, err := strconv.ParseInt(f, 10, 64); err == nil && id > 0 {
					g.IDs = append(g.IDs, id)
				}
			}
			slices.Sort(g.IDs)
			g.IDs = g.IDs[:min(len(g.IDs), ids)]
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// tallyAll counts every task by status from status_counts, and the
// waiting ones (pending with a wait date after now) from their index.
func (x *tx) tallyAll(ctx context.Context, now time.Time) ([]store.Tally, error) {
	var waiting int
	err := x.queryRow(ctx, "SELECT count(*) FROM tasks t WHERE t.status = 'pending' AND t.wait_at > ?", sqlstore.UnixFloor(now)).Scan(&waiting)
	if err != nil {
		return nil, err
	}
	rows, err := x.query(ctx, "SELECT status, n FROM status_counts WHERE n > 0")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Tally
	for rows.Next() {
		var g store.Tally
		if err := rows.Scan(&g.Value, &g.Count); err != nil {
			return nil, err
		}
		if g.Value == string(backlog.StatusPending) {
			g.Count -= waiting
		}
		if g.Count > 0 {
			out = append(out, g)
		}
	}
	if waiting > 0 {
		out = append(out, store.Tally{Value: string(backlog.StatusWaiting), Count: waiting})
	}
	return out, rows.Err()
}

// tallyStatus counts by stored status, which the status index delivers in
// order (grouping by the effective status would sort every task), and the
// waiting ones among the pending in the same pass.
func (x *tx) tallyStatus(ctx context.Context, q store.Query, w sqlstore.Where) ([]store.Tally, error) {
	args := append([]any{sqlstore.UnixFloor(q.Now)}, w.Args...)
	rows, err := x.tx.QueryContext(ctx, "SELECT t.status, count(*), ifnull(sum(t.wait_at > ?), 0) FROM tasks t WHERE "+w.SQL+" GROUP BY t.status", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Tally
	for rows.Next() {
		var (
			status     string
			n, waiting int
		)
		if err := rows.Scan(&status, &n, &waiting); err != nil {
			return nil, err
		}
		if status != "pending" {
			waiting = 0
		}
		if n > waiting {
			out = append(out, store.Tally{Value: status, Count: n - waiting})
		}
		if waiting > 0 {
			out = append(out, store.Tally{Value: "waiting", Count: waiting})
		}
	}
	return out, rows.Err()
}
