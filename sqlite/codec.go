package sqlite

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store"
)

// taskColumns are the columns a task is loaded from, in scanTask's order,
// qualified with the alias t.
const taskColumns = `t.id, t.uuid, t.description, t.status, t.project, t.priority, t.tags,
	t.due_at, t.scheduled_at, t.wait_at, t.until_at, t.recur, t.parent, t.mask, t.depends,
	t.agent, t.annotations, t.has_doc, t.entry_at, t.modified_at, t.start_at, t.end_at, t.extra`

// writeColumns are the columns Insert and Update write, in taskArgs' order.
var writeColumns = []string{
	"id", "uuid", "description", "status", "project", "priority", "tags",
	"due_at", "scheduled_at", "wait_at", "until_at", "recur", "parent", "mask", "depends",
	"agent", "annotations", "has_doc", "entry_at", "modified_at", "start_at", "end_at", "extra",
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
		b.WriteString(filter.Fold(validText(a.Description)))
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
		b, err := marshal(as)
		if err != nil {
			return nil, err
		}
		anns = b
	}
	var extra any
	if len(t.Extra) > 0 {
		b, err := marshal(t.Extra)
		if err != nil {
			return nil, fmt.Errorf("user-defined attributes of task %s: %w", t.Ref(), err)
		}
		extra = b
	}
	hasDoc := 0
	if t.HasDoc {
		hasDoc = 1
	}
	return []any{
		t.ID, t.UUID, t.Description, string(t.Status), t.Project, string(t.Priority), tags,
		dateArg(t.Due), dateArg(t.Scheduled), dateArg(t.Wait), dateArg(t.Until),
		t.Recur, t.Parent, t.Mask, deps,
		t.Agent, anns, hasDoc, dateArg(t.Entry), dateArg(t.Modified), dateArg(t.Start), dateArg(t.End), extra,
		searchText(t), backlog.DefaultCoefficients.Own(t), rankBase(t),
	}, nil
}

// validText is s as it reads back from JSON: each byte that is not valid
// UTF-8 becomes U+FFFD, as encoding/json writes it. Index rows are written
// from it so that they agree with the task that is loaded.
func validText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// jsonList is a list column's value: a JSON array, or NULL when empty.
func jsonList(vs []string) (any, error) {
	if len(vs) == 0 {
		return nil, nil
	}
	return marshal(vs)
}

// marshal encodes v as compact JSON text without HTML escaping.
func marshal(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
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
		hasDoc                      int64
	)
	err := sc.Scan(&t.ID, &t.UUID, &t.Description, &status, &t.Project, &priority, &tags,
		&due, &sched, &wait, &until, &t.Recur, &t.Parent, &t.Mask, &deps,
		&t.Agent, &anns, &hasDoc, &entry, &modified, &start, &end, &extra)
	if err != nil {
		return nil, err
	}
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

// udaTypes is the bit set of JSON types a UDA has held.
const (
	udaString = 1 << iota
	udaNumber
	udaBool
)

// udaType is the type bit of a UDA value.
func udaType(v any) int {
	switch v.(type) {
	case float64, float32, int, int64, int32, json.Number:
		return udaNumber
	case bool:
		return udaBool
	}
	return udaString
}

// udaKind reads a bit set of types.
func udaKind(types int) filter.UDAKind {
	switch types {
	case udaNumber:
		return filter.UDANumber
	case udaBool:
		return filter.UDABool
	case udaString:
		return filter.UDAString
	}
	return filter.UDAMixed
}

// changeJSON is a journal change as kept in journal.changes. Task images use
// the domain's lossless MarshalJSON/UnmarshalJSON.
type changeJSON struct {
	UUID   string          `json:"uuid"`
	Before json.RawMessage `json:"before,omitempty"`
	After  json.RawMessage `json:"after,omitempty"`
	Doc    *docJSON        `json:"doc,omitempty"`
	// Archived and Unarchived name the segment a task moved into or out of.
	Archived   string `json:"archived,omitempty"`
	Unarchived string `json:"unarchived,omitempty"`
}

type docJSON struct {
	Before *string `json:"before"`
	After  *string `json:"after"`
}

// encodeChanges writes an entry's changes.
func encodeChanges(cs []store.Change) (string, error) {
	out := make([]changeJSON, len(cs))
	for i, c := range cs {
		out[i].UUID = c.UUID
		out[i].Archived, out[i].Unarchived = c.Archived, c.Unarchived
		var err error
		if out[i].Before, err = taskImage(c.Before); err != nil {
			return "", err
		}
		if out[i].After, err = taskImage(c.After); err != nil {
			return "", err
		}
		if c.Doc != nil {
			out[i].Doc = &docJSON{Before: c.Doc.Before, After: c.Doc.After}
		}
	}
	return marshal(out)
}

// taskImage is a task's JSON image, without its urgency (computed, and
// possibly not a JSON number).
func taskImage(t *backlog.Task) (json.RawMessage, error) {
	if t == nil {
		return nil, nil
	}
	c := *t
	c.Urgency = 0
	b, err := c.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("journal image of task %s: %w", t.Ref(), err)
	}
	return b, nil
}

// decodeChanges reads an entry's changes.
func decodeChanges(s string) ([]store.Change, error) {
	var in []changeJSON
	if err := json.Unmarshal([]byte(s), &in); err != nil {
		return nil, err
	}
	if len(in) == 0 {
		return nil, nil
	}
	cs := make([]store.Change, len(in))
	for i, c := range in {
		cs[i].UUID = c.UUID
		cs[i].Archived, cs[i].Unarchived = c.Archived, c.Unarchived
		if len(c.Before) > 0 {
			cs[i].Before = new(backlog.Task)
			if err := cs[i].Before.UnmarshalJSON(c.Before); err != nil {
				return nil, fmt.Errorf("image of task %s: %w", c.UUID, err)
			}
		}
		if len(c.After) > 0 {
			cs[i].After = new(backlog.Task)
			if err := cs[i].After.UnmarshalJSON(c.After); err != nil {
				return nil, fmt.Errorf("image of task %s: %w", c.UUID, err)
			}
		}
		if c.Doc != nil {
			cs[i].Doc = &store.DocChange{Before: c.Doc.Before, After: c.Doc.After}
		}
	}
	return cs, nil
}
