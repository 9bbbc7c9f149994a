package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store"
)

// SameAsEvaluator checks that the store selects and counts exactly the
// tasks the pure evaluator matches with e at now, among every task it
// holds: the promise behind every translation of a filter to SQL, however
// much of it the store pushes down.
func SameAsEvaluator(t *testing.T, s store.Store, e filter.Expr, now time.Time) {
	t.Helper()
	ctx := context.Background()
	err := s.Read(ctx, func(tx store.Tx) error {
		all, err := tx.Select(ctx, store.Query{Now: now})
		if err != nil {
			return err
		}
		g, err := tx.Graph(ctx)
		if err != nil {
			return err
		}
		match := filter.Compile(e, filter.Env{Now: now, Graph: g})
		var want []string
		for _, task := range all {
			if match(task) {
				want = append(want, task.UUID)
			}
		}
		got, err := tx.Select(ctx, store.Query{Filter: e, Now: now})
		if err != nil {
			return err
		}
		var gotUUIDs []string
		for _, task := range got {
			gotUUIDs = append(gotUUIDs, task.UUID)
		}
		if !slices.Equal(gotUUIDs, want) {
			t.Errorf("Select gives %d tasks, the evaluator %d", len(gotUUIDs), len(want))
		}
		n, err := tx.Count(ctx, store.Query{Filter: e, Now: now})
		if err == nil && n != len(want) {
			t.Errorf("Count = %d, want %d", n, len(want))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
