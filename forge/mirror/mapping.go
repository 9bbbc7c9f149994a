// Package mirror keeps a backlog and forge issues in step: it imports the
// issues a person picks as tasks linked to their source, delivers what
// agents do to those tasks (the outbox the engine fills) to the issues, and
// pulls what people change upstream into the tasks. It is written once
// against forge.Forge, for GitHub and GitLab alike.
package mirror

import (
	"strings"
	"unicode"
	"unicode/utf8"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/forge"
	"github.com/agent-backlog/backlog/forge/forgeconf"
)

// Title cuts an issue's title to a task description: one line, at most
// backlog.MaxDescription bytes, cut at a UTF-8 boundary and marked with "…".
func Title(title string, iid int64) string {
	d := strings.Join(strings.Fields(title), " ")
	if d == "" {
		return "Issue #" + itoa(iid)
	}
	if len(d) <= backlog.MaxDescription {
		return d
	}
	const ellipsis = "…"
	cut := backlog.MaxDescription - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(d[cut]) {
		cut--
	}
	return strings.TrimRightFunc(d[:cut], unicode.IsSpace) + ellipsis
}

// LabelTag is the tag a label becomes: lower-cased, with spaces and "/"
// (and anything else a tag cannot hold) as "-"; "" when nothing is left.
func LabelTag(label string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(label)) {
		if unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune(`/,"'()`, r) {
			r = '-'
		}
		b.WriteRune(r)
	}
	t := strings.TrimLeft(b.String(), "+-")
	if len(t) > 200 {
		t = t[:200]
		for !utf8.ValidString(t) {
			t = t[:len(t)-1]
		}
	}
	if t == "" || backlog.ValidateTag(t) != nil {
		return ""
	}
	return t
}

// priorityOf reads a priority label: priority/P0…P3, P0…P3, critical,
// high, medium, low, and GitLab's scoped priority::… with any of those, in
// any case. P0 and critical also mean the tag next.
func priorityOf(label string) (p backlog.Priority, next, ok bool) {
	l := strings.ToLower(strings.TrimSpace(label))
	for _, prefix := range []string{"priority::", "priority/", "priority:", "priority-"} {
		if v, found := strings.CutPrefix(l, prefix); found {
			l = strings.TrimSpace(v)
			break
		}
	}
	switch l {
	case "p0", "critical":
		return backlog.PriorityHigh, true, true
	case "p1", "high":
		return backlog.PriorityHigh, false, true
	case "p2", "medium":
		return backlog.PriorityMedium, false, true
	case "p3", "low":
		return backlog.PriorityLow, false, true
	}
	return "", false, false
}

// isStatusLabel reports whether a label is one of the repository's status
// labels, which the mirror sets and never turns into tags.
func isStatusLabel(r forgeconf.Repo, label string) bool {
	for _, s := range []string{r.Labels.ToDo, r.Labels.Doing, r.Labels.Done} {
		if strings.EqualFold(strings.TrimSpace(label), s) {
			return true
		}
	}
	return false
}

// Fields are what an issue says about its task.
type Fields struct {
	Description string
	Priority    backlog.Priority
	Tags        []string
	Agent       string
	Milestone   string
	Closed      bool
}

// FieldsOf maps an issue to task fields under a repository's configuration.
func FieldsOf(r forgeconf.Repo, is *forge.Issue) Fields {
	f := Fields{Description: Title(is.Title, is.IID), Milestone: is.Milestone, Closed: is.Closed}
	seen := map[string]bool{}
	add := func(t string) {
		if t != "" && !seen[t] {
			seen[t] = true
			f.Tags = append(f.Tags, t)
		}
	}
	for _, l := range is.Labels {
		if isStatusLabel(r, l) {
			continue
		}
		if p, next, ok := priorityOf(l); ok {
			if p.Rank() > f.Priority.Rank() {
				f.Priority = p
			}
			if next {
				add("next")
			}
			continue
		}
		add(LabelTag(l))
	}
	if len(is.Assignees) > 0 {
		if a := r.Agent(is.Assignees[0]); backlog.ValidateAgent(a) == nil {
			f.Agent = a
		}
	}
	return f
}

// apply lays the fields over a task; the milestone is the UDA milestone.
func (f Fields) apply(t *backlog.Task) {
	t.Description, t.Priority, t.Tags, t.Agent = f.Description, f.Priority, f.Tags, f.Agent
	if f.Milestone != "" {
		if t.Extra == nil {
			t.Extra = map[string]any{}
		}
		t.Extra["milestone"] = f.Milestone
	} else if t.Extra != nil {
		delete(t.Extra, "milestone")
		if len(t.Extra) == 0 {
			t.Extra = nil
		}
	}
}

// ProjectOf names the backlog project of a repository: its last path
// element, with anything a project name cannot hold as "-".
func ProjectOf(repo string) string {
	repo = strings.Trim(repo, "/")
	if i := strings.LastIndexByte(repo, '/'); i >= 0 {
		repo = repo[i+1:]
	}
	var b strings.Builder
	for _, r := range repo {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '-' && r != '.' {
			r = '-'
		}
		b.WriteRune(r)
	}
	p := strings.Trim(b.String(), ".")
	for strings.Contains(p, "..") {
		p = strings.ReplaceAll(p, "..", ".")
	}
	if backlog.ValidateProject(p) != nil {
		return ""
	}
	return p
}

func itoa(n int64) string {
	var b [20]byte
	i := len(b)
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
