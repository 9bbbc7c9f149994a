package bridge

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/tasksmd"
)

// ImportResult says what Import did.
type ImportResult struct {
	Files int // files read
	Tasks int // tasks created
}

// Import reads every TASKS.md of the workspace into the backlog, all or
// nothing (one engine.Import): a file that does not lint, an ID the
// backlog already holds, a file imported before or a cycle of blockers is
// refused with one sentence naming the file and line, and nothing is
// written.
func (b *Bridge) Import(ctx context.Context) (*ImportResult, error) {
	q, err := b.Workspace.Load(ctx)
	if err != nil {
		return nil, err
	}
	if len(q.Files) == 0 {
		return nil, backlog.Invalidf("there is no TASKS.md under %s: nothing to import", b.Workspace.Root)
	}
	if err := lintQueue(q, "imported"); err != nil {
		return nil, err
	}
	snap, err := b.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkClashes(q, snap); err != nil {
		return nil, err
	}
	if err := checkCycles(q); err != nil {
		return nil, err
	}
	uuids := map[*tasksmd.Task]string{}
	byID := map[string]string{}
	for _, t := range q.Tasks() {
		uuids[t] = uuid.NewString()
		if id := t.ID(); id != "" {
			byID[id] = uuids[t]
		}
	}
	var batch []map[string]any
	for _, f := range q.Files {
		st := &state{Path: f.Path, Text: string(tasksmd.Render(f)), Tasks: []string{}}
		if old := snap.states[f.Path]; old != nil {
			st.uuid = old.uuid
		} else {
			st.uuid = uuid.NewString()
		}
		for _, t := range f.Tasks {
			obj, err := importObject(f, t, uuids[t], byID)
			if err != nil {
				return nil, err
			}
			batch = append(batch, obj)
			st.Tasks = append(st.Tasks, uuids[t])
		}
		batch = append(batch, stateRecord(st))
	}
	data, err := json.Marshal(batch)
	if err != nil {
		return nil, err
	}
	if _, err := b.Engine.Import(ctx, data, engine.ImportOptions{}); err != nil {
		return nil, err
	}
	return &ImportResult{Files: len(q.Files), Tasks: len(uuids)}, nil
}

// importObject is the engine.Import object of one task of f.
func importObject(f *tasksmd.File, t *tasksmd.Task, id string, byID map[string]string) (map[string]any, error) {
	if err := backlog.ValidateDescription(t.Summary); err != nil {
		return nil, at(f.Path, t.StartLine, err)
	}
	prio, next := sectionPriority(t.Priority)
	var tags []string
	for _, tag := range t.Tags() {
		if err := backlog.ValidateTag(tag); err != nil {
			return nil, at(f.Path, fieldLine(t, "tags"), err)
		}
		if !slices.Contains(tags, tag) {
			tags = append(tags, tag)
		}
	}
	if next && !slices.Contains(tags, "next") {
		tags = append(tags, "next")
	}
	if len(tags) > backlog.MaxTags {
		return nil, backlog.Invalidf("%s:%d: the task has %d tags, more than the backlog's %d", f.Path, fieldLine(t, "tags"), len(tags), backlog.MaxTags)
	}
	depends := []string{}
	for _, blocker := range t.BlockedBy() {
		// An ID found in no file is a finished dependency: nothing waits.
		if u, ok := byID[blocker]; ok && !slices.Contains(depends, u) {
			depends = append(depends, u)
		}
	}
	extra := map[string]any{AttrFile: f.Path, AttrSection: tasksmd.PriorityName(t.Priority)}
	if v := t.ID(); v != "" {
		extra[AttrID] = v
	}
	obj := map[string]any{
		"uuid":        id,
		"description": t.Summary,
		"status":      string(backlog.StatusPending),
		"priority":    string(prio),
		"tags":        tags,
		"depends":     depends,
		"extra":       extra,
	}
	if a := t.Agent(); a != "" {
		obj["agent"] = a
	}
	block := f.Lines[t.StartLine-1 : t.EndLine]
	if len(block) > 1 || block[0].Text != canonicalLine(t.Summary, t.Claimed) {
		obj["doc"] = render(block)
	}
	return obj, nil
}

