package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/sqlcodec"
)

// BulkInsert stores many new tasks at once with COPY, in one write
// transaction: for importing a backlog from another store (backlog migrate)
// and for building benchmark data. The tasks keep their ids and UUIDs; the
// id counter and the UDA names follow them as Insert would make them. It
// journals nothing. A UUID or id that is taken fails the whole load.
func (s *Store) BulkInsert(ctx context.Context, tasks []*backlog.Task) error {
	return s.Write(ctx, func(t store.Tx) error {
		x := t.(*tx)
		rows := make([][]any, len(tasks))
		for i, task := range tasks {
			args, err := taskArgs(task)
			if err != nil {
				return err
			}
			rows[i] = append([]any{s.backlog}, args...)
		}
		_, err := x.q.CopyFrom(ctx, pgx.Identifier{"tasks"}, append([]string{"backlog"}, writeColumns...), pgx.CopyFromRows(rows))
		if x.note(err) != nil {
			return fmt.Errorf("postgres: load %d tasks: %w", len(tasks), err)
		}
		// The planner must know the new rows before the joins below.
		if len(tasks) >= 1000 {
			if _, err := x.exec(ctx, "ANALYZE tasks"); err != nil {
				return fmt.Errorf("postgres: load %d tasks: %w", len(tasks), err)
			}
		}
		x.ChangedGraph()
		uuids := make([]string, len(tasks))
		for i, task := range tasks {
			uuids[i] = sqlcodec.ValidText(task.UUID)
			x.wrote(task, nil, "")
		}
		// The dependency rows of the new tasks, then the id and liveness of
		// the new tasks on the rows of the tasks that depend on them.
		b := &pgx.Batch{}
		b.Queue(`INSERT INTO task_deps (backlog, task_tid, dep_uuid, owner_live, dep_id, dep_live)
			SELECT $1, t.tid, d.dep, t.status = 'pending', coalesce(greatest(x.id, 0), 0), coalesce(x.status = 'pending', false)
			FROM unnest($2::text[]) AS n(uuid)
			JOIN tasks t ON t.backlog = $1 AND t.uuid = n.uuid
			CROSS JOIN LATERAL unnest(t.depends) AS d(dep)
			LEFT JOIN tasks x ON x.backlog = $1 AND x.uuid = d.dep
			ON CONFLICT DO NOTHING`, s.backlog, uuids)
		b.Queue(`INSERT INTO task_refs (backlog, uuid)
			SELECT DISTINCT $1::bigint, r.uuid FROM (
				SELECT n.uuid FROM unnest($2::text[]) AS n(uuid)
				UNION ALL
				SELECT d.dep_uuid FROM task_deps d WHERE d.backlog = $1 AND d.dep_id = 0 AND NOT d.dep_live
					AND NOT EXISTS (SELECT 1 FROM tasks x WHERE x.backlog = $1 AND x.uuid = d.dep_uuid)) AS r
			ON CONFLICT (backlog, uuid) DO UPDATE SET writes = task_refs.writes + 1`, s.backlog, uuids)
		b.Queue(`UPDATE task_deps e SET dep_id = greatest(x.id, 0), dep_live = x.status = 'pending'
			FROM unnest($2::text[]) AS n(uuid) JOIN tasks x ON x.backlog = $1 AND x.uuid = n.uuid
			WHERE e.backlog = $1 AND e.dep_uuid = n.uuid
			AND (e.dep_id <> greatest(x.id, 0) OR e.dep_live <> (x.status = 'pending'))`, s.backlog, uuids)
		if err := x.note(x.q.SendBatch(ctx, b).Close()); err != nil {
			return fmt.Errorf("postgres: load %d tasks: %w", len(tasks), err)
		}
		return nil
	})
}
