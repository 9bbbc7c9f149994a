package postgres

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store/sqlstore"
)

// TestQueryPlans checks that the compiled conditions can use the indexes
// they were designed for: that operators, types and collations match the
// indexes. (Which plan PostgreSQL picks depends on the data: on a small
// table it rightly reads the backlog's rows by their backlog; the
// benchmarks show the plans on 100,000 tasks. Here sequential scans are
// off and the backlog's own condition is left out, so that a condition
// that can use its index shows it.)
func TestQueryPlans(t *testing.T) {
	s := openTest(t)
	addTasks(t, s, 20, "planned")
	for _, c := range []struct {
		filter, query string
		want          []string
	}{
		{"", "SELECT count(*)", []string{"tasks_status"}},
		{"+READY", "SELECT count(*)", []string{"tasks_status", "task_deps_blocked"}},
		{"+BLOCKING", "SELECT t.id", []string{"task_deps_blocking"}},
		{"status.any: +bug", "SELECT t.id", []string{"tasks_tags"}},
		{"status.any: tags:bug,ux", "SELECT t.id", []string{"tasks_tags"}},
		{"status.any: login", "SELECT t.id", []string{"tasks_search"}},
		{"status.any: 12", "SELECT t.id", []string{"tasks_id"}},
		{"status.any: a1b2c3d4", "SELECT t.id", []string{"tasks_uuid"}},
		{"status.any: depends:a1b2c3d4", "SELECT t.id", []string{"task_deps_dep"}},
		{"status.any: due.before:2026-03-01", "SELECT t.id", []string{"tasks_due"}},
		{"status.any: agent:back", "SELECT t.id", []string{"tasks_agent"}},
	} {
		e, err := filter.Parse(c.filter, filter.Options{Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		w := compileWhere(filter.DefaultScope(e), clock)
		w.SQL = number(w.SQL, 2)
		checkPlan(t, s, c.query+" FROM tasks t WHERE $1::bigint IS NOT NULL AND "+w.SQL, append([]any{s.backlog}, w.Args...), c.want...)
	}
	checkPlan(t, s, "SELECT "+sqlstore.TaskColumns+` FROM tasks t
		WHERE t.backlog = $1 AND t.status = 'pending'
			AND t.tid IN (SELECT task_tid FROM task_deps WHERE backlog = $1 AND dep_uuid = $2)`, []any{s.backlog, uuid1}, "task_deps_dep")
	checkPlan(t, s, "SELECT "+sqlstore.EntryColumns+` FROM journal
		WHERE backlog = $1 AND agent = $2 AND command <> 'undo' AND undone_by = 0 ORDER BY seq DESC LIMIT 1`, []any{s.backlog, "a"},
		"journal_undoable")
	checkPlan(t, s, "SELECT "+sqlstore.EntryColumns+` FROM journal
		WHERE backlog = $1 AND seq IN (SELECT seq FROM journal_tasks WHERE backlog = $1 AND uuid = $2 AND seq > $3) ORDER BY seq`,
		[]any{s.backlog, "u", 1}, "journal_tasks_pkey")
}

func checkPlan(t *testing.T, s *Store, query string, args []any, want ...string) {
	t.Helper()
	ctx := context.Background()
	var plan []string
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, "EXPLAIN "+query, args...)
		if err != nil {
			return err
		}
		plan, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	text := strings.Join(plan, "\n")
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s\nplan lacks %q:\n%s", query, w, text)
		}
	}
}
