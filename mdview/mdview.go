// Package mdview renders tasks as a markdown page for people: grouped by
// what is happening to them (active, blocked, ready, waiting, done), one
// list item per task, for a file kept in git or a comment pasted into an
// issue.
//
// The page is meant to be diffed: the same tasks give the same bytes (no
// timestamp, a fixed order that depends on the tasks' fields rather than on
// their urgency, which drifts with the clock), and no line ends in a space.
// Every text a task carries is escaped, so that a description holding
// markdown reads as typed and never breaks the list.
package mdview

import (
	"bufio"
	"cmp"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	backlog "github.com/agent-backlog/backlog"
)

// Options are what a page needs besides the tasks.
type Options struct {
	// Now decides which tasks are still waiting; dates are printed in its
	// location.
	Now time.Time
	// Blockers maps the UUID of each blocked task to the refs of the live
	// tasks it waits for (see Blockers). A task not in it is not blocked.
	Blockers map[string][]string
}

// group is one heading of the page.
type group int

// The groups, in the page's order.
const (
	active  group = iota // live, started or held by an agent
	blocked              // live, waiting for a live task
	ready                // pending, free to start
	waiting              // hidden until a wait date, or scheduled later
	done                 // completed
	skipped              // deleted tasks and recurring templates: never shown
)

var headings = [...]string{active: "Active", blocked: "Blocked", ready: "Ready", waiting: "Waiting", done: "Done"}

// Write writes the page for tasks. Deleted tasks and recurring templates
// are left out (a template's instances show). With no task to show, the page
// is one sentence saying so.
func Write(w io.Writer, tasks []*backlog.Task, opts Options) error {
	var groups [skipped][]*backlog.Task
	for _, t := range tasks {
		if g := opts.groupOf(t); g != skipped {
			groups[g] = append(groups[g], t)
		}
	}
	bw := bufio.NewWriter(w)
	first := true
	for g, ts := range groups {
		if len(ts) == 0 {
			continue
		}
		opts.sort(group(g), ts)
		if !first {
			bw.WriteByte('\n')
		}
		first = false
		bw.WriteString("## " + headings[g] + " (" + strconv.Itoa(len(ts)) + ")\n\n")
		for _, t := range ts {
			bw.WriteString(opts.item(group(g), t))
			bw.WriteByte('\n')
		}
	}
	if first {
		bw.WriteString("No matching tasks.\n")
	}
	return bw.Flush()
}

// live reports whether a task is still to be done. Tasks read through the
// engine carry their effective status, so waiting counts as live here.
func live(t *backlog.Task) bool {
	return t.Status == backlog.StatusPending || t.Status == backlog.StatusWaiting
}

func (o Options) groupOf(t *backlog.Task) group {
	switch {
	case t.Status == backlog.StatusCompleted:
		return done
	case !live(t):
		return skipped
	case !t.Start.IsZero() || t.Agent != "":
		return active
	case len(o.Blockers[t.UUID]) > 0:
		return blocked
	case t.EffectiveStatus(o.Now) == backlog.StatusWaiting || t.Scheduled.After(o.Now):
		return waiting
	}
	return ready
}

// sort orders a group: done tasks most recent first, waiting ones by when
// they come back, the rest by priority then due date; ties by id.
func (o Options) sort(g group, ts []*backlog.Task) {
	slices.SortStableFunc(ts, func(a, b *backlog.Task) int {
		var c int
		switch g {
		case done:
			c = b.End.Compare(a.End)
		case waiting:
			c = laterOf(a.Wait, a.Scheduled).Compare(laterOf(b.Wait, b.Scheduled))
		default:
			c = cmp.Or(cmp.Compare(b.Priority.Rank(), a.Priority.Rank()), compareDates(a.Due, b.Due))
		}
		return cmp.Or(c, compareIDs(a, b))
	})
}

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// compareDates orders dates, the unset ones last.
func compareDates(a, b time.Time) int {
	switch {
	case a.IsZero() && b.IsZero():
		return 0
	case a.IsZero():
		return 1
	case b.IsZero():
		return -1
	}
	return a.Compare(b)
}

// compareIDs orders by id, tasks without one (never the case in a working
// set, but an import may hold them) last by UUID.
func compareIDs(a, b *backlog.Task) int {
	switch {
	case a.ID == 0 && b.ID == 0:
		return strings.Compare(a.UUID, b.UUID)
	case a.ID == 0:
		return 1
	case b.ID == 0:
		return -1
	}
	return cmp.Compare(a.ID, b.ID)
}

