package engine

import (
	"cmp"
	"context"
	"slices"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store"
)

// Claims returns every live task an agent holds, with when its claim was
// last renewed (as Reclaim judges it), by agent and then by id; it changes
// nothing, so that a person can see which claims are stale before
// releasing one.
func (e *Engine) Claims(ctx context.Context) ([]Stale, error) {
	var out []Stale
	err := e.store.Read(ctx, func(tx store.Tx) error {
		now := e.Now()
		held, err := tx.Select(ctx, store.Query{Filter: &filter.TagExpr{Include: true, Name: "CLAIMED", Virtual: true}, Now: now})
		if err != nil {
			return err
		}
		g, err := tx.Graph(ctx)
		if err != nil {
			return err
		}
		for _, t := range view(held, g, now) {
			renewed, err := claimRenewed(ctx, tx, t)
			if err != nil {
				return err
			}
			out = append(out, Stale{Task: t, Agent: t.Agent, Renewed: renewed.UTC()})
		}
		return nil
	})
	slices.SortFunc(out, func(a, b Stale) int {
		return cmp.Or(cmp.Compare(a.Agent, b.Agent), cmp.Compare(a.Task.ID, b.Task.ID))
	})
	if out == nil {
		out = []Stale{}
	}
	return out, err
}

// Dependents returns the live tasks that depend on the task ref names, by
// id: the other direction of its depends list.
func (e *Engine) Dependents(ctx context.Context, ref string) ([]*backlog.Task, error) {
	var out []*backlog.Task
	err := e.store.Read(ctx, func(tx store.Tx) error {
		t, err := resolve(ctx, tx, ref)
		if err != nil {
			return err
		}
		ds, err := tx.Dependents(ctx, t.UUID)
		if err != nil {
			return err
		}
		out = ds
		return nil
	})
	return out, err
}
