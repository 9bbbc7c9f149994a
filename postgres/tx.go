package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/sqlcodec"
	"github.com/agent-backlog/backlog/store/sqlstore"
)

// tx is a store.Tx over one PostgreSQL transaction: the statements written
// once for both SQL stores (sqlstore.Tx), and the writes PostgreSQL does its
// own way, with the locks and deferred work that REPEATABLE READ asks for
// (see the package doc).
type tx struct {
	*sqlstore.Tx
	s *Store
	q pgx.Tx
	// failed is the first error of the database: PostgreSQL aborts the
	// transaction with it, so every later statement fails with it too, and
	// Write decides from it (retry, lost connection) whatever fn made of it.
	failed error

	// Work deferred to flush, done once before the journal entry and the
	// commit: tasks to touch (references added, see the package doc), the
	// highest task id written, and UDA types seen.
	touch   map[string]bool
	maxID   int64
	udas    map[string]int // the UDA table as this transaction sees it; nil until read
	newUDAs map[string]int // types to add to it
	lastID  int64          // the id counter as this transaction left it (0: not read)
	seq     int64          // the journal entry this transaction appended
}

var _ store.Tx = (*tx)(nil)

// newTx begins the store's side of the PostgreSQL transaction q.
func (s *Store) newTx(q pgx.Tx, write bool) *tx {
	x := &tx{s: s, q: q}
	x.Tx = s.sql.NewTx(conn{x}, x, write)
	x.Tallied = x.tallied
	return x
}

// note records a database error: after one, the transaction is aborted.
func (x *tx) note(err error) error {
	if err == nil || x.failed != nil {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) || isConnError(err) || errors.Is(err, errConcurrent) {
		x.failed = err
	}
	return err
}

func (x *tx) exec(ctx context.Context, q string, args ...any) (pgconn.CommandTag, error) {
	tag, err := x.q.Exec(ctx, q, args...)
	return tag, x.note(err)
}

func (x *tx) query(ctx context.Context, q string, args ...any) (pgx.Rows, error) {
	rows, err := x.q.Query(ctx, q, args...)
	return rows, x.note(err)
}

// row is a pgx.Row whose error is noted.
type row struct {
	x *tx
	r pgx.Row
}

func (r row) Scan(dest ...any) error { return r.x.note(r.r.Scan(dest...)) }

func (x *tx) queryRow(ctx context.Context, q string, args ...any) row {
	return row{x, x.q.QueryRow(ctx, q, args...)}
}

// conn is the transaction as the shared statements run it
// (sqlstore.Conn): their ? become $2, $3, ... after the backlog, $1.
type conn struct{ x *tx }

// bound is q numbered, with args after the backlog.
func (c conn) bound(q string, args []any) (string, []any) {
	return number(q, 2), append([]any{c.x.s.backlog}, args...)
}

// Exec implements sqlstore.Conn.
func (c conn) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	q, args = c.bound(q, args)
	tag, err := c.x.exec(ctx, q, args...)
	return tag.RowsAffected(), err
}

// Query implements sqlstore.Conn.
func (c conn) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	q, args = c.bound(q, args)
	rows, err := c.x.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return pgRows{rows, c.x}, nil
}

// QueryRow implements sqlstore.Conn.
func (c conn) QueryRow(ctx context.Context, q string, args ...any) sqlstore.Row {
	q, args = c.bound(q, args)
	return c.x.queryRow(ctx, q, args...)
}

// Failed implements sqlstore.Conn: the error that aborted the transaction.
func (c conn) Failed() error { return c.x.failed }

// pgRows are pgx.Rows as sqlstore.Rows, their errors noted.
type pgRows struct {
	pgx.Rows
	x *tx
}

func (r pgRows) Scan(dest ...any) error { return r.x.note(r.Rows.Scan(dest...)) }
func (r pgRows) Err() error             { return r.x.note(r.Rows.Err()) }
func (r pgRows) Close() error {
	r.Rows.Close()
	return r.Err()
}

