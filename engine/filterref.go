package engine

import (
	"context"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store"
)

// checkPrefixes refuses a filter in which a UUID prefix matches more than
// one task. A prefix names a task (FILTER.md), as it does where one task is
// asked for (done a1b2c3d4); taken as a pattern it would widen a command to
// every task that shares the prefix. A prefix that matches no task simply
// selects nothing. A whole UUID names at most one task and is not looked up.
func checkPrefixes(ctx context.Context, tx store.Tx, e filter.Expr) error {
	var err error
	filter.Walk(e, func(n filter.Expr) bool {
		refs, ok := n.(*filter.IDExpr)
		if !ok || err != nil {
			return err == nil
		}
		for _, p := range refs.UUIDs {
			if len(p) == len(uuidShape) {
				continue
			}
			var ts []*backlog.Task
			if ts, err = tx.TasksByUUIDPrefix(ctx, p, 10); err != nil {
				return false
			}
			if len(ts) > 1 {
				err = ambiguousPrefix(p, ts)
				return false
			}
		}
		return true
	})
	return err
}

// ambiguousPrefix is the refusal of a UUID prefix that matches several
// tasks, naming them.
func ambiguousPrefix(prefix string, ts []*backlog.Task) error {
	refs := make([]string, len(ts))
	for i, t := range ts {
		refs[i] = t.Ref()
	}
	return backlog.Invalidf("UUID prefix %q matches tasks %s: give more digits", prefix, joinWords(refs))
}
