package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/sqlcodec"
	"github.com/agent-backlog/backlog/store/sqlstore"
)

// tx is a store.Tx over one PostgreSQL transaction.
type tx struct {
	s     *Store
	q     pgx.Tx
	write bool // inside Store.Write
	done  bool // fn has returned: the transaction is over
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
	graph   backlog.Graph  // Graph's answer, until a write changes the graph
	seq     int64          // the journal entry this transaction appended
}

var _ store.Tx = (*tx)(nil)

var (
	errDone     = errors.New("postgres: the transaction is over: use the Tx only inside the function given to Read or Write")
	errReadOnly = errors.New("postgres: a change was attempted inside Store.Read; changes belong in Store.Write")
)

func (x *tx) check(write bool) error {
	switch {
	case x.done:
		return errDone
	case write && !x.write:
		return errReadOnly
	case x.failed != nil:
		return x.failed
	}
	return nil
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

// collect reads every row with fn.
func collect[T any](x *tx, rows pgx.Rows, fn func(pgx.Rows) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := fn(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, x.note(rows.Err())
}

// queryTasks runs a query whose columns are taskColumns.
func (x *tx) queryTasks(ctx context.Context, q string, args ...any) ([]*backlog.Task, error) {
	rows, err := x.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return collect(x, rows, func(r pgx.Rows) (*backlog.Task, error) { return scanTask(r) })
}

// Task implements store.Tx.
func (x *tx) Task(ctx context.Context, id int64) (*backlog.Task, error) {
	if err := x.check(false); err != nil {
		return nil, err
	}
	if id <= 0 {
		return nil, backlog.NotFoundf("no task with id %d", id)
	}
	t, err := scanTask(x.queryRow(ctx, "SELECT "+taskColumns+" FROM tasks t WHERE t.backlog = $1 AND t.id = $2 AND t.id > 0",
		x.s.backlog, id))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, backlog.NotFoundf("no task with id %d", id)
	case err != nil:
		return nil, fmt.Errorf("postgres: load task %d: %w", id, err)
	}
	return t, nil
}

// TaskByUUID implements store.Tx.
func (x *tx) TaskByUUID(ctx context.Context, uuid string) (*backlog.Task, error) {
	if err := x.check(false); err != nil {
		return nil, err
	}
	if !storableText(uuid) {
		return nil, backlog.NotFoundf("no task with UUID %s", uuid)
	}
	t, err := scanTask(x.queryRow(ctx, "SELECT "+taskColumns+" FROM tasks t WHERE t.backlog = $1 AND t.uuid = $2",
		x.s.backlog, uuid))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, backlog.NotFoundf("no task with UUID %s", uuid)
	case err != nil:
		return nil, fmt.Errorf("postgres: load task %s: %w", uuid, err)
	}
	return t, nil
}

// limitArg is a LIMIT value: NULL (no limit) for limit <= 0.
func limitArg(limit int) any {
	if limit <= 0 {
		return nil
	}
	return int64(limit)
}

// TasksByUUIDPrefix implements store.Tx. A limit <= 0 means no limit.
func (x *tx) TasksByUUIDPrefix(ctx context.Context, prefix string, limit int) ([]*backlog.Task, error) {
	if err := x.check(false); err != nil {
		return nil, err
	}
	if !storableText(prefix) {
		return nil, nil
	}
	w := bind(sqlstore.PrefixOf(dialect{}, "t.uuid", prefix), 3)
	ts, err := x.queryTasks(ctx, "SELECT "+taskColumns+" FROM tasks t WHERE t.backlog = $1 AND "+w.SQL+
		" ORDER BY t.id, t.uuid LIMIT $2", append([]any{x.s.backlog, limitArg(limit)}, w.Args...)...)
	if err != nil {
		return nil, fmt.Errorf("postgres: tasks with UUID prefix %q: %w", prefix, err)
	}
	return ts, nil
}

