package bridge

import (
	"context"
	"slices"
	"strings"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/tasksmd"
)

// blockHead is put before a doc to read it as a task block: the doc's
// first line is then line 3.
const blockHead = "# Tasks\n## P0\n"

// parseBlock reads a doc as a task block: a task line and the lines that
// belong to it, nothing else but blank lines at the end. It returns the
// block's lines and the task, or nil when the doc is not a block.
func parseBlock(doc string) ([]tasksmd.Line, *tasksmd.Task) {
	f := tasksmd.Parse("", []byte(blockHead+doc))
	if len(f.Tasks) != 1 || f.Tasks[0].StartLine != 3 {
		return nil, nil
	}
	t := f.Tasks[0]
	for _, l := range f.Lines[t.EndLine:] {
		if !blank(l) {
			return nil, nil
		}
	}
	return slices.Clone(f.Lines[2:t.EndLine]), t
}

// block is a pending task's block as export writes it, and its section:
// the block kept in the doc, with the task line, ID, Tags and Blocked by
// rewritten where the backlog no longer says what they say.
func (x *exporter) block(ctx context.Context, t *backlog.Task, cr bool) ([]tasksmd.Line, int, error) {
	var lines []tasksmd.Line
	var bt *tasksmd.Task
	if doc, ok := x.docs[t.UUID]; ok {
		lines, bt = parseBlock(doc)
	} else if t.HasDoc {
		doc, err := x.b.Engine.DocRead(ctx, t.UUID)
		if err != nil {
			return nil, 0, err
		}
		lines, bt = parseBlock(doc)
	}
	if bt == nil {
		claim := ""
		if t.Agent != "" {
			claim = "@" + t.Agent
		}
		lines, bt = parseBlock(canonicalLine(t.Description, claim))
		lines[0].CR = cr
	}
	fileTags := bt.Tags()
	sec := section(t, fileTags)
	lcr := lines[0].CR
	set := func(i int, s string) { lines[i] = tasksmd.Line{Text: s, CR: lcr} }
	reparse := func() *tasksmd.Task {
		_, bt := parseBlock(render(lines))
		return bt
	}

	// The task line: the description and the agent.
	if bt.Summary != t.Description || bt.Agent() != t.Agent {
		claim := bt.Claimed
		if bt.Agent() != t.Agent {
			claim = ""
			if t.Agent != "" {
				claim = "@" + t.Agent
			}
		}
		set(0, canonicalLine(t.Description, claim))
		bt = reparse()
	}

	// The structured fields, in the order a new block lists them.
	var tags []string
	for _, tag := range t.Tags {
		if (tag == "doc" || tag == "next") && !slices.Contains(fileTags, tag) {
			continue
		}
		tags = append(tags, tag)
	}
	var blockers []string
	for _, u := range t.Depends {
		if d := x.snap.byUUID[u]; d != nil && d.Status == backlog.StatusPending && x.ids[u] != "" {
			blockers = append(blockers, x.ids[u])
		}
	}
	fields := []struct {
		key, label string
		want       []string
		list       bool
	}{
		{"id", "ID", nonEmpty(x.ids[t.UUID]), false},
		{"tags", "Tags", tags, true},
		{"blockedby", "Blocked by", blockers, true},
	}
	after := 0 // the block line the next new field goes after
	for _, fd := range fields {
		have := bt.Field(fd.key)
		var haveList []string
		if have != nil {
			haveList = have.List
			if !fd.list {
				haveList = nonEmpty(have.Value)
			}
		}
		if sameSet(haveList, fd.want) {
			if have != nil {
				after = have.Line - 3
			}
			continue
		}
		value := strings.Join(ordered(haveList, fd.want), ", ")
		switch {
		case len(fd.want) == 0:
			lines = slices.Delete(lines, have.Line-3, have.Line-2)
		case have != nil:
			old := lines[have.Line-3].Text
			i := strings.Index(old, "**:")
			set(have.Line-3, old[:i+3]+" "+value)
			after = have.Line - 3
		default:
			after++
			lines = slices.Insert(lines, after, tasksmd.Line{Text: "  - **" + fd.label + "**: " + value, CR: lcr})
		}
		bt = reparse()
	}
	return lines, sec, nil
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// sameSet reports whether a and b hold the same strings.
func sameSet(a, b []string) bool {
	for _, s := range a {
		if !slices.Contains(b, s) {
			return false
		}
	}
	for _, s := range b {
		if !slices.Contains(a, s) {
			return false
		}
	}
	return true
}

// ordered is want in the order of have, then the new entries in want's.
func ordered(have, want []string) []string {
	var out []string
	for _, s := range have {
		if slices.Contains(want, s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, s := range want {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
