package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestScriptsOnPostgres runs the scripts a second time with the backlog on
// the PostgreSQL server named by BACKLOG_TEST_POSTGRES, where a command
// must behave as on SQLite. Each script gets a schema of its own (through
// search_path in BACKLOG_DATABASE_URL), dropped when it ends, so that its
// namespaces meet no other script's. A script about what only SQLite has
// (its file, its lock, the directory a backlog is derived to) starts with
// [postgres] skip and says why; one with a few such lines marks them
// [!postgres].
//
// Without a server the test skips, unless BACKLOG_REQUIRE_POSTGRES=1 (CI),
// when it fails.
func TestScriptsOnPostgres(t *testing.T) {
	server := requirePostgres(t)
	dropStaleSchemas(t, server)
	p := scriptParams(true)
	p.Setup = func(env *testscript.Env) error {
		schema := fmt.Sprintf("script_%d_%s", time.Now().Unix(), randomHex(4))
		u, err := url.Parse(server)
		if err != nil {
			return err
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		env.Setenv("BACKLOG_BACKEND", "postgres")
		env.Setenv("BACKLOG_DATABASE_URL", u.String())
		env.Defer(func() {
			if err := dropSchema(server, schema); err != nil {
				env.T().Log(fmt.Sprintf("dropping the script's schema %s: %v", schema, err))
			}
		})
		return nil
	}
	testscript.Run(t, p)
}

// requirePostgres returns the test server's URL, or skips (fails, with
// BACKLOG_REQUIRE_POSTGRES=1) when it cannot be reached.
func requirePostgres(t *testing.T) string {
	t.Helper()
	server := os.Getenv("BACKLOG_TEST_POSTGRES")
	if server == "" {
		server = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, server)
	if err == nil {
		err = c.Ping(ctx)
		c.Close(ctx)
	}
	if err != nil {
		if os.Getenv("BACKLOG_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("PostgreSQL is required (BACKLOG_REQUIRE_POSTGRES=1) but unusable: %v", err)
		}
		t.Skipf("skipping: PostgreSQL is unusable (%v); set BACKLOG_TEST_POSTGRES to a server's URL (BACKLOG_REQUIRE_POSTGRES=1 makes this a failure)", err)
	}
	return server
}

// dropSchema drops a script's schema and everything in it.
func dropSchema(server, schema string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, server)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
	return err
}

// dropStaleSchemas drops the schemas of scripts started over an hour ago,
// which a killed test run left behind: no run takes that long.
func dropStaleSchemas(t *testing.T, server string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, server)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	rows, err := c.Query(ctx, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'script\\_%'")
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		f := strings.Split(n, "_")
		if len(f) != 3 {
			continue
		}
		if started, err := strconv.ParseInt(f[1], 10, 64); err == nil && time.Since(time.Unix(started, 0)) > time.Hour {
			if err := dropSchema(server, n); err != nil {
				t.Logf("dropping the stale schema %s: %v", n, err)
			}
		}
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
