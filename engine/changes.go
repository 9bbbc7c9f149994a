package engine

import (
	"slices"
	"strings"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/mods"
	"github.com/agent-backlog/backlog/when"
)

// Changes are edits to a task's fields. A nil field is left alone; a pointer
// to "" clears the field.
type Changes struct {
	Description *string
	Project     *string
	Priority    *string
	Due         *string // date expressions, resolved against the clock and the task's own dates
	Scheduled   *string
	Wait        *string
	Until       *string
	Recur       *string
	Agent       *string
	Tags        *ListEdit
	Depends     *ListEdit // ids, UUIDs or UUID prefixes
	// UDAs sets user-defined attributes; a nil value removes one.
	UDAs map[string]any
}

// ListEdit replaces a list, or adds to and removes from it; it is the
// modification grammar's (package mods).
type ListEdit = mods.ListEdit

// ParseListEdit reads list entries: when any entry starts with + or -, the
// entries are edits (a bare entry adds); otherwise they replace the list.
func ParseListEdit(entries []string) *ListEdit { return mods.ParseListEdit(entries) }

// IsEmpty reports whether c changes nothing.
func (c *Changes) IsEmpty() bool {
	return c.Description == nil && c.Project == nil && c.Priority == nil && c.Due == nil &&
		c.Scheduled == nil && c.Wait == nil && c.Until == nil && c.Recur == nil && c.Agent == nil &&
		c.Tags == nil && c.Depends == nil && len(c.UDAs) == 0
}

// ParseMods reads Taskwarrior-style modification words (package mods):
// +tag, -tag, name:value (attribute names may be abbreviated), myuda:value.
// When description is true, other words form the description; otherwise
// they are errors. Every word is applied or rejected; none is ignored.
func ParseMods(words []string, description bool) (*Changes, error) {
	mode := mods.EditsOnly
	if description {
		mode = mods.Described
	}
	return changesOf(mods.Parse(words, mode))
}

// ParseNew reads the words of a new task (add, log): as ParseMods with a
// description, except that a -word is text, since a new task has no tag to
// remove ("Fix the -v flag").
func ParseNew(words []string) (*Changes, error) {
	return changesOf(mods.Parse(words, mods.NewTask))
}

// SplitWords splits a modification string into words at white space, keeping
// "double" or 'single' quoted stretches together (quotes removed).
func SplitWords(s string) ([]string, error) { return mods.SplitWords(s) }

// changesOf folds parsed modifications into Changes, in the order they
// were written: a later name:value wins, and +tag or -tag after tags:
// edits the list that tags: set.
func changesOf(m *mods.Mods, err error) (*Changes, error) {
	if err != nil {
		return nil, err
	}
	c := &Changes{}
	var desc []string
	for _, e := range m.Edits {
		switch e := e.(type) {
		case *mods.Text:
			desc = append(desc, e.Text)
		case *mods.Tag:
			c.editTag(e)
		case *mods.Attr:
			c.set(e)
		}
	}
	if len(desc) > 0 {
		d := strings.Join(desc, " ") // the parser refused a description given both ways
		c.Description = &d
	}
	return c, nil
}

// editTag applies +tag or -tag to the tags edit so far.
func (c *Changes) editTag(t *mods.Tag) {
	if c.Tags == nil {
		c.Tags = &ListEdit{}
	}
	switch {
	case c.Tags.Replace && t.Remove:
		c.Tags.Set = slices.DeleteFunc(c.Tags.Set, func(s string) bool { return s == t.Name })
	case c.Tags.Replace:
		c.Tags.Set = append(c.Tags.Set, t.Name)
	case t.Remove:
		c.Tags.Remove = append(c.Tags.Remove, t.Name)
	default:
		c.Tags.Add = append(c.Tags.Add, t.Name)
	}
}

// set applies one name:value word.
func (c *Changes) set(a *mods.Attr) {
	if a.UDA {
		if c.UDAs == nil {
			c.UDAs = map[string]any{}
		}
		c.UDAs[a.Name] = mods.UDAValue(a.Value)
		return
	}
	value := a.Value
	v := &value
	switch a.Name {
	case "description":
		c.Description = v
	case "project":
		c.Project = v
	case "priority":
		c.Priority = v
	case "due":
		c.Due = v
	case "scheduled":
		c.Scheduled = v
	case "wait":
		c.Wait = v
	case "until":
		c.Until = v
	case "recur":
		c.Recur = v
	case "agent":
		c.Agent = v
	case "tags":
		c.Tags = a.List.Clone()
	case "depends":
		c.Depends = a.List.Clone()
	}
}

// splitList splits a comma-separated list; "" is the empty list.
func splitList(s string) []string { return mods.SplitList(s) }

