package postgres

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store/sqlcodec"
)

// taskColumns are the columns a task is loaded from, in scanTask's order,
// qualified with the alias t.
const taskColumns = `t.id, t.uuid, t.description, t.status, t.project, t.priority, t.tags,
	t.due_at, t.scheduled_at, t.wait_at, t.until_at, t.recur, t.parent, t.mask, t.depends,
	t.agent, t.annotations, t.has_doc, t.entry_at, t.modified_at, t.start_at, t.end_at, t.extra,
	t.lease, t.lease_until_at, t.source`

// writeColumns are the columns Insert and Update write, in taskArgs' order.
var writeColumns = []string{
	"id", "uuid", "description", "status", "project", "priority", "tags",
	"due_at", "scheduled_at", "wait_at", "until_at", "recur", "parent", "mask", "depends",
	"agent", "annotations", "has_doc", "entry_at", "modified_at", "start_at", "end_at", "extra",
	"lease", "lease_until_at", "source", "source_type", "source_key",
	"search",
}

// insertSQL writes a new task ($1 the backlog, then writeColumns), the
// rows of its dependencies, and the id and liveness of the task on the
// rows of the tasks that depend on it. It returns no row when the UUID or
// the id is taken.
var insertSQL = func() string {
	ps := make([]string, len(writeColumns))
	for i := range ps {
		ps[i] = fmt.Sprintf("$%d", i+2)
	}
	return `WITH ins AS (INSERT INTO tasks (backlog, ` + strings.Join(writeColumns, ", ") + `) VALUES ($1, ` +
		strings.Join(ps, ", ") + `) ON CONFLICT DO NOTHING RETURNING tid, id, uuid, status, depends),
	deps AS (INSERT INTO task_deps (backlog, task_tid, dep_uuid, owner_live, dep_id, dep_live)
		SELECT $1, ins.tid, d.dep, ins.status = 'pending', coalesce(greatest(x.id, 0), 0), coalesce(x.status = 'pending', false)
		FROM ins CROSS JOIN LATERAL unnest(ins.depends) AS d(dep)
		LEFT JOIN tasks x ON x.backlog = $1 AND x.uuid = d.dep
		ON CONFLICT DO NOTHING),
	marks AS (UPDATE task_deps e SET dep_id = greatest(ins.id, 0), dep_live = ins.status = 'pending'
		FROM ins WHERE e.backlog = $1 AND e.dep_uuid = ins.uuid
		AND (e.dep_id <> greatest(ins.id, 0) OR e.dep_live <> (ins.status = 'pending'))),
	refs AS (INSERT INTO task_refs (backlog, uuid)
		SELECT DISTINCT $1::bigint, r.uuid FROM (
			SELECT ins.uuid FROM ins
			UNION ALL
			SELECT d.dep FROM ins CROSS JOIN LATERAL unnest(ins.depends) AS d(dep)
			WHERE NOT EXISTS (SELECT 1 FROM tasks x WHERE x.backlog = $1 AND x.uuid = d.dep)) AS r
		ON CONFLICT (backlog, uuid) DO UPDATE SET writes = task_refs.writes + 1)
	SELECT tid FROM ins`
}()

// updateSQL replaces a task whole ($1 the backlog, then writeColumns, the
// uuid, $3, being the key), unless another task holds its new id. It
// returns the row and what the task was: id, status, dependencies, parent.
var updateSQL = func() string {
	var set []string
	for i, c := range writeColumns {
		if c != "uuid" {
			set = append(set, fmt.Sprintf("%s = $%d", c, i+2))
		}
	}
	return `WITH old AS (SELECT tid, id, status, depends, parent FROM tasks WHERE backlog = $1 AND uuid = $3)
		UPDATE tasks t SET ` + strings.Join(set, ", ") + ` FROM old
		WHERE t.tid = old.tid AND ($2 <= 0 OR $2 = old.id OR NOT EXISTS
			(SELECT 1 FROM tasks c WHERE c.backlog = $1 AND c.id = $2 AND c.tid <> old.tid))
		RETURNING t.tid, old.id, old.status, old.depends, old.parent`
}()

