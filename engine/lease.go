package engine

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/when"
)

// A lease makes a claim lapse when its agent stops working: a claim made
// with one holds while the agent keeps changing the task, and once it has
// gone a whole lease without a change by the agent, the next claim by
// anyone returns the task to the pool. A fleet of agents heals itself
// without a person running reclaim. The task keeps the lease's length and
// the time it lapses (lease, lease_until), so that any backend finds the
// lapsed ones through an index and every surface shows them.

// ParseLease reads a lease's length as people and agents write it: a
// duration such as 30min, 2h or 1d, from a second to a year. Months are
// refused ("30m" is thirty months in the duration language, surely not what
// a claim means); when.ParseElapsed is the reading that ParseStaleAge
// shares.
func ParseLease(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	lease, err := idleSpan("lease", "a duration such as 30min, 2h or 1d", s)
	if err != nil {
		return 0, err
	}
	lease = lease.Truncate(time.Second)
	switch {
	case lease < time.Second:
		return 0, backlog.Invalidf("a lease must be at least 1s, such as 30min; got %q", s)
	case lease > backlog.MaxLease:
		return 0, backlog.Invalidf("a lease is at most %s, got %q", FormatLease(backlog.MaxLease), s)
	}
	return lease, nil
}

// ParseStaleAge reads how long a claim may go without a change by its
// agent before Reclaim frees it (backlog reclaim --older-than, task_claim's
// reclaim), so that every surface gives the same answer to the same words:
// 30min, 2h, 1d, 1w; "30m" is refused as thirty months, as for a lease.
// Whether the age is positive is Reclaim's to say.
func ParseStaleAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	return idleSpan("reclaim", "a time such as 2h or 30min", s)
}

// idleSpan reads the argument what, a span of idle time, with
// when.ParseElapsed, in the sentences every surface gives: its refusal of
// months written as m naming the argument (lease "30m" would be 30 months:
// write 30min for minutes), anything else that is not a duration as "what
// must be example".
func idleSpan(what, example, s string) (time.Duration, error) {
	d, err := when.ParseElapsed(s)
	switch {
	case errors.Is(err, when.ErrBareMonths):
		return 0, backlog.Invalidf("%s %s", what, err.Error())
	case err != nil:
		return 0, backlog.Invalidf("%s must be %s, got %q", what, example, s)
	}
	return d, nil
}

// FormatLease writes a lease in the largest unit that divides it, as
// ParseLease reads it back: 30min, 2h, 1d, 90s.
func FormatLease(d time.Duration) string {
	for _, u := range []struct {
		name string
		size time.Duration
	}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"min", time.Minute}} {
		if d%u.size == 0 {
			return fmt.Sprintf("%d%s", d/u.size, u.name)
		}
	}
	return fmt.Sprintf("%ds", d/time.Second)
}

// settleLease keeps a task's lease true to its claim as a command changes
// the task: a change by the holder renews it, and so does one by whoever
// made the claim (an MCP session that claimed for a role, task_claim
// {agent: "docs"}, goes on writing under its own name); a task that no
// agent holds, or that is no longer live, has none; and a change of holder
// that sets no lease of its own (modify agent:, assign) drops the old
// holder's.
func (o *op) settleLease(before, after *backlog.Task) {
	switch {
	case after.Lease == 0 && after.LeaseUntil.IsZero():
	case after.Agent == "" || !after.IsLive(),
		before != nil && before.Agent != after.Agent && after.Lease == before.Lease && after.LeaseUntil.Equal(before.LeaseUntil):
		after.Lease, after.LeaseUntil = 0, time.Time{}
	case after.Lease > 0 && (after.Agent == o.e.agent || o.claimedBy(after.UUID, o.e.agent)):
		after.LeaseUntil = o.now.Add(after.Lease)
	}
}

// claimedBy reports whether the task's standing claim was made by writer:
// the newest claim of it in the journal that is not undone. A journal that
// cannot be read renews nothing; the command's own writes will say why.
func (o *op) claimedBy(uuid, writer string) bool {
	es, err := o.tx.Entries(o.ctx, 0, uuid, 0)
	if err != nil {
		return false
	}
	for i := len(es) - 1; i >= 0; i-- {
		if e := es[i]; e.Command == "claim" && e.UndoneBy == 0 {
			return e.Agent == writer
		}
	}
	return false
}

// grantLease gives a claim its lease: it lapses a lease from now unless the
// agent changes the task.
func (o *op) grantLease(t *backlog.Task, lease time.Duration) {
	t.Lease, t.LeaseUntil = lease, time.Time{}
	if lease > 0 {
		t.LeaseUntil = o.now.Add(lease)
	}
}

// lapsedLeases selects the tasks whose lease has run out by now. Only a
// held live task keeps a lease (settleLease drops the others), which the
// caller checks again; the date alone lets the store answer from the lease
// index instead of walking every claimed task.
func lapsedLeases(now time.Time) filter.Expr {
	return &filter.AttrExpr{Name: "lease_until", Mod: filter.ModBy, ModText: "by",
		Value: now.UTC().Format(backlog.DateLayout), Kind: filter.KindDate, Time: now}
}

// expireLeases returns to the pool every held task whose lease has lapsed:
// it clears agent and start and says whose lease ran out in an annotation,
// as part of the claim that found it, so that undo gives it back. A task
// another transaction holds is left for the next claim.
func (o *op) expireLeases() ([]Stale, error) {
	lapsed, err := o.tx.Select(o.ctx, store.Query{Filter: lapsedLeases(o.now), Now: o.now})
	if err != nil {
		return nil, err
	}
	var out []Stale
	for _, t := range lapsed {
		ok, err := o.tx.TryLock(o.ctx, t.UUID)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		cur, err := o.tx.TaskByUUID(o.ctx, t.UUID) // as it is now that it is ours
		if err != nil {
			return nil, err
		}
		if cur.Agent == "" || !cur.IsLive() || cur.LeaseUntil.IsZero() || cur.LeaseUntil.After(o.now) {
			continue
		}
		after := cur.Clone()
		after.Agent, after.Start = "", time.Time{}
		after.Annotations = append(after.Annotations, backlog.Annotation{Entry: o.now,
			Description: fmt.Sprintf("lease of %s expired after %s without a change by it; returned to the pool", cur.Agent, FormatLease(cur.Lease))})
		if err := o.update(cur, after); err != nil {
			return nil, err
		}
		out = append(out, Stale{Task: after, Agent: cur.Agent, Renewed: cur.LeaseUntil.Add(-cur.Lease).UTC()})
	}
	return out, nil
}

// expiredWords says in a journal summary which claims lapsed: "return task
// 4 to the pool (the lease of bob expired)".
func expiredWords(expired []Stale) string {
	var refs, agents []string
	for _, s := range expired {
		refs = append(refs, s.Task.Ref())
		if !slices.Contains(agents, s.Agent) {
			agents = append(agents, s.Agent)
		}
	}
	tasks, leases := "task", "lease"
	if len(refs) > 1 {
		tasks, leases = "tasks", "leases"
	}
	return fmt.Sprintf("return %s %s to the pool (the %s of %s expired)", tasks, joinWords(refs), leases, joinWords(agents))
}
