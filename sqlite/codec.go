package sqlite

import (
	"strings"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/store/sqlstore"
)

// writeColumns are the columns Insert and Update write, in taskArgs'
// order: the shared ones, then the rank bounds (migration 0004).
var writeColumns = append(sqlstore.WriteColumns[:len(sqlstore.WriteColumns):len(sqlstore.WriteColumns)], "urg_own", "rank_hi")

// insertSQL and updateSQL write every column of a task; updateSQL takes the
// values of writeColumns without the uuid, then the uuid as the key.
var (
	insertSQL = "INSERT INTO tasks (" + strings.Join(writeColumns, ", ") + ") VALUES (?" +
		strings.Repeat(", ?", len(writeColumns)-1) + ") RETURNING tid"
	updateSQL = func() string {
		var set []string
		for _, c := range writeColumns {
			if c != "uuid" {
				set = append(set, c+" = ?")
			}
		}
		return "UPDATE tasks SET " + strings.Join(set, ", ") + " WHERE uuid = ? RETURNING tid, blocking_n"
	}()
)

// taskArgs are the values of writeColumns for t.
func taskArgs(t *backlog.Task) ([]any, error) {
	tr := dialect{}.Traits()
	args, err := tr.TaskArgs(t)
	if err != nil {
		return nil, err
	}
	return append(args, backlog.DefaultCoefficients.Own(t), rankBase(t)), nil
}

// rankBase is the task's rank_hi (migration 0004) before its blocking
// term, which the store adds when live tasks depend on it: the own part of
// its urgency plus the due, scheduled and age terms at their largest, or 0
// for a finished task.
func rankBase(t *backlog.Task) float64 {
	if t.Status == backlog.StatusCompleted || t.Status == backlog.StatusDeleted {
		return 0
	}
	c := backlog.DefaultCoefficients
	u := c.Own(t)
	if !t.Due.IsZero() {
		u += c.Due
	}
	if !t.Scheduled.IsZero() {
		u += c.Scheduled
	}
	if !t.Entry.IsZero() {
		u += c.Age
	}
	return u
}
