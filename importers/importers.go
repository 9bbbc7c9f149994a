// Package importers reads other task tools' data into backlog tasks, for
// `backlog migrate --from`: the TypeScript backlog server's data directory
// (tsbacklog/), beads' JSONL export (beads/) and Backlog.md's markdown task
// files (backlogmd/). A reader only reads: it returns a Backlog, which
// engine.MigrateIn writes into a backlog in one transaction.
//
// A reader keeps what the source has and says how it mapped the rest: each
// task gets a UUID that is the same on every read (the source's own, or one
// derived from the source's id), so that a second migration finds every
// task already there; each rule that changed a value is one line of Mapped,
// counted; each thing left out is one line of Skipped, with the reason.
package importers

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/when"
)

// Backlog is what a reader found.
type Backlog struct {
	// Source names the source as the user gave it: ts-backlog:DIR.
	Source string
	// Read says in a line what was read: files, logs, segments.
	Read string
	// Tasks are every task found, live and archived (Archived is then the
	// segment). ID is the source's number when it has one (0: none, the
	// backlog gives one); UUID is stable across reads.
	Tasks []*backlog.Task
	// Docs are the tasks' markdown docs, by UUID.
	Docs map[string]string
	// Mapped says how the source's values became the backlog's: one line
	// per rule that applied, with how many tasks it applied to.
	Mapped []string
	// Skipped says what was left out and why, one line each.
	Skipped []string
}

// Notes collects a reader's Mapped and Skipped lines. A mapping rule is
// counted: the same rule noted for ten tasks is one line ending "(10
// tasks)".
type Notes struct {
	rules   []string
	counts  map[string]int
	skipped []string
}

// Map notes that rule applied to one more task.
func (n *Notes) Map(rule string) {
	if n.counts == nil {
		n.counts = map[string]int{}
	}
	if n.counts[rule] == 0 {
		n.rules = append(n.rules, rule)
	}
	n.counts[rule]++
}

// Skip notes something left out, with the reason, in one sentence.
func (n *Notes) Skip(format string, args ...any) {
	n.skipped = append(n.skipped, fmt.Sprintf(format, args...))
}

// Mapped returns the mapping lines, in the order the rules were first met.
func (n *Notes) Mapped() []string {
	out := make([]string, len(n.rules))
	for i, r := range n.rules {
		c := n.counts[r]
		out[i] = fmt.Sprintf("%s (%d task%s)", r, c, plural(c))
	}
	return out
}

// Skipped returns the lines of what was left out.
func (n *Notes) Skipped() []string { return slices.Clone(n.skipped) }

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// namespace is the UUID namespace of StableUUID (itself a name-based UUID
// of the URL namespace), so that no other tool's derived UUIDs collide.
var namespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/agent-backlog/backlog/importers"))

// StableUUID is the UUID of a task that has none in its source: derived
// from the source kind and the task's id there (beads, bd-a1b2), so that
// every read gives the same one and a second migration matches by it.
func StableUUID(kind, id string) string {
	return uuid.NewSHA1(namespace, []byte(kind+":"+id)).String()
}

