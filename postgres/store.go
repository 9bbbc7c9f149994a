// Package postgres is the shared store: one PostgreSQL database holds the
// backlogs of many projects and teams, each a namespace, for agents and
// people on many machines. It implements store.Store with pgx (pgxpool).
//
// # Data
//
// Every table has a backlog column, first in every key and index, and every
// statement names its backlog, so one backlog's rows never reach another's
// queries. Ids come from a counter row per backlog, updated in the write
// transaction that allocates them: unique across servers, never reused. The
// schema is created and upgraded by embedded numbered SQL files, applied on
// first use under an advisory lock, so servers starting at once migrate once.
//
// # Transactions
//
// Reads are REPEATABLE READ READ ONLY: one snapshot for the whole Read.
//
// Writes are REPEATABLE READ plus explicit locks, not SERIALIZABLE.
// SERIALIZABLE would make claims fail: every claim reads the whole
// candidate set and writes one task of it, so two concurrent claims form a
// read/write cycle and one is aborted, however SKIP LOCKED spreads them.
// REPEATABLE READ (snapshot isolation) gives every command a snapshot and
// first-updater-wins on every row it writes, which covers the engine's
// read-modify-write of tasks, the id counter, journal marks and docs. What it
// leaves, write skew (two commands that read a row and each write a
// different one), the engine can meet only through references between
// tasks (a new dependency against the completion, deletion or purge of the
// task depended on, or against the opposite dependency; a new recurrence
// instance against another; a dependency on a task being inserted at the
// same moment): so a write that adds a reference touches (an update that
// changes nothing) the task it points to, or, when that task does not
// exist yet, upserts the UUID's row of task_refs, which every insert also
// upserts, and the skew becomes a write-write conflict. The journal is
// ordered by an advisory lock (see backlog_append in the migration) rather
// than a counter row, so that commands on different tasks never conflict
// on it.
//
// Conflicts (serialization failures, deadlocks) are retried inside Write,
// fn running again on a fresh snapshot: the first attempt runs beside other
// writers (it holds the backlog's writer gate, a session advisory lock, in
// shared mode); a retry takes the gate exclusively, so it runs alone among
// the backlog's writers and cannot meet the same conflict again. After
// maxAttempts, Write reports one sentence wrapping backlog.ErrConflict.
//
// TryLock is SELECT ... FOR UPDATE SKIP LOCKED, in a subtransaction that
// turns the serialization failure of a task claimed since the snapshot into
// "not locked": claimers never wait on each other, never take the same task
// and never fail because of each other.
//
// # Shared with SQLite
//
// Filters pushed down to SQL, the reads, docs, journal, archive, outbox and
// the migration runner are store/sqlstore, in PostgreSQL's dialect
// (dialect.go). This package keeps what only PostgreSQL has: namespaces as
// rows, the deferred work and locks of its writes (tx.go), retries and the
// writer gate (store.go), its failures (errors.go), COPY (bulk.go) and
// LISTEN/NOTIFY (changes.go).
//
// # Change feed
//
// Each command's journal entry sends a NOTIFY at commit on the backlog's
// channel, carrying the backlog and the new sequence number; Changes
// listens on a connection of its own and, after losing it, reconnects and
// reports the newest sequence number, so that watchers catch up.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/sqlcodec"
	"github.com/agent-backlog/backlog/store/sqlstore"
)

//go:embed migration/*.sql
var migrations embed.FS

// DefaultSchema holds the tables unless the URL sets search_path.
const DefaultSchema = "backlog"

// defaultMaxConns is the pool size unless the URL sets pool_max_conns.
const defaultMaxConns = 10

// maxAttempts bounds how often Write runs fn before it reports a conflict.
const maxAttempts = 8

// errBusy is what Write reports when every attempt met a conflict.
var errBusy = backlog.Conflictf("the backlog is busy: another writer kept changing the same tasks; nothing was changed, try again")

