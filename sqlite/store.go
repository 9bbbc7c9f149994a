// Package sqlite is the embedded store: one SQLite database file holds one
// backlog, shared safely by every process (agents, the CLI, the server) that
// opens it. It implements store.Store with modernc.org/sqlite (pure Go).
//
// Writers queue for their turn (writelock.go: an in-process mutex and a
// kernel file lock, which hand the turn over without polling), then take
// SQLite's write lock at the start of every write transaction (BEGIN
// IMMEDIATE), so that concurrent processes never see SQLITE_BUSY. Readers
// use WAL snapshots and never block writers.
//
// What both SQL stores do alike is store/sqlstore, in SQLite's dialect
// (dialect.go): filters pushed down to SQL, whose rows are checked again with
// the pure evaluator, so answers are exactly those of filter.Compile; the
// reads, docs, journal, archive and outbox. This package keeps what only
// SQLite has: the file and its failures (env.go), the write queue, the
// index rows of tags and dependencies and the rank bounds its writes keep
// (tx.go), the ranked walk (rank.go), tallies from kept counts (tally.go)
// and the polling feed (changes.go).
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/sqlstore"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migration/*.sql
var migrations embed.FS

// DefaultBusyTimeout is how long a write waits for another process's lock
// on the file unless Options say otherwise.
const DefaultBusyTimeout = 10 * time.Second

// Options tune how a store opens its file.
type Options struct {
	// BusyTimeout is how long a write waits for another process to give
	// up its lock before it fails with backlog.ErrEnvironment; 0 means
	// DefaultBusyTimeout.
	BusyTimeout time.Duration
}

// Store is one backlog in one SQLite file. It is safe for concurrent use.
type Store struct {
	db      *sql.DB
	path    string
	busy    time.Duration
	access  access
	writers *writeQueue
	sql     *sqlstore.Statements
	// pusher serialises outbox delivery across processes (LockPush).
	pushOnce sync.Once
	pusher   *writeQueue
}

var (
	_ store.Store      = (*Store)(nil)
	_ store.PushLocker = (*Store)(nil)
)

// Open opens the backlog in the SQLite file at path with the default
// options: see OpenWith.
func Open(ctx context.Context, path string) (*Store, error) {
	return OpenWith(ctx, path, Options{})
}

// OpenWith opens the backlog in the SQLite file at path, creating the file
// and its directory (for the owner alone) when missing and bringing its
// schema up to date. A file this process may not write (a read-only mount,
// directory or file) opens for reading: every write then fails with the
// sentence that says so. Failures of the machine are errors of kind
// backlog.ErrEnvironment.
func OpenWith(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: no database path given")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: database path %q: %w", path, err)
	}
	busy := opts.BusyTimeout
	if busy <= 0 {
		busy = DefaultBusyTimeout
	}
	acc, err := prepare(abs)
	if err != nil {
		return nil, err
	}
	// Processes that create the file at the same moment race to switch
	// it to WAL, which takes a lock SQLite will not wait for when waiting
	// could deadlock: the loser is told the database is busy at once. It
	// tries again, as it would have waited for any other lock.
	deadline := time.Now().Add(busy)
	for attempt := 1; ; attempt++ {
		s, err := open(ctx, abs, acc, busy)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return s, failure(abs, busy, err)
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(time.Duration(attempt*attempt) * 5 * time.Millisecond):
		}
	}
}

func open(ctx context.Context, abs string, acc access, busy time.Duration) (*Store, error) {
	db, err := sql.Open("sqlite", dsn(abs, acc, busy))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	db.SetMaxIdleConns(4)
	s := &Store{db: db, path: abs, busy: busy, access: acc,
		writers: &writeQueue{path: abs + "-writer.lock", timeout: busy}, sql: sqlstore.NewStatements(dialect{})}
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
func dsn(path string, acc access, busy time.Duration) string {
	q := url.Values{}
	q.Set("_busy_timeout", strconv.FormatInt(busy.Milliseconds(), 10))
	if acc.readOnly == "" {
		q.Set("_journal_mode", "WAL")
		q.Set("_txlock", "immediate") // write transactions: BEGIN IMMEDIATE
	} else {
		q.Set("mode", "ro")
		if acc.immutable {
			q.Set("immutable", "1")
		}
	}
	q.Set("_synchronous", "NORMAL")
	q.Set("_foreign_keys", "1")
	// Read pages through a memory map rather than a system call each: lists
	// of many tasks read pages all over the file.
	q.Set("_pragma", "mmap_size(268435456)")
	// Statement journals and temporary b-trees in memory, not in temporary
	// files: an insert with triggers or RETURNING journals every page it
	// touches, and a write of a page to a file is a system call each (a
	// third of a one-task write on a small VM).
	q.Add("_pragma", "temp_store(MEMORY)")
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
	if s.pusher != nil {
		s.pusher.close()
	}
	if err := s.db.Close(); err != nil {
		return s.fail(fmt.Errorf("sqlite: close %s: %w", s.path, err))
	}
	return nil
}

// fail names a failure of the machine in one sentence; other errors pass
// through.
func (s *Store) fail(err error) error { return failure(s.path, s.busy, err) }

// Read runs fn in a read transaction: one consistent snapshot.
func (s *Store) Read(ctx context.Context, fn func(store.Tx) error) error {
	sqlTx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return s.fail(fmt.Errorf("sqlite: begin read transaction on %s: %w", s.path, err))
	}
	t := s.newTx(sqlTx, false)
	defer func() {
		t.End()
		sqlTx.Rollback() // a no-op after Commit; on a panic, releases the snapshot
	}()
	if err := fn(t); err != nil {
		return s.fail(err)
	}
	if err := sqlTx.Commit(); err != nil {
		return s.fail(fmt.Errorf("sqlite: end read transaction on %s: %w", s.path, err))
	}
	return nil
}