// insertDepsSQL writes the dependency rows of a task ($2 its row, $3
// whether it is live, $4 its dependencies), with the id and liveness of
// each task depended on.
const insertDepsSQL = `INSERT INTO task_deps (backlog, task_tid, dep_uuid, owner_live, dep_id, dep_live)
	SELECT $1, $2, d.dep, $3, coalesce(greatest(x.id, 0), 0), coalesce(x.status = 'pending', false)
	FROM unnest($4::text[]) AS d(dep) LEFT JOIN tasks x ON x.backlog = $1 AND x.uuid = d.dep
	ON CONFLICT DO NOTHING`

// refsSQL records the dependencies ($2) whose tasks do not exist (see
// task_refs in the migration).
const refsSQL = `INSERT INTO task_refs (backlog, uuid)
	SELECT DISTINCT $1::bigint, d.dep FROM unnest($2::text[]) AS d(dep)
	WHERE NOT EXISTS (SELECT 1 FROM tasks x WHERE x.backlog = $1 AND x.uuid = d.dep)
	ON CONFLICT (backlog, uuid) DO UPDATE SET writes = task_refs.writes + 1`

// markSQL records the id ($3) and liveness ($4) of the task with the UUID
// ($2) on the rows of the tasks that depend on it.
const markSQL = `UPDATE task_deps SET dep_id = $3, dep_live = $4
	WHERE backlog = $1 AND dep_uuid = $2 AND (dep_id <> $3 OR dep_live <> $4)`

// zeroUnix is the unix second of the zero time.Time, which means "unset".
var zeroUnix = time.Time{}.Unix()

// dateArg is a date column's value: unix seconds (truncated), or NULL when
// the date is unset.
func dateArg(t time.Time) any {
	s := t.Unix()
	if t.IsZero() || s == zeroUnix {
		return nil
	}
	return s
}

// dateOf reads a date column.
func dateOf(v *int64) time.Time {
	if v == nil {
		return time.Time{}
	}
	return time.Unix(*v, 0).UTC()
}

// annotationJSON is how an annotation is kept in the annotations column.
type annotationJSON struct {
	Entry       int64  `json:"entry"`
	Description string `json:"description"`
}

// searchText is what text search looks at: the folded description and
// annotations, one per line (neither may hold a newline), exactly as the
// SQLite store builds it.
func searchText(t *backlog.Task) string {
	if len(t.Annotations) == 0 {
		return filter.Fold(sqlcodec.ValidText(t.Description))
	}
	var b strings.Builder
	b.WriteString(filter.Fold(sqlcodec.ValidText(t.Description)))
	for _, a := range t.Annotations {
		b.WriteByte('\n')
		b.WriteString(filter.Fold(sqlcodec.ValidText(a.Description)))
	}
	return b.String()
}

// checkStorable rejects text PostgreSQL cannot hold: the NUL character.
// (Invalid UTF-8 is stored as encoding/json would write it: see sqlcodec.ValidText.)
func checkStorable(t *backlog.Task) error {
	bad := func(field string) error {
		return backlog.Invalidf("task %s: PostgreSQL cannot store the NUL character (U+0000), found in its %s", t.Ref(), field)
	}
	for _, f := range []struct{ name, v string }{
		{"description", t.Description}, {"project", t.Project}, {"recur", t.Recur},
		{"parent", t.Parent}, {"mask", t.Mask}, {"agent", t.Agent}, {"uuid", t.UUID},
	} {
		if strings.IndexByte(f.v, 0) >= 0 {
			return bad(f.name)
		}
	}
	for _, tag := range t.Tags {
		if strings.IndexByte(tag, 0) >= 0 {
			return bad("tags")
		}
	}
	for _, d := range t.Depends {
		if strings.IndexByte(d, 0) >= 0 {
			return bad("depends")
		}
	}
	for _, a := range t.Annotations {
		if strings.IndexByte(a.Description, 0) >= 0 {
			return bad("annotations")
		}
	}
	for k, v := range t.Extra {
		if s, ok := v.(string); strings.IndexByte(k, 0) >= 0 || ok && strings.IndexByte(s, 0) >= 0 {
			return bad("user-defined attribute " + sqlcodec.ValidText(k))
		}
	}
	return nil
}