// Select implements store.Tx: the rows of the pushed-down WHERE, checked
// again with the evaluator.
func (x *tx) Select(ctx context.Context, q store.Query) ([]*backlog.Task, error) {
	if err := x.check(false); err != nil {
		return nil, err
	}
	w := bind(compileWhere(q.Filter, q.Now), 2)
	ts, err := x.queryTasks(ctx, "SELECT "+taskColumns+" FROM tasks t WHERE t.backlog = $1 AND "+w.SQL,
		append([]any{x.s.backlog}, w.Args...)...)
	if err != nil {
		return nil, fmt.Errorf("postgres: select tasks (%s): %w", filterText(q.Filter), err)
	}
	if q.Filter != nil {
		env := filter.Env{Now: q.Now}
		if filter.NeedsGraph(q.Filter) {
			if env.Graph, err = x.Graph(ctx); err != nil {
				return nil, err
			}
		}
		match := filter.Compile(q.Filter, env)
		out := ts[:0]
		for _, t := range ts {
			if match(t) {
				out = append(out, t)
			}
		}
		clear(ts[len(out):])
		ts = out
	}
	slices.SortFunc(ts, func(a, b *backlog.Task) int {
		if c := cmp.Compare(a.ID, b.ID); c != 0 {
			return c
		}
		return strings.Compare(a.UUID, b.UUID)
	})
	return ts, nil
}

// Count implements store.Tx: count(*) in SQL when the whole filter
// translated exactly, else the length of Select.
func (x *tx) Count(ctx context.Context, q store.Query) (int, error) {
	if err := x.check(false); err != nil {
		return 0, err
	}
	w := bind(compileWhere(q.Filter, q.Now), 2)
	if !w.Exact {
		ts, err := x.Select(ctx, q)
		return len(ts), err
	}
	var n int
	err := x.queryRow(ctx, "SELECT count(*) FROM tasks t WHERE t.backlog = $1 AND "+w.SQL,
		append([]any{x.s.backlog}, w.Args...)...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("postgres: count tasks (%s): %w", filterText(q.Filter), err)
	}
	return n, nil
}