// apply edits t in place. before is t as it was, for date references such
// as due+2d.
func (o *op) apply(t *backlog.Task, c *Changes) error {
	if c == nil {
		return nil
	}
	orig := t.Clone()
	if c.Description != nil {
		t.Description = strings.TrimSpace(*c.Description)
		if err := backlog.ValidateDescription(t.Description); err != nil {
			return err
		}
	}
	if c.Project != nil {
		t.Project = strings.TrimSpace(*c.Project)
		if err := backlog.ValidateProject(t.Project); err != nil {
			return err
		}
	}
	if c.Priority != nil {
		p, err := backlog.ParsePriority(*c.Priority)
		if err != nil {
			return err
		}
		t.Priority = p
	}
	dates := []struct {
		name string
		expr *string
		dst  *time.Time
	}{
		{"due", c.Due, &t.Due}, {"scheduled", c.Scheduled, &t.Scheduled},
		{"wait", c.Wait, &t.Wait}, {"until", c.Until, &t.Until},
	}
	for _, d := range dates {
		if d.expr == nil {
			continue
		}
		v, err := o.date(d.name, *d.expr, orig)
		if err != nil {
			return err
		}
		*d.dst = v
	}
	if c.Recur != nil {
		r := strings.TrimSpace(*c.Recur)
		if r != "" {
			if err := validRecur(r); err != nil {
				return err
			}
		}
		t.Recur = r
	}
	if c.Agent != nil {
		t.Agent = strings.TrimSpace(*c.Agent)
		if err := backlog.ValidateAgent(t.Agent); err != nil {
			return err
		}
	}
	if c.Tags != nil {
		if err := docTagEdit(t, c.Tags); err != nil {
			return err
		}
		tags, err := editList(t.Tags, c.Tags, backlog.MaxTags, "tags", func(s string) (string, error) { return s, backlog.ValidateTag(s) })
		if err != nil {
			return err
		}
		t.Tags = tags
		if t.HasDoc && !t.HasTag("doc") {
			t.Tags = append(t.Tags, "doc") // the doc tag follows has_doc
		}
	}
	if c.Depends != nil {
		deps, err := editList(t.Depends, c.Depends, backlog.MaxDepends, "dependencies", func(ref string) (string, error) { return o.depUUID(ref, t) })
		if err != nil {
			return err
		}
		t.Depends = deps
		if err := o.checkCycles(t, orig.Depends); err != nil {
			return err
		}
	}
	var known map[string]filter.UDAKind
	for name, v := range c.UDAs {
		if v == nil {
			delete(t.Extra, name)
			continue
		}
		if known == nil {
			var err error
			if known, err = o.tx.UDAs(o.ctx); err != nil {
				return err
			}
		}
		if _, ok := known[name]; !ok {
			if attr := lookalike(name); attr != "" {
				return backlog.Invalidf("unknown attribute %q: did you mean %s? (a new user-defined attribute must not look like a built-in one; import a task with it in \"extra\" to create it anyway)", name, attr)
			}
		}
		switch n := v.(type) { // numbers from Go code are JSON numbers
		case int:
			v = float64(n)
		case int64:
			v = float64(n)
		case float32:
			v = float64(n)
		}
		if err := backlog.ValidateUDA(name, v); err != nil {
			return err
		}
		if t.Extra == nil {
			t.Extra = map[string]any{}
		}
		t.Extra[name] = v
	}
	if len(t.Extra) == 0 {
		t.Extra = nil
	}
	return nil
}

// date resolves a date expression for a field; "" clears it.
func (o *op) date(field, expr string, t *backlog.Task) (time.Time, error) {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return time.Time{}, nil
	}
	ref := func(name string) (time.Time, bool) {
		v := dateField(t, name)
		return v.In(o.now.Location()), !v.IsZero()
	}
	v, err := when.ParseRef(expr, o.now, ref)
	if err != nil {
		return time.Time{}, backlog.Invalidf("cannot parse date %q for %s", expr, field)
	}
	return v.Truncate(time.Second).UTC(), nil
}

// validRecur checks a recurrence period: a positive duration or pattern.
func validRecur(r string) error {
	d, err := when.ParseDuration(r)
	if err != nil || d.Approx() <= 0 {
		return backlog.Invalidf("recur must be a period such as daily, weekly, weekdays, monthly, 2w or P1M, got %q", r)
	}
	return nil
}

