// Package systemtest holds the tests that need several operating-system
// processes sharing one SQLite backlog: crash safety under SIGKILL and
// concurrent writers. The test binary re-executes itself as the worker
// processes, selected by the BACKLOG_SYSTEMTEST_WORKER variable.
package systemtest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/sqlite"
)

func TestMain(m *testing.M) {
	if kind := os.Getenv("BACKLOG_SYSTEMTEST_WORKER"); kind != "" {
		if err := runWorker(kind); err != nil {
			fmt.Fprintln(os.Stderr, "worker:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runWorker runs one worker process against the store named by
// BACKLOG_SYSTEMTEST_DB.
func runWorker(kind string) error {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, os.Getenv("BACKLOG_SYSTEMTEST_DB"))
	if err != nil {
		return err
	}
	defer st.Close()
	e := engine.New(st, engine.Options{Agent: os.Getenv("BACKLOG_SYSTEMTEST_AGENT"), Clock: time.Now})
	switch kind {
	case "crash":
		return crashWorker(ctx, e)
	case "writer":
		return concurrentWriter(ctx, e)
	}
	return fmt.Errorf("unknown worker %q", kind)
}

// integrityCheck runs PRAGMA integrity_check on a database file.
func integrityCheck(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil {
		t.Fatalf("integrity_check: %v", err)
	}
	if res != "ok" {
		t.Fatalf("integrity_check: %s", res)
	}
}

// journalLength counts the journal's entries.
func journalLength(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM journal").Scan(&n); err != nil {
		t.Fatalf("counting the journal: %v", err)
	}
	return n
}
