package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/sqlcodec"
	"github.com/agent-backlog/backlog/store/sqlstore"

	sqlite3 "modernc.org/sqlite/lib"
)

// tx is a store.Tx over one SQLite transaction: the statements written
// once for both SQL stores (sqlstore.Tx), and the writes SQLite does its own
// way, keeping the rows of task_tags and the rank bounds.
type tx struct {
	*sqlstore.Tx
	tx *sql.Tx
	// stmts are the statements prepared in this transaction, by text, so
	// that a command touching many tasks (an import) prepares each once,
	// and a ranked walk each of its few shapes once. A statement's rows
	// must be closed before it runs again.
	stmts map[string]*sql.Stmt
}

var _ store.Tx = (*tx)(nil)

// newTx begins the store's side of the SQLite transaction t.
func (s *Store) newTx(t *sql.Tx, write bool) *tx {
	x := &tx{tx: t}
	x.Tx = s.sql.NewTx(conn{x}, x, write)
	x.Ranked = x.ranked
	x.Tallied = x.tallied
	return x
}

// stmt prepares q once per transaction.
func (x *tx) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := x.stmts[q]; ok {
		return st, nil
	}
	st, err := x.tx.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if x.stmts == nil {
		x.stmts = make(map[string]*sql.Stmt)
	}
	x.stmts[q] = st
	return st, nil
}