// Fit makes a task read from elsewhere valid in the backlog's model,
// changing what it must and noting each change: a description that is
// empty, longer than a line or too long (the whole text goes to the top of
// the doc), tags and projects with characters the backlog does not allow,
// notes of several lines, a recurrence period it cannot read, dependencies
// on itself or twice. docs is the map the task's doc is kept in.
func Fit(t *backlog.Task, docs map[string]string, n *Notes) {
	fitDescription(t, docs, n)
	fitTags(t, n)
	if err := backlog.ValidateProject(t.Project); err != nil {
		p := projectName(t.Project)
		if backlog.ValidateProject(p) != nil {
			p = ""
		}
		n.Map(fmt.Sprintf("projects with characters backlog does not allow: spaces and the like became '-' (%q became %q)", t.Project, p))
		t.Project = p
	}
	if backlog.ValidateAgent(t.Agent) != nil {
		n.Skip("task %s: its agent %q is not a valid agent id, left out", ref(t), t.Agent)
		t.Agent = ""
	}
	fitAnnotations(t, n)
	if t.Recur != "" {
		if d, err := when.ParseDuration(t.Recur); err != nil || d.Approx() <= 0 {
			n.Skip("task %s: its recurrence %q is not a period backlog can read, left out", ref(t), t.Recur)
			t.Recur = ""
		}
	}
	if t.Status == backlog.StatusRecurring && (t.Recur == "" || t.Due.IsZero()) {
		if start := cmp.Or(t.Entry, t.Modified); t.Recur != "" && !start.IsZero() {
			t.Due = start
			n.Map("recurring templates without a due date: due set to the template's entry date")
		} else {
			t.Status = backlog.StatusPending
			n.Map("recurring templates without a period they can keep: pending tasks instead")
		}
	}
	if !t.Until.IsZero() && !t.Due.IsZero() && t.Until.Before(t.Due) && t.Recur != "" {
		n.Skip("task %s: its until date is before its due date, left out", ref(t))
		t.Until = time.Time{}
	}
	seen := map[string]bool{}
	deps := t.Depends[:0]
	for _, d := range t.Depends {
		u, err := backlog.ParseUUID(d)
		switch {
		case err != nil:
			n.Skip("task %s: its dependency %q is not a task UUID, left out", ref(t), d)
			continue
		case u == t.UUID:
			n.Skip("task %s: it depends on itself; left out", ref(t))
			continue
		case seen[u]:
			continue
		}
		seen[u] = true
		deps = append(deps, u)
	}
	t.Depends = deps
	if len(t.Depends) > backlog.MaxDepends {
		n.Skip("task %s: depends on %d tasks; the first %d are kept", ref(t), len(t.Depends), backlog.MaxDepends)
		t.Depends = t.Depends[:backlog.MaxDepends]
	}
	if t.Parent != "" {
		if u, err := backlog.ParseUUID(t.Parent); err == nil {
			t.Parent = u
		} else {
			t.Parent = ""
		}
	}
	for k, v := range t.Extra {
		if err := backlog.ValidateUDA(k, v); err != nil {
			n.Skip("task %s: its field %q is left out: %s", ref(t), k, strings.TrimSuffix(err.Error(), "."))
			delete(t.Extra, k)
		}
	}
	if len(t.Extra) == 0 {
		t.Extra = nil
	}
	if (t.Status == backlog.StatusCompleted || t.Status == backlog.StatusDeleted) && t.End.IsZero() {
		t.End = t.Modified
		if t.End.IsZero() {
			t.End = t.Entry
		}
		n.Map("finished tasks without an end date: ended at their last change")
	}
}

// ref names a task in a note: its id in the source, else its UUID's start.
func ref(t *backlog.Task) string {
	if t.ID > 0 {
		return fmt.Sprint(t.ID)
	}
	for _, k := range []string{"beads_id", "backlog_md_id"} {
		if id, ok := t.Extra[k].(string); ok {
			return id
		}
	}
	if len(t.UUID) >= 8 {
		return t.UUID[:8]
	}
	return t.UUID
}

// Ref names a task in a reader's notes: its id in the source when it has
// one, else the start of its UUID.
func Ref(t *backlog.Task) string { return ref(t) }

func fitDescription(t *backlog.Task, docs map[string]string, n *Notes) {
	d := strings.ToValidUTF8(strings.ReplaceAll(t.Description, "\x00", ""), "\uFFFD")
	d = strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(d, "\r\n", "\n"), "\r", "\n"))
	first, rest, multi := strings.Cut(d, "\n")
	first = strings.TrimSpace(first)
	switch {
	case first == "":
		t.Description = "(no title)"
		n.Map("tasks without a title: described as \"(no title)\"")
		return
	case multi || len(first) > backlog.MaxDescription:
		short := first
		if len(short) > backlog.MaxDescription {
			short = cut(short, backlog.MaxDescription-len("…")) + "…"
		}
		t.Description = short
		doc := "# " + first + "\n"
		if multi {
			doc += "\n" + strings.TrimSpace(rest) + "\n"
		}
		if old, ok := docs[t.UUID]; ok {
			doc += "\n" + old
		}
		docs[t.UUID] = doc
		n.Map("titles longer than a line of 500 bytes: cut short, the whole text at the top of the doc")
		return
	}
	t.Description = first
}

