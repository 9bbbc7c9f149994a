// Package beads reads beads' JSONL export (`bd export`, or an older
// repository's .beads/issues.jsonl): one issue a line. It maps what an issue
// has onto a task: the title, a doc made of the description, design,
// acceptance criteria and notes, the status, the priority, labels and type as
// tags, the assignee as the agent, blocking dependencies, comments as notes,
// and the dates. An issue's UUID is derived from its beads id, which is
// also kept (beads_id), so that a second migration finds it.
package beads

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/importers"
)

// Kind is the name of this source in `backlog migrate --from`.
const Kind = "beads"

// issue is one line of the export.
type issue struct {
	ID                 string       `json:"id"`
	Title              string       `json:"title"`
	Description        string       `json:"description"`
	Design             string       `json:"design"`
	AcceptanceCriteria string       `json:"acceptance_criteria"`
	Notes              string       `json:"notes"`
	Status             string       `json:"status"`
	Priority           *int         `json:"priority"`
	IssueType          string       `json:"issue_type"`
	Assignee           string       `json:"assignee"`
	Labels             []string     `json:"labels"`
	Dependencies       []dependency `json:"dependencies"`
	CreatedAt          string       `json:"created_at"`
	UpdatedAt          string       `json:"updated_at"`
	ClosedAt           string       `json:"closed_at"`
	CloseReason        string       `json:"close_reason"`
	DueAt              string       `json:"due_at"`
	DeferUntil         string       `json:"defer_until"`
	Comments           []comment    `json:"comments"`

	other map[string]json.RawMessage // fields the task model has no place for
	line  int
}

type dependency struct {
	IssueID     string `json:"issue_id"`
	DependsOnID string `json:"depends_on_id"`
	Type        string `json:"type"`
	CreatedAt   string `json:"created_at"`
}

type comment struct {
	Author    string `json:"author"`
	Text      string `json:"text"`
	CreatedAt string `json:"created_at"`
}

// fields are the issue fields read above; any other is kept as a
// user-defined attribute when it is a single value.
var fields = map[string]bool{
	"id": true, "title": true, "description": true, "design": true, "acceptance_criteria": true, "notes": true,
	"status": true, "priority": true, "issue_type": true, "assignee": true, "labels": true, "dependencies": true,
	"created_at": true, "updated_at": true, "closed_at": true, "close_reason": true, "due_at": true,
	"defer_until": true, "comments": true,
}

// Read reads the export at path: the JSONL file itself, a .beads folder, or
// a repository holding one.
func Read(path string) (*importers.Backlog, error) {
	file, err := find(path)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, backlog.Environmentf(err, "cannot read %s: %v", file, unwrapPath(err))
	}
	issues, dups, err := parse(file, data)
	if err != nil {
		return nil, err
	}
	r := &reader{docs: map[string]string{}, uuids: map[string]string{}, titles: map[string]string{}}
	for _, id := range dups {
		r.notes.Skip("issue %s appears more than once in the export; its last line is kept", id)
	}
	for _, is := range issues {
		r.uuids[is.ID] = importers.StableUUID(Kind, is.ID)
		r.titles[is.ID] = is.Title
	}
	tasks := make([]*backlog.Task, 0, len(issues))
	for _, is := range issues {
		tasks = append(tasks, r.task(is))
	}
	for _, t := range tasks {
		importers.Fit(t, r.docs, &r.notes)
	}
	importers.BreakCycles(tasks, &r.notes)
	for _, f := range slices.Sorted(mapKeys(r.lists)) {
		r.notes.Skip("field %q of %d issue%s: a list or an object, which backlog has no place for", f, r.lists[f], plural(r.lists[f]))
	}
	return &importers.Backlog{
		Source:  Kind + ":" + path,
		Read:    fmt.Sprintf("%s, %d issue%s, %d doc%s", file, len(issues), plural(len(issues)), len(r.docs), plural(len(r.docs))),
		Tasks:   tasks,
		Docs:    r.docs,
		Mapped:  r.notes.Mapped(),
		Skipped: r.notes.Skipped(),
	}, nil
}

// find locates the JSONL file.
func find(path string) (string, error) {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", backlog.NotFoundf("%s:%s: there is no such file or directory", Kind, path)
	case err != nil:
		return "", backlog.Environmentf(err, "cannot read %s: %v", path, unwrapPath(err))
	case !info.IsDir():
		return path, nil
	}
	for _, name := range []string{"issues.jsonl", "beads.jsonl", ".beads/issues.jsonl", ".beads/beads.jsonl"} {
		p := filepath.Join(path, filepath.FromSlash(name))
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", backlog.NotFoundf("%s holds no beads export (issues.jsonl, or .beads/issues.jsonl): run bd export -o issues.jsonl, and give that file", path)
}

