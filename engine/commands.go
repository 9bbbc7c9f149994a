package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store"
)

// Result is what a command on one task returns: the task as it is now, and
// what the command did to the tasks around it.
type Result struct {
	Task *backlog.Task `json:"task"`
	// Unblocked are the live tasks that waited on this one and now wait on
	// nothing (done, delete).
	Unblocked []int64 `json:"unblocked,omitempty"`
	// BlockedBy are the live tasks this one still depends on (done).
	BlockedBy []int64 `json:"blocked_by,omitempty"`
	// Dependents are the live tasks that depend on this one (delete).
	Dependents []int64 `json:"dependents,omitempty"`
	// Next is the next instance of a recurring series, created by done or
	// delete of the current one.
	Next *backlog.Task `json:"next,omitempty"`
}

// write runs fn as one command in a write transaction.
func (e *Engine) write(ctx context.Context, fn func(o *op) error) error {
	var last *op
	err := e.store.Write(ctx, func(tx store.Tx) error {
		last = e.newOp(ctx, tx)
		return fn(last)
	})
	if err == nil && last != nil && last.owes > 0 && e.owed != nil {
		e.owed()
	}
	return err
}

// one runs a command on the task ref names and returns its result.
func (e *Engine) one(ctx context.Context, ref string, fn func(o *op, t *backlog.Task, r *Result) (string, error)) (*Result, error) {
	var r *Result
	err := e.write(ctx, func(o *op) error {
		t, err := resolve(ctx, o.tx, ref)
		if err != nil {
			return err
		}
		r = &Result{}
		command, err := fn(o, t, r)
		if err != nil {
			return err
		}
		if err := o.commit(command, command+" "+taskWords(t)); err != nil {
			return err
		}
		if r.Task == nil {
			r.Task = t
		}
		if r.Task, err = viewOne(ctx, o.tx, r.Task, o.now); err != nil {
			return err
		}
		if r.Next != nil {
			r.Next, err = viewOne(ctx, o.tx, r.Next, o.now)
		}
		return err
	})
	return r, err
}

// Add creates a pending task, or a recurring template and its first
// instance when recur is set (the result is the template).
func (e *Engine) Add(ctx context.Context, c *Changes) (*Result, error) {
	return e.create(ctx, "add", c, backlog.StatusPending)
}

// Log records work already done: a task created completed, ended now.
func (e *Engine) Log(ctx context.Context, c *Changes) (*Result, error) {
	return e.create(ctx, "log", c, backlog.StatusCompleted)
}

func (e *Engine) create(ctx context.Context, command string, c *Changes, status backlog.Status) (*Result, error) {
	if c.Description == nil || strings.TrimSpace(*c.Description) == "" {
		return nil, backlog.Invalidf("a description is required")
	}
	var r *Result
	err := e.write(ctx, func(o *op) error {
		t := &backlog.Task{UUID: newUUID(), Status: status}
		if err := o.apply(t, c); err != nil {
			return err
		}
		if status == backlog.StatusCompleted {
			if t.Recur != "" {
				return backlog.Invalidf("a logged task cannot recur: it is already done")
			}
			t.End = o.now
		}
		var first *backlog.Task
		if t.Recur != "" {
			t.Status = backlog.StatusRecurring
			if t.Due.IsZero() {
				return backlog.Invalidf("a recurring task needs a due date: add due:DATE")
			}
			if err := o.insert(t); err != nil {
				return err
			}
			first = instanceOf(t, t.Due)
			if err := o.insert(first); err != nil {
				return err
			}
		} else if err := o.insert(t); err != nil {
			return err
		}
		if err := o.commit(command, command+" "+taskWords(t)); err != nil {
			return err
		}
		var err error
		r = &Result{}
		if r.Task, err = viewOne(ctx, o.tx, t, o.now); err != nil {
			return err
		}
		if first != nil {
			r.Next, err = viewOne(ctx, o.tx, first, o.now)
		}
		return err
	})
	return r, err
}