// cut returns the longest prefix of s of at most n bytes that ends on a
// character boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func fitTags(t *backlog.Task, n *Notes) {
	var out []string
	seen := map[string]bool{}
	for _, tag := range t.Tags {
		fixed := tagName(tag)
		if fixed != tag && fixed != "" {
			n.Map("tags with spaces or other characters backlog does not allow: those became '-'")
		}
		if fixed == "" || backlog.ValidateTag(fixed) != nil {
			n.Skip("task %s: its tag %q cannot be a backlog tag, left out", ref(t), tag)
			continue
		}
		if fixed == "doc" || seen[fixed] {
			continue // the doc tag follows the doc
		}
		seen[fixed] = true
		out = append(out, fixed)
	}
	if len(out) > backlog.MaxTags {
		n.Skip("task %s: has %d tags; the first %d are kept", ref(t), len(out), backlog.MaxTags)
		out = out[:backlog.MaxTags]
	}
	t.Tags = out
}

// tagName turns a label into a tag: spaces and the characters a tag cannot
// hold become '-', and a leading '+' or '-' goes.
func tagName(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune(`,"'()`, r) {
			return '-'
		}
		return r
	}, strings.TrimSpace(s))
	s = strings.TrimLeft(s, "+-")
	if len(s) > 200 {
		s = cut(s, 200)
	}
	if backlog.IsVirtualTag(s) {
		s = strings.ToLower(s)
	}
	return s
}

// projectName turns a project name into one backlog allows.
func projectName(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-' || r == '.' {
			return r
		}
		return '-'
	}, strings.TrimSpace(s))
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '.' })
	return cut(strings.Join(parts, "."), 200)
}

func fitAnnotations(t *backlog.Task, n *Notes) {
	out := t.Annotations[:0]
	for _, a := range t.Annotations {
		text := strings.ToValidUTF8(strings.ReplaceAll(a.Description, "\x00", ""), "\uFFFD")
		if strings.ContainsAny(text, "\r\n") {
			text = strings.Join(strings.Fields(text), " ")
			n.Map("notes of several lines: joined into one")
		}
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		if len(text) > backlog.MaxAnnotation {
			text = cut(text, backlog.MaxAnnotation-len("…")) + "…"
			n.Map("notes longer than 10,000 bytes: cut short")
		}
		if a.Entry.IsZero() {
			a.Entry = t.Entry
		}
		a.Description = text
		out = append(out, a)
	}
	t.Annotations = out
}

// BreakCycles drops each dependency that closes a cycle among tasks (the
// backlog refuses cycles; the other tools did not), noting each one.
func BreakCycles(tasks []*backlog.Task, n *Notes) {
	byUUID := make(map[string]*backlog.Task, len(tasks))
	for _, t := range tasks {
		byUUID[t.UUID] = t
	}
	const (
		unseen = iota
		open
		done
	)
	state := map[string]int{}
	var visit func(t *backlog.Task)
	visit = func(t *backlog.Task) {
		state[t.UUID] = open
		kept := t.Depends[:0]
		for _, d := range t.Depends {
			dep := byUUID[d]
			if dep != nil && state[d] == open {
				n.Skip("task %s: its dependency on task %s closes a cycle, left out", ref(t), ref(dep))
				continue
			}
			kept = append(kept, d)
			if dep != nil && state[d] == unseen {
				visit(dep)
			}
		}
		t.Depends = kept
		state[t.UUID] = done
	}
	for _, t := range tasks {
		if state[t.UUID] == unseen {
			visit(t)
		}
	}
}

// ParseTime reads a date as these tools write it: RFC 3339 with or without
// fractions of a second, or a date and time without a zone (taken in loc).
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02 15:04:05Z07:00"} {
		if d, err := time.Parse(layout, s); err == nil {
			return d.Truncate(time.Second).UTC(), nil
		}
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02"} {
		if d, err := time.ParseInLocation(layout, s, loc); err == nil {
			return d.Truncate(time.Second).UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date", s)
}
