package sqlstore

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
)

// Conn runs the statements of one transaction for the methods of Tx. They
// are written with ? placeholders and scoped to the backlog by Scope: a
// store whose database holds many backlogs binds them (see
// Dialect.Namespace).
type Conn interface {
	// Exec runs a statement that returns no rows, and counts the rows it
	// changed.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	// Query runs a statement that returns rows; the caller closes them.
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	// QueryRow runs a statement that returns at most one row: its Scan
	// fails with an error matching sql.ErrNoRows when there is none.
	QueryRow(ctx context.Context, query string, args ...any) Row
	// Failed is the error that aborted the transaction, after which every
	// statement fails (PostgreSQL's way), or nil.
	Failed() error
}

// Rows are the rows of a query.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close() error
}

// Row is one row of a query.
type Row interface{ Scan(dest ...any) error }

// Tx is a store.Tx over one transaction of a SQL database: the methods
// written once for both databases. Each store's own transaction embeds it
// and adds what its database does its own way (NextID, Insert, Update,
// Purge, Append, TryLock, Tally), which Tx reaches through Self.
type Tx struct {
	Conn Conn
	// Self is the store's own transaction, which Tx calls for the
	// methods the store writes.
	Self  store.Tx
	sql   *Statements
	d     Dialect
	tr    *Traits
	write bool // inside Store.Write
	done  bool // fn has returned: the transaction is over
	graph backlog.Graph
	// Ranked, when set, selects at least the first q.Top tasks of the
	// exact WHERE w by q.Rank (SQLite's ranked walk); else Select reads
	// every match and the engine ranks them.
	Ranked func(ctx context.Context, w Where, q store.Query) ([]*backlog.Task, error)
	// Tallied counts the tasks of the exact WHERE w by the key, each
	// group with its first ids ids, in the store's SQL: see store.Tx.Tally.
	Tallied func(ctx context.Context, w Where, q store.Query, by store.TallyKey, ids int) ([]store.Tally, error)
}

// NewTx begins the shared part of a transaction over c; write is whether
// it is one of Store.Write.
func (s *Statements) NewTx(c Conn, self store.Tx, write bool) *Tx {
	return &Tx{Conn: c, Self: self, sql: s, d: s.d, tr: &s.tr, write: write}
}

// End marks the transaction over: the function given to Read or Write has
// returned, and every later call fails.
func (x *Tx) End() { x.done = true }

// Check fails a call that comes after the transaction, a change inside a
// read, and any call after the database aborted the transaction.
func (x *Tx) Check(write bool) error {
	switch {
	case x.done:
		return fmt.Errorf("%s: the transaction is over: use the Tx only inside the function given to Read or Write", x.tr.Name)
	case write && !x.write:
		return fmt.Errorf("%s: a change was attempted inside Store.Read; changes belong in Store.Write", x.tr.Name)
	}
	return x.Conn.Failed()
}

// errorf wraps a failure of the database in the store's words.
func (x *Tx) errorf(format string, args ...any) error {
	return fmt.Errorf(x.tr.Name+": "+format, args...)
}

// ChangedGraph forgets the dependency graph Graph read: a write changed a
// dependency, a task's liveness or an id.
func (x *Tx) ChangedGraph() { x.graph = nil }

// collect reads every row with fn, and closes the rows.
func collect[T any](rows Rows, fn func(Rows) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := fn(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// QueryTasks runs a query whose columns are TaskColumns.
func (x *Tx) QueryTasks(ctx context.Context, q string, args ...any) ([]*backlog.Task, error) {
	rows, err := x.Conn.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r Rows) (*backlog.Task, error) { return x.sql.scanTask(r) })
}

