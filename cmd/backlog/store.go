package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/config"
	"github.com/agent-backlog/backlog/postgres"
	"github.com/agent-backlog/backlog/sqlite"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/memstore"
)

// openStore opens the configured backlog: a SQLite file or a backlog on a
// PostgreSQL server. This is the one place that chooses a store.
//
// Only a command that writes creates a SQLite file: one that reads a
// backlog that does not exist yet gets an empty one, unless the user named
// a directory (--data, TASKDATA) that does not exist either, which is most
// likely a typo. The directory a repository's backlog is derived to, or a
// new namespace, reads as empty.
func openStore(ctx context.Context, cfg *config.Config, write bool) (store.Store, error) {
	if cfg.Backend == "postgres" {
		return postgres.Open(ctx, cfg.DatabaseURL, cfg.Namespace)
	}
	return openSQLite(ctx, cfg, write, func(ctx context.Context) (store.Store, error) {
		return sqlite.OpenWith(ctx, cfg.File, sqlite.Options{BusyTimeout: cfg.BusyTimeout})
	})
}

// openSQLite is openStore for a SQLite backlog, with open opening its file.
func openSQLite(ctx context.Context, cfg *config.Config, write bool, open func(context.Context) (store.Store, error)) (store.Store, error) {
	if !write {
		if _, err := os.Stat(cfg.File); errors.Is(err, os.ErrNotExist) {
			if _, err := os.Stat(cfg.Dir); cfg.DirGiven && errors.Is(err, os.ErrNotExist) {
				return nil, backlog.NotFoundf("no backlog at %s (%s names a directory that does not exist): run a command that writes (backlog add …) to create one",
					cfg.Dir, cfg.DirFrom)
			}
			return memstore.New(), nil
		}
	}
	st, err := open(ctx)
	switch {
	case err == nil:
		return st, nil
	case errors.Is(err, backlog.ErrEnvironment):
		return nil, err
	}
	return nil, fmt.Errorf("cannot open the backlog %s: %w", cfg.File, err)
}
