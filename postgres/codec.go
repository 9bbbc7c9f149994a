package postgres

import (
	"fmt"
	"strings"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/store/sqlcodec"
	"github.com/agent-backlog/backlog/store/sqlstore"
)

// writeColumns are the columns Insert and Update write, in taskArgs' order.
var writeColumns = sqlstore.WriteColumns

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
	return traits.TaskArgs(t)
}
