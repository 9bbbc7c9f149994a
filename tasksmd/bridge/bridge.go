package bridge

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/tasksmd"
	"github.com/agent-backlog/backlog/tasksmd/workspace"
)

// The user-defined attributes the bridge sets on tasks.
const (
	AttrID      = "tasksmd_id"      // the task's **ID** in the file
	AttrFile    = "tasksmd_file"    // the file the task lives in ("packages/api/TASKS.md")
	AttrSection = "tasksmd_section" // the section it was read from ("P1")
	AttrState   = "tasksmd_state"   // on a state record: the file it describes
)

// DefaultFile is where a backlog task that came from no file is exported.
const DefaultFile = "TASKS.md"

// A Bridge joins a backlog and the TASKS.md files of a workspace.
type Bridge struct {
	Engine    *engine.Engine
	Workspace *workspace.Workspace
}

// A state is what the bridge last wrote or read for one file: its bytes
// and the UUIDs of its tasks in file order.
type state struct {
	Path  string   `json:"path"`
	Tasks []string `json:"tasks"`
	Text  string   `json:"text"`

	uuid string // the record's own UUID
}

// A snapshot is the backlog as the bridge sees it.
type snapshot struct {
	byUUID map[string]*backlog.Task
	// pending are the tasks the files mirror, by id.
	pending []*backlog.Task
	states  map[string]*state
}

func (b *Bridge) snapshot(ctx context.Context) (*snapshot, error) {
	all, err := b.Engine.Export(ctx, "")
	if err != nil {
		return nil, err
	}
	s := &snapshot{byUUID: map[string]*backlog.Task{}, states: map[string]*state{}}
	for _, t := range all {
		s.byUUID[t.UUID] = t
		if path, ok := t.Extra[AttrState].(string); ok {
			st := &state{uuid: t.UUID}
			if t.HasDoc {
				doc, err := b.Engine.DocRead(ctx, t.UUID)
				if err != nil {
					return nil, err
				}
				if json.Unmarshal([]byte(doc), st) != nil {
					st.Tasks, st.Text = nil, ""
				}
			}
			st.Path = path
			if old, dup := s.states[path]; !dup || st.uuid < old.uuid {
				s.states[path] = st
			}
			continue
		}
		if t.Status == backlog.StatusPending {
			s.pending = append(s.pending, t)
		}
	}
	return s, nil
}

// stateRecord is the import object that stores st (replacing its old
// record when it has one).
func stateRecord(st *state) map[string]any {
	doc, _ := json.Marshal(st)
	return map[string]any{
		"uuid":        st.uuid,
		"description": "TASKS.md bridge state of " + st.Path,
		"status":      string(backlog.StatusDeleted),
		// Ended "someday": archive moves deleted tasks that ended before
		// its cutoff out of the working set, and the state must stay.
		"end":   "9999-12-30T00:00:00Z",
		"extra": map[string]any{AttrState: st.Path},
		"doc":   string(doc),
	}
}

// sectionPriority is the backlog priority of a section, and whether the
// section adds the tag `next`.
func sectionPriority(p int) (backlog.Priority, bool) {
	switch p {
	case 0:
		return backlog.PriorityHigh, true
	case 1:
		return backlog.PriorityHigh, false
	case 3:
		return backlog.PriorityLow, false
	}
	return backlog.PriorityMedium, false
}

// section is where a pending task belongs: its old section while its
// priority and tags still say so, else the section of its priority.
func section(t *backlog.Task, fileTags []string) int {
	next := slices.Contains(t.Tags, "next")
	if s, ok := t.Extra[AttrSection].(string); ok && len(s) == 2 && s[0] == 'P' && s[1] >= '0' && s[1] <= '3' {
		p := int(s[1] - '0')
		prio, addsNext := sectionPriority(p)
		if prio == t.Priority && next == (addsNext || slices.Contains(fileTags, "next")) {
			return p
		}
	}
	switch t.Priority {
	case backlog.PriorityHigh:
		if next {
			return 0
		}
		return 1
	case backlog.PriorityLow:
		return 3
	}
	return 2
}

// text returns a string attribute of t, or "".
func text(t *backlog.Task, name string) string {
	s, _ := t.Extra[name].(string)
	return s
}

// canonicalLine is a task line as the bridge writes it.
func canonicalLine(summary, claimed string) string {
	if claimed != "" {
		return "- [ ] " + summary + " (" + claimed + ")"
	}
	return "- [ ] " + summary
}

// render joins lines back to bytes.
func render(lines []tasksmd.Line) string { return string(tasksmd.Render(&tasksmd.File{Lines: lines})) }

// blank reports a line of white space only.
func blank(l tasksmd.Line) bool { return strings.TrimSpace(l.Text) == "" }

// freshID makes an ID for a task from its description, one that used does
// not hold yet (a suffix -2, -3, ... when it does), and marks it used.
func freshID(desc string, used map[string]bool) string {
	id := slug(desc)
	for n := 2; used[id]; n++ {
		id = slug(desc) + "-" + itoa(n)
	}
	used[id] = true
	return id
}