// tallied counts the tasks of the exact WHERE w in SQL (sqlstore.Tx.Tally).
func (x *tx) tallied(ctx context.Context, w sqlstore.Where, q store.Query, by store.TallyKey, ids int) ([]store.Tally, error) {
	key := sqlstore.Column("t.agent")
	if by == store.TallyStatus {
		key = sqlstore.EffectiveStatus(dialect{}, q.Now)
	}
	list := "NULL::bigint[]"
	if ids > 0 {
		list = "(array_agg(t.id ORDER BY t.id) FILTER (WHERE t.id > 0))[1:" + strconv.Itoa(ids) + "]"
	}
	rows, err := conn{x}.Query(ctx, "SELECT "+key.SQL()+" AS v, count(*), "+list+" FROM tasks t WHERE t.backlog = $1 AND "+w.SQL+" GROUP BY v",
		append(slices.Clip(key.Args()), w.Args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Tally
	for rows.Next() {
		var g store.Tally
		if err := rows.Scan(&g.Value, &g.Count, &g.IDs); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// UDAs implements store.Tx from the table of names kept by Insert and
// Update, as this transaction has written it.
func (x *tx) UDAs(ctx context.Context) (map[string]filter.UDAKind, error) {
	if err := x.Check(false); err != nil {
		return nil, err
	}
	if err := x.flushUDAs(ctx); err != nil {
		return nil, err
	}
	if err := x.loadUDAs(ctx); err != nil {
		return nil, err
	}
	out := make(map[string]filter.UDAKind, len(x.udas))
	for name, types := range x.udas {
		out[name] = sqlcodec.UDAKind(types)
	}
	return out, nil
}

// loadUDAs reads the UDA table once per transaction.
func (x *tx) loadUDAs(ctx context.Context) error {
	if x.udas != nil {
		return nil
	}
	udas, err := x.UDATypes(ctx)
	x.udas = udas
	return err
}

// TryLock implements store.Tx: FOR UPDATE SKIP LOCKED, where a task changed
// since this transaction's snapshot counts as held (backlog_try_lock).
func (x *tx) TryLock(ctx context.Context, uuid string) (bool, error) {
	if err := x.Check(true); err != nil {
		return false, err
	}
	if !traits.Storable(uuid) {
		return false, nil
	}
	var ok bool
	if err := x.queryRow(ctx, "SELECT backlog_try_lock($1, $2)", x.s.backlog, uuid).Scan(&ok); err != nil {
		return false, fmt.Errorf("postgres: lock task %s: %w", uuid, err)
	}
	if !ok {
		x.s.skipped.Add(1)
	}
	return ok, nil
}

// NextID implements store.Tx: the backlog's counter row only grows, so ids
// are never reused, whatever is purged. It first raises the counter to the
// ids this transaction wrote.
func (x *tx) NextID(ctx context.Context) (int64, error) {
	if err := x.Check(true); err != nil {
		return 0, err
	}
	var id int64
	err := x.queryRow(ctx, `UPDATE id_counters SET last_id = greatest(last_id, $2) + 1
		WHERE backlog = $1 RETURNING last_id`, x.s.backlog, x.maxID).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("postgres: allocate an id: %w", err)
	}
	x.lastID = id
	return id, nil
}

// Insert implements store.Tx.
func (x *tx) Insert(ctx context.Context, t *backlog.Task) error {
	if err := x.Check(true); err != nil {
		return err
	}
	args, err := taskArgs(t)
	if err != nil {
		return err
	}
	var tid int64
	err = x.queryRow(ctx, insertSQL, append([]any{x.s.backlog}, args...)...).Scan(&tid)
	if errors.Is(err, pgx.ErrNoRows) {
		// Taken, and visible to this transaction (a key taken by a
		// transaction it cannot see is a serialization failure).
		var uuidTaken bool
		if err := x.queryRow(ctx, "SELECT EXISTS (SELECT 1 FROM tasks WHERE backlog = $1 AND uuid = $2)",
			x.s.backlog, t.UUID).Scan(&uuidTaken); err != nil {
			return fmt.Errorf("postgres: insert task %s: %w", t.Ref(), err)
		}
		if uuidTaken {
			return backlog.Conflictf("a task with UUID %s already exists", t.UUID)
		}
		if t.Source != nil {
			var sourceTaken bool
			if err := x.queryRow(ctx, "SELECT EXISTS (SELECT 1 FROM tasks WHERE backlog = $1 AND source_key = $2)",
				x.s.backlog, t.Source.Key()).Scan(&sourceTaken); err != nil {
				return fmt.Errorf("postgres: insert task %s: %w", t.Ref(), err)
			}
			if sourceTaken {
				return t.Source.Taken()
			}
		}
		return backlog.Conflictf("a task with id %d already exists", t.ID)
	}
	if err != nil {
		return fmt.Errorf("postgres: insert task %s: %w", t.Ref(), err)
	}
	x.ChangedGraph()
	x.wrote(t, nil, "")
	return nil
}

// Update implements store.Tx.
func (x *tx) Update(ctx context.Context, t *backlog.Task) error {
	if err := x.Check(true); err != nil {
		return err
	}
	args, err := taskArgs(t)
	if err != nil {
		return err
	}
	var tid, oldID int64
	var oldStatus, oldParent string
	var oldDeps []string
	err = x.queryRow(ctx, updateSQL, append([]any{x.s.backlog}, args...)...).Scan(&tid, &oldID, &oldStatus, &oldDeps, &oldParent)
	if isUniqueViolation(err) && constraintOf(err) == "tasks_source" {
		return t.Source.Taken()
	}
	if isUniqueViolation(err) {
		// Another task holds the id, unseen by this transaction: a
		// concurrent change.
		x.failed = errConcurrent
		return errConcurrent
	}
	if errors.Is(err, pgx.ErrNoRows) {
		var exists bool
		if err := x.queryRow(ctx, "SELECT EXISTS (SELECT 1 FROM tasks WHERE backlog = $1 AND uuid = $2)",
			x.s.backlog, t.UUID).Scan(&exists); err != nil {
			return fmt.Errorf("postgres: update task %s: %w", t.Ref(), err)
		}
		if !exists {
			return backlog.NotFoundf("no task with UUID %s", t.UUID)
		}
		return backlog.Conflictf("another task already has id %d", t.ID)
	}
	if err != nil {
		return fmt.Errorf("postgres: update task %s: %w", t.Ref(), err)
	}
	// The dependency rows follow, in one round trip, when they must.
	live, wasLive := t.IsLive(), oldStatus == string(backlog.StatusPending)
	b := &pgx.Batch{}
	switch {
	case !sameSet(oldDeps, t.Depends):
		b.Queue("DELETE FROM task_deps WHERE task_tid = $1", tid)
		if len(t.Depends) > 0 {
			b.Queue(insertDepsSQL, x.s.backlog, tid, live, traits.List(t.Depends))
			b.Queue(refsSQL, x.s.backlog, traits.List(t.Depends))
		}
	case live != wasLive && len(t.Depends) > 0:
		b.Queue("UPDATE task_deps SET owner_live = $2 WHERE task_tid = $1", tid, live)
	}
	if live != wasLive || max(t.ID, 0) != max(oldID, 0) {
		b.Queue(markSQL, x.s.backlog, t.UUID, max(t.ID, 0), live)
	}
	if b.Len() > 0 {
		if err := x.note(x.q.SendBatch(ctx, b).Close()); err != nil {
			return fmt.Errorf("postgres: dependencies of task %s: %w", t.Ref(), err)
		}
	}
	if b.Len() > 0 || t.ID != oldID {
		x.ChangedGraph() // else the graph is as it was: dependencies, liveness and ids unchanged
	}
	x.wrote(t, oldDeps, oldParent)
	return nil
}

// sameSet reports whether a and b hold the same strings.
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, v := range b {
		if !slices.Contains(a, v) {
			return false
		}
	}
	for _, v := range a {
		if !slices.Contains(b, v) {
			return false
		}
	}
	return true
}

// wrote records what flush must do after a task was written: touch the
// tasks it newly refers to, raise the id counter, add UDA types.
func (x *tx) wrote(t *backlog.Task, oldDeps []string, oldParent string) {
	for _, d := range t.Depends {
		if !slices.Contains(oldDeps, d) && traits.Storable(d) {
			x.touchTask(d)
		}
	}
	if t.Parent != "" && t.Parent != oldParent && traits.Storable(t.Parent) {
		x.touchTask(t.Parent)
	}
	x.maxID = max(x.maxID, t.ID)
	for name, v := range t.Extra {
		if x.newUDAs == nil {
			x.newUDAs = map[string]int{}
		}
		x.newUDAs[name] |= sqlcodec.UDAType(v)
	}
}

func (x *tx) touchTask(uuid string) {
	if x.touch == nil {
		x.touch = map[string]bool{}
	}
	x.touch[uuid] = true
}

// flush does the deferred work: touches, the id counter, UDA types. Write
// calls it before committing and Append before it takes the journal lock.
func (x *tx) flush(ctx context.Context) error {
	if len(x.touch) > 0 {
		uuids := make([]string, 0, len(x.touch))
		for u := range x.touch {
			uuids = append(uuids, u)
		}
		slices.Sort(uuids) // a fixed order: fewer deadlocks
		x.touch = nil
		if _, err := x.exec(ctx, `UPDATE tasks t SET uuid = t.uuid FROM unnest($2::text[]) AS n(uuid)
			WHERE t.backlog = $1 AND t.uuid = n.uuid`,
			x.s.backlog, uuids); err != nil {
			return fmt.Errorf("postgres: lock the tasks referred to: %w", err)
		}
	}
	if x.maxID > x.lastID {
		if _, err := x.exec(ctx, "UPDATE id_counters SET last_id = $2 WHERE backlog = $1 AND last_id < $2",
			x.s.backlog, x.maxID); err != nil {
			return fmt.Errorf("postgres: id counter: %w", err)
		}
		x.lastID = x.maxID
	}
	return x.flushUDAs(ctx)
}

// flushUDAs adds the UDA types this transaction wrote that the table lacks.
func (x *tx) flushUDAs(ctx context.Context) error {
	if len(x.newUDAs) == 0 {
		return nil
	}
	if err := x.loadUDAs(ctx); err != nil {
		return err
	}
	var names []string
	var types []int32
	for name, ty := range x.newUDAs {
		if have := x.udas[name]; have|ty != have {
			names = append(names, sqlcodec.ValidText(name))
			types = append(types, int32(ty))
		}
	}
	x.newUDAs = nil
	if len(names) == 0 {
		return nil
	}
	_, err := x.exec(ctx, `INSERT INTO udas (backlog, name, types)
		SELECT $1, n, ty FROM unnest($2::text[], $3::int[]) AS u(n, ty)
		ON CONFLICT (backlog, name) DO UPDATE SET types = udas.types | excluded.types
		WHERE udas.types | excluded.types <> udas.types`, x.s.backlog, names, types)
	if err != nil {
		return fmt.Errorf("postgres: user-defined attributes: %w", err)
	}
	for i, n := range names {
		x.udas[n] |= int(types[i])
	}
	return nil
}

// isUniqueViolation reports a UNIQUE or PRIMARY KEY constraint failure.
func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// Purge implements store.Tx; the doc goes with the task.
func (x *tx) Purge(ctx context.Context, uuid string) error {
	if err := x.Check(true); err != nil {
		return err
	}
	if !traits.Storable(uuid) {
		return backlog.NotFoundf("no task with UUID %s", uuid)
	}
	x.ChangedGraph()
	tag, err := x.exec(ctx, `WITH d AS (DELETE FROM docs WHERE backlog = $1 AND task_uuid = $2),
		t AS (DELETE FROM tasks WHERE backlog = $1 AND uuid = $2 RETURNING tid),
		e AS (DELETE FROM task_deps WHERE task_tid IN (SELECT tid FROM t)),
		m AS (UPDATE task_deps SET dep_id = 0, dep_live = false
			WHERE backlog = $1 AND dep_uuid = $2 AND (dep_id <> 0 OR dep_live))
		SELECT FROM t`, x.s.backlog, uuid)
	if err != nil {
		return fmt.Errorf("postgres: purge task %s: %w", uuid, err)
	}
	if tag.RowsAffected() == 0 {
		return backlog.NotFoundf("no task with UUID %s", uuid)
	}
	return nil
}

// Append implements store.Tx (backlog_append: the journal lock, the entry,
// its task rows and the NOTIFY). The entry's time is kept to the second.
func (x *tx) Append(ctx context.Context, e *store.Entry) error {
	if err := x.Check(true); err != nil {
		return err
	}
	changes, err := sqlcodec.EncodeChanges(e.Changes)
	if err != nil {
		return fmt.Errorf("postgres: journal entry: %w", err)
	}
	for _, f := range []string{e.Agent, e.Command, e.Summary} {
		if strings.IndexByte(f, 0) >= 0 {
			return backlog.Invalidf("PostgreSQL cannot store the NUL character (U+0000), found in a journal entry")
		}
	}
	// The deferred writes first, so that the journal lock is held briefly.
	if err := x.flush(ctx); err != nil {
		return err
	}
	uuids := make([]string, 0, len(e.Changes))
	for _, c := range e.Changes {
		if u := sqlcodec.ValidText(strings.ReplaceAll(c.UUID, "\x00", "")); !slices.Contains(uuids, u) {
			uuids = append(uuids, u)
		}
	}
	var seq int64
	err = x.queryRow(ctx, "SELECT backlog_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
		x.s.backlog, x.s.journalKey, x.s.channel, e.At.Unix(), sqlcodec.ValidText(e.Agent), sqlcodec.ValidText(e.Command),
		sqlcodec.ValidText(e.Summary), e.Undoes, e.UndoneBy, changes, uuids).Scan(&seq)
	if err != nil {
		return fmt.Errorf("postgres: append to the journal: %w", err)
	}
	e.Seq = seq
	x.seq = seq
	return nil
}
