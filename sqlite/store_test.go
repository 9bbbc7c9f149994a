package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store"
)

// clock is the fixed now of the tests: a Wednesday.
var clock = time.Date(2026, 3, 4, 15, 30, 0, 0, time.UTC)

func openTest(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "sub", "backlog.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func write(t testing.TB, s *Store, fn func(store.Tx) error) {
	t.Helper()
	if err := s.Write(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

func read(t testing.TB, s *Store, fn func(store.Tx) error) {
	t.Helper()
	if err := s.Read(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

const (
	uuid1 = "11111111-1111-4111-8111-111111111111"
	uuid2 = "22222222-2222-4222-8222-222222222222"
	uuid3 = "33333333-3333-4333-8333-333333333333"
)

// fullTask has every field set.
func fullTask() *backlog.Task {
	return &backlog.Task{
		ID: 1, UUID: uuid1, Description: "Fix the <login> page & \"quotes\" — naïve",
		Status: backlog.StatusPending, Project: "web.ui", Priority: backlog.PriorityHigh,
		Tags:      []string{"bug", "ux", "ünï"},
		Due:       clock.Add(48 * time.Hour),
		Scheduled: clock.Add(-time.Hour),
		Wait:      clock.Add(-2 * time.Hour),
		Until:     clock.Add(30 * 24 * time.Hour),
		Recur:     "weekly", Parent: uuid3, Mask: "--+",
		Depends: []string{uuid2},
		Agent:   "backend@host",
		Annotations: []backlog.Annotation{
			{Entry: clock.Add(-time.Minute), Description: "first note"},
			{Entry: clock, Description: "Straße ǅ \u212a"},
		},
		HasDoc:   true,
		Entry:    clock.Add(-24 * time.Hour),
		Modified: clock,
		Start:    clock.Add(-30 * time.Minute),
		End:      clock.Add(time.Minute),
		Extra: map[string]any{
			"estimate": 3.5, "big": 1e21, "neg": -2.0, "owner": "ana <a@b>", "billable": true, "draft": false,
		},
	}
}

func second[T any](_ T, err error) error { return err }

// countOf counts the tasks of any status matching a filter.
func countOf(t testing.TB, tx store.Tx, src string) int {
	t.Helper()
	ctx := context.Background()
	udas, err := tx.UDAs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e, err := filter.Parse(src, filter.Options{Now: clock, UDAs: udas})
	if err != nil {
		t.Fatal(err)
	}
	n, err := tx.Count(ctx, store.Query{Filter: e, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	ts, err := tx.Select(ctx, store.Query{Filter: e, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != n {
		t.Errorf("%q: Select has %d tasks, Count says %d", src, len(ts), n)
	}
	return n
}

func TestSchemaVersion(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = Open(ctx, path)
	if err == nil || !strings.Contains(err.Error(), "schema version 99, newer than") {
		t.Errorf("opening a newer database: %v", err)
	}
	ms, err := listMigrations()
	if err != nil || len(ms) == 0 {
		t.Fatalf("migrations: %v %v", ms, err)
	}
}

// TestSettings checks the connection settings every pooled connection gets.
func TestSettings(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for pragma, want := range map[string]string{
		"journal_mode": "wal", "busy_timeout": "10000", "synchronous": "1", "foreign_keys": "1",
	} {
		var got string
		if err := conn.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
	var _ *sql.DB = s.db
}
