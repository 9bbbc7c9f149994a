package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/config"
	"github.com/agent-backlog/backlog/postgres"
	"github.com/agent-backlog/backlog/s3store"
	"github.com/agent-backlog/backlog/s3store/s3api"
	"github.com/agent-backlog/backlog/sqlite"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/memstore"
)

// openStore opens the configured backlog: a SQLite file, a backlog on a
// PostgreSQL server or one kept in S3. This is the one place that chooses a
// store.
//
// Only a command that writes creates a SQLite file: one that reads a
// backlog that does not exist yet gets an empty one, unless the user named
// a directory (--data, TASKDATA) that does not exist either, which is most
// likely a typo. The directory a repository's backlog is derived to, or a
// new namespace, reads as empty.
func openStore(ctx context.Context, cfg *config.Config, write bool) (store.Store, error) {
	switch cfg.Backend {
	case "postgres":
		return postgres.Open(ctx, cfg.DatabaseURL, cfg.Namespace)
	case "s3":
		return openS3(cfg)
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

// openS3 opens the backlog kept in the S3 object cfg.S3 names, with the
// credentials of the AWS chain. It touches nothing in S3: the first command
// does. A read of an object that does not exist reads as an empty backlog,
// unless the user named the object (a backup).
func openS3(cfg *config.Config) (store.Store, error) {
	client, err := s3api.New(s3api.Config{
		Endpoint:    cfg.S3.Endpoint,
		Region:      cfg.S3.Region,
		Bucket:      cfg.S3.Bucket,
		PathStyle:   cfg.S3.PathStyle,
		Credentials: s3api.NewChain(s3api.Env{}),
		CABundle:    strings.TrimSpace(os.Getenv("AWS_CA_BUNDLE")),
	})
	if err != nil {
		return nil, backlog.Environmentf(err, "cannot reach S3 for the backlog %s: %v", cfg.S3.URL(), err)
	}
	return s3store.Open(s3store.Options{
		Client:      client,
		Key:         cfg.S3.Key,
		Cache:       s3store.CacheDir(cfg.S3.Cache, client.Endpoint(), cfg.S3.Bucket, cfg.S3.Key),
		MustExist:   cfg.S3.Named,
		BusyTimeout: cfg.BusyTimeout,
	})
}