// Duplicate copies a task with optional changes: a new id and UUID, status
// pending, no start, end, agent or annotations. A copy of a recurring
// template starts a new series; a copy of an instance stands alone.
func (e *Engine) Duplicate(ctx context.Context, ref string, c *Changes) (*Result, error) {
	var r *Result
	err := e.write(ctx, func(o *op) error {
		src, err := resolve(ctx, o.tx, ref)
		if err != nil {
			return err
		}
		t := &backlog.Task{
			UUID: newUUID(), Description: src.Description, Status: backlog.StatusPending,
			Project: src.Project, Priority: src.Priority, Tags: withoutDocTag(src.Tags),
			Due: src.Due, Scheduled: src.Scheduled, Wait: src.Wait, Until: src.Until,
			Depends: slices.Clone(src.Depends), Extra: src.Clone().Extra,
		}
		if src.Status == backlog.StatusRecurring {
			t.Recur = src.Recur
		}
		if err := o.apply(t, c); err != nil {
			return err
		}
		var first *backlog.Task
		if t.Recur != "" {
			t.Status = backlog.StatusRecurring
			if t.Due.IsZero() {
				return backlog.Invalidf("a recurring task needs a due date: add due:DATE")
			}
		}
		if err := o.insert(t); err != nil {
			return err
		}
		if t.Recur != "" {
			first = instanceOf(t, t.Due)
			if err := o.insert(first); err != nil {
				return err
			}
		}
		if err := o.commit("duplicate", fmt.Sprintf("duplicate %s as %s", taskWords(src), t.Ref())); err != nil {
			return err
		}
		r = &Result{}
		if r.Task, err = viewOne(ctx, o.tx, t, o.now); err != nil {
			return err
		}
		if first != nil {
			r.Next, err = viewOne(ctx, o.tx, first, o.now)
		}
		return err
	})
	return r, err
}

// ModifyResult is what Modify returns.
type ModifyResult struct {
	Modified int             `json:"modified"`
	Tasks    []*backlog.Task `json:"tasks"`
	// Unchanged are the tasks the filter selected that already had every
	// value asked for, by id, so that a surface can tell "nothing to do"
	// from "nothing matched". Not part of the tool's result shape.
	Unchanged []int64 `json:"-"`
}