// item is a task's list item: its ref, its description, and the fields it
// sets, in a fixed order.
func (o Options) item(g group, t *backlog.Task) string {
	var b strings.Builder
	if g == done {
		b.WriteString("- [x] **")
	} else {
		b.WriteString("- [ ] **")
	}
	b.WriteString(ref(t))
	b.WriteString("** ")
	b.WriteString(Escape(t.Description))
	var meta []string
	add := func(s string) { meta = append(meta, s) }
	if t.Project != "" {
		add("project " + Escape(t.Project))
	}
	if t.Priority != backlog.PriorityNone {
		add("priority " + string(t.Priority))
	}
	if t.Agent != "" {
		add("agent " + Code(t.Agent))
	}
	if g == done {
		if !t.End.IsZero() {
			add("done " + o.day(t.End))
		}
	} else if !t.Due.IsZero() {
		add("due " + o.date(t.Due))
	}
	if refs := o.Blockers[t.UUID]; len(refs) > 0 && g != done {
		add("blocked by " + strings.Join(refs, ", "))
	}
	if g == waiting {
		if t.Wait.After(o.Now) {
			add("waits until " + o.date(t.Wait))
		}
		if t.Scheduled.After(o.Now) {
			add("scheduled " + o.date(t.Scheduled))
		}
	}
	if len(t.Tags) > 0 {
		tags := make([]string, len(t.Tags))
		for i, tag := range t.Tags {
			tags[i] = "+" + Escape(tag)
		}
		add(strings.Join(tags, " "))
	}
	if t.Source != nil {
		add(Link(t.Source.Ref(), t.Source.URL))
	}
	if len(meta) > 0 {
		b.WriteString(" — ")
		b.WriteString(strings.Join(meta, " · "))
	}
	return strings.TrimRight(b.String(), " ")
}

// ref names a task: its id, or the start of its UUID when it has none.
func ref(t *backlog.Task) string {
	if t.ID > 0 {
		return strconv.FormatInt(t.ID, 10)
	}
	return t.UUID[:min(8, len(t.UUID))]
}

// date prints a date in Now's location: the day alone at midnight (the
// usual due date), else the day and the minute.
func (o Options) date(d time.Time) string {
	d = d.In(o.Now.Location())
	if d.Hour() == 0 && d.Minute() == 0 && d.Second() == 0 {
		return d.Format("2006-01-02")
	}
	return d.Format("2006-01-02 15:04")
}

// day prints the day of a date in Now's location, for dates whose minute
// nobody reads (when a task was done).
func (o Options) day(d time.Time) string {
	return d.In(o.Now.Location()).Format("2006-01-02")
}

// Blockers says which tasks wait for which, from related: the live tasks
// that are blocked or block another (what the filter "+BLOCKED or
// +BLOCKING" selects, so that every live dependency of a blocked task is in
// it). It maps each blocked task's UUID to the refs of the live tasks it
// depends on, by id.
func Blockers(related []*backlog.Task) map[string][]string {
	byUUID := make(map[string]*backlog.Task, len(related))
	for _, t := range related {
		if live(t) {
			byUUID[t.UUID] = t
		}
	}
	out := map[string][]string{}
	for _, t := range related {
		if !live(t) {
			continue
		}
		var deps []*backlog.Task
		for _, d := range t.Depends {
			if dep, ok := byUUID[d]; ok {
				deps = append(deps, dep)
			}
		}
		if len(deps) == 0 {
			continue
		}
		slices.SortFunc(deps, compareIDs)
		refs := make([]string, len(deps))
		for i, dep := range deps {
			refs[i] = ref(dep)
		}
		out[t.UUID] = refs
	}
	return out
}

// specials are the characters that start or end inline markdown: emphasis,
// code, links, raw HTML and entities, strikethrough, table cells and math
// (GitHub's). A task's text is read mid-line, after the ref, so the block
// markers (#, >, -, 1.) have no power there and stay as typed.
const specials = "\\`*_[]<>&|~$"

// Escape makes s literal text on one markdown line: each special character
// behind a backslash, control characters (a tab, an escape) as spaces.
func Escape(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case unicode.IsControl(r):
			b.WriteByte(' ')
		case r < 0x80 && strings.ContainsRune(specials, r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Code makes s a code span: fenced by one backtick more than the longest
// run inside it, with a space inside each fence when s starts or ends with
// a backtick (the rule of CommonMark's code spans).
func Code(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// Link makes a link to url with text, or the text alone when url is not a
// web address (an empty one, or a javascript: one from a hostile import).
func Link(text, url string) string {
	lower := strings.ToLower(url)
	if !strings.HasPrefix(lower, "https://") && !strings.HasPrefix(lower, "http://") {
		return Escape(text)
	}
	var b strings.Builder
	for i := 0; i < len(url); i++ {
		c := url[i]
		if c <= ' ' || c == 0x7f || strings.IndexByte("()<>\\`", c) >= 0 {
			b.WriteString("%" + strings.ToUpper(strconv.FormatUint(uint64(c)|0x100, 16)[1:]))
			continue
		}
		b.WriteByte(c)
	}
	return "[" + Escape(text) + "](" + b.String() + ")"
}
