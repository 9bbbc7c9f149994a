package tasksmd

import (
	"fmt"
	"sort"
	"strings"
)

// An index holds what blocking and picking need across the queue: the IDs
// that exist, and how many tasks wait for each ID.
type index struct {
	ids      map[string]bool
	unblocks map[string]int
}

func (q *Queue) index() index {
	ix := index{ids: map[string]bool{}, unblocks: map[string]int{}}
	for _, t := range q.Tasks() {
		if f := t.Field("id"); f != nil {
			ix.ids[f.Value] = true
		}
		seen := map[string]bool{}
		for _, id := range t.BlockedBy() {
			if !seen[id] {
				seen[id] = true
				ix.unblocks[id]++
			}
		}
	}
	return ix
}

// blocked: a Blocked by ID still exists somewhere (an ID found nowhere is
// done), or a non-empty **Blocked** reason.
func (ix index) blocked(t *Task) bool {
	for _, id := range t.BlockedBy() {
		if ix.ids[id] {
			return true
		}
	}
	return t.BlockedReason() != ""
}

func (ix index) unblockCount(t *Task) int {
	if f := t.Field("id"); f != nil && f.Value != "" {
		return ix.unblocks[f.Value]
	}
	return 0
}

// IsBlocked reports whether t waits for a task that still exists in the
// queue or for an external reason.
func (q *Queue) IsBlocked(t *Task) bool { return q.index().blocked(t) }

// PickOptions are pick's inputs.
type PickOptions struct {
	// Agent, when set, resumes that agent's own unblocked claim first.
	Agent string
	// Tags prefer tasks sharing at least one tag (case-insensitive).
	Tags []string
}

// A Pick is the chosen task and how it was chosen.
type Pick struct {
	Task *Task
	// Candidates is how many tasks were eligible after the tag filter (1
	// for a resumed claim).
	Candidates int
	// Unblocks is how many tasks list this task's ID in Blocked by.
	Unblocks int
	// Resumed is true when the agent's own claim was picked.
	Resumed bool
}

// Pick chooses the next task, in the order of TASKSMD.md: the agent's own
// unblocked claim (its claim, without "@" and lower-cased, starts with the
// agent name); else the unclaimed, unblocked tasks, kept to those sharing a
// tag when any does, stably sorted by priority, then tasks unblocked (more
// first), then tags shared (more first). Nil when nothing is eligible;
// mutual blockers stay blocked (no cycle breaking).
func (q *Queue) Pick(opts PickOptions) *Pick {
	ix := q.index()
	tasks := q.Tasks()
	if opts.Agent != "" {
		agent := strings.ToLower(strings.TrimPrefix(opts.Agent, "@"))
		for _, t := range tasks {
			if t.Claimed != "" && strings.HasPrefix(strings.ToLower(strings.TrimPrefix(t.Claimed, "@")), agent) && !ix.blocked(t) {
				return &Pick{Task: t, Candidates: 1, Unblocks: ix.unblockCount(t), Resumed: true}
			}
		}
	}
	var cands []*Task
	for _, t := range tasks {
		if t.Claimed == "" && !ix.blocked(t) {
			cands = append(cands, t)
		}
	}
	if len(opts.Tags) > 0 {
		var tagged []*Task
		for _, t := range cands {
			if tagOverlap(t, opts.Tags) > 0 {
				tagged = append(tagged, t)
			}
		}
		if len(tagged) > 0 {
			cands = tagged
		}
	}
	if len(cands) == 0 {
		return nil
	}
	type scored struct {
		t               *Task
		unblocks, share int
	}
	ss := make([]scored, len(cands))
	for i, t := range cands {
		ss[i] = scored{t, ix.unblockCount(t), tagOverlap(t, opts.Tags)}
	}
	sort.SliceStable(ss, func(i, j int) bool {
		a, b := ss[i], ss[j]
		if a.t.Priority != b.t.Priority {
			return a.t.Priority < b.t.Priority
		}
		if a.unblocks != b.unblocks {
			return a.unblocks > b.unblocks
		}
		return a.share > b.share
	})
	return &Pick{Task: ss[0].t, Candidates: len(cands), Unblocks: ss[0].unblocks}
}

// tagOverlap counts t's tags found in want, case-insensitively.
func tagOverlap(t *Task, want []string) int {
	n := 0
	for _, tag := range t.Tags() {
		for _, w := range want {
			if strings.EqualFold(tag, w) {
				n++
				break
			}
		}
	}
	return n
}

// NoPickText is pick's text output when nothing is eligible.
const NoPickText = "No eligible tasks found (all claimed, blocked, or empty queue).\n"

// PickText is pick's text output: the summary line, then the indented
// file, ID, tags, unblocks (when any, as the reference) and candidates.
func PickText(p *Pick) string {
	if p == nil {
		return NoPickText
	}
	t := p.Task
	var b strings.Builder
	fmt.Fprintf(&b, "Picked %q (%s)\n", t.Summary, PriorityName(t.Priority))
	fmt.Fprintf(&b, "  File: %s:%d\n", t.File, t.StartLine)
	if id := t.ID(); id != "" {
		fmt.Fprintf(&b, "  ID: %s\n", id)
	}
	if tags := t.Tags(); len(tags) > 0 {
		fmt.Fprintf(&b, "  Tags: %s\n", strings.Join(tags, ", "))
	}
	if p.Unblocks > 0 {
		fmt.Fprintf(&b, "  Unblocks: %d task(s)\n", p.Unblocks)
	}
	fmt.Fprintf(&b, "  Candidates: %d\n", p.Candidates)
	return b.String()
}

// PickJSON is `pick --json`: one compact line with a final newline.
func PickJSON(p *Pick) string {
	if p == nil {
		return `{"picked":false}` + "\n"
	}
	t := p.Task
	var id jsonValue
	if v := t.ID(); v != "" {
		id = v
	}
	return encodeJSON(jsonObject{
		{"picked", true}, {"summary", t.Summary}, {"priority", PriorityName(t.Priority)},
		{"file", t.File}, {"line", t.StartLine}, {"id", id}, {"metadata", metadataJSON(t)},
		{"unblocks", p.Unblocks}, {"resumed", p.Resumed}, {"candidates", p.Candidates},
	}, 0) + "\n"
}
