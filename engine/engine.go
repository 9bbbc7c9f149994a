// Package engine carries out the backlog's commands: add, modify, done, undo
// and the rest. Each command is one store transaction that validates its
// input, applies the task model's rules, and records one journal entry with
// the before and after image of every task it touched. Surfaces (CLI, MCP)
// call the engine; the engine calls a store.Store and nothing else.
package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store"
)

// Engine runs commands against one backlog as one agent.
type Engine struct {
	store store.Store
	agent string
	clock func() time.Time
	owed  func() // OnOwed
}

// Options configure an Engine.
type Options struct {
	// Agent names who makes the changes; it scopes undo and is journalled.
	Agent string
	// Clock returns the current time in the local zone; nil means time.Now.
	Clock func() time.Time
}

// New returns an engine over s.
func New(s store.Store, opts Options) *Engine {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Agent == "" {
		opts.Agent = "unknown"
	}
	return &Engine{store: s, agent: opts.Agent, clock: opts.Clock}
}

// Store is the store the engine runs over.
func (e *Engine) Store() store.Store { return e.store }

// Agent is the agent id the engine writes as.
func (e *Engine) Agent() string { return e.agent }

// Now is the engine's clock, to the second: dates are kept to the second.
func (e *Engine) Now() time.Time { return e.clock().Truncate(time.Second) }

// MaxUnconfirmed is how many tasks a modify may change without confirmation.
const MaxUnconfirmed = 25

// resolve finds the task a reference names in the working set: a numeric
// id, a full UUID in any case, or a UUID prefix of at least 8 hex digits. A
// reference to an archived task is an error that says how to restore it.
func resolve(ctx context.Context, tx store.Tx, ref string) (*backlog.Task, error) {
	t, err := resolveWorking(ctx, tx, ref)
	if err == nil || !isNotFound(err) {
		return t, err
	}
	a, aerr := archivedRef(ctx, tx, ref)
	if aerr != nil {
		return nil, aerr
	}
	if a != nil {
		return nil, backlog.Conflictf("task %s is archived in %s and read-only: restore it first (backlog archive restore %s %s)",
			a.Ref(), a.Archived, a.Archived, a.Ref())
	}
	return nil, err
}

func resolveWorking(ctx context.Context, tx store.Tx, ref string) (*backlog.Task, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return nil, backlog.Invalidf("a task reference is required: give an id like 12 or a UUID")
	}
	if isDigits(ref) {
		id, err := strconv.ParseInt(ref, 10, 64)
		if err != nil || id <= 0 {
			return nil, backlog.NotFoundf("no task with id %s", ref)
		}
		return tx.Task(ctx, id)
	}
	if len(ref) == 36 {
		if u, err := backlog.ParseUUID(ref); err == nil {
			return tx.TaskByUUID(ctx, u)
		}
	}
	if isUUIDPrefix(ref) {
		prefix := strings.ToLower(ref)
		ts, err := tx.TasksByUUIDPrefix(ctx, prefix, 10)
		if err != nil {
			return nil, err
		}
		switch len(ts) {
		case 0:
			return nil, backlog.NotFoundf("no task with a UUID starting %q", ref)
		case 1:
			return ts[0], nil
		}
		return nil, ambiguousPrefix(ref, ts)
	}
	return nil, backlog.Invalidf("%q is not a task id or UUID: use a number like 12, a UUID, or a UUID prefix of at least 8 hex digits", ref)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// uuidShape is the canonical UUID layout: x for a hex digit.
const uuidShape = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"