// editList applies a ListEdit to a list, normalising each new entry; the
// result keeps the list's order, adds at the end, and has no duplicates.
func editList(list []string, e *ListEdit, limit int, what string, norm func(string) (string, error)) ([]string, error) {
	// Each entry may cost a store lookup (a dependency), so an edit that
	// asks for more than a task may hold is refused before any of them.
	if n := distinct(e.Set, e.Add); n > limit {
		return nil, backlog.Invalidf("a task can hold at most %d %s, got %d", limit, what, n)
	}
	var out []string
	seen := map[string]bool{}
	add := func(s string) error {
		v, err := norm(s)
		if err != nil {
			return err
		}
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
		return nil
	}
	if e.Replace {
		for _, s := range e.Set {
			if err := add(s); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	gone := map[string]bool{}
	for _, s := range e.Remove {
		v, err := norm(s)
		if err != nil {
			// A full UUID that no longer resolves (a purged task) can
			// still be removed from the list.
			u, uerr := backlog.ParseUUID(s)
			if uerr != nil || !slices.Contains(list, u) {
				return nil, err
			}
			v = u
		}
		gone[v] = true
	}
	for _, v := range list {
		if !gone[v] && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	for _, s := range e.Add {
		if err := add(s); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// docTagEdit refuses an edit that adds the doc tag to a task without a doc:
// the tag says a doc is attached (+DOC, has_doc), so only writing one sets
// it. Removing it from a task with a doc leaves it, as a list that replaces
// the tags does: it follows the doc, and deleting the doc clears it.
func docTagEdit(t *backlog.Task, e *ListEdit) error {
	if !t.HasDoc && (slices.Contains(e.Add, "doc") || slices.Contains(e.Set, "doc")) {
		return backlog.Invalidf("the doc tag marks an attached doc and is set by writing one (backlog doc write, task_doc_write), not by hand")
	}
	return nil
}

// distinct counts the different strings in the lists.
func distinct(lists ...[]string) int {
	seen := map[string]bool{}
	for _, l := range lists {
		for _, s := range l {
			seen[s] = true
		}
	}
	return len(seen)
}

// depUUID resolves a dependency reference to a UUID.
func (o *op) depUUID(ref string, t *backlog.Task) (string, error) {
	d, err := resolve(o.ctx, o.tx, ref)
	if err != nil {
		return "", err
	}
	if d.UUID == t.UUID {
		return "", backlog.Invalidf("task %s cannot depend on itself", t.Ref())
	}
	return d.UUID, nil
}

// checkCycles rejects new dependencies of t that lead back to t, naming the
// cycle: 3 -> 5 -> 3.
func (o *op) checkCycles(t *backlog.Task, old []string) error {
	for _, d := range t.Depends {
		if slices.Contains(old, d) {
			continue
		}
		if path := o.pathTo(d, t.UUID, map[string]bool{}); path != nil {
			refs := []string{t.Ref()}
			for _, u := range path {
				refs = append(refs, o.refOf(u))
			}
			return backlog.Conflictf("dependency cycle: %s", strings.Join(refs, " -> "))
		}
	}
	return nil
}

// pathTo follows dependencies from `from` and returns the UUIDs on a path
// to `to`, from first to last, or nil.
func (o *op) pathTo(from, to string, seen map[string]bool) []string {
	if from == to {
		return []string{to}
	}
	if seen[from] {
		return nil
	}
	seen[from] = true
	t, err := o.tx.TaskByUUID(o.ctx, from)
	if err != nil {
		return nil
	}
	for _, d := range t.Depends {
		if p := o.pathTo(d, to, seen); p != nil {
			return append([]string{from}, p...)
		}
	}
	return nil
}

func (o *op) refOf(uuid string) string {
	if t, err := o.tx.TaskByUUID(o.ctx, uuid); err == nil {
		return t.Ref()
	}
	return uuid
}

// fieldsOf lists the names of the fields c sets, for summaries.
func (c *Changes) fieldsOf() string {
	var names []string
	add := func(set bool, name string) {
		if set {
			names = append(names, name)
		}
	}
	add(c.Description != nil, "description")
	add(c.Project != nil, "project")
	add(c.Priority != nil, "priority")
	add(c.Due != nil, "due")
	add(c.Scheduled != nil, "scheduled")
	add(c.Wait != nil, "wait")
	add(c.Until != nil, "until")
	add(c.Recur != nil, "recur")
	add(c.Agent != nil, "agent")
	add(c.Tags != nil, "tags")
	add(c.Depends != nil, "depends")
	udas := make([]string, 0, len(c.UDAs))
	for name := range c.UDAs {
		udas = append(udas, name)
	}
	slices.Sort(udas)
	return strings.Join(append(names, udas...), ", ")
}

// dateField returns the date attribute of t with that name; the zero time
// when it is unset or no date attribute has the name.
func dateField(t *backlog.Task, name string) time.Time {
	switch name {
	case "due":
		return t.Due
	case "scheduled":
		return t.Scheduled
	case "wait":
		return t.Wait
	case "until":
		return t.Until
	case "entry":
		return t.Entry
	case "modified":
		return t.Modified
	case "start":
		return t.Start
	case "end":
		return t.End
	}
	return time.Time{}
}

// lookalike returns the built-in attribute a would-be UDA name is probably a
// misspelling of ("priorty", "projcet"), or "".
func lookalike(name string) string {
	for _, a := range backlog.Attributes() {
		d := editDistance(name, a)
		if d == 1 && len(name) >= 4 || d == 2 && len(name) >= 6 {
			return a
		}
	}
	return ""
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and transpositions of neighbours each cost one.
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