// Store is one backlog (a namespace) in one PostgreSQL database. It is safe
// for concurrent use.
type Store struct {
	pool       *pgxpool.Pool
	cfg        *pgxpool.Config
	server     string // host:port, for messages
	schema     string
	namespace  string
	backlog    int64  // the backlogs row
	channel    string // the NOTIFY channel of the backlog
	gateKey    int64  // the advisory lock of the backlog's writers
	journalKey int64  // the advisory lock that orders the backlog's journal

	sql *sqlstore.Statements

	conflicts atomic.Int64 // attempts of Write that met a conflict and were retried
	skipped   atomic.Int64 // TryLock calls that found the task held or changed
}

var _ store.Store = (*Store)(nil)

// Advisory lock keys: one class for the store ("bakl"), then the schema (a
// hash, 0 for the default one), the backlog and the kind.
const lockClass = int64(0x62616b6c) << 32

func lockKey(schema string, backlog int64, kind int64) int64 {
	var h int64
	if schema != DefaultSchema {
		f := fnv.New32a()
		f.Write([]byte(schema))
		h = int64(f.Sum32()%255) + 1
	}
	return lockClass + h<<24 + (backlog&0x3fffff)*4 + kind
}

const (
	kindGate    = 0
	kindJournal = 1
)

// migrationKey is the advisory lock held while the schema is migrated: one
// for the whole database, so that extensions are created once.
var migrationKey = lockClass - 1

// Open connects to the PostgreSQL database at url and opens the backlog of
// the namespace ("" is the default backlog), creating its row, and the
// schema, when missing. The tables live in the schema "backlog" unless the
// URL sets search_path (its first schema is used).
func Open(ctx context.Context, url string, namespace string) (*Store, error) {
	if namespace != "" {
		if err := backlog.ValidNamespace(namespace); err != nil {
			return nil, err
		}
	}
	cfg, err := parseURL(url)
	if err != nil {
		return nil, err
	}
	s := &Store{cfg: cfg, namespace: namespace, server: serverOf(cfg.ConnConfig.Config), sql: sqlstore.NewStatements(dialect{})}
	params := cfg.ConnConfig.RuntimeParams
	if sp := strings.TrimSpace(params["search_path"]); sp != "" {
		first, _, _ := strings.Cut(sp, ",")
		s.schema = strings.Trim(strings.TrimSpace(first), `"`)
		if s.schema == "" || strings.HasPrefix(s.schema, "$") {
			return nil, backlog.Invalidf("the PostgreSQL URL sets search_path to %q: its first schema must name the schema of the backlog tables", sp)
		}
	} else {
		s.schema = DefaultSchema
		params["search_path"] = pgx.Identifier{DefaultSchema}.Sanitize()
	}
	if params["application_name"] == "" {
		params["application_name"] = "backlog"
	}
	// A lock awaited this long means a stuck writer: give up (Write
	// retries, then reports the backlog busy) rather than queue forever.
	// A session idle in a transaction this long is a stuck client: the
	// server ends it, and its locks (the writer gate too) with it.
	if params["lock_timeout"] == "" {
		params["lock_timeout"] = "30s"
	}
	if params["idle_in_transaction_session_timeout"] == "" {
		params["idle_in_transaction_session_timeout"] = "60s"
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns
	}
	s.pool, err = pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, s.connError(err)
	}
	if err := s.setUp(ctx); err != nil {
		s.pool.Close()
		return nil, err
	}
	s.gateKey = lockKey(s.schema, s.backlog, kindGate)
	s.journalKey = lockKey(s.schema, s.backlog, kindJournal)
	s.channel = "backlog_" + strconv.FormatInt(s.backlog, 10)
	if s.schema != DefaultSchema {
		h := fnv.New32a()
		h.Write([]byte(s.schema))
		s.channel = fmt.Sprintf("backlog_%08x_%d", h.Sum32(), s.backlog)
	}
	return s, nil
}