// Task implements store.Tx.
func (x *Tx) Task(ctx context.Context, id int64) (*backlog.Task, error) {
	if err := x.Check(false); err != nil {
		return nil, err
	}
	if id <= 0 {
		return nil, backlog.NotFoundf("no task with id %d", id)
	}
	t, err := x.sql.scanTask(x.Conn.QueryRow(ctx, x.sql.taskByID, id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, backlog.NotFoundf("no task with id %d", id)
	case err != nil:
		return nil, x.errorf("load task %d: %w", id, err)
	}
	return t, nil
}

// TaskByUUID implements store.Tx.
func (x *Tx) TaskByUUID(ctx context.Context, uuid string) (*backlog.Task, error) {
	if err := x.Check(false); err != nil {
		return nil, err
	}
	if !x.tr.Storable(uuid) {
		return nil, backlog.NotFoundf("no task with UUID %s", uuid)
	}
	t, err := x.sql.scanTask(x.Conn.QueryRow(ctx, x.sql.taskByUUID, uuid))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, backlog.NotFoundf("no task with UUID %s", uuid)
	case err != nil:
		return nil, x.errorf("load task %s: %w", uuid, err)
	}
	return t, nil
}

// TasksByUUIDPrefix implements store.Tx. A limit <= 0 means no limit.
func (x *Tx) TasksByUUIDPrefix(ctx context.Context, prefix string, limit int) ([]*backlog.Task, error) {
	if err := x.Check(false); err != nil {
		return nil, err
	}
	if !x.tr.Storable(prefix) {
		return nil, nil
	}
	w := PrefixOf(x.d, "t.uuid", prefix)
	ts, err := x.QueryTasks(ctx, x.sql.selectTasks+w.SQL+" ORDER BY t.id, t.uuid LIMIT ?",
		append(w.Args, x.tr.Limit(limit))...)
	if err != nil {
		return nil, x.errorf("tasks with UUID prefix %q: %w", prefix, err)
	}
	return ts, nil
}