// taskArgs are the values of writeColumns for t.
func taskArgs(t *backlog.Task) ([]any, error) {
	if err := checkStorable(t); err != nil {
		return nil, err
	}
	var anns any
	if len(t.Annotations) > 0 {
		as := make([]annotationJSON, len(t.Annotations))
		for i, a := range t.Annotations {
			as[i] = annotationJSON{Entry: a.Entry.Unix(), Description: a.Description}
		}
		b, err := sqlcodec.Marshal(as)
		if err != nil {
			return nil, err
		}
		anns = b
	}
	var extra any
	if len(t.Extra) > 0 {
		b, err := sqlcodec.Marshal(t.Extra)
		if err != nil {
			return nil, fmt.Errorf("user-defined attributes of task %s: %w", t.Ref(), err)
		}
		extra = b
	}
	var src, srcKey any
	srcType := ""
	if t.Source != nil {
		b, err := sqlcodec.Marshal(t.Source)
		if err != nil {
			return nil, err
		}
		src, srcType, srcKey = sqlcodec.ValidText(b), sqlcodec.ValidText(t.Source.Type), sqlcodec.ValidText(t.Source.Key())
	}
	return []any{
		t.ID, sqlcodec.ValidText(t.UUID), sqlcodec.ValidText(t.Description), sqlcodec.ValidText(string(t.Status)), sqlcodec.ValidText(t.Project),
		sqlcodec.ValidText(string(t.Priority)), textList(t.Tags),
		dateArg(t.Due), dateArg(t.Scheduled), dateArg(t.Wait), dateArg(t.Until),
		sqlcodec.ValidText(t.Recur), sqlcodec.ValidText(t.Parent), sqlcodec.ValidText(t.Mask), textList(t.Depends),
		sqlcodec.ValidText(t.Agent), anns, t.HasDoc, dateArg(t.Entry), dateArg(t.Modified), dateArg(t.Start), dateArg(t.End), extra,
		int64(t.Lease / time.Second), dateArg(t.LeaseUntil), src, srcType, srcKey,
		searchText(t),
	}, nil
}

// textList is a list column's value: a text[], or NULL when empty.
func textList(vs []string) any {
	if len(vs) == 0 {
		return nil
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = sqlcodec.ValidText(v)
	}
	return out
}

// scanner is pgx.Row or pgx.Rows.
type scanner interface{ Scan(dest ...any) error }

// scanTask reads a row of taskColumns.
func scanTask(sc scanner) (*backlog.Task, error) {
	var (
		t                           backlog.Task
		status, priority            string
		anns, extra                 []byte
		due, sched, wait, until     *int64
		entry, modified, start, end *int64
		lease                       int64
		leaseUntil                  *int64
		source                      *string
	)
	err := sc.Scan(&t.ID, &t.UUID, &t.Description, &status, &t.Project, &priority, &t.Tags,
		&due, &sched, &wait, &until, &t.Recur, &t.Parent, &t.Mask, &t.Depends,
		&t.Agent, &anns, &t.HasDoc, &entry, &modified, &start, &end, &extra,
		&lease, &leaseUntil, &source)
	if err != nil {
		return nil, err
	}
	if source != nil && *source != "" {
		t.Source = new(backlog.Source)
		if err := json.Unmarshal([]byte(*source), t.Source); err != nil {
			return nil, fmt.Errorf("source of task %s: %w", t.UUID, err)
		}
	}
	t.Lease, t.LeaseUntil = time.Duration(lease)*time.Second, dateOf(leaseUntil)
	t.Status, t.Priority = backlog.Status(status), backlog.Priority(priority)
	t.Due, t.Scheduled, t.Wait, t.Until = dateOf(due), dateOf(sched), dateOf(wait), dateOf(until)
	t.Entry, t.Modified, t.Start, t.End = dateOf(entry), dateOf(modified), dateOf(start), dateOf(end)
	if len(t.Tags) == 0 {
		t.Tags = nil
	}
	if len(t.Depends) == 0 {
		t.Depends = nil
	}
	if len(anns) > 0 {
		var as []annotationJSON
		if err := json.Unmarshal(anns, &as); err != nil {
			return nil, fmt.Errorf("annotations of task %s: %w", t.UUID, err)
		}
		t.Annotations = make([]backlog.Annotation, len(as))
		for i, a := range as {
			t.Annotations[i] = backlog.Annotation{Entry: time.Unix(a.Entry, 0).UTC(), Description: a.Description}
		}
	}
	if len(extra) > 0 {
		if err := json.Unmarshal(extra, &t.Extra); err != nil {
			return nil, fmt.Errorf("user-defined attributes of task %s: %w", t.UUID, err)
		}
	}
	return &t, nil
}