// parseURL reads the URL into a pool configuration; its errors are one
// sentence that never repeats the URL (it may hold a password).
func parseURL(url string) (*pgxpool.Config, error) {
	if strings.TrimSpace(url) == "" {
		return nil, backlog.Invalidf("no PostgreSQL URL given: set BACKLOG_DATABASE_URL or --database-url to postgres://user@host:5432/database")
	}
	if scheme, _, ok := strings.Cut(url, "://"); ok && scheme != "postgres" && scheme != "postgresql" {
		return nil, backlog.Invalidf("the PostgreSQL URL is not valid: it must start with postgres:// or postgresql://, not %s://", sqlcodec.ValidText(scheme))
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		msg := err.Error()
		var pe *pgconn.ParseConfigError
		if errors.As(err, &pe) {
			// "cannot parse `URL`: what (cause)": keep what and cause.
			if i := strings.LastIndex(msg, "`: "); i >= 0 {
				msg = msg[i+3:]
			}
		}
		return nil, backlog.Invalidf("the PostgreSQL URL is not valid: %s", msg)
	}
	return cfg, nil
}

// serverOf names the server for messages: host:port, or the socket path.
func serverOf(c pgconn.Config) string {
	if strings.HasPrefix(c.Host, "/") {
		return c.Host
	}
	return net.JoinHostPort(c.Host, strconv.Itoa(int(c.Port)))
}

// Conflicts counts the attempts of Write that met a concurrent writer
// (a serialization failure or a deadlock) and were run again.
func (s *Store) Conflicts() int64 { return s.conflicts.Load() }

// Namespace is the namespace of the backlog ("" for the default one).
func (s *Store) Namespace() string { return s.namespace }

// Server names the database server: host:port.
func (s *Store) Server() string { return s.server }

// Schema is the schema holding the tables.
func (s *Store) Schema() string { return s.schema }

// Close releases the connections.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// setUp checks the server, migrates the schema and finds (or makes) the
// backlog's row.
func (s *Store) setUp(ctx context.Context) error {
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return s.connError(err)
	}
	defer c.Release()
	if enc := c.Conn().PgConn().ParameterStatus("server_encoding"); enc != "UTF8" {
		return fmt.Errorf("the PostgreSQL database at %s uses the encoding %s: backlog needs a UTF8 database", s.server, enc)
	}
	if err := s.migrate(ctx, c.Conn()); err != nil {
		return err
	}
	for i := 0; i < 3 && s.backlog == 0; i++ {
		err := c.QueryRow(ctx, "SELECT id FROM backlogs WHERE namespace = $1", s.namespace).Scan(&s.backlog)
		if errors.Is(err, pgx.ErrNoRows) {
			err = c.QueryRow(ctx, `WITH b AS (INSERT INTO backlogs (namespace) VALUES ($1)
					ON CONFLICT (namespace) DO NOTHING RETURNING id),
				c AS (INSERT INTO id_counters (backlog) SELECT id FROM b)
				SELECT id FROM b`, s.namespace).Scan(&s.backlog)
			if errors.Is(err, pgx.ErrNoRows) {
				continue // made at the same moment by another server: read it
			}
		}
		if err != nil {
			return s.connError(err)
		}
	}
	if s.backlog == 0 {
		return fmt.Errorf("postgres: cannot create the backlog of namespace %q", s.namespace)
	}
	return nil
}

// ---- Migrations.

// listMigrations reads the embedded schema steps.
func listMigrations() ([]sqlstore.Migration, error) {
	return sqlstore.Migrations(migrations, "postgres")
}

// migrate brings the schema to the newest version (sqlstore.Migrate): the
// version is the highest row of schema_migrations, the lock a session
// advisory lock, and each step runs in a transaction of its own.
func (s *Store) migrate(ctx context.Context, c *pgx.Conn) error {
	return sqlstore.Migrate(ctx, migrator{s, c}, migrations, "postgres")
}

// migrator is the PostgreSQL store's sqlstore.Migrator, on one connection.
type migrator struct {
	s *Store
	c *pgx.Conn
}

// Version reads the version of the schema: 0 when it has no tables.
func (m migrator) Version(ctx context.Context) (int, error) {
	var v int
	err := m.c.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM "+pgx.Identifier{m.s.schema, "schema_migrations"}.Sanitize()).Scan(&v)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (pe.Code == "42P01" || pe.Code == "3F000") { // no such table, no such schema
		return 0, nil
	}
	return v, m.s.connError(err)
}