// parse reads the lines. A line that is not an issue is an error naming
// it: the export is damaged, and nothing is migrated.
func parse(file string, data []byte) ([]*issue, []string, error) {
	var out []*issue
	at := map[string]int{}
	var dups []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 64<<20)
	line := 0
	for sc.Scan() {
		line++
		l := bytes.TrimSpace(sc.Bytes())
		if len(l) == 0 {
			continue
		}
		is := &issue{line: line}
		if err := json.Unmarshal(l, is); err != nil {
			return nil, nil, backlog.Invalidf("%s line %d is not a beads issue: %s; nothing changed", file, line, strings.TrimPrefix(err.Error(), "json: "))
		}
		if err := json.Unmarshal(l, &is.other); err != nil {
			return nil, nil, backlog.Invalidf("%s line %d is not a JSON object; nothing changed", file, line)
		}
		for k := range is.other {
			if fields[k] {
				delete(is.other, k)
			}
		}
		if strings.TrimSpace(is.ID) == "" {
			return nil, nil, backlog.Invalidf("%s line %d is an issue without an id; nothing changed", file, line)
		}
		if i, ok := at[is.ID]; ok {
			out[i] = is
			dups = append(dups, is.ID)
			continue
		}
		at[is.ID] = len(out)
		out = append(out, is)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, backlog.Invalidf("%s line %d: %v; nothing changed", file, line+1, err)
	}
	// New ids follow the order the issues were made in.
	slices.SortStableFunc(out, func(a, b *issue) int { return strings.Compare(a.CreatedAt, b.CreatedAt) })
	return out, dups, nil
}

type reader struct {
	notes  importers.Notes
	docs   map[string]string
	uuids  map[string]string // beads id -> UUID
	titles map[string]string
	lists  map[string]int // fields holding lists, by issues
}

func (r *reader) date(is *issue, field, s string) time.Time {
	d, err := importers.ParseTime(s, time.UTC)
	if err != nil {
		r.notes.Skip("issue %s: its %s %q is not a date, left out", is.ID, field, s)
	}
	return d
}

func (r *reader) task(is *issue) *backlog.Task {
	t := &backlog.Task{
		UUID:        r.uuids[is.ID],
		Description: is.Title,
		Status:      backlog.StatusPending,
		Agent:       strings.TrimPrefix(strings.TrimSpace(is.Assignee), "@"),
		Extra:       map[string]any{"beads_id": is.ID},
	}
	t.Entry = r.date(is, "created_at", is.CreatedAt)
	t.Modified = r.date(is, "updated_at", is.UpdatedAt)
	t.Due = r.date(is, "due_at", is.DueAt)
	if t.Modified.IsZero() {
		t.Modified = t.Entry
	}
	t.Tags = slices.Clone(is.Labels)
	r.status(is, t)
	if is.Priority != nil {
		switch p := *is.Priority; {
		case p <= 1:
			t.Priority = backlog.PriorityHigh
		case p == 2:
			t.Priority = backlog.PriorityMedium
		default:
			t.Priority = backlog.PriorityLow
		}
		r.notes.Map("priority 0 and 1 became H, 2 M, 3 and 4 L")
	}
	if is.IssueType != "" && is.IssueType != "task" {
		t.Tags = append(t.Tags, is.IssueType)
		r.notes.Map("the issue type (bug, feature, epic, chore) became a tag; task, the default, none")
	}
	r.dependencies(is, t)
	for _, c := range is.Comments {
		text := strings.TrimSpace(c.Text)
		if c.Author != "" {
			text = c.Author + ": " + text
		}
		t.Annotations = append(t.Annotations, backlog.Annotation{Entry: r.date(is, "comment's created_at", c.CreatedAt), Description: text})
		r.notes.Map("comments became notes (annotations), each with its author")
	}
	if is.CloseReason != "" {
		t.Annotations = append(t.Annotations, backlog.Annotation{Entry: t.End, Description: "closed: " + is.CloseReason})
		r.notes.Map("the close reason became a note")
	}
	r.doc(is, t)
	r.other(is, t)
	return t
}

