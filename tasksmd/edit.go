package tasksmd

import (
	"errors"
	"fmt"
	"strings"
)

// The kinds of edit failure, for errors.Is: a surface maps them to its exit
// codes; the message is the same everywhere.
var (
	// ErrNotFound: no task (or file) matches.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the task is in the wrong state (claimed, not claimed) or
	// an ID is taken.
	ErrConflict = errors.New("conflict")
	// ErrInvalid: an argument is not allowed.
	ErrInvalid = errors.New("invalid")
)

// An Error is a failed edit: Error() is the tasks-mcp result text.
type Error struct {
	Kind error
	Msg  string
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Kind }
func fail(kind error, format string, a ...any) error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, a...)}
}

// A Queue is every discovered file, in discovery order: one queue whose IDs
// and blockers resolve across files.
type Queue struct {
	Files []*File
}

// Tasks are all tasks in discovery order (file path, then line).
func (q *Queue) Tasks() []*Task {
	var ts []*Task
	for _, f := range q.Files {
		ts = append(ts, f.Tasks...)
	}
	return ts
}

// File returns the file with the given Path, or nil.
func (q *Queue) File(path string) *File {
	for _, f := range q.Files {
		if f.Path == path {
			return f
		}
	}
	return nil
}

// An Edit is the outcome of a successful change: the new bytes of one file
// (to be written by the caller, under its lock) and the result text.
type Edit struct {
	Path    string
	Data    []byte
	Message string
	// Task is the task the edit was about, as it was before the edit (nil
	// for Add).
	Task *Task
}

// Find resolves a QUERY: the first task whose ID equals it (surrounding
// backticks, white space and case ignored), else the first task whose
// summary contains it, case-insensitively.
func (q *Queue) Find(query string) *Task {
	id := jsTrim(query)
	if len(id) > 2 && id[0] == '`' && id[len(id)-1] == '`' && !strings.Contains(id[1:len(id)-1], "`") {
		id = jsTrim(id[1 : len(id)-1])
	}
	id = strings.ToLower(id)
	tasks := q.Tasks()
	for _, t := range tasks {
		if f := t.Field("id"); f != nil && strings.ToLower(jsTrim(f.Value)) == id {
			return t
		}
	}
	lq := strings.ToLower(query)
	for _, t := range tasks {
		if strings.Contains(strings.ToLower(t.Summary), lq) {
			return t
		}
	}
	return nil
}

func (q *Queue) find(query string) (*Task, *File, error) {
	t := q.Find(query)
	if t == nil {
		return nil, nil, fail(ErrNotFound, "No task found matching %q.", query)
	}
	return t, q.File(t.File), nil
}

// Claim appends ` (@agent)` to the task's line. A leading "@" of agent is
// dropped. Unlike the reference, an agent name that would not read back
// as a claim (empty, or other than letters, digits, "_" and "-") is refused,
// so a claim can never silently vanish into the summary.
func (q *Queue) Claim(query, agent string) (Edit, error) {
	agent = strings.TrimPrefix(agent, "@")
	if agent == "" || strings.IndexFunc(agent, func(r rune) bool { return !isWordOrHyphen(r) }) >= 0 {
		return Edit{}, fail(ErrInvalid, "Invalid agent name '%s' — must be letters, numbers, underscores or hyphens", agent)
	}
	t, f, err := q.find(query)
	if err != nil {
		return Edit{}, err
	}
	if t.Claimed != "" {
		return Edit{}, fail(ErrConflict, "Task %q is already claimed by %s.", t.Summary, t.Claimed)
	}
	lines := cloneLines(f.Lines)
	lines[t.StartLine-1].Text += " (@" + agent + ")"
	return Edit{Path: f.Path, Data: []byte(joinLines(lines)), Task: t,
		Message: fmt.Sprintf("Claimed %q for (@%s) in %s:%d", t.Summary, agent, f.Path, t.StartLine)}, nil
}

var reClaimSuffix = jsRegexp(`\s+\(@[^)]+\)\s*$`)

// Unclaim removes the claim from the task's line.
func (q *Queue) Unclaim(query string) (Edit, error) {
	t, f, err := q.find(query)
	if err != nil {
		return Edit{}, err
	}
	if t.Claimed == "" {
		return Edit{}, fail(ErrConflict, "Task %q is not claimed by anyone.", t.Summary)
	}
	lines := cloneLines(f.Lines)
	l := &lines[t.StartLine-1]
	l.Text = reClaimSuffix().ReplaceAllString(l.Text, "")
	return Edit{Path: f.Path, Data: []byte(joinLines(lines)), Task: t,
		Message: fmt.Sprintf("Unclaimed %q (was %s) in %s:%d", t.Summary, t.Claimed, f.Path, t.StartLine)}, nil
}

// Complete removes the task's whole block (its line, metadata, sub-tasks
// and the blank lines between them) and one blank line after it.
func (q *Queue) Complete(query string) (Edit, error) {
	t, f, err := q.find(query)
	if err != nil {
		return Edit{}, err
	}
	start, end := t.StartLine-1, t.EndLine
	if end < len(f.Lines) && jsTrim(f.Lines[end].Text) == "" && !(end == len(f.Lines)-1 && f.Lines[end].Text == "") {
		end++
	}
	lines := append(cloneLines(f.Lines[:start]), f.Lines[end:]...)
	return Edit{Path: f.Path, Data: []byte(joinLines(lines)), Task: t,
		Message: fmt.Sprintf("Removed %q (%s) from %s (lines %d-%d)", t.Summary, PriorityName(t.Priority), f.Path, t.StartLine, t.EndLine)}, nil
}

func cloneLines(ls []Line) []Line { return append([]Line(nil), ls...) }
