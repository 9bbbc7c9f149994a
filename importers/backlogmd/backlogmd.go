// Package backlogmd reads Backlog.md's task files: backlog/tasks/*.md (or
// .backlog/), with completed/, archive/tasks/ and drafts/ beside them, each
// a YAML front matter (id, title, status, assignee, labels, priority,
// dependencies, dates) and a markdown body (description, acceptance
// criteria, plan, notes). The body becomes the task's doc. A task keeps its
// number as its id (task-10 is task 10) and gets a UUID derived from it.
package backlogmd

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/importers"
)

// Kind is the name of this source in `backlog migrate --from`.
const Kind = "backlog-md"

// front is a task file's front matter.
type front struct {
	ID           string   `yaml:"id"`
	Title        string   `yaml:"title"`
	Status       string   `yaml:"status"`
	Assignee     list     `yaml:"assignee"`
	Labels       list     `yaml:"labels"`
	Priority     string   `yaml:"priority"`
	Dependencies list     `yaml:"dependencies"`
	CreatedDate  string   `yaml:"created_date"`
	UpdatedDate  string   `yaml:"updated_date"`
	Parent       string   `yaml:"parent_task_id"`
	ParentAlt    string   `yaml:"parent"`
	Milestone    string   `yaml:"milestone"`
	Ordinal      *float64 `yaml:"ordinal"`
}

// list reads a YAML list, or a single value as a list of one.
type list []string

func (l *list) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.SequenceNode:
		var out []string
		if err := n.Decode(&out); err != nil {
			return err
		}
		*l = out
	case yaml.ScalarNode:
		if n.Value != "" {
			*l = list{n.Value}
		}
	default:
		return fmt.Errorf("line %d: not a list", n.Line)
	}
	return nil
}

// file is one task file as found.
type file struct {
	path   string
	folder string // tasks, completed, archive, drafts
	front  front
	body   string
}

// Read reads the Backlog.md folder under dir (dir itself, or its backlog/
// or .backlog/).
func Read(dir string) (*importers.Backlog, error) {
	root, err := findRoot(dir)
	if err != nil {
		return nil, err
	}
	r := &reader{docs: map[string]string{}}
	statuses := r.config(root)
	r.milestones = milestones(root)
	var files []*file
	var counts []string
	for _, folder := range []struct{ name, path string }{
		{"tasks", "tasks"}, {"completed", "completed"}, {"archive", "archive/tasks"}, {"drafts", "drafts"},
	} {
		fs, err := r.folder(root, folder.path, folder.name)
		if err != nil {
			return nil, err
		}
		if len(fs) > 0 {
			counts = append(counts, fmt.Sprintf("%d in %s/", len(fs), folder.path))
		}
		files = append(files, fs...)
	}
	for _, extra := range []string{"docs", "decisions"} {
		if n := countMarkdown(filepath.Join(root, extra)); n > 0 {
			r.notes.Skip("%d file%s in %s/: documents of the project, not of a task; backlog keeps docs on tasks", n, plural(n), extra)
		}
	}
	tasks := r.tasks(files, statuses)
	for _, t := range tasks {
		importers.Fit(t, r.docs, &r.notes)
	}
	importers.BreakCycles(tasks, &r.notes)
	read := fmt.Sprintf("%s, %d task file%s", root, len(files), plural(len(files)))
	if len(counts) > 0 {
		read += " (" + strings.Join(counts, ", ") + ")"
	}
	return &importers.Backlog{
		Source:  Kind + ":" + dir,
		Read:    read,
		Tasks:   tasks,
		Docs:    r.docs,
		Mapped:  r.notes.Mapped(),
		Skipped: r.notes.Skipped(),
	}, nil
}

// findRoot finds the folder that holds tasks/.
func findRoot(dir string) (string, error) {
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", backlog.NotFoundf("%s:%s: there is no such directory", Kind, dir)
	case err != nil:
		return "", backlog.Environmentf(err, "cannot read %s: %v", dir, unwrapPath(err))
	case !info.IsDir():
		return "", backlog.Invalidf("%s:%s is a file: give the repository, or its backlog/ folder", Kind, dir)
	}
	for _, c := range []string{".", "backlog", ".backlog"} {
		p := filepath.Join(dir, c)
		if st, err := os.Stat(filepath.Join(p, "tasks")); err == nil && st.IsDir() {
			return filepath.Clean(p), nil
		}
	}
	return "", backlog.NotFoundf("%s has no Backlog.md tasks: neither backlog/tasks/ nor .backlog/tasks/ nor tasks/", dir)
}

