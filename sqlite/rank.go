package sqlite

import (
	"fmt"
	"strings"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/store"
)

// rankOrder is the ORDER BY clause of a ranked Select (store.Query.Top).
// Urgency is backlog.Urgency transcribed into SQL with the default
// coefficients; the engine recomputes the exact figure for what it keeps,
// so this only has to order like it, and the caller asks for slack.
func rankOrder(r store.Rank, now time.Time) string {
	switch r {
	case store.RankDue:
		return "t.due_at IS NULL, t.due_at, t.id"
	case store.RankEnd:
		return "t.end_at IS NULL, t.end_at DESC, t.id"
	}
	c := backlog.DefaultCoefficients
	n := fmt.Sprintf("%.6f", float64(now.UnixNano())/1e9) // a number we made: safe inline
	days := func(col string) string { return "((" + n + " - " + col + ") / 86400.0)" }
	step := func(arr string) string { // none 0, one 0.8, two 0.9, more 1
		l := "coalesce(json_array_length(" + arr + "), 0)"
		return "(CASE " + l + " WHEN 0 THEN 0 WHEN 1 THEN 0.8 WHEN 2 THEN 0.9 ELSE 1.0 END)"
	}
	terms := []string{
		fmt.Sprintf("(CASE WHEN EXISTS (SELECT 1 FROM task_tags g WHERE g.task_id = t.tid AND g.tag = 'next') THEN %g ELSE 0 END)", c.Next),
		fmt.Sprintf("(CASE WHEN t.due_at IS NULL THEN 0 WHEN %[1]s >= 7 THEN %[2]g WHEN %[1]s >= -14 THEN %[2]g * ((%[1]s + 14.0) * 0.8 / 21.0 + 0.2) ELSE %[2]g * 0.2 END)",
			days("t.due_at"), c.Due),
		fmt.Sprintf("(CASE WHEN t.status = 'pending' AND EXISTS (SELECT 1 FROM task_deps d WHERE d.dep_uuid = t.uuid AND d.owner_live = 1) THEN %g ELSE 0 END)", c.Blocking),
		fmt.Sprintf("(CASE t.priority WHEN 'H' THEN %g WHEN 'M' THEN %g WHEN 'L' THEN %g ELSE 0 END)", c.PriorityH, c.PriorityM, c.PriorityL),
		fmt.Sprintf("(CASE WHEN t.scheduled_at IS NOT NULL AND t.scheduled_at < %s THEN %g ELSE 0 END)", n, c.Scheduled),
		fmt.Sprintf("(CASE WHEN t.start_at IS NOT NULL THEN %g ELSE 0 END)", c.Active),
		fmt.Sprintf("(CASE WHEN t.entry_at IS NULL THEN 0 ELSE %g * min(max(%s, 0) / %g, 1.0) END)", c.Age, days("t.entry_at"), c.AgeMax),
		fmt.Sprintf("%g * %s", c.Annotations, step("t.annotations")),
		fmt.Sprintf("%g * %s", c.Tags, step("t.tags")),
		fmt.Sprintf("(CASE WHEN t.project != '' THEN %g ELSE 0 END)", c.Project),
		fmt.Sprintf("(CASE WHEN t.status = 'pending' AND t.wait_at > %s THEN %g ELSE 0 END)", n, c.Waiting),
		fmt.Sprintf("(CASE WHEN t.status = 'pending' AND EXISTS (SELECT 1 FROM task_deps d WHERE d.task_id = t.tid AND d.dep_live = 1) THEN %g ELSE 0 END)", c.Blocked),
	}
	return "(CASE WHEN t.status IN ('completed', 'deleted') THEN 0 ELSE " + strings.Join(terms, " + ") + " END) DESC, t.id"
}