// Lock takes the migration lock: one for the whole database, so that
// extensions are created once.
func (m migrator) Lock(ctx context.Context, _, _ int) (func(), error) {
	if _, err := m.c.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationKey); err != nil {
		return nil, m.s.connError(err)
	}
	return func() {
		if _, err := m.c.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationKey); err != nil {
			m.c.Close(context.WithoutCancel(ctx)) // the lock goes with the connection
		}
	}, nil
}

// Apply runs a step in a transaction of its own, which records it; the
// first step first makes the schema and its table of steps.
func (m migrator) Apply(ctx context.Context, step sqlstore.Migration, text string) error {
	if step.Version == 1 {
		if err := m.createSchema(ctx); err != nil {
			return err
		}
	}
	err := pgx.BeginFunc(ctx, m.c, func(t pgx.Tx) error {
		// search_path names the schema for the unqualified names of the
		// migration, whatever the connection's setting.
		if _, err := t.Exec(ctx, "SET LOCAL search_path TO "+pgx.Identifier{m.s.schema}.Sanitize()); err != nil {
			return err
		}
		if _, err := t.Exec(ctx, text); err != nil {
			return err
		}
		_, err := t.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", step.Version, step.Name)
		return err
	})
	if err != nil {
		return m.s.migrationError(step.Name, err)
	}
	return nil
}

// createSchema makes the schema, unless an administrator made it
// beforehand (which needs no right to create schemas), and the table of
// the steps applied.
func (m migrator) createSchema(ctx context.Context) error {
	var exists bool
	if err := m.c.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", m.s.schema).Scan(&exists); err != nil {
		return m.s.connError(err)
	}
	if !exists {
		if _, err := m.c.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{m.s.schema}.Sanitize()); err != nil {
			return m.s.migrationError("the schema", err)
		}
	}
	_, err := m.c.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+pgx.Identifier{m.s.schema, "schema_migrations"}.Sanitize()+
		` (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`)
	if err != nil {
		return m.s.migrationError("the schema", err)
	}
	return nil
}

// Done implements sqlstore.Migrator: each step recorded itself.
func (migrator) Done(context.Context, int) error { return nil }

// Newer implements sqlstore.Migrator.
func (m migrator) Newer(v, latest int) error { return m.s.newerError(v, latest) }

func (s *Store) migrationError(what string, err error) error {
	if isConnError(err) {
		return s.connError(err)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return fmt.Errorf("cannot create the backlog tables (%s) in schema %q on PostgreSQL at %s: %s", what, s.schema, s.server, pe.Message)
	}
	return fmt.Errorf("cannot create the backlog tables (%s) in schema %q on PostgreSQL at %s: %v", what, s.schema, s.server, err)
}

func (s *Store) newerError(v, latest int) error {
	return fmt.Errorf("the backlog tables in schema %q on PostgreSQL at %s have schema version %d, newer than the %d this backlog binary knows: upgrade backlog to use them",
		s.schema, s.server, v, latest)
}

// ---- Transactions.

// Read runs fn in a read-only REPEATABLE READ transaction: one snapshot.
func (s *Store) Read(ctx context.Context, fn func(store.Tx) error) error {
	pgtx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return s.connError(err)
	}
	x := s.newTx(pgtx, false)
	defer func() {
		x.End()
		pgtx.Rollback(context.WithoutCancel(ctx)) // a no-op after Commit
	}()
	if err := fn(x); err != nil {
		if x.failed != nil && isConnError(x.failed) {
			return s.connError(x.failed)
		}
		if f := s.serverFailure(x.failed); f != nil {
			return f // whatever fn made of it
		}
		return s.dbError(err)
	}
	if x.failed != nil {
		return s.dbError(x.failed)
	}
	if err := pgtx.Commit(ctx); err != nil {
		return s.connError(err)
	}
	return nil
}

