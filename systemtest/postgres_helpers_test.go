package systemtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/agent-backlog/backlog/postgres"
)

// The PostgreSQL tests run against the server named by
// BACKLOG_TEST_POSTGRES (default pgDefaultURL). When it cannot be reached
// they skip, unless BACKLOG_REQUIRE_POSTGRES=1, when they fail. Each test
// works in a namespace of its own whose rows it deletes when it ends.

const pgDefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func pgTestURL() string {
	if u := os.Getenv("BACKLOG_TEST_POSTGRES"); u != "" {
		return u
	}
	return pgDefaultURL
}

var pgServer struct {
	once  sync.Once
	err   error
	admin *pgxpool.Pool
}

// requirePostgres returns the test server's URL, or skips (fails with
// BACKLOG_REQUIRE_POSTGRES=1) when the server cannot be used.
func requirePostgres(t testing.TB) string {
	t.Helper()
	pgServer.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s, err := postgres.Open(ctx, pgTestURL(), "")
		if err != nil {
			pgServer.err = err
			return
		}
		s.Close()
		pgServer.admin, pgServer.err = pgxpool.New(ctx, pgTestURL())
		if pgServer.err == nil {
			pgServer.err = pgServer.admin.Ping(ctx)
		}
	})
	if pgServer.err != nil {
		if os.Getenv("BACKLOG_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("PostgreSQL is required (BACKLOG_REQUIRE_POSTGRES=1) but unusable: %v", pgServer.err)
		}
		t.Skipf("skipping: PostgreSQL is unusable (%v); set BACKLOG_TEST_POSTGRES to a server's URL (BACKLOG_REQUIRE_POSTGRES=1 makes this a failure)", pgServer.err)
	}
	return pgTestURL()
}

// pgNamespace is a fresh namespace, whose rows are deleted when the test
// ends.
func pgNamespace(t testing.TB) string {
	b := make([]byte, 6)
	rand.Read(b)
	ns := fmt.Sprintf("test-systemtest-%d-%s", os.Getpid(), hex.EncodeToString(b))
	t.Cleanup(func() {
		if err := pgDropNamespace(ns); err != nil {
			t.Logf("cleaning up namespace %s: %v", ns, err)
		}
	})
	return ns
}

var pgBacklogTables = []string{"tasks", "task_deps", "task_refs", "docs", "udas", "journal", "journal_tasks", "archive", "id_counters"}

func pgDropNamespace(ns string) error {
	if pgServer.admin == nil {
		return nil
	}
	ctx := context.Background()
	schema := postgres.DefaultSchema
	rows, err := pgServer.admin.Query(ctx, "SELECT id FROM "+pgx.Identifier{schema, "backlogs"}.Sanitize()+" WHERE namespace = $1", ns)
	if err != nil {
		return err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil || len(ids) == 0 {
		return err
	}
	b := &pgx.Batch{}
	for _, table := range pgBacklogTables {
		b.Queue("DELETE FROM "+pgx.Identifier{schema, table}.Sanitize()+" WHERE backlog = ANY($1)", ids)
	}
	b.Queue("DELETE FROM "+pgx.Identifier{schema, "backlogs"}.Sanitize()+" WHERE id = ANY($1)", ids)
	return pgServer.admin.SendBatch(ctx, b).Close()
}

// pgJournalLength counts the journal entries of a namespace.
func pgJournalLength(t testing.TB, ns string) int {
	t.Helper()
	var n int
	err := pgServer.admin.QueryRow(context.Background(),
		"SELECT count(*) FROM "+pgx.Identifier{postgres.DefaultSchema, "journal"}.Sanitize()+
			" WHERE backlog = (SELECT id FROM "+pgx.Identifier{postgres.DefaultSchema, "backlogs"}.Sanitize()+" WHERE namespace = $1)", ns).Scan(&n)
	if err != nil {
		t.Fatalf("counting the journal: %v", err)
	}
	return n
}

// pgEnv is the environment of a backlog process working on namespace ns
// of the server at url, as agent (dir is its TASKDATA, which holds no
// store).
func pgEnv(dir, url, ns, agent string) []string {
	return append(backlogEnv(dir, agent), "BACKLOG_BACKEND=postgres", "BACKLOG_DATABASE_URL="+url, "BACKLOG_NAMESPACE="+ns)
}
