package tasksmd

import "strings"

// A File is one TASKS.md as read: every line with its ending, and what the
// lines mean. Lines are the input split at "\n", so a file that ends with a
// newline has a last, empty Line, and line numbers agree with the reference
// tools (which split the same way).
type File struct {
	// Path is the file's name as shown in messages (relative to the
	// discovery root, with "/").
	Path string
	// Lines hold every byte of the input; Render joins them back.
	Lines []Line
	// Tasks are the top-level tasks in file order.
	Tasks []*Task
	// Headings are the `## Pn` section headings in file order.
	Headings []Heading
	// Policies are the `policy:` directives found in HTML comments.
	Policies []Policy
	// Unknown lists (from 1) the lines that are neither the title, a
	// heading, a task's line, nor blank: kept byte for byte, never read.
	Unknown []int
}

// A Line is one line of a file: its text without the line ending, and
// whether a "\r" stood before the "\n" (or at the very end of the input).
type Line struct {
	Text string
	CR   bool
}

// A Task is one top-level `- [ ] summary` line with the indented lines that
// belong to it.
type Task struct {
	// Summary is the task line's text without the checkbox and the claim.
	Summary string
	// Priority is the section's number, 0 (most urgent) to 3.
	Priority int
	// Claimed is the claim as written, "@agent" or "@agent - in progress";
	// empty when the task is free.
	Claimed string
	// Metadata holds the `- **Label**: value` fields in the order first
	// seen; a label seen twice keeps its place and takes the later value.
	Metadata []*Field
	// Subtasks are the texts of the indented `- [ ] x` lines.
	Subtasks []string
	// File is the Path of the file the task lives in.
	File string
	// StartLine and EndLine (from 1) are the task line and the last
	// indented line of the block; blank lines between them belong to it.
	StartLine, EndLine int
	// RawLines are the texts of the task line and its indented lines,
	// without blank lines, as the reference reports them.
	RawLines []string
}

// A Field is one metadata entry of a task.
type Field struct {
	// Key identifies the field: the label lower-cased, white space removed
	// ("blockedby", "last-enriched").
	Key string
	// Name is the field's JSON name, camel-cased from the label words
	// ("blockedBy", "lastEnriched").
	Name string
	// Value is the text after the colon, with continuation lines joined by
	// "\n". List fields keep their raw text here too.
	Value string
	// List holds the items of a list field (Tags, Files, Blocked by): split
	// at commas, backticks removed, trimmed. Nil for other fields.
	List []string
	// Line is the line (from 1) where the field was last set.
	Line int
}

// A Heading is a `## Pn` section heading.
type Heading struct {
	Line     int
	Priority int
}

// A Policy is a `policy: text` directive inside an HTML comment.
type Policy struct {
	Text string
	// Scope is "file" before the first heading, else the section ("P1").
	Scope string
	// Line is where the comment that carries the policy ends.
	Line int
}

// PriorityName is "P0".."P3" for 0..3.
func PriorityName(p int) string { return "P" + string(rune('0'+p)) }

// Field returns the field with the given key ("id", "blockedby"), or nil.
func (t *Task) Field(key string) *Field {
	for _, f := range t.Metadata {
		if f.Key == key {
			return f
		}
	}
	return nil
}

// ID is the task's **ID** as written (not trimmed), or "".
func (t *Task) ID() string {
	if f := t.Field("id"); f != nil {
		return f.Value
	}
	return ""
}

// Tags are the task's tags as written, or nil.
func (t *Task) Tags() []string { return t.list("tags") }

// BlockedBy are the IDs the task waits for, or nil.
func (t *Task) BlockedBy() []string { return t.list("blockedby") }

func (t *Task) list(key string) []string {
	if f := t.Field(key); f != nil {
		return f.List
	}
	return nil
}

// BlockedReason is the trimmed **Blocked** text, or "" when the task has
// no external blocker.
func (t *Task) BlockedReason() string {
	if f := t.Field("blocked"); f != nil && f.List == nil {
		return jsTrim(f.Value)
	}
	return ""
}

// Agent is the claimant's name without "@" and without " - in progress",
// or "" when the task is free.
func (t *Task) Agent() string {
	a := strings.TrimPrefix(t.Claimed, "@")
	if i := strings.IndexFunc(a, func(r rune) bool { return !isWordOrHyphen(r) }); i >= 0 {
		a = a[:i]
	}
	return a
}

func isWordOrHyphen(r rune) bool {
	return r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}