// status maps beads' statuses onto the task model.
func (r *reader) status(is *issue, t *backlog.Task) {
	switch is.Status {
	case "", "open":
	case "in_progress":
		t.Start = t.Modified
		r.notes.Map("in_progress became pending and started (start: the issue's last update)")
	case "closed":
		t.Status = backlog.StatusCompleted
		t.End = r.date(is, "closed_at", is.ClosedAt)
		r.notes.Map("closed became completed (end: closed_at)")
	case "tombstone":
		t.Status = backlog.StatusDeleted
		t.End = t.Modified
		r.notes.Map("tombstone (deleted) became deleted")
	case "deferred":
		if d := r.date(is, "defer_until", is.DeferUntil); !d.IsZero() {
			t.Wait = d
			r.notes.Map("deferred became pending, waiting until defer_until")
			return
		}
		t.Tags = append(t.Tags, "deferred")
		r.notes.Map("deferred without a date became pending with the tag deferred")
	default:
		t.Tags = append(t.Tags, is.Status)
		r.notes.Map(fmt.Sprintf("status %s became pending with the tag %s", is.Status, is.Status))
	}
	if is.Status != "deferred" && is.DeferUntil != "" {
		t.Wait = r.date(is, "defer_until", is.DeferUntil)
		r.notes.Map("defer_until became wait")
	}
}

// dependencies: the blocking kinds become dependencies, parent-child the
// beads_parent attribute, the others notes.
func (r *reader) dependencies(is *issue, t *backlog.Task) {
	for _, d := range is.Dependencies {
		if d.IssueID != "" && d.IssueID != is.ID {
			continue // the other end's record of the link
		}
		on := d.DependsOnID
		u, ok := r.uuids[on]
		if !ok {
			r.notes.Skip("issue %s: its %s link to %s, which is not in the export, left out", is.ID, d.Type, on)
			continue
		}
		switch d.Type {
		case "", "blocks", "conditional-blocks", "waits-for":
			t.Depends = append(t.Depends, u)
			r.notes.Map("blocks links became dependencies")
		case "parent-child":
			t.Extra["beads_parent"] = on
			r.notes.Map("parent-child links became the attribute beads_parent (the parent's beads id)")
		default:
			what := map[string]string{"related": "related to", "discovered-from": "discovered while working on"}[d.Type]
			if what == "" {
				what = d.Type
			}
			entry := r.date(is, "dependency's created_at", d.CreatedAt)
			if entry.IsZero() {
				entry = t.Entry
			}
			t.Annotations = append(t.Annotations, backlog.Annotation{Entry: entry, Description: fmt.Sprintf("%s %s: %s", what, on, r.titles[on])})
			r.notes.Map(fmt.Sprintf("%s links became notes", d.Type))
		}
	}
}

// doc joins the long texts into the task's doc, one section each.
func (r *reader) doc(is *issue, t *backlog.Task) {
	var b strings.Builder
	for _, s := range []struct{ title, text string }{
		{"Description", is.Description}, {"Design", is.Design},
		{"Acceptance criteria", is.AcceptanceCriteria}, {"Notes", is.Notes},
	} {
		if strings.TrimSpace(s.text) == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "## %s\n\n%s\n", s.title, strings.TrimSpace(s.text))
	}
	if b.Len() == 0 {
		return
	}
	doc := b.String()
	if len(doc) > backlog.MaxDocSize {
		r.notes.Skip("issue %s: its description, design, acceptance criteria and notes are %d bytes together, more than a doc's %d; left out", is.ID, len(doc), backlog.MaxDocSize)
		return
	}
	r.docs[t.UUID] = doc
	r.notes.Map("description, design, acceptance criteria and notes became the doc, a section each")
}

// other keeps a field of a single value as a user-defined attribute.
func (r *reader) other(is *issue, t *backlog.Task) {
	for _, k := range slices.Sorted(mapKeys(is.other)) {
		var v any
		_ = json.Unmarshal(is.other[k], &v)
		switch x := v.(type) {
		case nil:
		case string:
			if x != "" {
				t.Extra[k] = x
				r.notes.Map(fmt.Sprintf("%s became a user-defined attribute", k))
			}
		case float64, bool:
			t.Extra[k] = x
			r.notes.Map(fmt.Sprintf("%s became a user-defined attribute", k))
		default:
			if r.lists == nil {
				r.lists = map[string]int{}
			}
			r.lists[k]++
		}
	}
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