// Tally implements store.Tx: one GROUP BY in SQL when the whole filter
// translated exactly, else a count in Go over Select.
func (x *tx) Tally(ctx context.Context, q store.Query, by store.TallyKey, ids int) ([]store.Tally, error) {
	if err := x.check(false); err != nil {
		return nil, err
	}
	cw := compileWhere(q.Filter, q.Now)
	if !cw.Exact {
		ts, err := x.Select(ctx, q)
		if err != nil {
			return nil, err
		}
		return store.TallyTasks(ts, q.Now, by, ids), nil
	}
	key := "t.agent"
	args := []any{x.s.backlog}
	if by == store.TallyStatus {
		// The effective status, as compileWhere writes it.
		key = "(CASE WHEN t.status = 'pending' AND t.wait_at > $2 THEN 'waiting' ELSE t.status END)"
		args = append(args, sqlstore.UnixFloor(q.Now))
	}
	w := bind(cw, len(args)+1)
	args = append(args, w.Args...)
	list := "NULL::bigint[]"
	if ids > 0 {
		list = "(array_agg(t.id ORDER BY t.id) FILTER (WHERE t.id > 0))[1:" + strconv.Itoa(ids) + "]"
	}
	rows, err := x.query(ctx, "SELECT "+key+" AS v, count(*), "+list+" FROM tasks t WHERE t.backlog = $1 AND "+w.SQL+" GROUP BY v", args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: tally tasks (%s): %w", filterText(q.Filter), err)
	}
	defer rows.Close()
	var out []store.Tally
	for rows.Next() {
		var g store.Tally
		if err := rows.Scan(&g.Value, &g.Count, &g.IDs); err != nil {
			return nil, fmt.Errorf("postgres: tally tasks (%s): %w", filterText(q.Filter), err)
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: tally tasks (%s): %w", filterText(q.Filter), err)
	}
	store.SortTallies(out)
	return out, nil
}

func filterText(e filter.Expr) string {
	if e == nil {
		return "all"
	}
	return e.String()
}

// graphSQL reads every dependency row, then the highest id as a row of
// its own (dep NULL).
const graphSQL = `SELECT dep_uuid, dep_id, dep_live, owner_live FROM task_deps WHERE backlog = $1
	UNION ALL
	SELECT NULL, (SELECT coalesce(max(id), 0) FROM tasks WHERE backlog = $1 AND id > 0), false, false`

// Graph implements store.Tx from the dependency rows alone, which carry the
// liveness and id of both ends, and the highest id: one statement, kept
// until the transaction changes a dependency, a task's liveness or an id.
func (x *tx) Graph(ctx context.Context) (backlog.Graph, error) {
	if err := x.check(false); err != nil {
		return nil, err
	}
	if x.graph != nil {
		return x.graph, nil
	}
	live, blocking, ids := map[string]bool{}, map[string]bool{}, map[string]int64{}
	var latest int64
	rows, err := x.query(ctx, graphSQL, x.s.backlog)
	if err != nil {
		return nil, fmt.Errorf("postgres: dependency graph: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var uuid *string
		var id int64
		var depLive, ownerLive bool
		if err := rows.Scan(&uuid, &id, &depLive, &ownerLive); err != nil {
			return nil, fmt.Errorf("postgres: dependency graph: %w", err)
		}
		if uuid == nil {
			latest = id
			continue
		}
		if depLive {
			live[*uuid] = true
		}
		if ownerLive {
			blocking[*uuid] = true
		}
		if id > 0 {
			ids[*uuid] = id
		}
	}
	if err := x.note(rows.Err()); err != nil {
		return nil, fmt.Errorf("postgres: dependency graph: %w", err)
	}
	x.graph = backlog.NewGraph(live, blocking, ids, latest)
	return x.graph, nil
}

// UDAs implements store.Tx from the table of names kept by Insert and Update.
func (x *tx) UDAs(ctx context.Context) (map[string]filter.UDAKind, error) {
	if err := x.check(false); err != nil {
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
	rows, err := x.query(ctx, "SELECT name, types FROM udas WHERE backlog = $1", x.s.backlog)
	if err != nil {
		return fmt.Errorf("postgres: user-defined attributes: %w", err)
	}
	udas := map[string]int{}
	_, err = collect(x, rows, func(r pgx.Rows) (struct{}, error) {
		var name string
		var types int
		err := r.Scan(&name, &types)
		udas[name] = types
		return struct{}{}, err
	})
	if err != nil {
		return fmt.Errorf("postgres: user-defined attributes: %w", err)
	}
	x.udas = udas
	return nil
}

// Names implements store.Tx.
func (x *tx) Names(ctx context.Context, kind store.NameKind) ([]store.NameCount, error) {
	if err := x.check(false); err != nil {
		return nil, err
	}
	var query, what string
	switch kind {
	case store.Projects:
		what = "projects"
		query = `SELECT project, count(*) FROM tasks
			WHERE backlog = $1 AND status IN ('pending', 'recurring') AND project <> ''
			GROUP BY project ORDER BY project COLLATE "C"`
	case store.Tags:
		what = "tags"
		query = `SELECT g.tag, count(DISTINCT t.tid) FROM tasks t CROSS JOIN LATERAL unnest(t.tags) AS g(tag)
			WHERE t.backlog = $1 AND t.status IN ('pending', 'recurring') AND t.tags IS NOT NULL
			GROUP BY g.tag ORDER BY g.tag COLLATE "C"`
	default:
		return nil, fmt.Errorf("postgres: unknown kind of name %d", kind)
	}
	rows, err := x.query(ctx, query, x.s.backlog)
	if err != nil {
		return nil, fmt.Errorf("postgres: count %s: %w", what, err)
	}
	out, err := collect(x, rows, func(r pgx.Rows) (store.NameCount, error) {
		var nc store.NameCount
		err := r.Scan(&nc.Name, &nc.Count)
		return nc, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: count %s: %w", what, err)
	}
	if out == nil {
		out = []store.NameCount{}
	}
	return out, nil
}

// TryLock implements store.Tx: FOR UPDATE SKIP LOCKED, where a task changed
// since this transaction's snapshot counts as held (backlog_try_lock).
func (x *tx) TryLock(ctx context.Context, uuid string) (bool, error) {
	if err := x.check(true); err != nil {
		return false, err
	}
	if !storableText(uuid) {
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

// Dependents implements store.Tx.
func (x *tx) Dependents(ctx context.Context, uuid string) ([]*backlog.Task, error) {
	if err := x.check(false); err != nil {
		return nil, err
	}
	if !storableText(uuid) {
		return nil, nil
	}
	ts, err := x.queryTasks(ctx, "SELECT "+taskColumns+` FROM tasks t
		WHERE t.backlog = $1 AND t.status = 'pending'
			AND t.tid IN (SELECT task_tid FROM task_deps WHERE backlog = $1 AND dep_uuid = $2)
		ORDER BY t.id, t.uuid`, x.s.backlog, uuid)
	if err != nil {
		return nil, fmt.Errorf("postgres: tasks depending on %s: %w", uuid, err)
	}
	return ts, nil
}

// NextID implements store.Tx: the backlog's counter row only grows, so ids
// are never reused, whatever is purged. It first raises the counter to the
// ids this transaction wrote.
func (x *tx) NextID(ctx context.Context) (int64, error) {
	if err := x.check(true); err != nil {
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
	if err := x.check(true); err != nil {
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
	x.graph = nil
	x.wrote(t, nil, "")
	return nil
}

// Update implements store.Tx.
func (x *tx) Update(ctx context.Context, t *backlog.Task) error {
	if err := x.check(true); err != nil {
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
			b.Queue(insertDepsSQL, x.s.backlog, tid, live, textList(t.Depends))
			b.Queue(refsSQL, x.s.backlog, textList(t.Depends))
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
		x.graph = nil // else the graph is as it was: dependencies, liveness and ids unchanged
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
		if !slices.Contains(oldDeps, d) && storableText(d) {
			x.touchTask(d)
		}
	}
	if t.Parent != "" && t.Parent != oldParent && storableText(t.Parent) {
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
	if err := x.check(true); err != nil {
		return err
	}
	if !storableText(uuid) {
		return backlog.NotFoundf("no task with UUID %s", uuid)
	}
	x.graph = nil
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

// Doc implements store.Tx.
func (x *tx) Doc(ctx context.Context, uuid string) (string, error) {
	if err := x.check(false); err != nil {
		return "", err
	}
	if !storableText(uuid) {
		return "", backlog.NotFoundf("no task with UUID %s", uuid)
	}
	var id int64
	var content *string
	err := x.queryRow(ctx, `SELECT t.id, d.content FROM tasks t
		LEFT JOIN docs d ON d.backlog = t.backlog AND d.task_uuid = t.uuid
		WHERE t.backlog = $1 AND t.uuid = $2`, x.s.backlog, uuid).Scan(&id, &content)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return "", backlog.NotFoundf("no task with UUID %s", uuid)
	case err != nil:
		return "", fmt.Errorf("postgres: doc of task %s: %w", uuid, err)
	case content == nil:
		ref := uuid
		if id > 0 {
			ref = fmt.Sprint(id)
		}
		return "", backlog.NotFoundf("task %s has no doc", ref)
	}
	return *content, nil
}

// SetDoc implements store.Tx. The task must exist; its has_doc field is
// the engine's to set.
func (x *tx) SetDoc(ctx context.Context, uuid, content string) error {
	if err := x.check(true); err != nil {
		return err
	}
	if strings.IndexByte(content, 0) >= 0 {
		return backlog.Invalidf("PostgreSQL cannot store the NUL character (U+0000), found in the doc")
	}
	if !storableText(uuid) {
		return backlog.NotFoundf("no task with UUID %s", uuid)
	}
	tag, err := x.exec(ctx, `INSERT INTO docs (backlog, task_uuid, content)
		SELECT $1, uuid, $3 FROM tasks WHERE backlog = $1 AND uuid = $2
		ON CONFLICT (backlog, task_uuid) DO UPDATE SET content = excluded.content`,
		x.s.backlog, uuid, sqlcodec.ValidText(content))
	if err != nil {
		return fmt.Errorf("postgres: write the doc of task %s: %w", uuid, err)
	}
	if tag.RowsAffected() == 0 {
		return backlog.NotFoundf("no task with UUID %s", uuid)
	}
	return nil
}

// DeleteDoc implements store.Tx.
func (x *tx) DeleteDoc(ctx context.Context, uuid string) error {
	if err := x.check(true); err != nil {
		return err
	}
	if !storableText(uuid) {
		return nil
	}
	if _, err := x.exec(ctx, "DELETE FROM docs WHERE backlog = $1 AND task_uuid = $2", x.s.backlog, uuid); err != nil {
		return fmt.Errorf("postgres: delete the doc of task %s: %w", uuid, err)
	}
	return nil
}

const entryColumns = "seq, at, agent, command, summary, undoes, undone_by, changes"

func scanEntry(sc scanner) (*store.Entry, error) {
	var e store.Entry
	var at int64
	var changes string
	if err := sc.Scan(&e.Seq, &at, &e.Agent, &e.Command, &e.Summary, &e.Undoes, &e.UndoneBy, &changes); err != nil {
		return nil, err
	}
	e.At = time.Unix(at, 0).UTC()
	cs, err := sqlcodec.DecodeChanges(changes)
	if err != nil {
		return nil, fmt.Errorf("journal entry %d: %w", e.Seq, err)
	}
	e.Changes = cs
	return &e, nil
}

// Append implements store.Tx (backlog_append: the journal lock, the entry,
// its task rows and the NOTIFY). The entry's time is kept to the second.
func (x *tx) Append(ctx context.Context, e *store.Entry) error {
	if err := x.check(true); err != nil {
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

// LatestUndoable implements store.Tx.
func (x *tx) LatestUndoable(ctx context.Context, agent string) (*store.Entry, error) {
	if err := x.check(false); err != nil {
		return nil, err
	}
	if !storableText(agent) {
		return nil, nil
	}
	e, err := scanEntry(x.queryRow(ctx, "SELECT "+entryColumns+` FROM journal
		WHERE backlog = $1 AND agent = $2 AND command <> 'undo' AND undone_by = 0 ORDER BY seq DESC LIMIT 1`,
		x.s.backlog, agent))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("postgres: latest journal entry of %s: %w", agent, err)
	}
	return e, nil
}

// Entries implements store.Tx.
func (x *tx) Entries(ctx context.Context, after int64, uuid string, limit int) ([]*store.Entry, error) {
	if err := x.check(false); err != nil {
		return nil, err
	}
	var rows pgx.Rows
	var err error
	if uuid == "" {
		rows, err = x.query(ctx, "SELECT "+entryColumns+` FROM journal
			WHERE backlog = $1 AND seq > $2 ORDER BY seq LIMIT $3`, x.s.backlog, after, limitArg(limit))
	} else {
		if !storableText(uuid) {
			return nil, nil
		}
		rows, err = x.query(ctx, "SELECT "+entryColumns+` FROM journal
			WHERE backlog = $1 AND seq IN (SELECT seq FROM journal_tasks WHERE backlog = $1 AND uuid = $2 AND seq > $3)
			ORDER BY seq LIMIT $4`, x.s.backlog, uuid, after, limitArg(limit))
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: journal of task %s: %w", uuid, err)
	}
	out, err := collect(x, rows, func(r pgx.Rows) (*store.Entry, error) { return scanEntry(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: journal of task %s: %w", uuid, err)
	}
	return out, nil
}

// MarkUndone implements store.Tx.
func (x *tx) MarkUndone(ctx context.Context, seq, by int64) error {
	if err := x.check(true); err != nil {
		return err
	}
	tag, err := x.exec(ctx, "UPDATE journal SET undone_by = $3 WHERE backlog = $1 AND seq = $2", x.s.backlog, seq, by)
	if err != nil {
		return fmt.Errorf("postgres: mark journal entry %d undone: %w", seq, err)
	}
	if tag.RowsAffected() == 0 {
		return backlog.NotFoundf("no journal entry %d", seq)
	}
	return nil
}