type reader struct {
	notes      importers.Notes
	docs       map[string]string
	prefix     string            // task ids are <prefix>-<n>
	milestones map[string]string // id -> title
}

// config reads config.yml: the task id prefix, and the statuses (To Do, In
// Progress, Done unless it says otherwise), of which the first is the open
// state and the last the done one.
func (r *reader) config(root string) []string {
	def := []string{"To Do", "In Progress", "Done"}
	r.prefix = "task"
	data, err := os.ReadFile(filepath.Join(root, "config.yml"))
	if err != nil {
		return def
	}
	var cfg struct {
		Statuses []string `yaml:"statuses"`
		Prefix   string   `yaml:"task_prefix"`
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		r.notes.Skip("config.yml is not YAML (%s); the statuses To Do, In Progress and Done are assumed", firstLine(err.Error()))
		return def
	}
	if cfg.Prefix != "" {
		r.prefix = strings.ToLower(cfg.Prefix)
	}
	if len(cfg.Statuses) < 2 {
		return def
	}
	return cfg.Statuses
}

// milestones reads milestones/*.md: each milestone's id and title.
func milestones(root string) map[string]string {
	out := map[string]string{}
	entries, _ := os.ReadDir(filepath.Join(root, "milestones"))
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(root, "milestones", e.Name()))
		if err != nil {
			continue
		}
		var f file
		if parse(data, &f) == nil && f.front.Title != "" {
			out[key(f.front.ID)] = f.front.Title
		}
	}
	return out
}

// folder reads the task files of one folder.
func (r *reader) folder(root, rel, name string) ([]*file, error) {
	dir := filepath.Join(root, filepath.FromSlash(rel))
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, backlog.Environmentf(err, "cannot read %s: %v", dir, unwrapPath(err))
	}
	var out []*file
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".md") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, backlog.Environmentf(err, "cannot read %s: %v", p, unwrapPath(err))
		}
		f := &file{path: filepath.ToSlash(filepath.Join(rel, e.Name())), folder: name}
		if err := parse(data, f); err != nil {
			r.notes.Skip("%s: %s; not read", f.path, err)
			continue
		}
		out = append(out, f)
	}
	return out, nil
}

// parse splits a task file into its front matter and body.
func parse(data []byte, f *file) error {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	if !strings.HasPrefix(text, "---\n") {
		return errors.New("it has no front matter (a --- line first)")
	}
	head, body, ok := strings.Cut(text[4:], "\n---")
	if !ok {
		return errors.New("its front matter has no closing --- line")
	}
	if err := yaml.Unmarshal([]byte(head), &f.front); err != nil {
		return fmt.Errorf("its front matter is not YAML (%s)", firstLine(err.Error()))
	}
	if i := strings.IndexByte(body, '\n'); i >= 0 {
		body = body[i+1:]
	} else {
		body = ""
	}
	f.body = strings.TrimSpace(body)
	if f.front.ID == "" {
		f.front.ID = idFromName(filepath.Base(f.path))
	}
	if f.front.ID == "" {
		return errors.New("it has no id")
	}
	if f.front.Title == "" {
		if _, title, ok := strings.Cut(strings.TrimSuffix(filepath.Base(f.path), ".md"), " - "); ok {
			f.front.Title = title
		}
	}
	return nil
}

// idFromName reads task-12 from "task-12 - Title.md".
func idFromName(name string) string {
	id, _, _ := strings.Cut(strings.TrimSuffix(name, ".md"), " ")
	return id
}