// Select implements store.Tx: the rows of the pushed-down WHERE, checked
// again with the evaluator.
func (x *Tx) Select(ctx context.Context, q store.Query) ([]*backlog.Task, error) {
	if err := x.Check(false); err != nil {
		return nil, err
	}
	w := Compile(x.d, q.Filter, q.Now)
	var ts []*backlog.Task
	var err error
	if q.Top > 0 && w.Exact && x.Ranked != nil {
		// Only when SQL selects exactly: a superset cut short could lose
		// a task that ranks first.
		ts, err = x.Ranked(ctx, w, q)
	} else {
		ts, err = x.QueryTasks(ctx, x.sql.selectTasks+w.SQL, w.Args...)
	}
	if err != nil {
		return nil, x.errorf("select tasks (%s): %w", filterText(q.Filter), err)
	}
	if q.Filter != nil {
		env := filter.Env{Now: q.Now}
		if filter.NeedsGraph(q.Filter) {
			if env.Graph, err = x.Self.Graph(ctx); err != nil {
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
	// Rows come in the order of the index the database picked; sorting
	// them here is cheaper than the database's sorter, which copies every
	// row.
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
func (x *Tx) Count(ctx context.Context, q store.Query) (int, error) {
	if err := x.Check(false); err != nil {
		return 0, err
	}
	w := Compile(x.d, q.Filter, q.Now)
	if !w.Exact {
		ts, err := x.Self.Select(ctx, q)
		return len(ts), err
	}
	var n int
	if err := x.Conn.QueryRow(ctx, x.sql.countTasks+w.SQL, w.Args...).Scan(&n); err != nil {
		return 0, x.errorf("count tasks (%s): %w", filterText(q.Filter), err)
	}
	return n, nil
}

// Tally implements store.Tx: one GROUP BY in SQL (the store's Tallied)
// when the whole filter translated exactly, else a count in Go over Select.
func (x *Tx) Tally(ctx context.Context, q store.Query, by store.TallyKey, ids int) ([]store.Tally, error) {
	if err := x.Check(false); err != nil {
		return nil, err
	}
	w := Compile(x.d, q.Filter, q.Now)
	if !w.Exact {
		ts, err := x.Self.Select(ctx, q)
		if err != nil {
			return nil, err
		}
		return store.TallyTasks(ts, q.Now, by, ids), nil
	}
	out, err := x.Tallied(ctx, w, q, by, ids)
	if err != nil {
		return nil, x.errorf("tally tasks (%s): %w", filterText(q.Filter), err)
	}
	store.SortTallies(out)
	return out, nil
}

// filterText names a filter in messages.
func filterText(e filter.Expr) string {
	if e == nil {
		return "all"
	}
	return e.String()
}

// Graph implements store.Tx from the dependency rows alone, which carry the
// liveness and id of both ends, and the highest id: one statement, kept
// until the transaction changes the graph (see ChangedGraph).
func (x *Tx) Graph(ctx context.Context) (backlog.Graph, error) {
	if err := x.Check(false); err != nil {
		return nil, err
	}
	if x.graph != nil {
		return x.graph, nil
	}
	live, blocking, ids := map[string]bool{}, map[string]bool{}, map[string]int64{}
	var latest int64
	rows, err := x.Conn.Query(ctx, x.sql.graph)
	if err != nil {
		return nil, x.errorf("dependency graph: %w", err)
	}
	_, err = collect(rows, func(r Rows) (struct{}, error) {
		var uuid sql.NullString
		var id int64
		var depLive, ownerLive bool
		if err := r.Scan(&uuid, &id, &depLive, &ownerLive); err != nil {
			return struct{}{}, err
		}
		if !uuid.Valid { // the row of the highest id
			latest = id
			return struct{}{}, nil
		}
		if depLive {
			live[uuid.String] = true
		}
		if ownerLive {
			blocking[uuid.String] = true
		}
		if id > 0 {
			ids[uuid.String] = id
		}
		return struct{}{}, nil
	})
	if err != nil {
		return nil, x.errorf("dependency graph: %w", err)
	}
	x.graph = backlog.NewGraph(live, blocking, ids, latest)
	return x.graph, nil
}

// UDATypes reads the table of user-defined attributes: each name with
// the bits of the JSON types its values have had (sqlcodec.UDAType).
func (x *Tx) UDATypes(ctx context.Context) (map[string]int, error) {
	rows, err := x.Conn.Query(ctx, x.sql.udas)
	if err != nil {
		return nil, x.errorf("user-defined attributes: %w", err)
	}
	out := map[string]int{}
	_, err = collect(rows, func(r Rows) (struct{}, error) {
		var name string
		var types int
		err := r.Scan(&name, &types)
		out[name] = types
		return struct{}{}, err
	})
	if err != nil {
		return nil, x.errorf("user-defined attributes: %w", err)
	}
	return out, nil
}

// UDAs implements store.Tx from the table of names kept by Insert and Update.
func (x *Tx) UDAs(ctx context.Context) (map[string]filter.UDAKind, error) {
	if err := x.Check(false); err != nil {
		return nil, err
	}
	types, err := x.UDATypes(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]filter.UDAKind, len(types))
	for name, t := range types {
		out[name] = sqlcodec.UDAKind(t)
	}
	return out, nil
}

// Names implements store.Tx.
func (x *Tx) Names(ctx context.Context, kind store.NameKind) ([]store.NameCount, error) {
	if err := x.Check(false); err != nil {
		return nil, err
	}
	var query, what string
	switch kind {
	case store.Projects:
		what, query = "projects", x.sql.projects
	case store.Tags:
		what, query = "tags", x.sql.tags
	default:
		return nil, x.errorf("unknown kind of name %d", kind)
	}
	out, err := x.nameCounts(ctx, query)
	if err != nil {
		return nil, x.errorf("count %s: %w", what, err)
	}
	return out, nil
}

// nameCounts reads rows of a name and a count; never nil.
func (x *Tx) nameCounts(ctx context.Context, query string, args ...any) ([]store.NameCount, error) {
	rows, err := x.Conn.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	out, err := collect(rows, func(r Rows) (store.NameCount, error) {
		var nc store.NameCount
		err := r.Scan(&nc.Name, &nc.Count)
		return nc, err
	})
	if out == nil && err == nil {
		out = []store.NameCount{}
	}
	return out, err
}

// Dependents implements store.Tx.
func (x *Tx) Dependents(ctx context.Context, uuid string) ([]*backlog.Task, error) {
	if err := x.Check(false); err != nil {
		return nil, err
	}
	if !x.tr.Storable(uuid) {
		return nil, nil
	}
	ts, err := x.QueryTasks(ctx, x.sql.dependents, uuid)
	if err != nil {
		return nil, x.errorf("tasks depending on %s: %w", uuid, err)
	}
	return ts, nil
}

// Doc implements store.Tx.
func (x *Tx) Doc(ctx context.Context, uuid string) (string, error) {
	if err := x.Check(false); err != nil {
		return "", err
	}
	if !x.tr.Storable(uuid) {
		return "", backlog.NotFoundf("no task with UUID %s", uuid)
	}
	var id int64
	var content sql.NullString
	err := x.Conn.QueryRow(ctx, x.sql.doc, uuid).Scan(&id, &content)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", backlog.NotFoundf("no task with UUID %s", uuid)
	case err != nil:
		return "", x.errorf("doc of task %s: %w", uuid, err)
	case !content.Valid:
		ref := uuid
		if id > 0 {
			ref = fmt.Sprint(id)
		}
		return "", backlog.NotFoundf("task %s has no doc", ref)
	}
	return content.String, nil
}

// SetDoc implements store.Tx. The task must exist; its has_doc field is
// the engine's to set.
func (x *Tx) SetDoc(ctx context.Context, uuid, content string) error {
	if err := x.Check(true); err != nil {
		return err
	}
	if err := x.tr.CheckText(content, "the doc"); err != nil {
		return err
	}
	if !x.tr.Storable(uuid) {
		return backlog.NotFoundf("no task with UUID %s", uuid)
	}
	n, err := x.Conn.Exec(ctx, x.sql.setDoc, x.tr.Text(content), uuid)
	switch {
	case err != nil:
		return x.errorf("write the doc of task %s: %w", uuid, err)
	case n == 0:
		return backlog.NotFoundf("no task with UUID %s", uuid)
	}
	return nil
}

// DeleteDoc implements store.Tx.
func (x *Tx) DeleteDoc(ctx context.Context, uuid string) error {
	if err := x.Check(true); err != nil || !x.tr.Storable(uuid) {
		return err
	}
	if _, err := x.Conn.Exec(ctx, x.sql.deleteDoc, uuid); err != nil {
		return x.errorf("delete the doc of task %s: %w", uuid, err)
	}
	return nil
}

// scanEntry reads a row of entryColumns.
func scanEntry(sc Row) (*store.Entry, error) {
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

// LatestUndoable implements store.Tx.
func (x *Tx) LatestUndoable(ctx context.Context, agent string) (*store.Entry, error) {
	if err := x.Check(false); err != nil || !x.tr.Storable(agent) {
		return nil, err
	}
	e, err := scanEntry(x.Conn.QueryRow(ctx, x.sql.latestUndoable, agent))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, x.errorf("latest journal entry of %s: %w", agent, err)
	}
	return e, nil
}

// Entries implements store.Tx.
func (x *Tx) Entries(ctx context.Context, after int64, uuid string, limit int) ([]*store.Entry, error) {
	if err := x.Check(false); err != nil {
		return nil, err
	}
	var rows Rows
	var err error
	switch {
	case uuid == "":
		rows, err = x.Conn.Query(ctx, x.sql.entries, after, x.tr.Limit(limit))
	case !x.tr.Storable(uuid):
		return nil, nil
	default:
		rows, err = x.Conn.Query(ctx, x.sql.entriesOf, uuid, after, x.tr.Limit(limit))
	}
	if err != nil {
		return nil, x.errorf("journal of task %s: %w", uuid, err)
	}
	out, err := collect(rows, func(r Rows) (*store.Entry, error) { return scanEntry(r) })
	if err != nil {
		return nil, x.errorf("journal of task %s: %w", uuid, err)
	}
	return out, nil
}

// MarkUndone implements store.Tx.
func (x *Tx) MarkUndone(ctx context.Context, seq, by int64) error {
	if err := x.Check(true); err != nil {
		return err
	}
	n, err := x.Conn.Exec(ctx, x.sql.markUndone, by, seq)
	switch {
	case err != nil:
		return x.errorf("mark journal entry %d undone: %w", seq, err)
	case n == 0:
		return backlog.NotFoundf("no journal entry %d", seq)
	}
	return nil
}