// isUUIDPrefix reports whether s is a UUID prefix of 8 or more hex digits
// (hyphens where a UUID has them).
func isUUIDPrefix(s string) bool {
	if len(s) < 8 || len(s) > len(uuidShape) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if uuidShape[i] == '-' {
			if c != '-' {
				return false
			}
		} else if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// joinWords writes a, b and c.
func joinWords(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// newUUID returns a random UUID in canonical form.
func newUUID() string { return uuid.NewString() }

// op records the changes of one command inside its transaction and writes
// them as one journal entry.
type op struct {
	ctx     context.Context
	tx      store.Tx
	e       *Engine
	now     time.Time
	changes []store.Change
	index   map[string]int // UUID -> position in changes
	done    DoneOptions    // what done tells an imported task's issue
	owes    int            // upstream changes this op left in the outbox
}

func (e *Engine) newOp(ctx context.Context, tx store.Tx) *op {
	return &op{ctx: ctx, tx: tx, e: e, now: e.Now(), index: map[string]int{}}
}

// record notes that a task went from before to after; a task touched twice
// in one command keeps its first before image.
func (o *op) record(uuid string, before, after *backlog.Task) {
	if i, ok := o.index[uuid]; ok {
		o.changes[i].After = cloneOrNil(after)
		return
	}
	o.index[uuid] = len(o.changes)
	o.changes = append(o.changes, store.Change{UUID: uuid, Before: cloneOrNil(before), After: cloneOrNil(after)})
}

func cloneOrNil(t *backlog.Task) *backlog.Task {
	if t == nil {
		return nil
	}
	c := t.Clone()
	c.Urgency = 0
	return c
}

// insert stores a new task with a fresh id and UUID (unless it has one).
func (o *op) insert(t *backlog.Task) error {
	id, err := o.tx.NextID(o.ctx)
	if err != nil {
		return err
	}
	t.ID = id
	if t.UUID == "" {
		t.UUID = newUUID()
	}
	if t.Entry.IsZero() {
		t.Entry = o.now
	}
	t.Modified = o.now
	truncate(t)
	if err := t.Validate(); err != nil {
		return err
	}
	if err := o.tx.Insert(o.ctx, t); err != nil {
		return err
	}
	o.record(t.UUID, nil, t)
	return nil
}

// update stores after in place of before.
func (o *op) update(before, after *backlog.Task) error {
	after.Modified = o.now
	o.settleLease(before, after)
	truncate(after)
	if err := after.Validate(); err != nil {
		return err
	}
	if err := o.tx.Update(o.ctx, after); err != nil {
		return err
	}
	o.record(after.UUID, before, after)
	return nil
}

// purge removes a task and its doc for good.
func (o *op) purge(t *backlog.Task) error {
	var doc *string
	if t.HasDoc {
		d, err := o.tx.Doc(o.ctx, t.UUID)
		if err == nil {
			doc = &d
		}
	}
	if err := o.tx.Purge(o.ctx, t.UUID); err != nil {
		return err
	}
	o.record(t.UUID, t, nil)
	if doc != nil {
		o.docChange(t.UUID, doc, nil)
	}
	return nil
}

// docChange records a doc's images for the task's change.
func (o *op) docChange(uuid string, before, after *string) {
	i, ok := o.index[uuid]
	if !ok {
		o.index[uuid] = len(o.changes)
		o.changes = append(o.changes, store.Change{UUID: uuid})
		i = len(o.changes) - 1
	}
	if o.changes[i].Doc == nil {
		o.changes[i].Doc = &store.DocChange{Before: before}
	}
	o.changes[i].Doc.After = after
}

// commit writes the journal entry. A command that changed nothing writes none.
func (o *op) commit(command, summary string) error {
	if len(o.changes) == 0 {
		return nil
	}
	if err := o.owe(); err != nil {
		return err
	}
	return o.tx.Append(o.ctx, &store.Entry{
		At: o.now, Agent: o.e.agent, Command: command, Summary: summary, Changes: o.changes,
	})
}

// truncate keeps every date to the second, as the store does, so that the
// journal's images equal what is stored.
func truncate(t *backlog.Task) {
	for _, d := range []*time.Time{&t.Due, &t.Scheduled, &t.Wait, &t.Until, &t.Entry, &t.Modified, &t.Start, &t.End, &t.LeaseUntil} {
		if !d.IsZero() {
			*d = d.Truncate(time.Second).UTC()
		}
	}
	for i := range t.Annotations {
		t.Annotations[i].Entry = t.Annotations[i].Entry.Truncate(time.Second).UTC()
	}
}

// view prepares tasks for output: copies with the effective status (waiting)
// and urgency filled in.
func view(tasks []*backlog.Task, g backlog.Graph, now time.Time) []*backlog.Task {
	out := make([]*backlog.Task, len(tasks))
	for i, t := range tasks {
		c := *t
		c.Urgency = backlog.Urgency(t, now, g.Blocked(t), g.Blocking(t))
		c.Status = t.EffectiveStatus(now)
		out[i] = &c
	}
	return out
}

// viewOne prepares one task for output within a transaction. It asks about
// this task's own dependencies only, not the whole graph, since commands on
// one task show it after every change.
func viewOne(ctx context.Context, tx store.Tx, t *backlog.Task, now time.Time) (*backlog.Task, error) {
	blocked, blocking := false, false
	if t.IsLive() {
		for _, d := range t.Depends {
			dep, err := tx.TaskByUUID(ctx, d)
			if err != nil && !isNotFound(err) {
				return nil, err
			}
			if err == nil && dep.IsLive() {
				blocked = true
				break
			}
		}
		dependents, err := tx.Dependents(ctx, t.UUID)
		if err != nil {
			return nil, err
		}
		blocking = len(dependents) > 0
	}
	c := *t
	c.Urgency = backlog.Urgency(t, now, blocked, blocking)
	c.Status = t.EffectiveStatus(now)
	return &c, nil
}

// parseFilter parses a filter with the backlog's UDAs, and refuses a UUID
// prefix in it that matches several tasks.
func parseFilter(ctx context.Context, tx store.Tx, src string, now time.Time) (filter.Expr, error) {
	udas, err := tx.UDAs(ctx)
	if err != nil {
		return nil, err
	}
	e, err := filter.Parse(src, filter.Options{Now: now, UDAs: udas})
	if err != nil {
		return nil, err
	}
	if err := checkPrefixes(ctx, tx, e); err != nil {
		return nil, err
	}
	return e, nil
}

// taskWords names a task in summaries: 12 "Fix login".
func taskWords(t *backlog.Task) string {
	d := t.Description
	if len(d) > 40 {
		d = truncateUTF8(d, 37) + "..."
	}
	return fmt.Sprintf("%s %q", t.Ref(), d)
}

// sameTask reports whether two images are equal, as stored.
func sameTask(a, b *backlog.Task) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	ja, _ := json.Marshal(cloneOrNil(a))
	jb, _ := json.Marshal(cloneOrNil(b))
	return string(ja) == string(jb)
}