// Write runs fn in a REPEATABLE READ transaction, commits when fn returns
// nil and rolls back otherwise. It retries fn after a serialization failure
// or a deadlock, alone among the backlog's writers (see the package doc),
// up to maxAttempts times with jittered backoff, then reports errBusy.
func (s *Store) Write(ctx context.Context, fn func(store.Tx) error) error {
	for attempt := 0; attempt < maxAttempts; attempt++ {
		if attempt > 0 {
			d := time.Duration(rand.Int64N(int64(time.Millisecond) * int64(1<<min(attempt, 5))))
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(d):
			}
		}
		err := s.writeOnce(ctx, fn, attempt > 0)
		if err == nil || !isRetryable(err) {
			return err
		}
		s.conflicts.Add(1)
	}
	return errBusy
}

// writeOnce is one attempt of Write. It returns the database's own error
// (unchanged) when the attempt may be retried.
func (s *Store) writeOnce(ctx context.Context, fn func(store.Tx) error, alone bool) error {
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return s.connError(err)
	}
	cleanup := context.WithoutCancel(ctx)
	broken := false
	defer func() {
		if broken {
			c.Conn().Close(cleanup) // locks and transaction end with the session
		}
		c.Release()
	}()
	lock, unlock := "SELECT pg_advisory_lock_shared($1)", "SELECT pg_advisory_unlock_shared($1)"
	if alone {
		lock, unlock = "SELECT pg_advisory_lock($1)", "SELECT pg_advisory_unlock($1)"
	}
	if _, err := c.Exec(ctx, lock, s.gateKey); err != nil {
		broken = isConnError(err) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
		return s.connError(err)
	}
	defer func() {
		if broken {
			return
		}
		var ok bool
		uctx, cancel := context.WithTimeout(cleanup, 10*time.Second)
		defer cancel()
		if err := c.QueryRow(uctx, unlock, s.gateKey).Scan(&ok); err != nil || !ok {
			broken = true
		}
	}()
	pgtx, err := c.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead})
	if err != nil {
		broken = true
		return s.connError(err)
	}
	x := s.newTx(pgtx, true)
	committed := false
	defer func() {
		x.End()
		if !committed {
			if err := pgtx.Rollback(cleanup); err != nil && !errors.Is(err, pgx.ErrTxClosed) {
				broken = true
			}
		}
	}()
	ferr := fn(x)
	if ferr == nil && x.failed == nil {
		ferr = x.flush(ctx)
	}
	switch {
	case x.failed != nil && isRetryable(x.failed):
		return x.failed
	case x.failed != nil && isConnError(x.failed):
		broken = true
		return s.lostError(x.failed)
	case s.serverFailure(x.failed) != nil:
		return s.serverFailure(x.failed) // whatever fn made of it
	case ferr != nil:
		return s.dbError(ferr)
	case x.failed != nil:
		return s.dbError(x.failed)
	}
	err = pgtx.Commit(ctx)
	committed = true
	if err == nil {
		return nil
	}
	if isRetryable(err) {
		return err
	}
	broken = true
	if isConnError(err) && x.seq > 0 {
		// The commit may or may not have reached the server: its journal
		// entry says which.
		if done, cerr := s.committed(ctx, x.seq); cerr == nil {
			if done {
				return nil
			}
			return s.lostError(err)
		}
	}
	if isConnError(err) {
		return backlog.Environmentf(err, "lost the connection to PostgreSQL at %s while committing: %s; the command may or may not have been saved: check the history before running it again",
			s.server, connCause(err))
	}
	return s.dbError(err)
}

// committed reports whether the journal entry seq exists (a commit whose
// answer was lost), on a new connection.
func (s *Store) committed(ctx context.Context, seq int64) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var n int
	err := s.pool.QueryRow(ctx, "SELECT count(*) FROM journal WHERE backlog = $1 AND seq = $2", s.backlog, seq).Scan(&n)
	return n > 0, err
}

// isRetryable reports a serialization failure, a deadlock or a lock that
// could not be had in time: the transaction met a concurrent one and may
// succeed when run again.
func isRetryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// serialization failure, deadlock, lock wait timed out
		return pe.Code == "40001" || pe.Code == "40P01" || pe.Code == "55P03"
	}
	return errors.Is(err, errConcurrent)
}

// errConcurrent marks a unique key taken by a transaction this one cannot
// see: a conflict like a serialization failure.
var errConcurrent = errors.New("postgres: a key was taken by a concurrent transaction")
