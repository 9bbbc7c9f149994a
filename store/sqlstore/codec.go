package sqlstore

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store/sqlcodec"
)

// How a task is kept in the row of tasks: dates are unix seconds (NULL when
// unset), lists are the dialect's (Dialect.List), annotations and
// user-defined attributes JSON, and search is the folded text that text
// search reads (see searchText).

// TaskColumns are the columns a task is loaded from, in scanTask's order,
// qualified with the alias t.
const TaskColumns = `t.id, t.uuid, t.description, t.status, t.project, t.priority, t.tags,
	t.due_at, t.scheduled_at, t.wait_at, t.until_at, t.recur, t.parent, t.mask, t.depends,
	t.agent, t.annotations, t.has_doc, t.entry_at, t.modified_at, t.start_at, t.end_at, t.extra,
	t.lease, t.lease_until_at, t.source`

// WriteColumns are the columns Insert and Update write, in TaskArgs'
// order; a store may write more columns of its own after them.
var WriteColumns = []string{
	"id", "uuid", "description", "status", "project", "priority", "tags",
	"due_at", "scheduled_at", "wait_at", "until_at", "recur", "parent", "mask", "depends",
	"agent", "annotations", "has_doc", "entry_at", "modified_at", "start_at", "end_at", "extra",
	"lease", "lease_until_at", "source", "source_type", "source_key",
	"search",
}

// zeroUnix is the unix second of the zero time.Time, which means "unset".
var zeroUnix = time.Time{}.Unix()

// DateArg is a date column's value: unix seconds (truncated), or NULL when
// the date is unset.
func DateArg(t time.Time) any {
	s := t.Unix()
	if t.IsZero() || s == zeroUnix {
		return nil
	}
	return s
}

// unixDate reads a date column into a time.Time: unix seconds, or NULL
// for the zero time.
type unixDate time.Time

// Scan implements sql.Scanner.
func (d *unixDate) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d = unixDate{}
	case int64:
		*d = unixDate(time.Unix(v, 0).UTC())
	default:
		return fmt.Errorf("a date column holds %T, not unix seconds", src)
	}
	return nil
}

// annotationJSON is how an annotation is kept in the annotations column.
type annotationJSON struct {
	Entry       int64  `json:"entry"`
	Description string `json:"description"`
}

// searchText is what text search looks at: the folded description and
// annotations, one per line (neither may hold a newline).
func searchText(d Dialect, t *backlog.Task) string {
	if len(t.Annotations) == 0 {
		return filter.Fold(d.Text(t.Description))
	}
	var b strings.Builder
	b.WriteString(filter.Fold(d.Text(t.Description)))
	for _, a := range t.Annotations {
		b.WriteByte('\n')
		b.WriteString(filter.Fold(sqlcodec.ValidText(a.Description)))
	}
	return b.String()
}

// TaskArgs are the values of WriteColumns for t.
func TaskArgs(d Dialect, t *backlog.Task) ([]any, error) {
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
		src, srcType, srcKey = d.Text(b), d.Text(t.Source.Type), d.Text(t.Source.Key())
	}
	return []any{
		t.ID, d.Text(t.UUID), d.Text(t.Description), d.Text(string(t.Status)), d.Text(t.Project),
		d.Text(string(t.Priority)), d.List(t.Tags),
		DateArg(t.Due), DateArg(t.Scheduled), DateArg(t.Wait), DateArg(t.Until),
		d.Text(t.Recur), d.Text(t.Parent), d.Text(t.Mask), d.List(t.Depends),
		d.Text(t.Agent), anns, t.HasDoc, DateArg(t.Entry), DateArg(t.Modified), DateArg(t.Start), DateArg(t.End), extra,
		int64(t.Lease / time.Second), DateArg(t.LeaseUntil), src, srcType, srcKey,
		searchText(d, t),
	}, nil
}

// scanTask reads a row of TaskColumns.
func (s *Statements) scanTask(sc Row) (*backlog.Task, error) {
	var (
		t                   backlog.Task
		status, priority    string
		anns, extra, source []byte
		lease               int64
	)
	err := sc.Scan(&t.ID, &t.UUID, &t.Description, &status, &t.Project, &priority, s.d.ListDest(&t.Tags),
		(*unixDate)(&t.Due), (*unixDate)(&t.Scheduled), (*unixDate)(&t.Wait), (*unixDate)(&t.Until),
		&t.Recur, &t.Parent, &t.Mask, s.d.ListDest(&t.Depends),
		&t.Agent, &anns, &t.HasDoc, (*unixDate)(&t.Entry), (*unixDate)(&t.Modified), (*unixDate)(&t.Start), (*unixDate)(&t.End), &extra,
		&lease, (*unixDate)(&t.LeaseUntil), &source)
	if err != nil {
		return nil, err
	}
	if len(source) > 0 {
		t.Source = new(backlog.Source)
		if err := json.Unmarshal(source, t.Source); err != nil {
			return nil, fmt.Errorf("source of task %s: %w", t.UUID, err)
		}
	}
	t.Lease = time.Duration(lease) * time.Second
	t.Status, t.Priority = backlog.Status(status), backlog.Priority(priority)
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
