// Package sqlite is the embedded store: one SQLite database file holds one
// backlog, shared safely by every process (agents, the CLI, the server) that
// opens it. It implements store.Store with modernc.org/sqlite (pure Go).
//
// Writers queue for their turn (writelock.go: an in-process mutex and a
// kernel file lock, which hand the turn over without polling), then take
// SQLite's write lock at the start of every write transaction (BEGIN
// IMMEDIATE), so that concurrent processes never see SQLITE_BUSY. Readers use WAL snapshots and never block
// writers. Filters are pushed down to SQL (where.go) and the rows SQL returns
// are checked again with the pure evaluator, so answers are exactly those of
// filter.Compile.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/agent-backlog/backlog/store"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migration/*.sql
var migrations embed.FS

// busyTimeout is how long a statement waits for another process's lock.
const busyTimeout = 10000 // milliseconds

// Store is one backlog in one SQLite file. It is safe for concurrent use.
type Store struct {
	db      *sql.DB
	path    string
	writers *writeQueue
}

var _ store.Store = (*Store)(nil)

// Open opens the backlog in the SQLite file at path, creating the file and
// its directory when missing and bringing its schema up to date.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: no database path given")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: database path %q: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return nil, fmt.Errorf("sqlite: cannot create the directory of %s: %w", abs, err)
	}
	// Processes that create the file at the same moment race to switch
	// it to WAL, which takes a lock SQLite will not wait for when waiting
	// could deadlock: the loser is told the database is busy at once. It
	// tries again, as it would have waited for any other lock.
	deadline := time.Now().Add(busyTimeout * time.Millisecond)
	for attempt := 1; ; attempt++ {
		s, err := open(ctx, abs)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return s, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(time.Duration(attempt*attempt) * 5 * time.Millisecond):
		}
	}
}

func open(ctx context.Context, abs string) (*Store, error) {
	db, err := sql.Open("sqlite", dsn(abs))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	db.SetMaxIdleConns(4)
	s := &Store{db: db, path: abs, writers: &writeQueue{path: abs + "-writer.lock"}}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// isBusy reports SQLite's "database is locked" (SQLITE_BUSY or
// SQLITE_LOCKED, any extended code).
func isBusy(err error) bool {
	var e interface{ Code() int }
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return true
	}
	return false
}

// dsn is the driver's name for the file: a file: URI (so that any path
// survives) with the connection settings every connection of the pool gets.
func dsn(path string) string {
	q := url.Values{}
	q.Set("_busy_timeout", strconv.Itoa(busyTimeout))
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "NORMAL")
	q.Set("_foreign_keys", "1")
	q.Set("_txlock", "immediate") // write transactions: BEGIN IMMEDIATE
	// Read pages through a memory map rather than a system call each: lists
	// of many tasks read pages all over the file.
	q.Set("_pragma", "mmap_size(268435456)")
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: q.Encode()}
	if !strings.HasPrefix(u.Path, "/") {
		u.Path = "/" + u.Path // a Windows drive path
	}
	return u.String()
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Close releases the database.
func (s *Store) Close() error {
	s.writers.close()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("sqlite: close %s: %w", s.path, err)
	}
	return nil
}

// Read runs fn in a read transaction: one consistent snapshot.
func (s *Store) Read(ctx context.Context, fn func(store.Tx) error) error {
	sqlTx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("sqlite: begin read transaction on %s: %w", s.path, err)
	}
	t := &tx{tx: sqlTx}
	defer func() {
		t.done = true
		sqlTx.Rollback() // a no-op after Commit; on a panic, releases the snapshot
	}()
	if err := fn(t); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("sqlite: end read transaction on %s: %w", s.path, err)
	}
	return nil
}

// Write runs fn in a write transaction that holds the write lock from its
// start, commits when fn returns nil and rolls back otherwise.
func (s *Store) Write(ctx context.Context, fn func(store.Tx) error) error {
	unlock, err := s.writers.lock(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: waiting to write to %s: %w", s.path, err)
	}
	defer unlock()
	sqlTx, err := s.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE, see dsn
	if err != nil {
		return fmt.Errorf("sqlite: begin write transaction on %s: %w", s.path, err)
	}
	t := &tx{tx: sqlTx, write: true}
	defer func() {
		t.done = true
		sqlTx.Rollback()
	}()
	if err := fn(t); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit on %s: %w", s.path, err)
	}
	return nil
}

// migration is one numbered schema step.
type migration struct {
	version int
	name    string
}

// listMigrations reads the embedded migration names: NNNN_what.sql,
// numbered from 1 without gaps.
func listMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrations, "migration")
	if err != nil {
		return nil, fmt.Errorf("sqlite: migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("sqlite: migration %s is not named NNNN_name.sql", e.Name())
		}
		ms = append(ms, migration{version: v, name: e.Name()})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("sqlite: migration %s is out of sequence: expected number %d", m.name, i+1)
		}
	}
	return ms, nil
}

// migrate brings the schema to the newest version. The version lives in
// PRAGMA user_version; an up-to-date database costs one read of it. Steps
// run in one write transaction, which re-reads the version once it holds
// the lock, so that processes opening a new file at once migrate it once.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := listMigrations()
	if err != nil {
		return err
	}
	latest := len(ms)
	var v int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("sqlite: open %s: %w", s.path, err)
	}
	if v == latest {
		return nil
	}
	if v > latest {
		return newerError(s.path, v, latest)
	}
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: migrate %s: %w", s.path, err)
	}
	defer sqlTx.Rollback()
	if err := sqlTx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("sqlite: migrate %s: %w", s.path, err)
	}
	if v > latest {
		return newerError(s.path, v, latest)
	}
	for _, m := range ms[v:] {
		text, err := migrations.ReadFile("migration/" + m.name)
		if err != nil {
			return fmt.Errorf("sqlite: migration %s: %w", m.name, err)
		}
		if _, err := sqlTx.ExecContext(ctx, string(text)); err != nil {
			return fmt.Errorf("sqlite: migrate %s with %s: %w", s.path, m.name, err)
		}
	}
	if _, err := sqlTx.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(latest)); err != nil {
		return fmt.Errorf("sqlite: migrate %s: %w", s.path, err)
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("sqlite: migrate %s: %w", s.path, err)
	}
	return nil
}

func newerError(path string, v, latest int) error {
	return fmt.Errorf("the backlog database %s has schema version %d, newer than the %d this backlog binary knows: upgrade backlog to use it", path, v, latest)
}
