package engine

import (
	"context"

	"github.com/agent-backlog/backlog/store"
)

// CheckFilter parses a filter as every command would (with the backlog's
// user-defined attributes, refusing an ambiguous UUID prefix) and returns
// the error a command would, without running a query: a surface that
// combines the filter with its own terms reports the error at the
// position the user typed.
func (e *Engine) CheckFilter(ctx context.Context, src string) error {
	return e.store.Read(ctx, func(tx store.Tx) error {
		_, err := parseFilter(ctx, tx, src, e.Now())
		return err
	})
}
