package sqlite

import (
	"bytes"
	"database/sql"
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
	"search", "urg_own", "rank_hi",
}

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
func dateOf(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.Unix(v.Int64, 0).UTC()
}

// annotationJSON is how an annotation is kept in the annotations column.
type annotationJSON struct {
	Entry       int64  `json:"entry"`
	Description string `json:"description"`
}

// searchText is what text search looks at: the folded description and
// annotations, one per line (neither may hold a newline).
func searchText(t *backlog.Task) string {
	if len(t.Annotations) == 0 {
		return filter.Fold(t.Description)
	}
	var b strings.Builder
	b.WriteString(filter.Fold(t.Description))
	for _, a := range t.Annotations {
		b.WriteByte('\n')
		b.WriteString(filter.Fold(sqlcodec.ValidText(a.Description)))
	}
	return b.String()
}

// taskArgs are the values of writeColumns for t.
func taskArgs(t *backlog.Task) ([]any, error) {
	tags, err := jsonList(t.Tags)
	if err != nil {
		return nil, err
	}
	deps, err := jsonList(t.Depends)
	if err != nil {
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
	hasDoc := 0
	if t.HasDoc {
		hasDoc = 1
	}
	var src, srcKey any
	srcType := ""
	if t.Source != nil {
		b, err := sqlcodec.Marshal(t.Source)
		if err != nil {
			return nil, err
		}
		src, srcType, srcKey = b, t.Source.Type, t.Source.Key()
	}
	return []any{
		t.ID, t.UUID, t.Description, string(t.Status), t.Project, string(t.Priority), tags,
		dateArg(t.Due), dateArg(t.Scheduled), dateArg(t.Wait), dateArg(t.Until),
		t.Recur, t.Parent, t.Mask, deps,
		t.Agent, anns, hasDoc, dateArg(t.Entry), dateArg(t.Modified), dateArg(t.Start), dateArg(t.End), extra,
		int64(t.Lease / time.Second), dateArg(t.LeaseUntil), src, srcType, srcKey,
		searchText(t), backlog.DefaultCoefficients.Own(t), rankBase(t),
	}, nil
}

// jsonList is a list column's value: a JSON array, or NULL when empty.
func jsonList(vs []string) (any, error) {
	if len(vs) == 0 {
		return nil, nil
	}
	return sqlcodec.Marshal(vs)
}

// scanner is *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// scanTask reads a row of taskColumns.
func scanTask(sc scanner) (*backlog.Task, error) {
	var (
		t                           backlog.Task
		status, priority            string
		tags, deps, anns, extra     []byte
		due, sched, wait, until     sql.NullInt64
		entry, modified, start, end sql.NullInt64
		hasDoc, lease               int64
		leaseUntil                  sql.NullInt64
		source                      []byte
	)
	err := sc.Scan(&t.ID, &t.UUID, &t.Description, &status, &t.Project, &priority, &tags,
		&due, &sched, &wait, &until, &t.Recur, &t.Parent, &t.Mask, &deps,
		&t.Agent, &anns, &hasDoc, &entry, &modified, &start, &end, &extra,
		&lease, &leaseUntil, &source)
	if err != nil {
		return nil, err
	}
	if len(source) > 0 {
		t.Source = new(backlog.Source)
		if err := json.Unmarshal(source, t.Source); err != nil {
			return nil, fmt.Errorf("source of task %s: %w", t.UUID, err)
		}
	}
	t.Lease, t.LeaseUntil = time.Duration(lease)*time.Second, dateOf(leaseUntil)
	t.Status, t.Priority = backlog.Status(status), backlog.Priority(priority)
	t.Due, t.Scheduled, t.Wait, t.Until = dateOf(due), dateOf(sched), dateOf(wait), dateOf(until)
	t.Entry, t.Modified, t.Start, t.End = dateOf(entry), dateOf(modified), dateOf(start), dateOf(end)
	t.HasDoc = hasDoc != 0
	if t.Tags, err = decodeList(tags); err != nil {
		return nil, fmt.Errorf("tags of task %s: %w", t.UUID, err)
	}
	if t.Depends, err = decodeList(deps); err != nil {
		return nil, fmt.Errorf("depends of task %s: %w", t.UUID, err)
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

// decodeList reads a JSON array of strings. Tags and UUIDs rarely need
// escapes, so plain strings are cut out directly; anything else goes through
// encoding/json.
func decodeList(b []byte) ([]string, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' || bytes.IndexByte(b, '\\') >= 0 {
		return decodeListJSON(b)
	}
	n := bytes.Count(b, []byte{','}) + 1
	out := make([]string, 0, n)
	rest := b[1 : len(b)-1]
	for len(rest) > 0 {
		if rest[0] != '"' {
			return decodeListJSON(b)
		}
		end := bytes.IndexByte(rest[1:], '"')
		if end < 0 {
			return decodeListJSON(b)
		}
		out = append(out, string(rest[1:1+end]))
		rest = rest[2+end:]
		if len(rest) > 0 {
			if rest[0] != ',' {
				return decodeListJSON(b)
			}
			rest = rest[1:]
		}
	}
	return out, nil
}

func decodeListJSON(b []byte) ([]string, error) {
	var vs []string
	if err := json.Unmarshal(b, &vs); err != nil {
		return nil, err
	}
	return vs, nil
}