// exec runs a statement that returns no rows.
func (x *tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	st, err := x.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// query runs a prepared-once statement that returns rows; the caller must
// close them before running the same statement again.
func (x *tx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := x.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// queryRow runs a statement that returns at most one row.
func (x *tx) queryRow(ctx context.Context, q string, args ...any) sqlstore.Row {
	st, err := x.stmt(ctx, q)
	if err != nil {
		return errScanner{err}
	}
	return st.QueryRowContext(ctx, args...)
}

// errScanner is a row that failed before it was read.
type errScanner struct{ err error }

func (e errScanner) Scan(...any) error { return e.err }

// conn is the transaction as the shared statements run it
// (sqlstore.Conn): prepared once, but for queries of many rows, whose
// statements vary (a compiled filter) or may run again before their rows
// are read.
type conn struct{ x *tx }

// Exec implements sqlstore.Conn.
func (c conn) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := c.x.exec(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Query implements sqlstore.Conn.
func (c conn) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	return c.x.tx.QueryContext(ctx, q, args...)
}

// QueryRow implements sqlstore.Conn.
func (c conn) QueryRow(ctx context.Context, q string, args ...any) sqlstore.Row {
	return c.x.queryRow(ctx, q, args...)
}

// Failed implements sqlstore.Conn: SQLite's transactions go on after a
// failed statement.
func (conn) Failed() error { return nil }

// NextID implements store.Tx: the counter only grows, so ids are never
// reused, whatever is purged.
func (x *tx) NextID(ctx context.Context) (int64, error) {
	if err := x.Check(true); err != nil {
		return 0, err
	}
	var id int64
	if err := x.queryRow(ctx, "UPDATE id_counter SET last_id = last_id + 1 RETURNING last_id").Scan(&id); err != nil {
		return 0, fmt.Errorf("sqlite: allocate an id: %w", err)
	}
	return id, nil
}

// Insert implements store.Tx.
func (x *tx) Insert(ctx context.Context, t *backlog.Task) error {
	if err := x.Check(true); err != nil {
		return err
	}
	args, err := taskArgs(t)
	if err != nil {
		return fmt.Errorf("sqlite: insert task %s: %w", t.Ref(), err)
	}
	var tid int64
	if err := x.queryRow(ctx, insertSQL, args...).Scan(&tid); err != nil {
		if isUniqueViolation(err) {
			if strings.Contains(err.Error(), "tasks.uuid") {
				return backlog.Conflictf("a task with UUID %s already exists", t.UUID)
			}
			if strings.Contains(err.Error(), "tasks.source_key") {
				return t.Source.Taken()
			}
			return backlog.Conflictf("a task with id %d already exists", t.ID)
		}
		return fmt.Errorf("sqlite: insert task %s: %w", t.Ref(), err)
	}
	return x.writeIndexes(ctx, tid, t, false)
}

// Update implements store.Tx.
func (x *tx) Update(ctx context.Context, t *backlog.Task) error {
	if err := x.Check(true); err != nil {
		return err
	}
	args, err := taskArgs(t)
	if err != nil {
		return fmt.Errorf("sqlite: update task %s: %w", t.Ref(), err)
	}
	// args without the uuid (second), which becomes the key.
	vals := append(append(make([]any, 0, len(args)), args[0]), args[2:]...)
	var tid, blocking int64
	err = x.queryRow(ctx, updateSQL, append(vals, t.UUID)...).Scan(&tid, &blocking)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return backlog.NotFoundf("no task with UUID %s", t.UUID)
	case isUniqueViolation(err) && strings.Contains(err.Error(), "tasks.source_key"):
		return t.Source.Taken()
	case isUniqueViolation(err):
		return backlog.Conflictf("another task already has id %d", t.ID)
	case err != nil:
		return fmt.Errorf("sqlite: update task %s: %w", t.Ref(), err)
	}
	if blocking > 0 && t.Status != backlog.StatusCompleted && t.Status != backlog.StatusDeleted {
		// Live tasks depend on it: its bound has the blocking term.
		if _, err := x.exec(ctx, "UPDATE tasks SET rank_hi = rank_hi + ? WHERE tid = ?", backlog.DefaultCoefficients.Blocking, tid); err != nil {
			return fmt.Errorf("sqlite: update task %s: %w", t.Ref(), err)
		}
	}
	return x.writeIndexes(ctx, tid, t, true)
}

// writeIndexes writes the tag and dependency rows of a task, its UDA names,
// and raises the id counter to the task's id.
func (x *tx) writeIndexes(ctx context.Context, tid int64, t *backlog.Task, replace bool) error {
	x.ChangedGraph()
	if replace {
		if _, err := x.exec(ctx, "DELETE FROM task_tags WHERE task_id = ?", tid); err != nil {
			return fmt.Errorf("sqlite: tags of task %s: %w", t.Ref(), err)
		}
		if _, err := x.exec(ctx, "DELETE FROM task_deps WHERE task_id = ?", tid); err != nil {
			return fmt.Errorf("sqlite: dependencies of task %s: %w", t.Ref(), err)
		}
	}
	if err := x.insertTags(ctx, tid, t.Tags); err != nil {
		return fmt.Errorf("sqlite: tags of task %s: %w", t.Ref(), err)
	}
	if err := x.insertDeps(ctx, tid, t); err != nil {
		return fmt.Errorf("sqlite: dependencies of task %s: %w", t.Ref(), err)
	}
	if err := x.markDependedOn(ctx, t.UUID, t.ID, t.IsLive()); err != nil {
		return fmt.Errorf("sqlite: dependencies on task %s: %w", t.Ref(), err)
	}
	for name, v := range t.Extra {
		_, err := x.exec(ctx, `INSERT INTO udas (name, types) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET types = types | excluded.types
			WHERE types | excluded.types != types`, name, sqlcodec.UDAType(v))
		if err != nil {
			return fmt.Errorf("sqlite: user-defined attribute %q: %w", name, err)
		}
	}
	if t.ID > 0 {
		if _, err := x.exec(ctx, "UPDATE id_counter SET last_id = ? WHERE last_id < ?", t.ID, t.ID); err != nil {
			return fmt.Errorf("sqlite: id counter: %w", err)
		}
	}
	return nil
}

// insertTags inserts a task's tag rows, in one statement.
func (x *tx) insertTags(ctx context.Context, tid int64, tags []string) error {
	if len(tags) == 0 {
		return nil
	}
	args := make([]any, 0, 2*len(tags))
	for _, tag := range tags {
		args = append(args, tid, sqlcodec.ValidText(tag))
	}
	_, err := x.exec(ctx, "INSERT OR IGNORE INTO task_tags (task_id, tag) VALUES (?, ?)"+
		strings.Repeat(", (?, ?)", len(tags)-1), args...)
	return err
}

// insertDeps inserts a task's dependency rows, with the id and liveness of
// each task depended on.
func (x *tx) insertDeps(ctx context.Context, tid int64, t *backlog.Task) error {
	if len(t.Depends) == 0 {
		return nil
	}
	live := 0
	if t.IsLive() {
		live = 1
	}
	const row = `(?, ?, ?, IFNULL((SELECT max(id, 0) FROM tasks WHERE uuid = ?), 0),
		IFNULL((SELECT status = 'pending' FROM tasks WHERE uuid = ?), 0))`
	args := make([]any, 0, 5*len(t.Depends))
	for _, d := range t.Depends {
		d = sqlcodec.ValidText(d)
		args = append(args, tid, d, live, d, d)
	}
	_, err := x.exec(ctx, "INSERT OR IGNORE INTO task_deps (task_id, dep_uuid, owner_live, dep_id, dep_live) VALUES "+
		row+strings.Repeat(", "+row, len(t.Depends)-1), args...)
	return err
}

// markDependedOn records the id and liveness of the task with the UUID on
// the rows of the tasks that depend on it (after an insert, update or purge).
func (x *tx) markDependedOn(ctx context.Context, uuid string, id int64, live bool) error {
	l := 0
	if live {
		l = 1
	}
	id = max(id, 0)
	_, err := x.exec(ctx, `UPDATE task_deps SET dep_id = ?, dep_live = ?
		WHERE dep_uuid = ? AND (dep_id != ? OR dep_live != ?)`, id, l, uuid, id, l)
	return err
}

// isUniqueViolation reports a UNIQUE or PRIMARY KEY constraint failure.
func isUniqueViolation(err error) bool {
	var e interface{ Code() int }
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return true
	}
	return false
}