// at puts a file and line before a backlog error's sentence.
func at(path string, line int, err error) error {
	return backlog.Invalidf("%s:%d: %s", path, line, strings.TrimSuffix(errMsg(err), "."))
}

func errMsg(err error) string {
	if e, ok := err.(*backlog.Error); ok {
		return e.Msg
	}
	return err.Error()
}

// fieldLine is the line of a task's field, else the task's line.
func fieldLine(t *tasksmd.Task, key string) int {
	if f := t.Field(key); f != nil {
		return f.Line
	}
	return t.StartLine
}

// lintQueue refuses a queue with a lint finding, naming the first. CRLF
// files are linted as read (without their "\r"), as every command but
// lint reads them.
func lintQueue(q *tasksmd.Queue, done string) error {
	srcs := make([]tasksmd.Source, len(q.Files))
	for i, f := range q.Files {
		lines := slices.Clone(f.Lines)
		for j := range lines {
			lines[j].CR = false
		}
		srcs[i] = tasksmd.Source{Path: f.Path, Data: []byte(render(lines))}
	}
	res := tasksmd.Lint(srcs, false)
	if n := len(res.Findings); n > 0 {
		first := res.Findings[0]
		more := ""
		if n > 1 {
			more = fmt.Sprintf(" (and %d more finding%s: backlog tasksmd lint lists them)", n-1, plural(n-1))
		}
		return backlog.Invalidf("%s:%d: %s%s; fix the file first, nothing was %s", first.File, first.Line, first.Message, more, done)
	}
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// checkClashes refuses an ID a pending backlog task already has, and a
// file whose tasks are in the backlog already (sync brings those in step).
func checkClashes(q *tasksmd.Queue, snap *snapshot) error {
	ids := map[string]*backlog.Task{}
	fromFile := map[string]int{}
	for _, t := range snap.pending {
		if id := text(t, AttrID); id != "" {
			ids[id] = t
		}
		if p := text(t, AttrFile); p != "" {
			fromFile[p]++
		}
	}
	for _, t := range q.Tasks() {
		if have, ok := ids[t.ID()]; ok && t.ID() != "" {
			return backlog.Invalidf("%s:%d: ID '%s' is already task %d in the backlog (%q); rename one of the two", t.File, fieldLine(t, "id"), t.ID(), have.ID, have.Description)
		}
	}
	for _, f := range q.Files {
		if n := fromFile[f.Path]; n > 0 {
			return backlog.Invalidf("%s:1: the backlog already holds %d pending task%s imported from this file; backlog tasksmd export writes them back to it", f.Path, n, plural(n))
		}
	}
	return nil
}

// checkCycles refuses tasks that wait for each other through Blocked by,
// naming the first task of the cycle in file order.
func checkCycles(q *tasksmd.Queue) error {
	byID := map[string]*tasksmd.Task{}
	for _, t := range q.Tasks() {
		if id := t.ID(); id != "" {
			byID[id] = t
		}
	}
	const (
		unseen = iota
		open
		done
	)
	mark := map[*tasksmd.Task]int{}
	var path []string
	var visit func(t *tasksmd.Task) []string
	visit = func(t *tasksmd.Task) []string {
		mark[t] = open
		path = append(path, t.ID())
		for _, id := range t.BlockedBy() {
			next := byID[id]
			switch {
			case next == nil:
			case mark[next] == open:
				i := slices.Index(path, id)
				return append(slices.Clone(path[i:]), id)
			case mark[next] == unseen:
				if c := visit(next); c != nil {
					return c
				}
			}
		}
		path = path[:len(path)-1]
		mark[t] = done
		return nil
	}
	for _, t := range q.Tasks() {
		if mark[t] != unseen {
			continue
		}
		if c := visit(t); c != nil {
			first := byID[c[0]]
			return backlog.Invalidf("%s:%d: blockers form a cycle (%s), so none of these tasks could ever start; remove one **Blocked by** entry", first.File, fieldLine(first, "blockedby"), strings.Join(c, " → "))
		}
	}
	return nil
}
