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
	"path/filepath"
	"sort"
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
	if s.access.readOnly != "" {
		return backlog.Environmentf(nil, "%s, and this backlog binary must first bring its schema from version %d to %d: open it once where it can be written",
			s.access.readOnly, v, latest)
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
