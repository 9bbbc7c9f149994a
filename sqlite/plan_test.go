package sqlite

import (
	"context"
	"strings"
	"testing"

	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store/sqlstore"
)

// TestQueryPlans checks that the common lists use the indexes they were
// designed for.
func TestQueryPlans(t *testing.T) {
	s := openTest(t)
	for _, c := range []struct {
		filter, query string
		want          []string
	}{
		{"", "SELECT count(*)", []string{"COVERING INDEX tasks_status"}},
		{"+OVERDUE", "SELECT count(*)", []string{"INDEX tasks_status_due (status=? AND due_at>? AND due_at<?)"}},
		{"+WEEK", "SELECT t.id", []string{"INDEX tasks_status_due (status=? AND due_at>? AND due_at<?)"}},
		{"+WAITING", "SELECT count(*)", []string{"tasks_status_wait (status=? AND wait_at>?)"}},
		{"+ACTIVE or +CLAIMED", "SELECT t.id", []string{"tasks_status_start (status=? AND start_at>?)", "tasks_status_agent (status=?)"}},
		{"+READY", "SELECT count(*)", []string{"COVERING INDEX tasks_status (status=?)", "task_deps_blocked"}},
		{"project:web +bug", "SELECT t.id", []string{"INDEX tasks_status (status=? AND project>? AND project<?)", "EXISTS USING PRIMARY KEY (task_id=? AND tag=?)"}},
		{"+bug", "SELECT t.id", []string{"EXISTS USING PRIMARY KEY (task_id=? AND tag=?)"}},
		{"login", "SELECT t.id", []string{"task_fts VIRTUAL TABLE"}},
		{"12", "SELECT t.id", []string{"tasks_id (id=?)"}},
		{"status.any: a1b2c3d4", "SELECT t.id", []string{"tasks_uuid (uuid>? AND uuid<?)"}},
		{"status.any: due.before:2026-03-01", "SELECT t.id", []string{"USING INDEX tasks_due"}},
		{"status.any: agent:back", "SELECT t.id", []string{"tasks_agent (agent>? AND agent<?)"}},
	} {
		e, err := filter.Parse(c.filter, filter.Options{Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		w := compileWhere(filter.DefaultScope(e), clock)
		checkPlan(t, s, c.query+" FROM tasks t WHERE "+w.SQL, w.Args, c.want...)
	}
	checkPlan(t, s, dependentsSQL, []any{"u"}, "SEARCH t USING INTEGER PRIMARY KEY (rowid=?)")
	// The ranked walk reads its index alone, in the index's order.
	e, err := filter.Parse("+READY agent.none: project:web", filter.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	w := compileWhere(e, clock)
	walk := walkSQL(w, clock, 0)
	checkPlan(t, s, walk, append(append([]any{0.0, 100.0, true}, w.Args...), 1.0, 1.0), "CO-ROUTINE", "COVERING INDEX tasks_rank (rank_hi>? AND rank_hi<?)")
	if plan := explain(t, s, walk, append(append([]any{0.0, 100.0, true}, w.Args...), 1.0, 1.0)); strings.Contains(plan, "TEMP B-TREE") {
		t.Errorf("the walk sorts:\n%s", plan)
	}
	checkPlan(t, s, "SELECT "+sqlstore.EntryColumns+` FROM journal
		WHERE agent = ? AND command != 'undo' AND undone_by = 0 ORDER BY seq DESC LIMIT 1`, []any{"a"},
		"journal_undoable (agent=?)")
	checkPlan(t, s, "SELECT "+sqlstore.EntryColumns+` FROM journal
		WHERE seq IN (SELECT seq FROM journal_tasks WHERE uuid = ? AND seq > ?) ORDER BY seq`, []any{"u", 1},
		"journal_tasks USING PRIMARY KEY (uuid=? AND seq>?)")
}

func checkPlan(t *testing.T, s *Store, query string, args []any, want ...string) {
	t.Helper()
	text := explain(t, s, query, args)
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s\nplan lacks %q:\n%s", query, w, text)
		}
	}
}

// explain is SQLite's query plan for the query, one step a line.
func explain(t *testing.T, s *Store, query string, args []any) string {
	t.Helper()
	rows, err := s.db.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	rows.Close()
	return strings.Join(plan, "\n")
}
