package engine

import (
	"context"
	"fmt"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/store"
)

// UndoResult says what Undo reversed: the command in words (nil when there
// was nothing to undo) and the tasks as they are again.
type UndoResult struct {
	Undone *string         `json:"undone"`
	Tasks  []*backlog.Task `json:"tasks"`
}

// Undo reverses the engine agent's most recent command that is not already
// undone, as a whole. It refuses, changing nothing, when a later command
// (of any agent) changed one of the same tasks since.
func (e *Engine) Undo(ctx context.Context) (*UndoResult, error) {
	res := &UndoResult{Tasks: []*backlog.Task{}}
	err := e.write(ctx, func(o *op) error {
		*res = UndoResult{Tasks: []*backlog.Task{}} // a store may run this again: keep nothing of a run it threw away
		entry, err := o.tx.LatestUndoable(ctx, e.agent)
		if err != nil || entry == nil {
			return err
		}
		// Check every task first, so that a refusal changes nothing.
		for _, c := range entry.Changes {
			if err := o.checkUnchanged(entry, c); err != nil {
				return err
			}
		}
		var restored []*backlog.Task
		for i := len(entry.Changes) - 1; i >= 0; i-- {
			t, err := o.restore(entry.Changes[i])
			if err != nil {
				return err
			}
			if t != nil {
				restored = append([]*backlog.Task{t}, restored...)
			}
		}
		// Dependencies added since by others may close a cycle with the
		// ones this undo brings back.
		for _, t := range restored {
			if err := o.checkCycles(t, nil); err != nil {
				return backlog.Conflictf("cannot undo %q: it would bring back a %s; undo refused, nothing changed", entry.Summary, errText(err))
			}
		}
		// Undoing a sync puts back what was here before it, locally: the
		// issue upstream already says what the sync brought.
		if entry.Command != "sync" {
			if err := o.owe(); err != nil {
				return err
			}
		}
		undo := &store.Entry{At: o.now, Agent: e.agent, Command: "undo", Summary: "undo " + entry.Summary,
			Undoes: entry.Seq, Changes: o.changes}
		if err := o.tx.Append(ctx, undo); err != nil {
			return err
		}
		if err := o.tx.MarkUndone(ctx, entry.Seq, undo.Seq); err != nil {
			return err
		}
		g, err := o.tx.Graph(ctx)
		if err != nil {
			return err
		}
		res.Undone = &entry.Summary
		res.Tasks = view(restored, g, o.now)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// checkUnchanged refuses when a task (or its doc) is no longer as entry
// left it, naming who changed it since.
func (o *op) checkUnchanged(entry *store.Entry, c store.Change) error {
	cur, err := o.tx.TaskByUUID(o.ctx, c.UUID)
	if err != nil && !isNotFound(err) {
		return err
	}
	if err != nil {
		cur = nil
	}
	same := sameTask(cur, c.After)
	if c.Archived != "" {
		// Archived: it must still be in the archive, not restored since.
		same = cur == nil
	}
	if same && c.Doc != nil && cur != nil {
		doc, err := o.tx.Doc(o.ctx, c.UUID)
		switch {
		case err != nil && !isNotFound(err):
			return err
		case err != nil:
			same = c.Doc.After == nil
		default:
			same = c.Doc.After != nil && *c.Doc.After == doc
		}
	}
	if same {
		return nil
	}
	ref := c.UUID
	switch {
	case c.After != nil:
		ref = c.After.Ref()
	case c.Before != nil:
		ref = c.Before.Ref()
	case cur != nil:
		ref = cur.Ref()
	}
	later, err := o.tx.Entries(o.ctx, entry.Seq, c.UUID, 0)
	if err != nil {
		return err
	}
	if len(later) > 0 {
		// Name the first change by someone else, else the first change.
		l := later[0]
		for _, x := range later {
			if x.Agent != entry.Agent {
				l = x
				break
			}
		}
		return backlog.Conflictf("cannot undo %q: task %s was changed since by %s (%s); undo refused, nothing changed",
			entry.Summary, ref, l.Agent, l.Summary)
	}
	return backlog.Conflictf("cannot undo %q: task %s was changed since; undo refused, nothing changed", entry.Summary, ref)
}

// restore puts a task (and its doc) back as it was before the change and
// returns it, or nil when it did not exist before.
func (o *op) restore(c store.Change) (*backlog.Task, error) {
	cur, err := o.tx.TaskByUUID(o.ctx, c.UUID)
	if err != nil && !isNotFound(err) {
		return nil, err
	}
	if err != nil {
		cur = nil
	}
	switch {
	case c.Archived != "":
		back, err := o.tx.Unarchive(o.ctx, c.UUID)
		if err != nil {
			return nil, fmt.Errorf("restoring archived task %s: %w", c.UUID, err)
		}
		o.changes = append(o.changes, store.Change{UUID: c.UUID, After: cloneOrNil(back), Unarchived: c.Archived})
		return cloneOrNil(back), nil
	case c.Unarchived != "":
		if err := o.tx.Archive(o.ctx, c.UUID, c.Unarchived); err != nil {
			return nil, fmt.Errorf("archiving task %s again: %w", c.UUID, err)
		}
		o.changes = append(o.changes, store.Change{UUID: c.UUID, Archived: c.Unarchived})
		return nil, nil
	}
	var docNow *string
	if c.Doc != nil && cur != nil {
		if d, err := o.tx.Doc(o.ctx, c.UUID); err == nil {
			docNow = &d
		}
	}
	switch {
	case c.Before == nil && cur != nil:
		err = o.tx.Purge(o.ctx, c.UUID)
	case c.Before != nil && cur == nil:
		err = o.tx.Insert(o.ctx, c.Before.Clone())
	case c.Before != nil:
		err = o.tx.Update(o.ctx, c.Before.Clone())
	}
	if err != nil {
		return nil, fmt.Errorf("restoring task %s: %w", c.UUID, err)
	}
	o.record(c.UUID, cur, c.Before)
	if c.Doc != nil && c.Before != nil {
		if c.Doc.Before == nil {
			err = o.tx.DeleteDoc(o.ctx, c.UUID)
		} else {
			err = o.tx.SetDoc(o.ctx, c.UUID, *c.Doc.Before)
		}
		if err != nil {
			return nil, err
		}
		o.docChange(c.UUID, docNow, c.Doc.Before)
	}
	return cloneOrNil(c.Before), nil
}
