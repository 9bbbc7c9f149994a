package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/agent-backlog/backlog/store"
)

// The tests run against the server named by BACKLOG_TEST_POSTGRES (CI:
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable, also the
// default). When it cannot be reached they skip, unless
// BACKLOG_REQUIRE_POSTGRES=1, when they fail. Each test works in
// namespaces of its own (test-<pid>-<random>), whose rows it deletes when
// it ends, so that test packages running at once never meet.

const defaultTestURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func testURL() string {
	if u := os.Getenv("BACKLOG_TEST_POSTGRES"); u != "" {
		return u
	}
	return defaultTestURL
}

var server struct {
	once  sync.Once
	err   error
	admin *pgxpool.Pool // for cleaning up and for tests that act on the server
}

// requireServer returns the test URL, or skips (fails, with
// BACKLOG_REQUIRE_POSTGRES=1) when the server cannot be reached.
func requireServer(t testing.TB) string {
	t.Helper()
	server.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		// Opening a store checks the server and creates the schema.
		s, err := Open(ctx, testURL(), "")
		if err != nil {
			server.err = err
			return
		}
		s.Close()
		server.admin, server.err = pgxpool.New(ctx, testURL())
		if server.err == nil {
			server.err = server.admin.Ping(ctx)
		}
	})
	if server.err != nil {
		if os.Getenv("BACKLOG_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("PostgreSQL is required (BACKLOG_REQUIRE_POSTGRES=1) but unusable: %v", server.err)
		}
		t.Skipf("skipping: PostgreSQL is unusable (%v); set BACKLOG_TEST_POSTGRES to a server's URL (BACKLOG_REQUIRE_POSTGRES=1 makes this a failure)", server.err)
	}
	return testURL()
}

// testNamespace is a namespace no other test or package uses.
func testNamespace() string {
	b := make([]byte, 6)
	rand.Read(b)
	return fmt.Sprintf("test-%d-%s", os.Getpid(), hex.EncodeToString(b))
}

// openNS opens the test store of a new namespace and deletes its rows
// when the test ends. The caller closes it unless close is true.
func openNS(t testing.TB, ns string, close bool) *Store {
	t.Helper()
	url := requireServer(t)
	s, err := Open(context.Background(), url, ns)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if close {
			s.Close()
		}
		dropNamespace(t, DefaultSchema, ns)
	})
	return s
}

// openTest opens a store of its own for the test.
func openTest(t testing.TB) *Store { return openNS(t, testNamespace(), true) }

// backlogTables are the tables that hold a backlog's rows.
var backlogTables = []string{"tasks", "task_deps", "task_refs", "docs", "udas", "journal", "journal_tasks", "archive", "id_counters"}

// dropNamespace deletes every row of the namespace.
func dropNamespace(t testing.TB, schema, ns string) {
	if err := dropWhere(schema, "namespace = $1", ns); err != nil {
		t.Logf("cleaning up namespace %s: %v", ns, err)
	}
}

// dropWhere deletes every row of the backlogs that match the condition.
func dropWhere(schema, cond string, args ...any) error {
	ctx := context.Background()
	rows, err := server.admin.Query(ctx, "SELECT id FROM "+pgx.Identifier{schema, "backlogs"}.Sanitize()+" WHERE "+cond, args...)
	if err != nil {
		return err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil || len(ids) == 0 {
		return err
	}
	b := &pgx.Batch{}
	for _, table := range backlogTables {
		b.Queue("DELETE FROM "+pgx.Identifier{schema, table}.Sanitize()+" WHERE backlog = ANY($1)", ids)
	}
	b.Queue("DELETE FROM "+pgx.Identifier{schema, "backlogs"}.Sanitize()+" WHERE id = ANY($1)", ids)
	return server.admin.SendBatch(ctx, b).Close()
}

func TestMain(m *testing.M) {
	flag.Parse()
	waitOnTheServer()
	code := m.Run()
	cleanBench()
	if server.admin != nil {
		// Namespaces left by test runs that were killed: an hour is more
		// than any run takes.
		dropWhere(DefaultSchema, `(namespace LIKE 'test-%' OR namespace LIKE 'bench-test-%') AND created_at < now() - interval '1 hour'`)
		server.admin.Close()
	}
	os.Exit(code)
}

// waitOnTheServer lets four times as many parallel tests run as there are
// CPUs, unless -test.parallel says otherwise: the contract's scenarios, each
// in a namespace of its own, spend their time waiting for the server's
// answers and commits, not computing, so that two at a time (the default on
// a two-core machine) leave both idle most of the time.
func waitOnTheServer() {
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given {
		flag.Set("test.parallel", strconv.Itoa(4*runtime.GOMAXPROCS(0)))
	}
}

// clock is the fixed now of the tests: a Wednesday.
var clock = time.Date(2026, 3, 4, 15, 30, 0, 0, time.UTC)

func write(t testing.TB, s store.Store, fn func(store.Tx) error) {
	t.Helper()
	if err := s.Write(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

func read(t testing.TB, s store.Store, fn func(store.Tx) error) {
	t.Helper()
	if err := s.Read(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}
