package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store"
)

// AssignAll gives every pending task the filter selects (with the list's
// implicit status:pending) that no agent holds to agent, without starting
// them: they are held for it. One command, undoable as a whole.
func (e *Engine) AssignAll(ctx context.Context, agent, filterSrc string) (*ModifyResult, error) {
	agent = strings.TrimSpace(agent)
	if agent == "" {
		return nil, backlog.Invalidf("assign-all needs an agent id")
	}
	if err := backlog.ValidateAgent(agent); err != nil {
		return nil, err
	}
	res := &ModifyResult{Tasks: []*backlog.Task{}}
	err := e.write(ctx, func(o *op) error {
		res.Tasks = res.Tasks[:0] // a store may run this again: keep nothing of a run it threw away
		expr, err := parseFilter(ctx, o.tx, filterSrc, o.now)
		if err != nil {
			return err
		}
		free := &filter.AttrExpr{Name: "agent", Mod: filter.ModNoneOf, ModText: "none", Kind: filter.KindString}
		var q filter.Expr = free
		if expr != nil {
			q = &filter.BinaryExpr{X: free, Op: filter.AND, Y: &filter.ParenExpr{X: expr}}
		}
		tasks, err := o.tx.Select(ctx, store.Query{Filter: filter.DefaultScope(q), Now: o.now})
		if err != nil {
			return err
		}
		for _, t := range tasks {
			after := t.Clone()
			after.Agent = agent
			if err := o.update(t, after); err != nil {
				return err
			}
			res.Tasks = append(res.Tasks, after)
		}
		res.Modified = len(tasks)
		if err := o.commit("assign", fmt.Sprintf("assign %d task%s to %s", len(tasks), plural(len(tasks)), agent)); err != nil {
			return err
		}
		g, err := o.tx.Graph(ctx)
		if err != nil {
			return err
		}
		res.Tasks = view(res.Tasks, g, o.now)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// Remove deletes a task and purges it at once, doc included: one command,
// which undo reverses whole.
func (e *Engine) Remove(ctx context.Context, ref string) (*Result, error) {
	return e.one(ctx, ref, func(o *op, t *backlog.Task, r *Result) (string, error) {
		deps, err := o.tx.Dependents(o.ctx, t.UUID)
		if err != nil {
			return "", err
		}
		for _, d := range deps {
			r.Dependents = append(r.Dependents, d.ID)
		}
		if t.Status != backlog.StatusDeleted {
			after := t.Clone()
			after.Status = backlog.StatusDeleted
			after.End = o.now
			if err := o.update(t, after); err != nil {
				return "", err
			}
			t = after
		}
		r.Task = t
		return "remove", o.purge(t)
	})
}

// Stale is a claim that its agent has not renewed.
type Stale struct {
	Task    *backlog.Task `json:"task"`
	Agent   string        `json:"agent"`
	Renewed time.Time     `json:"renewed"` // the claim, or the agent's last change to the task
}

// claimRenewed is when a claim was last renewed: the newest journal entry
// touching the task that is its claim (or assignment) or a change by the
// claiming agent. Without one (a task imported with an agent), its start or
// last modification.
func claimRenewed(ctx context.Context, tx store.Tx, t *backlog.Task) (time.Time, error) {
	es, err := tx.Entries(ctx, 0, t.UUID, 0)
	if err != nil {
		return time.Time{}, err
	}
	for i := len(es) - 1; i >= 0; i-- {
		e := es[i]
		if e.UndoneBy != 0 || e.Command == "undo" {
			continue
		}
		if e.Agent == t.Agent || e.Command == "claim" || e.Command == "assign" {
			return e.At, nil
		}
	}
	if !t.Start.IsZero() {
		return t.Start, nil
	}
	return t.Modified, nil
}

// Reclaim returns to the pool the claims of live tasks that their agents
// have not renewed for olderThan (nothing changed by them since): it clears
// agent and start and records why in an annotation, so that nothing is
// reclaimed silently. One command; undo gives the claims back.
func (e *Engine) Reclaim(ctx context.Context, olderThan time.Duration) ([]Stale, error) {
	if olderThan <= 0 {
		return nil, backlog.Invalidf("a claim is stale after a positive time, such as 2h; got %s", olderThan)
	}
	var out []Stale
	err := e.write(ctx, func(o *op) error {
		out = nil // a store may run this again: keep nothing of a run it threw away
		held, err := o.tx.Select(ctx, store.Query{Filter: &filter.TagExpr{Include: true, Name: "CLAIMED", Virtual: true}, Now: o.now})
		if err != nil {
			return err
		}
		cutoff := o.now.Add(-olderThan)
		for _, t := range held {
			renewed, err := claimRenewed(ctx, o.tx, t)
			if err != nil {
				return err
			}
			if renewed.After(cutoff) {
				continue
			}
			after := t.Clone()
			after.Agent = ""
			after.Start = time.Time{}
			after.Annotations = append(after.Annotations, backlog.Annotation{Entry: o.now,
				Description: fmt.Sprintf("reclaimed from %s: no change by it since %s", t.Agent, renewed.UTC().Format(backlog.DateLayout))})
			if err := o.update(t, after); err != nil {
				return err
			}
			out = append(out, Stale{Task: after, Agent: t.Agent, Renewed: renewed.UTC()})
		}
		if err := o.commit("reclaim", fmt.Sprintf("reclaim %d stale claim%s", len(out), plural(len(out)))); err != nil {
			return err
		}
		g, err := o.tx.Graph(ctx)
		if err != nil {
			return err
		}
		for i := range out {
			out[i].Task = view([]*backlog.Task{out[i].Task}, g, o.now)[0]
		}
		return nil
	})
	if out == nil {
		out = []Stale{}
	}
	return out, err
}

// Event is one task's change in the journal, as history and watch report
// it: who changed which task when, by which command, and the task after the
// change (or before it, when the command removed it).
type Event struct {
	Seq        int64         `json:"seq"`
	At         time.Time     `json:"at"`
	Agent      string        `json:"agent"`
	Command    string        `json:"command"`
	Summary    string        `json:"summary"`
	Task       *backlog.Task `json:"task"`
	Gone       bool          `json:"gone,omitempty"`        // purged or archived by this change
	DocChanged bool          `json:"doc_changed,omitempty"` // the change wrote, deleted, moved or restored the task's doc
}

// events turns a journal entry into its per-task events, keeping those the
// matcher accepts (nil keeps all).
func events(e *store.Entry, keep filter.Matcher) []Event {
	var out []Event
	for _, c := range e.Changes {
		t, gone := c.After, false
		if t == nil {
			t, gone = c.Before, true
		}
		if t == nil { // an archive move records no image
			t, gone = &backlog.Task{UUID: c.UUID}, true
		}
		if keep != nil && !keep(t) {
			continue
		}
		docMoved := c.Doc != nil || c.Archived != "" || c.Unarchived != "" || gone && t.HasDoc
		out = append(out, Event{Seq: e.Seq, At: e.At.UTC(), Agent: e.Agent, Command: e.Command,
			Summary: e.Summary, Task: t, Gone: gone, DocChanged: docMoved})
	}
	return out
}

// History returns the journal's events for the tasks the filter selects (of
// any status: history has no implicit status), oldest first, at most limit
// of them (the newest; 0 means all).
func (e *Engine) History(ctx context.Context, filterSrc string, limit int) ([]Event, error) {
	if limit < 0 {
		return nil, backlog.Invalidf("limit must be 0 (all) or more, got %d", limit)
	}
	var out []Event
	err := e.store.Read(ctx, func(tx store.Tx) error {
		now := e.Now()
		expr, err := parseFilter(ctx, tx, filterSrc, now)
		if err != nil {
			return err
		}
		var entries []*store.Entry
		if expr == nil {
			if entries, err = tx.Entries(ctx, 0, "", 0); err != nil {
				return err
			}
		} else {
			tasks, err := tx.Select(ctx, store.Query{Filter: expr, Now: now})
			if err != nil {
				return err
			}
			seen := map[int64]bool{}
			for _, t := range tasks {
				es, err := tx.Entries(ctx, 0, t.UUID, 0)
				if err != nil {
					return err
				}
				for _, en := range es {
					if !seen[en.Seq] {
						seen[en.Seq] = true
						entries = append(entries, en)
					}
				}
			}
			slices.SortFunc(entries, func(a, b *store.Entry) int { return int(a.Seq - b.Seq) })
			uuids := map[string]bool{}
			for _, t := range tasks {
				uuids[t.UUID] = true
			}
			for _, en := range entries {
				for _, ev := range events(en, nil) {
					if uuids[ev.Task.UUID] {
						out = append(out, ev)
					}
				}
			}
			entries = nil
		}
		for _, en := range entries {
			out = append(out, events(en, nil)...)
		}
		if limit > 0 && len(out) > limit {
			out = out[len(out)-limit:]
		}
		return nil
	})
	if out == nil {
		out = []Event{}
	}
	return out, err
}

// Watch calls fn with every change committed after the sequence number
// after (by any process), in order, exactly once, for the tasks the filter
// selects (judged on the task after the change; no implicit status), until
// ctx ends or fn returns an error. It returns the last sequence number it
// delivered, so that a caller can resume. after < 0 means "from now".
func (e *Engine) Watch(ctx context.Context, filterSrc string, after int64, fn func(Event) error) (int64, error) {
	var keep filter.Matcher
	if err := e.store.Read(ctx, func(tx store.Tx) error {
		expr, err := parseFilter(ctx, tx, filterSrc, e.Now())
		if err != nil {
			return err
		}
		if expr != nil {
			keep = filter.Compile(expr, filter.Env{Now: e.Now()})
		}
		return nil
	}); err != nil {
		return after, err
	}
	feed, err := e.store.Changes(ctx)
	if err != nil {
		return after, err
	}
	for newest := range feed {
		if after < 0 {
			after = newest
			continue
		}
		for after < newest {
			var batch []*store.Entry
			err := e.store.Read(ctx, func(tx store.Tx) error {
				var err error
				batch, err = tx.Entries(ctx, after, "", 500)
				return err
			})
			if err != nil {
				return after, err
			}
			if len(batch) == 0 {
				break
			}
			for _, en := range batch {
				for _, ev := range events(en, keep) {
					if err := fn(ev); err != nil {
						return after, err
					}
				}
				after = en.Seq
			}
		}
	}
	return after, ctx.Err()
}
