package engine

import (
	"fmt"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/when"
)

// A recurring task is a template (status recurring) that is never worked on
// itself; its instances are. A template has at most one pending instance:
// the next is created when the current one is completed or deleted, due at
// the first period date after the later of the old due date and now, so
// that a long pause creates one instance, not one per missed period. Period
// dates are counted from the template's due date (so monthly on the 31st
// clamps to each month's end without drifting), and generation happens in
// write commands only, never on reads.

// instanceOf makes the instance of tpl due at due. Scheduled and wait keep
// their offsets from the template's due date.
func instanceOf(tpl *backlog.Task, due time.Time) *backlog.Task {
	c := tpl.Clone()
	inst := &backlog.Task{
		Description: c.Description, Status: backlog.StatusPending, Project: c.Project,
		Priority: c.Priority, Tags: withoutDocTag(c.Tags), Due: due, Until: c.Until, Recur: c.Recur,
		Parent: tpl.UUID, Depends: c.Depends, Agent: c.Agent, Extra: c.Extra,
	}
	if !tpl.Scheduled.IsZero() {
		inst.Scheduled = due.Add(tpl.Scheduled.Sub(tpl.Due))
	}
	if !tpl.Wait.IsZero() {
		inst.Wait = due.Add(tpl.Wait.Sub(tpl.Due))
	}
	return inst
}

// nextInstance creates the instance that follows a finished one, when the
// series goes on, and returns it (nil when none is due).
func (o *op) nextInstance(done *backlog.Task) (*backlog.Task, error) {
	if done.Parent == "" {
		return nil, nil
	}
	tpl, err := o.tx.TaskByUUID(o.ctx, done.Parent)
	if err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	if tpl.Status != backlog.StatusRecurring {
		return nil, nil
	}
	pending, err := o.instances(tpl)
	if err != nil || len(pending) > 0 {
		return nil, err
	}
	after := done.Due
	if after.IsZero() || o.now.After(after) {
		after = o.now
	}
	due, err := nextDue(tpl, after, o.now.Location())
	if err != nil {
		return nil, err
	}
	if !tpl.Until.IsZero() && due.After(tpl.Until) {
		return nil, nil
	}
	inst := instanceOf(tpl, due)
	if err := o.insert(inst); err != nil {
		return nil, err
	}
	return inst, nil
}

// instances returns the template's pending instances.
func (o *op) instances(tpl *backlog.Task) ([]*backlog.Task, error) {
	q := &filter.BinaryExpr{
		X:  &filter.AttrExpr{Name: "parent", Mod: filter.ModIs, ModText: "is", Value: tpl.UUID, Kind: filter.KindString},
		Op: filter.AND,
		Y:  &filter.AttrExpr{Name: "status", Mod: filter.ModIs, ModText: "is", Value: "pending", Kind: filter.KindStatus},
	}
	ts, err := o.tx.Select(o.ctx, store.Query{Filter: q, Now: o.now})
	if err != nil {
		return nil, err
	}
	// status:pending leaves out waiting instances, which are pending too.
	waiting, err := o.tx.Select(o.ctx, store.Query{Filter: &filter.BinaryExpr{X: q.X, Op: filter.AND,
		Y: &filter.TagExpr{Include: true, Name: "WAITING", Virtual: true}}, Now: o.now})
	if err != nil {
		return nil, err
	}
	return append(ts, waiting...), nil
}

// continueSeries gives a template that has no pending instance one: due at
// the template's due date when it never had an instance, else at the next
// period date after its latest instance (or now, if later).
func (o *op) continueSeries(tpl *backlog.Task) error {
	q := &filter.AttrExpr{Name: "parent", Mod: filter.ModIs, ModText: "is", Value: tpl.UUID, Kind: filter.KindString}
	all, err := o.tx.Select(o.ctx, store.Query{Filter: q, Now: o.now})
	if err != nil {
		return err
	}
	var latest time.Time
	for _, inst := range all {
		if inst.Status == backlog.StatusPending {
			return nil
		}
		if inst.Due.After(latest) {
			latest = inst.Due
		}
	}
	due := tpl.Due
	if len(all) > 0 {
		after := latest
		if o.now.After(after) {
			after = o.now
		}
		if due, err = nextDue(tpl, after, o.now.Location()); err != nil {
			return err
		}
	}
	if !tpl.Until.IsZero() && due.After(tpl.Until) {
		return nil
	}
	return o.insert(instanceOf(tpl, due))
}

// deleteInstances deletes a template's pending instances with it.
func (o *op) deleteInstances(tpl *backlog.Task) error {
	insts, err := o.instances(tpl)
	if err != nil {
		return err
	}
	for _, inst := range insts {
		after := inst.Clone()
		after.Status = backlog.StatusDeleted
		after.End = o.now
		if err := o.update(inst, after); err != nil {
			return err
		}
	}
	return nil
}

// maxSteps bounds the search for the next period date.
const maxSteps = 100000

// nextDue returns the first of the template's period dates strictly after
// after. Every candidate is computed from the template's due date (anchor +
// n periods, or + k weekdays), never from the previous candidate, so that
// calendar clamping and daylight-saving shifts never accumulate. n starts
// from an estimate and is corrected in both directions.
func nextDue(tpl *backlog.Task, after time.Time, loc *time.Location) (time.Time, error) {
	d, err := when.ParseDuration(tpl.Recur)
	if err != nil || d.Approx() <= 0 {
		return time.Time{}, backlog.Invalidf("task %s has recurrence %q, which is not a period", tpl.Ref(), tpl.Recur)
	}
	anchor := tpl.Due.In(loc)
	if d.Weekdays {
		return nextWeekday(anchor, after)
	}
	at := func(n int) time.Time { return scale(d, n).AddTo(anchor) }
	n := 0
	if gap := after.Sub(anchor); gap > 0 {
		n = int(gap / d.Approx())
	}
	for n > 0 && at(n-1).After(after) {
		n--
	}
	for i := 0; i < maxSteps; i++ {
		if t := at(n); t.After(after) {
			return t, nil
		}
		n++
	}
	return time.Time{}, fmt.Errorf("no period date found after %s", after)
}

// nextWeekday returns the first Monday-to-Friday date, anchor + k days at
// the anchor's time of day, strictly after after.
func nextWeekday(anchor, after time.Time) (time.Time, error) {
	k := 0
	if gap := after.Sub(anchor); gap > 0 {
		k = int(gap.Hours() / 24)
	}
	at := func(k int) time.Time { return anchor.AddDate(0, 0, k) }
	for k > 0 && at(k-1).After(after) {
		k--
	}
	for i := 0; i < maxSteps; i++ {
		if t := at(k); t.After(after) && !isWeekend(t) {
			return t, nil
		}
		k++
	}
	return time.Time{}, fmt.Errorf("no weekday found after %s", after)
}

// scale returns n times d.
func scale(d when.Duration, n int) when.Duration {
	return when.Duration{Months: d.Months * n, Days: d.Days * n, Clock: d.Clock * time.Duration(n)}
}

func isWeekend(t time.Time) bool {
	return t.Weekday() == time.Saturday || t.Weekday() == time.Sunday
}
