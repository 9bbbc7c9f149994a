package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/sqlcodec"
	"github.com/agent-backlog/backlog/store/sqlstore"

	sqlite3 "modernc.org/sqlite/lib"
)

// tx is a store.Tx over one SQLite transaction.
type tx struct {
	tx    *sql.Tx
	write bool // inside Store.Write
	done  bool // fn has returned: the transaction is over
	// stmts are the statements prepared in this transaction, by text, so
	// that a command touching many tasks (an import) prepares each once,
	// and a ranked walk each of its few shapes once. A statement's rows
	// must be closed before it runs again.
	stmts map[string]*sql.Stmt
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
func (x *tx) queryRow(ctx context.Context, q string, args ...any) scanner {
	st, err := x.stmt(ctx, q)
	if err != nil {
		return errScanner{err}
	}
	return st.QueryRowContext(ctx, args...)
}

// errScanner is a row that failed before it was read.
type errScanner struct{ err error }

func (e errScanner) Scan(...any) error { return e.err }

var _ store.Tx = (*tx)(nil)

var (
	errDone     = errors.New("sqlite: the transaction is over: use the Tx only inside the function given to Read or Write")
	errReadOnly = errors.New("sqlite: a change was attempted inside Store.Read; changes belong in Store.Write")
)

func (x *tx) check(write bool) error {
	switch {
	case x.done:
		return errDone
	case write && !x.write:
		return errReadOnly
	}
	return nil
}

// queryTasks runs a query whose columns are taskColumns.
func (x *tx) queryTasks(ctx context.Context, query string, args ...any) ([]*backlog.Task, error) {
	rows, err := x.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ts []*backlog.Task
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	return ts, rows.Err()
}

// Task implements store.Tx.
func (x *tx) Task(ctx context.Context, id int64) (*backlog.Task, error) {
	if err := x.check(false); err != nil {
		return nil, err
	}
	if id <= 0 {
		return nil, backlog.NotFoundf("no task with id %d", id)
	}
	t, err := scanTask(x.queryRow(ctx, "SELECT "+taskColumns+" FROM tasks t WHERE t.id = ? AND t.id > 0", id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, backlog.NotFoundf("no task with id %d", id)
	case err != nil:
		return nil, fmt.Errorf("sqlite: load task %d: %w", id, err)
	}
	return t, nil
}

// TaskByUUID implements store.Tx.
func (x *tx) TaskByUUID(ctx context.Context, uuid string) (*backlog.Task, error) {
	if err := x.check(false); err != nil {
		return nil, err
	}
	t, err := scanTask(x.queryRow(ctx, "SELECT "+taskColumns+" FROM tasks t WHERE t.uuid = ?", uuid))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, backlog.NotFoundf("no task with UUID %s", uuid)
	case err != nil:
		return nil, fmt.Errorf("sqlite: load task %s: %w", uuid, err)
	}
	return t, nil
}

// TasksByUUIDPrefix implements store.Tx. A limit <= 0 means no limit.
func (x *tx) TasksByUUIDPrefix(ctx context.Context, prefix string, limit int) ([]*backlog.Task, error) {
	if err := x.check(false); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	w := sqlstore.PrefixOf(dialect{}, "t.uuid", prefix)
	ts, err := x.queryTasks(ctx, "SELECT "+taskColumns+" FROM tasks t WHERE "+w.SQL+" ORDER BY t.id, t.uuid LIMIT ?",
		append(w.Args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: tasks with UUID prefix %q: %w", prefix, err)
	}
	return ts, nil
}

// Select implements store.Tx: the rows of the pushed-down WHERE, checked
// again with the evaluator.
func (x *tx) Select(ctx context.Context, q store.Query) ([]*backlog.Task, error) {
	if err := x.check(false); err != nil {
		return nil, err
	}
	w := compileWhere(q.Filter, q.Now)
	var ts []*backlog.Task
	var err error
	if q.Top > 0 && w.Exact {
		// Only when SQL selects exactly: a superset cut short could lose
		// a task that ranks first.
		ts, err = x.ranked(ctx, w, q)
	} else {
		ts, err = x.queryTasks(ctx, "SELECT "+taskColumns+" FROM tasks t WHERE "+w.SQL, w.Args...)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: select tasks (%s): %w", filterText(q.Filter), err)
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
	// Rows come in the order of the index SQLite picked; sorting them here
	// is cheaper than SQLite's sorter, which copies every row.
	slices.SortFunc(ts, func(a, b *backlog.Task) int {
		if c := cmp.Compare(a.ID, b.ID); c != 0 {
			return c
		}
		return strings.Compare(a.UUID, b.UUID)
	})
	return ts, nil
}

// Count implements store.Tx: COUNT(*) in SQL when the whole filter
// translated exactly, else the length of Select.
func (x *tx) Count(ctx context.Context, q store.Query) (int, error) {
	if err := x.check(false); err != nil {
		return 0, err
	}
	w := compileWhere(q.Filter, q.Now)
	if !w.Exact {
		ts, err := x.Select(ctx, q)
		return len(ts), err
	}
	var n int
	if err := x.tx.QueryRowContext(ctx, "SELECT count(*) FROM tasks t WHERE "+w.SQL, w.Args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count tasks (%s): %w", filterText(q.Filter), err)
	}
	return n, nil
}

func filterText(e filter.Expr) string {
	if e == nil {
		return "all"
	}
	return e.String()
}

// Graph implements store.Tx from the dependency rows alone, which carry the
// liveness and id of both ends, and the highest id.
func (x *tx) Graph(ctx context.Context) (backlog.Graph, error) {
	if err := x.check(false); err != nil {
		return nil, err
	}
	live, blocking, ids := map[string]bool{}, map[string]bool{}, map[string]int64{}
	rows, err := x.tx.QueryContext(ctx, "SELECT dep_uuid, dep_id, dep_live, owner_live FROM task_deps")
	if err != nil {
		return nil, fmt.Errorf("sqlite: dependency graph: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var uuid string
		var id int64
		var depLive, ownerLive bool
		if err := rows.Scan(&uuid, &id, &depLive, &ownerLive); err != nil {
			return nil, fmt.Errorf("sqlite: dependency graph: %w", err)
		}
		if depLive {
			live[uuid] = true
		}
		if ownerLive {
			blocking[uuid] = true
		}
		if id > 0 {
			ids[uuid] = id
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: dependency graph: %w", err)
	}
	var latest int64
	if err := x.queryRow(ctx, "SELECT IFNULL(MAX(id), 0) FROM tasks WHERE id > 0").Scan(&latest); err != nil {
		return nil, fmt.Errorf("sqlite: latest id: %w", err)
	}
	return backlog.NewGraph(live, blocking, ids, latest), nil
}

// UDAs implements store.Tx from the table of names kept by Insert and Update.
func (x *tx) UDAs(ctx context.Context) (map[string]filter.UDAKind, error) {
	if err := x.check(false); err != nil {
		return nil, err
	}
	rows, err := x.tx.QueryContext(ctx, "SELECT name, types FROM udas")
	if err != nil {
		return nil, fmt.Errorf("sqlite: user-defined attributes: %w", err)
	}
	defer rows.Close()
	out := map[string]filter.UDAKind{}
	for rows.Next() {
		var name string
		var types int
		if err := rows.Scan(&name, &types); err != nil {
			return nil, fmt.Errorf("sqlite: user-defined attributes: %w", err)
		}
		out[name] = sqlcodec.UDAKind(types)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: user-defined attributes: %w", err)
	}
	return out, nil
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
			WHERE status IN ('pending', 'recurring') AND project != ''
			GROUP BY project ORDER BY project`
	case store.Tags:
		what = "tags"
		query = `SELECT g.tag, count(*) FROM task_tags g JOIN tasks t ON t.tid = g.task_id
			WHERE t.status IN ('pending', 'recurring')
			GROUP BY g.tag ORDER BY g.tag`
	default:
		return nil, fmt.Errorf("sqlite: unknown kind of name %d", kind)
	}
	rows, err := x.tx.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("sqlite: count %s: %w", what, err)
	}
	defer rows.Close()
	out := []store.NameCount{}
	for rows.Next() {
		var nc store.NameCount
		if err := rows.Scan(&nc.Name, &nc.Count); err != nil {
			return nil, fmt.Errorf("sqlite: count %s: %w", what, err)
		}
		out = append(out, nc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: count %s: %w", what, err)
	}
	return out, nil
}

// dependentsSQL selects the live tasks that depend on a UUID. NOT INDEXED:
// the few are found by row id from task_deps; left to itself the planner
// reads every pending task through the status index instead.
const dependentsSQL = "SELECT " + taskColumns + ` FROM tasks t NOT INDEXED
	WHERE t.status = 'pending' AND t.tid IN (SELECT task_id FROM task_deps WHERE dep_uuid = ?)
	ORDER BY t.id, t.uuid`

// Dependents implements store.Tx.
func (x *tx) Dependents(ctx context.Context, uuid string) ([]*backlog.Task, error) {
	if err := x.check(false); err != nil {
		return nil, err
	}
	ts, err := x.queryTasks(ctx, dependentsSQL, uuid)
	if err != nil {
		return nil, fmt.Errorf("sqlite: tasks depending on %s: %w", uuid, err)
	}
	return ts, nil
}

// NextID implements store.Tx: the counter only grows, so ids are never
// reused, whatever is purged.
func (x *tx) NextID(ctx context.Context) (int64, error) {
	if err := x.check(true); err != nil {
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
	if err := x.check(true); err != nil {
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
	if err := x.check(true); err != nil {
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
	if err := x.check(true); err != nil {
		return err
	}
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

// Doc implements store.Tx.
func (x *tx) Doc(ctx context.Context, uuid string) (string, error) {
	if err := x.check(false); err != nil {
		return "", err
	}
	var id int64
	var content *string
	err := x.queryRow(ctx, `SELECT t.id, d.content FROM tasks t
		LEFT JOIN docs d ON d.task_uuid = t.uuid WHERE t.uuid = ?`, uuid).Scan(&id, &content)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", backlog.NotFoundf("no task with UUID %s", uuid)
	case err != nil:
		return "", fmt.Errorf("sqlite: doc of task %s: %w", uuid, err)
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
	res, err := x.exec(ctx, `INSERT INTO docs (task_uuid, content)
		SELECT uuid, ? FROM tasks WHERE uuid = ?
		ON CONFLICT (task_uuid) DO UPDATE SET content = excluded.content`, content, uuid)
	if err != nil {
		return fmt.Errorf("sqlite: write the doc of task %s: %w", uuid, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlite: write the doc of task %s: %w", uuid, err)
	} else if n == 0 {
		return backlog.NotFoundf("no task with UUID %s", uuid)
	}
	return nil
}

// DeleteDoc implements store.Tx.
func (x *tx) DeleteDoc(ctx context.Context, uuid string) error {
	if err := x.check(true); err != nil {
		return err
	}
	if _, err := x.exec(ctx, "DELETE FROM docs WHERE task_uuid = ?", uuid); err != nil {
		return fmt.Errorf("sqlite: delete the doc of task %s: %w", uuid, err)
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

// Append implements store.Tx. The entry's time is kept to the second.
func (x *tx) Append(ctx context.Context, e *store.Entry) error {
	if err := x.check(true); err != nil {
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

// LatestUndoable implements store.Tx.
func (x *tx) LatestUndoable(ctx context.Context, agent string) (*store.Entry, error) {
	if err := x.check(false); err != nil {
		return nil, err
	}
	e, err := scanEntry(x.queryRow(ctx, "SELECT "+entryColumns+` FROM journal
		WHERE agent = ? AND command != 'undo' AND undone_by = 0 ORDER BY seq DESC LIMIT 1`, agent))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("sqlite: latest journal entry of %s: %w", agent, err)
	}
	return e, nil
}

// Entries implements store.Tx.
func (x *tx) Entries(ctx context.Context, after int64, uuid string, limit int) ([]*store.Entry, error) {
	if err := x.check(false); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = -1
	}
	var rows *sql.Rows
	var err error
	if uuid == "" {
		rows, err = x.tx.QueryContext(ctx, "SELECT "+entryColumns+` FROM journal
			WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
	} else {
		rows, err = x.tx.QueryContext(ctx, "SELECT "+entryColumns+` FROM journal
			WHERE seq IN (SELECT seq FROM journal_tasks WHERE uuid = ? AND seq > ?) ORDER BY seq LIMIT ?`, uuid, after, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: journal of task %s: %w", uuid, err)
	}
	defer rows.Close()
	var out []*store.Entry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: journal of task %s: %w", uuid, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: journal of task %s: %w", uuid, err)
	}
	return out, nil
}

// TryLock implements store.Tx: a write transaction holds the database's
// write lock from its start, so no other transaction can hold the task.
func (x *tx) TryLock(ctx context.Context, uuid string) (bool, error) {
	if err := x.check(true); err != nil {
		return false, err
	}
	return true, nil
}

// MarkUndone implements store.Tx.
func (x *tx) MarkUndone(ctx context.Context, seq, by int64) error {
	if err := x.check(true); err != nil {
		return err
	}
	res, err := x.exec(ctx, "UPDATE journal SET undone_by = ? WHERE seq = ?", by, seq)
	if err != nil {
		return fmt.Errorf("sqlite: mark journal entry %d undone: %w", seq, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlite: mark journal entry %d undone: %w", seq, err)
	} else if n == 0 {
		return backlog.NotFoundf("no journal entry %d", seq)
	}
	return nil
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
