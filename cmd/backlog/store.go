package main

import (
	"context"

	"github.com/agent-backlog/backlog/sqlite"
	"github.com/agent-backlog/backlog/store"
)

// openStore opens the backlog's SQLite file, creating it when missing.
func openStore(ctx context.Context, path string) (store.Store, error) {
	return sqlite.Open(ctx, path)
}