// number is the task number of an id (task-10, TASK-10) with the task
// prefix and no dot: task-10.1 is a subtask and draft-1 a draft, which get
// numbers of their own.
func (r *reader) number(id string) int64 {
	rest, ok := strings.CutPrefix(strings.ToLower(id), r.prefix+"-")
	if !ok {
		return 0
	}
	n, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

func key(id string) string { return strings.ToLower(strings.TrimSpace(id)) }

func (r *reader) tasks(files []*file, statuses []string) []*backlog.Task {
	uuids := map[string]string{}
	var kept []*file
	for _, f := range files {
		k := key(f.front.ID)
		if _, dup := uuids[k]; dup {
			r.notes.Skip("%s: its id %s is another file's too; not read", f.path, f.front.ID)
			continue
		}
		uuids[k] = importers.StableUUID(Kind, k)
		kept = append(kept, f)
	}
	var out []*backlog.Task
	for _, f := range kept {
		out = append(out, r.task(f, statuses, uuids))
	}
	slices.SortStableFunc(out, func(a, b *backlog.Task) int { return a.Entry.Compare(b.Entry) })
	return out
}

func (r *reader) task(f *file, statuses []string, uuids map[string]string) *backlog.Task {
	fm := f.front
	t := &backlog.Task{
		ID:          r.number(fm.ID),
		UUID:        uuids[key(fm.ID)],
		Description: fm.Title,
		Status:      backlog.StatusPending,
		Extra:       map[string]any{"backlog_md_id": fm.ID},
	}
	t.Entry = r.date(f, "created_date", fm.CreatedDate)
	t.Modified = r.date(f, "updated_date", fm.UpdatedDate)
	if t.Modified.IsZero() {
		t.Modified = t.Entry
	}
	if t.ID == 0 {
		r.notes.Map("subtasks and drafts (ids such as task-10.1, draft-1): a number of their own, the id kept in backlog_md_id")
	}
	t.Tags = slices.Clone(fm.Labels)
	r.status(f, t, statuses)
	switch p := strings.ToLower(strings.TrimSpace(fm.Priority)); p {
	case "":
	case "high":
		t.Priority = backlog.PriorityHigh
	case "medium":
		t.Priority = backlog.PriorityMedium
	case "low":
		t.Priority = backlog.PriorityLow
	default:
		r.notes.Skip("%s: its priority %q is not high, medium or low, left out", f.path, fm.Priority)
	}
	if t.Priority != "" {
		r.notes.Map("priority high, medium and low became H, M and L")
	}
	if len(fm.Assignee) > 0 {
		t.Agent = strings.TrimPrefix(strings.TrimSpace(fm.Assignee[0]), "@")
		r.notes.Map("the first assignee became the agent (without its @)")
		if len(fm.Assignee) > 1 {
			t.Annotations = append(t.Annotations, backlog.Annotation{Entry: t.Entry, Description: "also assigned: " + strings.Join(fm.Assignee[1:], ", ")})
			r.notes.Map("further assignees became a note")
		}
	}
	for _, d := range fm.Dependencies {
		u, ok := uuids[key(d)]
		if !ok {
			r.notes.Skip("%s: its dependency on %s, which has no task file, left out", f.path, d)
			continue
		}
		t.Depends = append(t.Depends, u)
	}
	if p := cmpOr(fm.Parent, fm.ParentAlt); p != "" {
		t.Extra["backlog_md_parent"] = p
		r.notes.Map("the parent task became the attribute backlog_md_parent")
	}
	if fm.Milestone != "" {
		t.Extra["milestone"] = cmpOr(r.milestones[key(fm.Milestone)], fm.Milestone)
		r.notes.Map("the milestone became the attribute milestone")
	}
	if fm.Ordinal != nil {
		r.notes.Map("ordinal (the board's order) left out: backlog orders by urgency")
	}
	body, comments := splitComments(f.body)
	for _, c := range comments {
		entry, err := importers.ParseTime(c.created, time.Local)
		if err != nil || entry.IsZero() {
			entry = t.Modified
		}
		text := c.text
		if c.author != "" {
			text = c.author + ": " + text
		}
		t.Annotations = append(t.Annotations, backlog.Annotation{Entry: entry, Description: text})
		r.notes.Map("comments became notes (annotations), each with its author")
	}
	if body != "" {
		r.docs[t.UUID] = body + "\n"
		r.notes.Map("the body (description, acceptance criteria, plan, notes, summary) became the doc")
	}
	return t
}

// status maps the file's status and folder onto the task model.
func (r *reader) status(f *file, t *backlog.Task, statuses []string) {
	st := strings.TrimSpace(f.front.Status)
	done := strings.EqualFold(st, statuses[len(statuses)-1])
	switch {
	case f.folder == "completed" || done:
		t.Status = backlog.StatusCompleted
		t.End = t.Modified
		r.notes.Map(fmt.Sprintf("%s (and completed/) became completed, ended at the last update", statuses[len(statuses)-1]))
	case st == "" || strings.EqualFold(st, statuses[0]) || f.folder == "drafts" && strings.EqualFold(st, "Draft"):
	case strings.EqualFold(st, "In Progress"):
		t.Start = t.Modified
		r.notes.Map("In Progress became pending and started (start: the last update)")
	default:
		tag := strings.ToLower(strings.Join(strings.Fields(st), "-"))
		t.Tags = append(t.Tags, tag)
		r.notes.Map(fmt.Sprintf("status %s became pending with the tag %s", st, tag))
	}
	switch f.folder {
	case "drafts":
		t.Tags = append(t.Tags, "draft")
		r.notes.Map("drafts became pending tasks with the tag draft")
	case "archive":
		if t.Status == backlog.StatusPending {
			t.Status = backlog.StatusDeleted
			t.Start = time.Time{}
		}
		t.End = t.Modified
		d := t.End
		t.Archived = fmt.Sprintf("%04d-Q%d", d.Year(), (int(d.Month())-1)/3+1)
		r.notes.Map("archive/tasks/ went into the archive, in the quarter of the last update; those not done as deleted")
	}
}

func (r *reader) date(f *file, field, s string) time.Time {
	d, err := importers.ParseTime(s, time.Local)
	if err != nil {
		r.notes.Skip("%s: its %s %q is not a date, left out", f.path, field, s)
	}
	return d
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func countMarkdown(dir string) int {
	n := 0
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".md") {
			n++
		}
		return nil
	})
	return n
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimPrefix(s, "yaml: ")
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

