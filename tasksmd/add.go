package tasksmd

import (
	"fmt"
	"github.com/agent-backlog/backlog/internal/lazyre"
	"strings"
)

// A TaskSpec is a new task, as add_task and `tasksmd add` take it. Empty
// fields are left out.
type TaskSpec struct {
	Summary string
	// Priority is "P0".."P3" in any case; empty means P2.
	Priority     string
	ID           string
	Tags         string // comma-separated; written lower-case
	Details      string
	Files        string
	Acceptance   string
	BlockedBy    string // comma-separated IDs
	Blocked      string // a free-text external reason
	Research     string
	LastEnriched string // YYYY-MM-DD
}

var reISODate = lazyre.New(`^\d{4}-\d{2}-\d{2}$`)

// Validate checks a spec as add_task does, with its messages, plus two
// checks the reference lacks: the summary must be one non-empty line, and
// no value may hold a line break (it would end the task block).
func (s TaskSpec) Validate() error {
	p := strings.ToUpper(s.Priority)
	if p == "" {
		p = "P2"
	}
	if len(p) != 2 || p[0] != 'P' || p[1] < '0' || p[1] > '3' {
		return fail(ErrInvalid, "Invalid priority '%s' — must be P0, P1, P2, or P3", s.Priority)
	}
	if s.ID != "" && !reKebab().MatchString(s.ID) {
		return fail(ErrInvalid, "Invalid ID '%s' — must be kebab-case (lowercase letters, numbers, hyphens)", s.ID)
	}
	if jsTrim(s.Summary) == "" {
		return fail(ErrInvalid, "Invalid summary '%s' — must be a non-empty line of text", s.Summary)
	}
	for _, v := range []struct{ name, value string }{
		{"summary", s.Summary}, {"tags", s.Tags}, {"details", s.Details}, {"files", s.Files},
		{"acceptance", s.Acceptance}, {"blocked_by", s.BlockedBy}, {"blocked", s.Blocked},
		{"research", s.Research}, {"last_enriched", s.LastEnriched},
	} {
		if strings.ContainsAny(v.value, "\r\n\u2028\u2029") {
			return fail(ErrInvalid, "Invalid %s %s — must be one line (no line breaks)", v.name, quoteShort(v.value))
		}
	}
	if le := jsTrim(s.LastEnriched); le != "" && !reISODate().MatchString(le) {
		return fail(ErrInvalid, "Invalid last_enriched '%s' — must be an ISO date (YYYY-MM-DD)", s.LastEnriched)
	}
	if s.BlockedBy != "" {
		for _, id := range splitList(s.BlockedBy) {
			if !reKebab().MatchString(id) {
				return fail(ErrInvalid, "Invalid blocked_by ID '%s' — must be kebab-case (lowercase letters, numbers, hyphens)", id)
			}
		}
	}
	return nil
}

// quoteShort quotes a value for a message, cut to 120 bytes.
func quoteShort(v string) string {
	if len(v) > 120 {
		v = v[:120] + "…"
	}
	return fmt.Sprintf("%q", v)
}

// block renders the task's lines in the reference's field order.
func (s TaskSpec) block() []string {
	lines := []string{"- [ ] " + s.Summary}
	add := func(label, v string) {
		if v != "" {
			lines = append(lines, "  - **"+label+"**: "+v)
		}
	}
	add("ID", s.ID)
	if s.Tags != "" {
		tags := strings.Split(s.Tags, ",")
		for i, t := range tags {
			tags[i] = strings.ToLower(jsTrim(t))
		}
		add("Tags", strings.Join(tags, ", "))
	}
	add("Details", s.Details)
	add("Files", s.Files)
	add("Acceptance", s.Acceptance)
	add("Blocked by", s.BlockedBy)
	add("Blocked", jsTrim(s.Blocked))
	add("Research", jsTrim(s.Research))
	add("Last-enriched", jsTrim(s.LastEnriched))
	return lines
}

// Add appends a task at the end of its section in the file with the given
// Path (the first file when path is ""), creating the `## Pn` heading in
// order when the section is missing, as the reference does: before the
// next higher-numbered heading, else at the end, with a blank line before
// and after. An ID already used anywhere in the queue is refused.
func (q *Queue) Add(path string, s TaskSpec) (Edit, error) {
	if err := s.Validate(); err != nil {
		return Edit{}, err
	}
	var f *File
	switch {
	case path != "":
		f = q.File(path)
	case len(q.Files) > 0:
		f = q.Files[0]
	}
	if f == nil {
		if path == "" {
			return Edit{}, fail(ErrNotFound, "No TASKS.md found; create one with init first.")
		}
		return Edit{}, fail(ErrNotFound, "No TASKS.md named %q in the queue.", path)
	}
	if s.ID != "" {
		for _, t := range q.Tasks() {
			if t.ID() == s.ID {
				return Edit{}, fail(ErrConflict, "ID '%s' is already used by %q in %s:%d.", s.ID, t.Summary, t.File, t.StartLine)
			}
		}
	}
	prio := strings.ToUpper(s.Priority)
	if prio == "" {
		prio = "P2"
	}
	lines := insertTask(f.Lines, int(prio[1]-'0'), s.block())
	return Edit{Path: f.Path, Data: []byte(joinLines(lines)),
		Message: fmt.Sprintf("Added %q (%s) to %s", s.Summary, prio, f.Path)}, nil
}

// insertTask places block in lines following the reference's rules; new
// lines take the file's line ending style.
func insertTask(lines []Line, prio int, block []string) []Line {
	headingAt := func(i int) int {
		if m := reHeading().FindStringSubmatch(lines[i].Text); m != nil {
			return int(m[1][0] - '0')
		}
		return -1
	}
	backOverBlanks := func(at int) int {
		for at > 0 && jsTrim(lines[at-1].Text) == "" {
			at--
		}
		return at
	}
	section, at := -1, -1
	for i := range lines {
		n := headingAt(i)
		if n == prio {
			section = i
		} else if n > prio && section >= 0 {
			at = backOverBlanks(i)
			break
		}
	}
	var insert []string
	if section >= 0 {
		if at < 0 {
			at = backOverBlanks(len(lines))
		}
		insert = append(block, "")
	} else {
		at = len(lines)
		for i := range lines {
			if headingAt(i) > prio {
				at = i
				break
			}
		}
		insert = append(append([]string{"", "## " + PriorityName(prio), ""}, block...), "")
	}
	cr := usesCRLF(lines)
	out := make([]Line, 0, len(lines)+len(insert))
	out = append(out, lines[:at]...)
	for _, text := range insert {
		out = append(out, Line{Text: text, CR: cr})
	}
	out = append(out, lines[at:]...)
	if at == len(lines) {
		// The inserted lines end the file: the previous last line now
		// ends with a break, and nothing follows the final empty line.
		if at > 0 {
			out[at-1].CR = cr || out[at-1].CR
		}
		out[len(out)-1].CR = false
	}
	return out
}
