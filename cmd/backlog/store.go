package main

import (
	"context"

	"github.com/agent-backlog/backlog/config"
	"github.com/agent-backlog/backlog/postgres"
	"github.com/agent-backlog/backlog/sqlite"
	"github.com/agent-backlog/backlog/store"
)

// openStore opens the configured backlog: a SQLite file (created when
// missing) or a backlog on a PostgreSQL server.
func openStore(ctx context.Context, cfg *config.Config) (store.Store, error) {
	if cfg.Backend == "postgres" {
		return postgres.Open(ctx, cfg.DatabaseURL, cfg.Namespace)
	}
	return sqlite.OpenWith(ctx, cfg.File, sqlite.Options{BusyTimeout: cfg.BusyTimeout})
}