// comment is one comment of a task file's Comments section.
type comment struct{ author, created, text string }

// splitComments takes the Comments section out of a body, and the section
// markers (HTML comments such as <!-- SECTION:PLAN:BEGIN -->) out of the
// rest: they guide Backlog.md's editor, and say nothing to a reader.
func splitComments(body string) (string, []comment) {
	var out []string
	var comments []comment
	lines := strings.Split(body, "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		trim := strings.TrimSpace(l)
		if trim == "## Comments" {
			var block []string
			j := i + 1
			for ; j < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[j]), "## "); j++ {
				block = append(block, lines[j])
			}
			comments = append(comments, parseComments(block)...)
			i = j - 1
			continue
		}
		if isMarker(trim) {
			continue
		}
		out = append(out, l)
	}
	text := strings.Join(out, "\n")
	for strings.Contains(text, "\n\n\n") {
		text = strings.ReplaceAll(text, "\n\n\n", "\n\n")
	}
	return strings.TrimSpace(text), comments
}

// isMarker reports whether a line is one of Backlog.md's section markers.
func isMarker(l string) bool {
	if !strings.HasPrefix(l, "<!--") || !strings.HasSuffix(l, "-->") {
		return false
	}
	inner := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(l, "<!--"), "-->"))
	return strings.HasSuffix(inner, ":BEGIN") || strings.HasSuffix(inner, ":END") || inner == "BEGIN" || inner == "END"
}

// parseComments reads comments written as a few "key: value" lines, a ---
// line, the text, and a closing --- line.
func parseComments(block []string) []comment {
	var out []comment
	var c comment
	inText := false
	var text []string
	for _, l := range block {
		trim := strings.TrimSpace(l)
		switch {
		case isMarker(trim):
		case trim == "---" && !inText:
			inText, text = true, nil
		case trim == "---":
			c.text = strings.TrimSpace(strings.Join(text, "\n"))
			if c.text != "" {
				out = append(out, c)
			}
			c, inText = comment{}, false
		case inText:
			text = append(text, l)
		case strings.HasPrefix(trim, "author:"):
			c.author = strings.TrimSpace(strings.TrimPrefix(trim, "author:"))
		case strings.HasPrefix(trim, "created:"):
			c.created = strings.TrimSpace(strings.TrimPrefix(trim, "created:"))
		}
	}
	return out
}