// Write runs fn in a write transaction that holds the write lock from its
// start, commits when fn returns nil and rolls back otherwise. On a store
// opened for reading it fails at once, with the sentence that says why.
func (s *Store) Write(ctx context.Context, fn func(store.Tx) error) error {
	if s.access.readOnly != "" {
		return backlog.Environmentf(nil, "%s", s.access.readOnly)
	}
	unlock, err := s.writers.lock(ctx)
	if errors.Is(err, errQueueTimeout) {
		return busyError(s.path, s.busy, err)
	}
	if err != nil {
		return s.fail(fmt.Errorf("sqlite: waiting to write to %s: %w", s.path, err))
	}
	defer unlock()
	sqlTx, err := s.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE, see dsn
	if err != nil {
		return s.fail(fmt.Errorf("sqlite: begin write transaction on %s: %w", s.path, err))
	}
	t := s.newTx(sqlTx, true)
	defer func() {
		t.End()
		sqlTx.Rollback()
	}()
	w := &watchedTx{Tx: t, path: s.path, busy: s.busy}
	if err := fn(w); err != nil {
		if w.failed != nil {
			return w.failed // whatever fn made of it
		}
		return s.fail(err)
	}
	if err := sqlTx.Commit(); err != nil {
		return s.fail(fmt.Errorf("sqlite: commit on %s: %w", s.path, err))
	}
	return nil
}

// listMigrations reads the embedded schema steps.
func listMigrations() ([]sqlstore.Migration, error) { return sqlstore.Migrations(migrations, "sqlite") }

// migrate brings the schema to the newest version (sqlstore.Migrate). The
// version lives in PRAGMA user_version; the steps run in one write
// transaction, which holds the lock.
func (s *Store) migrate(ctx context.Context) error {
	return sqlstore.Migrate(ctx, &migrator{s: s}, migrations, "sqlite")
}

// migrator is the SQLite store's sqlstore.Migrator.
type migrator struct {
	s  *Store
	tx *sql.Tx // the write transaction, once locked
}

func (m *migrator) Version(ctx context.Context) (int, error) {
	var v int
	if m.tx == nil {
		if err := m.s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
			return 0, fmt.Errorf("sqlite: open %s: %w", m.s.path, err)
		}
	} else if err := m.tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("sqlite: migrate %s: %w", m.s.path, err)
	}
	return v, nil
}

func (m *migrator) Lock(ctx context.Context, from, to int) (func(), error) {
	if m.s.access.readOnly != "" {
		return nil, backlog.Environmentf(nil, "%s, and this backlog binary must first bring its schema from version %d to %d: open it once where it can be written",
			m.s.access.readOnly, from, to)
	}
	tx, err := m.s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite: migrate %s: %w", m.s.path, err)
	}
	m.tx = tx
	return func() { tx.Rollback() }, nil // a no-op after Done's commit
}

func (m *migrator) Apply(ctx context.Context, step sqlstore.Migration, text string) error {
	if _, err := m.tx.ExecContext(ctx, text); err != nil {
		return fmt.Errorf("sqlite: migrate %s with %s: %w", m.s.path, step.Name, err)
	}
	return nil
}

func (m *migrator) Done(ctx context.Context, latest int) error {
	if _, err := m.tx.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(latest)); err != nil {
		return fmt.Errorf("sqlite: migrate %s: %w", m.s.path, err)
	}
	if err := m.tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: migrate %s: %w", m.s.path, err)
	}
	return nil
}

func (m *migrator) Newer(v, latest int) error { return newerError(m.s.path, v, latest) }

func newerError(path string, v, latest int) error {
	return fmt.Errorf("the backlog database %s has schema version %d, newer than the %d this backlog binary knows: upgrade backlog to use it", path, v, latest)
}
