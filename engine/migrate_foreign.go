package engine

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/store"
)

// MigrateInResult says what MigrateIn wrote and what it found there already.
type MigrateInResult struct {
	Tasks           int          `json:"tasks"`
	TasksSkipped    int          `json:"tasks_skipped"`
	Archived        int          `json:"archived"`
	ArchivedSkipped int          `json:"archived_skipped"`
	Docs            int          `json:"docs"`
	Renumbered      []Renumbered `json:"renumbered,omitempty"`
}

// Renumbered is a task that could not keep its id.
type Renumbered struct {
	UUID        string `json:"uuid"`
	From        int64  `json:"from"`
	To          int64  `json:"to"`
	Description string `json:"description"`
	// Holder is the UUID of the task that keeps the id, when another task
	// of the same migration has it; empty when the backlog had used it.
	Holder string `json:"holder,omitempty"`
}

// MigrateIn writes tasks read from another tool (see package importers)
// into the backlog, in one transaction: each live task with its doc, each
// archived task (Archived set) into its segment with its doc. It matches
// by UUID, so that it can be run again: a task whose UUID the backlog holds,
// live or archived, is skipped, and a second run writes nothing.
//
// A task keeps its id when it has one the backlog never gave; otherwise
// (the id taken by another task of the migration, or used by the backlog)
// it gets a new one, and Renumbered says so. Tasks without an id get new
// ones in their order. The live tasks copied are one journal entry,
// "migrate", so that history shows where they came from and undo takes
// them out again; the archived ones are not in it, as the archive keeps
// no history.
//
// Every task must be valid (a reader makes it so): one that is not is an
// error naming it, and nothing is written.
func (e *Engine) MigrateIn(ctx context.Context, source string, tasks []*backlog.Task, docs map[string]string) (*MigrateInResult, error) {
	for _, t := range tasks {
		if err := validForeign(t, docs); err != nil {
			return nil, err
		}
	}
	var res *MigrateInResult
	err := e.write(ctx, func(o *op) error {
		res = &MigrateInResult{}
		have, err := heldUUIDs(ctx, o.tx)
		if err != nil {
			return err
		}
		var todo []*backlog.Task
		for _, t := range tasks {
			switch {
			case !have[t.UUID] && !slices.ContainsFunc(todo, func(x *backlog.Task) bool { return x.UUID == t.UUID }):
				todo = append(todo, prepareForeign(t, docs))
			case t.Archived != "":
				res.ArchivedSkipped++
			default:
				res.TasksSkipped++
			}
		}
		if len(todo) == 0 {
			return nil
		}
		if res.Renumbered, err = o.numberForeign(todo); err != nil {
			return err
		}
		slices.SortStableFunc(todo, func(a, b *backlog.Task) int { return cmp.Compare(a.ID, b.ID) })
		for _, t := range todo {
			if err := o.insertForeign(t, docs, res); err != nil {
				return err
			}
		}
		return o.commit("migrate", fmt.Sprintf("migrate %d task%s from %s", res.Tasks, plural(res.Tasks), source))
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// validForeign checks a task before anything is written.
func validForeign(t *backlog.Task, docs map[string]string) error {
	name := t.UUID
	if t.ID > 0 {
		name = fmt.Sprint(t.ID)
	}
	if t.UUID == "" {
		return backlog.Invalidf("cannot migrate task %q: it has no UUID; nothing changed", t.Description)
	}
	if err := t.Validate(); err != nil {
		return backlog.Invalidf("cannot migrate task %s: %s; nothing changed", name, errText(err))
	}
	if t.Archived != "" {
		if err := validSegment(t.Archived); err != nil {
			return backlog.Invalidf("cannot migrate task %s: %s; nothing changed", name, errText(err))
		}
	}
	if d, ok := docs[t.UUID]; ok {
		if err := validDoc(d); err != nil {
			return backlog.Invalidf("cannot migrate the doc of task %s: %s; nothing changed", name, errText(err))
		}
	}
	return nil
}

// heldUUIDs are the UUIDs of every task the backlog holds, live or archived.
func heldUUIDs(ctx context.Context, tx store.Tx) (map[string]bool, error) {
	have := map[string]bool{}
	live, err := tx.Select(ctx, store.Query{})
	if err != nil {
		return nil, err
	}
	for _, t := range live {
		have[t.UUID] = true
	}
	segs, err := tx.Segments(ctx)
	if err != nil {
		return nil, err
	}
	for _, seg := range segs {
		ts, err := tx.ArchivedTasks(ctx, seg.Name)
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			have[t.UUID] = true
		}
	}
	return have, nil
}

// prepareForeign copies a task as the backlog stores it: has_doc and the
// doc tag follow the doc, dates are to the second.
func prepareForeign(t *backlog.Task, docs map[string]string) *backlog.Task {
	c := t.Clone()
	c.Urgency = 0
	c.Tags = withoutDocTag(c.Tags)
	_, c.HasDoc = docs[c.UUID]
	if c.HasDoc {
		c.Tags = append(c.Tags, "doc")
	}
	truncate(c)
	return c
}

// numberForeign gives every task its id: its own when the backlog never
// gave it and no earlier task of the migration (by id, then entry) has it,
// else a new one; the renumbered first, then those without an id, in the
// order given.
func (o *op) numberForeign(todo []*backlog.Task) ([]Renumbered, error) {
	// The backlog's next id: every id below it was given (or skipped).
	next, err := o.tx.NextID(o.ctx)
	if err != nil {
		return nil, err
	}
	order := slices.Clone(todo)
	slices.SortStableFunc(order, func(a, b *backlog.Task) int {
		if c := cmp.Compare(a.ID, b.ID); c != 0 {
			return c
		}
		if c := a.Entry.Compare(b.Entry); c != 0 {
			return c
		}
		return cmp.Compare(a.UUID, b.UUID)
	})
	holder := map[int64]string{}
	var fresh, none []*backlog.Task
	var out []Renumbered
	var maxKept int64
	for _, t := range order {
		switch {
		case t.ID == 0:
			none = append(none, t)
		case t.ID < next:
			out = append(out, Renumbered{UUID: t.UUID, From: t.ID, Description: t.Description})
			fresh = append(fresh, t)
		case holder[t.ID] != "":
			out = append(out, Renumbered{UUID: t.UUID, From: t.ID, Description: t.Description, Holder: holder[t.ID]})
			fresh = append(fresh, t)
		default:
			holder[t.ID] = t.UUID
			maxKept = max(maxKept, t.ID)
		}
	}
	// Move the counter past the kept ids; next itself is handed out first
	// when no kept task has it.
	spare := next
	if holder[next] != "" || next <= maxKept {
		spare = 0
	}
	last := next
	for last < maxKept {
		if last, err = o.tx.NextID(o.ctx); err != nil {
			return nil, err
		}
	}
	ids := map[string]int64{}
	for _, t := range append(fresh, none...) {
		if spare > 0 {
			t.ID, spare = spare, 0
		} else if t.ID, err = o.tx.NextID(o.ctx); err != nil {
			return nil, err
		}
		ids[t.UUID] = t.ID
	}
	for i := range out {
		out[i].To = ids[out[i].UUID]
	}
	return out, nil
}

// insertForeign stores one task, its doc, and moves it into the archive
// when it came from one.
func (o *op) insertForeign(t *backlog.Task, docs map[string]string, res *MigrateInResult) error {
	seg := t.Archived
	t.Archived = ""
	if t.Modified.IsZero() {
		t.Modified = o.now
	}
	if t.Entry.IsZero() {
		t.Entry = t.Modified
	}
	if err := o.tx.Insert(o.ctx, t); err != nil {
		return fmt.Errorf("cannot migrate task %d: %w", t.ID, err)
	}
	doc, hasDoc := docs[t.UUID]
	if hasDoc {
		if err := o.tx.SetDoc(o.ctx, t.UUID, doc); err != nil {
			return fmt.Errorf("cannot migrate the doc of task %d: %w", t.ID, err)
		}
		res.Docs++
	}
	if seg != "" {
		if err := o.tx.Archive(o.ctx, t.UUID, seg); err != nil {
			return fmt.Errorf("cannot archive task %d into %s: %w", t.ID, seg, err)
		}
		res.Archived++
		return nil
	}
	o.record(t.UUID, nil, t)
	if hasDoc {
		o.docChange(t.UUID, nil, &doc)
	}
	res.Tasks++
	return nil
}