// Modify applies changes to every task the filter selects (with the list's
// implicit status:pending). More than MaxUnconfirmed tasks need confirm.
func (e *Engine) Modify(ctx context.Context, filterSrc string, c *Changes, confirm bool) (*ModifyResult, error) {
	if strings.TrimSpace(filterSrc) == "" {
		return nil, backlog.Invalidf("modify needs a filter: give ids (12, 1-3) or a filter such as project:web")
	}
	if c.IsEmpty() {
		return nil, backlog.Invalidf("nothing to modify: give at least one field to change")
	}
	res := &ModifyResult{Tasks: []*backlog.Task{}}
	err := e.write(ctx, func(o *op) error {
		expr, err := parseFilter(ctx, o.tx, filterSrc, o.now)
		if err != nil {
			return err
		}
		tasks, err := o.tx.Select(ctx, store.Query{Filter: filter.DefaultScope(expr), Now: o.now})
		if err != nil {
			return err
		}
		if len(tasks) > MaxUnconfirmed && !confirm {
			return backlog.Invalidf("the filter matches %d tasks: confirm to modify more than %d (confirm: \"yes\", or --yes)", len(tasks), MaxUnconfirmed)
		}
		changed := make([]*backlog.Task, 0, len(tasks))
		for _, before := range tasks {
			after := before.Clone()
			if err := o.apply(after, c); err != nil {
				if len(tasks) > 1 {
					return fmt.Errorf("task %s: %w", before.Ref(), err)
				}
				return err
			}
			if err := checkRecurEdit(before, after); err != nil {
				return err
			}
			if sameTask(before, after) {
				res.Unchanged = append(res.Unchanged, before.ID)
				continue
			}
			if err := o.update(before, after); err != nil {
				return err
			}
			changed = append(changed, after)
		}
		summary := fmt.Sprintf("modify %d task", len(changed))
		if len(changed) != 1 {
			summary += "s"
		}
		if err := o.commit("modify", fmt.Sprintf("%s (%s)", summary, c.fieldsOf())); err != nil {
			return err
		}
		g, err := o.tx.Graph(ctx)
		if err != nil {
			return err
		}
		res.Modified = len(changed)
		res.Tasks = view(changed, g, o.now)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// withoutDocTag copies tags without the doc tag: a copy does not get the
// doc, so it must not claim one.
func withoutDocTag(tags []string) []string {
	out := slices.DeleteFunc(slices.Clone(tags), func(s string) bool { return s == "doc" })
	if len(out) == 0 {
		return nil
	}
	return out
}

// checkRecurEdit keeps recurrence consistent under modify: only a template
// (or its instances, which follow it) may change recur, and a template keeps
// a due date.
func checkRecurEdit(before, after *backlog.Task) error {
	switch {
	case before.Status == backlog.StatusRecurring && after.Recur == "":
		return backlog.Invalidf("task %s is a recurring template: delete it to end the series instead of clearing recur", before.Ref())
	case before.Status == backlog.StatusRecurring && after.Due.IsZero():
		return backlog.Invalidf("task %s is a recurring template: it needs a due date", before.Ref())
	case before.Status != backlog.StatusRecurring && before.Parent == "" && after.Recur != before.Recur:
		return backlog.Invalidf("task %s does not recur: add a new task with recur to start a series", before.Ref())
	}
	return nil
}

// Start marks a task as being worked on. Starting an active task changes
// nothing.
func (e *Engine) Start(ctx context.Context, ref string) (*Result, error) {
	return e.one(ctx, ref, func(o *op, t *backlog.Task, r *Result) (string, error) {
		if err := mustBeLive(t, "started"); err != nil {
			return "", err
		}
		if !t.Start.IsZero() {
			return "start", nil
		}
		after := t.Clone()
		after.Start = o.now
		r.Task = after
		return "start", o.update(t, after)
	})
}

// Stop marks an active task as no longer being worked on.
func (e *Engine) Stop(ctx context.Context, ref string) (*Result, error) {
	return e.one(ctx, ref, func(o *op, t *backlog.Task, r *Result) (string, error) {
		if t.Start.IsZero() || !t.IsLive() {
			return "", backlog.Conflictf("task %s is not started", t.Ref())
		}
		after := t.Clone()
		after.Start = time.Time{}
		r.Task = after
		return "stop", o.update(t, after)
	})
}

// mustBeLive refuses a command on a task that is done, deleted or a template.
func mustBeLive(t *backlog.Task, verb string) error {
	switch t.Status {
	case backlog.StatusCompleted, backlog.StatusDeleted:
		return backlog.Conflictf("task %s is %s: it cannot be %s", t.Ref(), t.Status, verb)
	case backlog.StatusRecurring:
		return backlog.Conflictf("task %s is a recurring template: it cannot be %s (its instances can)", t.Ref(), verb)
	}
	return nil
}

// Done completes a task. Completing a blocked task is allowed; the result
// says what still blocks it and which tasks it unblocked. Completing a
// recurring instance creates the next one.
func (e *Engine) Done(ctx context.Context, ref string) (*Result, error) {
	return e.DoneWith(ctx, ref, DoneOptions{})
}

// DoneWith completes a task and, for a task imported from an issue, says
// what its issue should be told: close it, and a note posted as a comment.
// The note is kept on the task as an annotation too.
func (e *Engine) DoneWith(ctx context.Context, ref string, opts DoneOptions) (*Result, error) {
	opts.Note = strings.TrimSpace(opts.Note)
	if opts.Note != "" {
		if err := backlog.ValidateAnnotation(opts.Note); err != nil {
			return nil, err
		}
	}
	return e.one(ctx, ref, func(o *op, t *backlog.Task, r *Result) (string, error) {
		o.done = opts
		switch t.Status {
		case backlog.StatusCompleted:
			return "", backlog.Conflictf("task %s is already completed", t.Ref())
		case backlog.StatusDeleted:
			return "", backlog.Conflictf("task %s is deleted: it cannot be completed (undo the delete first)", t.Ref())
		case backlog.StatusRecurring:
			return "", backlog.Conflictf("task %s is a recurring template: complete its instances, or delete it to end the series", t.Ref())
		}
		blockers, err := o.liveDeps(t)
		if err != nil {
			return "", err
		}
		r.BlockedBy = blockers
		after := t.Clone()
		after.Status = backlog.StatusCompleted
		after.End = o.now
		if opts.Note != "" {
			after.Annotations = append(after.Annotations, backlog.Annotation{Entry: o.now, Description: opts.Note})
		}
		r.Task = after
		if err := o.update(t, after); err != nil {
			return "", err
		}
		if r.Unblocked, err = o.unblocked(t); err != nil {
			return "", err
		}
		r.Next, err = o.nextInstance(after)
		return "done", err
	})
}

// Delete marks a task deleted (restorable with undo). Deleting a recurring
// template ends the series: its pending instance is deleted with it.
func (e *Engine) Delete(ctx context.Context, ref string) (*Result, error) {
	return e.one(ctx, ref, func(o *op, t *backlog.Task, r *Result) (string, error) {
		if t.Status == backlog.StatusDeleted {
			return "", backlog.Conflictf("task %s is already deleted", t.Ref())
		}
		deps, err := o.tx.Dependents(o.ctx, t.UUID)
		if err != nil {
			return "", err
		}
		for _, d := range deps {
			r.Dependents = append(r.Dependents, d.ID)
		}
		after := t.Clone()
		after.Status = backlog.StatusDeleted
		after.End = o.now
		r.Task = after
		if err := o.update(t, after); err != nil {
			return "", err
		}
		if t.IsLive() {
			if r.Unblocked, err = o.unblocked(t); err != nil {
				return "", err
			}
		}
		if t.Status == backlog.StatusRecurring {
			return "delete", o.deleteInstances(t)
		}
		if t.Status == backlog.StatusPending {
			r.Next, err = o.nextInstance(after)
		}
		return "delete", err
	})
}

// Purge removes a deleted task and its doc for good.
func (e *Engine) Purge(ctx context.Context, ref string) (*Result, error) {
	return e.one(ctx, ref, func(o *op, t *backlog.Task, r *Result) (string, error) {
		if t.Status != backlog.StatusDeleted {
			return "", backlog.Conflictf("task %s is %s: only a deleted task can be purged (delete it first)", t.Ref(), t.EffectiveStatus(o.now))
		}
		return "purge", o.purge(t)
	})
}

// Annotate adds a timestamped note to a task.
func (e *Engine) Annotate(ctx context.Context, ref, text string) (*Result, error) {
	text = strings.TrimSpace(text)
	if err := backlog.ValidateAnnotation(text); err != nil {
		return nil, err
	}
	return e.one(ctx, ref, func(o *op, t *backlog.Task, r *Result) (string, error) {
		after := t.Clone()
		after.Annotations = append(after.Annotations, backlog.Annotation{Entry: o.now, Description: text})
		r.Task = after
		return "annotate", o.update(t, after)
	})
}

// Denotate removes the first annotation whose text is exactly text.
func (e *Engine) Denotate(ctx context.Context, ref, text string) (*Result, error) {
	text = strings.TrimSpace(text)
	return e.one(ctx, ref, func(o *op, t *backlog.Task, r *Result) (string, error) {
		i := slices.IndexFunc(t.Annotations, func(a backlog.Annotation) bool { return a.Description == text })
		if i < 0 {
			return "", backlog.NotFoundf("task %s has no annotation %q", t.Ref(), text)
		}
		after := t.Clone()
		after.Annotations = slices.Delete(after.Annotations, i, i+1)
		r.Task = after
		return "denotate", o.update(t, after)
	})
}

// liveDeps returns the ids of the live tasks t depends on.
func (o *op) liveDeps(t *backlog.Task) ([]int64, error) {
	var ids []int64
	for _, d := range t.Depends {
		dep, err := o.tx.TaskByUUID(o.ctx, d)
		if err != nil {
			if isNotFound(err) {
				continue
			}
			return nil, err
		}
		if dep.IsLive() {
			ids = append(ids, dep.ID)
		}
	}
	return ids, nil
}

// unblocked returns the live tasks that depended on t and, now that t is no
// longer live, depend on nothing live.
func (o *op) unblocked(t *backlog.Task) ([]int64, error) {
	deps, err := o.tx.Dependents(o.ctx, t.UUID)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, d := range deps {
		still, err := o.liveDeps(d)
		if err != nil {
			return nil, err
		}
		if len(still) == 0 {
			ids = append(ids, d.ID)
		}
	}
	return ids, nil
}

func isNotFound(err error) bool { return errors.Is(err, backlog.ErrNotFound) }
