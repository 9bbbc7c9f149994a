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

// List is a list column's value for vs (see Traits.Arrays): NULL when
// empty.
func (tr *Traits) List(vs []string) any {
	switch {
	case len(vs) == 0:
		return nil
	case tr.Arrays:
		out := make([]string, len(vs))
		for i, v := range vs {
			out[i] = tr.Text(v)
		}
		return out
	}
	b, _ := sqlcodec.Marshal(vs) // a list of strings always encodes
	return b
}

// listDest is the Scan destination that reads a list column into p: a
// driver reads an array itself.
func (tr *Traits) listDest(p *[]string) any {
	if tr.Arrays {
		return p
	}
	return (*jsonList)(p)
}

// jsonList reads a list column, a JSON array of strings or NULL, into the
// slice it points to (sql.Scanner).
type jsonList []string

// Scan implements sql.Scanner.
func (l *jsonList) Scan(src any) error {
	var err error
	switch v := src.(type) {
	case nil:
		*l = nil
	case string:
		*l, err = decodeList(v)
	case []byte:
		*l, err = decodeList(string(v))
	default:
		err = fmt.Errorf("a list column holds %T, not JSON text", src)
	}
	return err
}

// decodeList reads a JSON array of strings. Tags and UUIDs rarely need
// escapes, so plain strings are cut out directly; anything else goes through
// encoding/json.
func decodeList(b string) ([]string, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' || strings.IndexByte(b, '\\') >= 0 {
		return decodeListJSON(b)
	}
	out := make([]string, 0, strings.Count(b, ",")+1)
	rest := b[1 : len(b)-1]
	for len(rest) > 0 {
		if rest[0] != '"' {
			return decodeListJSON(b)
		}
		end := strings.IndexByte(rest[1:], '"')
		if end < 0 {
			return decodeListJSON(b)
		}
		out = append(out, rest[1:1+end])
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

func decodeListJSON(b string) ([]string, error) {
	var vs []string
	if err := json.Unmarshal([]byte(b), &vs); err != nil {
		return nil, err
	}
	return vs, nil
}

// annotationJSON is how an annotation is kept in the annotations column.
type annotationJSON struct {
	Entry       int64  `json:"entry"`
	Description string `json:"description"`
}

// searchText is what text search looks at: the folded description and
// annotations, one per line (neither may hold a newline).
func searchText(tr *Traits, t *backlog.Task) string {
	if len(t.Annotations) == 0 {
		return filter.Fold(tr.Text(t.Description))
	}
	var b strings.Builder
	b.WriteString(filter.Fold(tr.Text(t.Description)))
	for _, a := range t.Annotations {
		b.WriteByte('\n')
		b.WriteString(filter.Fold(sqlcodec.ValidText(a.Description)))
	}
	return b.String()
}

// TaskArgs are the values of WriteColumns for t.
func (tr *Traits) TaskArgs(t *backlog.Task) ([]any, error) {
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
		src, srcType, srcKey = tr.Text(b), tr.Text(t.Source.Type), tr.Text(t.Source.Key())
	}
	return []any{
		t.ID, tr.Text(t.UUID), tr.Text(t.Description), tr.Text(string(t.Status)), tr.Text(t.Project),
		tr.Text(string(t.Priority)), tr.List(t.Tags),
		DateArg(t.Due), DateArg(t.Scheduled), DateArg(t.Wait), DateArg(t.Until),
		tr.Text(t.Recur), tr.Text(t.Parent), tr.Text(t.Mask), tr.List(t.Depends),
		tr.Text(t.Agent), anns, t.HasDoc, DateArg(t.Entry), DateArg(t.Modified), DateArg(t.Start), DateArg(t.End), extra,
		int64(t.Lease / time.Second), DateArg(t.LeaseUntil), src, srcType, srcKey,
		searchText(tr, t),
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
	err := sc.Scan(&t.ID, &t.UUID, &t.Description, &status, &t.Project, &priority, s.tr.listDest(&t.Tags),
		(*unixDate)(&t.Due), (*unixDate)(&t.Scheduled), (*unixDate)(&t.Wait), (*unixDate)(&t.Until),
		&t.Recur, &t.Parent, &t.Mask, s.tr.listDest(&t.Depends),
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
