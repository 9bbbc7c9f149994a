package tasksmd

import (
	"fmt"
	"sort"
	"strings"
)

// ListOptions are the filters of list_tasks and `list`.
type ListOptions struct {
	Priority  string // "P1" in any case; empty for all
	Tag       string // case-insensitive
	Unclaimed bool
	Unblocked bool
}

// List returns the tasks that pass every filter, stably sorted by priority.
func (q *Queue) List(opts ListOptions) []*Task {
	ix := q.index()
	var out []*Task
	for _, t := range q.Tasks() {
		switch {
		case opts.Priority != "" && !strings.EqualFold(PriorityName(t.Priority), opts.Priority):
		case opts.Tag != "" && tagOverlap(t, []string{opts.Tag}) == 0:
		case opts.Unclaimed && t.Claimed != "":
		case opts.Unblocked && ix.blocked(t):
		default:
			out = append(out, t)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Priority < out[j].Priority })
	return out
}

// ListJSON is the list_tasks result (and `list --json`): the summary
// sentence and the tasks, two-space indented. With no task the summary is
// the reference's "No tasks found matching the filters.".
func (q *Queue) ListJSON(tasks []*Task) string {
	ix := q.index()
	summary := "No tasks found matching the filters."
	if len(tasks) > 0 {
		summary = fmt.Sprintf("Found %d task(s) across %d file(s).", len(tasks), len(q.Files))
	}
	arr := make([]jsonValue, len(tasks))
	for i, t := range tasks {
		var claimed jsonValue = jsonNull{}
		if t.Claimed != "" {
			claimed = t.Claimed
		}
		var subtasks jsonValue
		if len(t.Subtasks) > 0 {
			subtasks = t.Subtasks
		}
		arr[i] = jsonObject{
			{"summary", t.Summary}, {"priority", PriorityName(t.Priority)}, {"claimed", claimed},
			{"blocked", ix.blocked(t)}, {"metadata", metadataJSON(t)}, {"subtasks", subtasks},
			{"file", t.File}, {"line", t.StartLine},
		}
	}
	return encodeJSON(jsonObject{{"summary", summary}, {"tasks", arr}}, 2)
}

// ListText is `list`'s text output: `P1<TAB><id or -><TAB><summary>` per
// task, or the reference's "No tasks match the filters.".
func ListText(tasks []*Task) string {
	if len(tasks) == 0 {
		return "No tasks match the filters.\n"
	}
	var b strings.Builder
	for _, t := range tasks {
		id := t.ID()
		if id == "" {
			id = "-"
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\n", PriorityName(t.Priority), id, t.Summary)
	}
	return b.String()
}