// Purge implements store.Tx; the doc, tag and dependency rows go with the
// task (ON DELETE CASCADE), the search index with it (trigger).
func (x *tx) Purge(ctx context.Context, uuid string) error {
	if err := x.Check(true); err != nil {
		return err
	}
	x.ChangedGraph()
	res, err := x.exec(ctx, "DELETE FROM tasks WHERE uuid = ?", uuid)
	if err != nil {
		return fmt.Errorf("sqlite: purge task %s: %w", uuid, err)
	}
	if err := x.markDependedOn(ctx, uuid, 0, false); err != nil {
		return fmt.Errorf("sqlite: purge task %s: %w", uuid, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlite: purge task %s: %w", uuid, err)
	} else if n == 0 {
		return backlog.NotFoundf("no task with UUID %s", uuid)
	}
	return nil
}

// Append implements store.Tx. The entry's time is kept to the second.
func (x *tx) Append(ctx context.Context, e *store.Entry) error {
	if err := x.Check(true); err != nil {
		return err
	}
	changes, err := sqlcodec.EncodeChanges(e.Changes)
	if err != nil {
		return fmt.Errorf("sqlite: journal entry: %w", err)
	}
	var seq int64
	err = x.queryRow(ctx, `INSERT INTO journal (at, agent, command, summary, undoes, undone_by, changes)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
		e.At.Unix(), e.Agent, e.Command, e.Summary, e.Undoes, e.UndoneBy, changes).Scan(&seq)
	if err != nil {
		return fmt.Errorf("sqlite: append to the journal: %w", err)
	}
	seen := make(map[string]bool, len(e.Changes))
	for _, c := range e.Changes {
		if seen[c.UUID] {
			continue
		}
		seen[c.UUID] = true
		if _, err := x.exec(ctx, "INSERT INTO journal_tasks (uuid, seq) VALUES (?, ?)", c.UUID, seq); err != nil {
			return fmt.Errorf("sqlite: append to the journal: %w", err)
		}
	}
	e.Seq = seq
	return nil
}

// TryLock implements store.Tx: a write transaction holds the database's
// write lock from its start, so no other transaction can hold the task.
func (x *tx) TryLock(ctx context.Context, uuid string) (bool, error) {
	if err := x.Check(true); err != nil {
		return false, err
	}
	return true, nil
}

// placeholders is "?, ?, ..." n times.
func placeholders(n int) string {
	if n == 0 {
		return "NULL"
	}
	return "?" + strings.Repeat(", ?", n-1)
}

// anys converts ids to query arguments.
func anys(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}
