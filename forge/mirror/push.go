package mirror

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/forge"
	"github.com/agent-backlog/backlog/store"
)

// PushOptions tune a delivery of the outbox.
type PushOptions struct {
	// All tries every item, even one whose next attempt is not due yet
	// (sync); otherwise only due items go (after a command).
	All bool
}

// PushResult is what a delivery did.
type PushResult struct {
	Pushed int                 // items delivered (or with nothing to do upstream)
	Gone   []string            // issues that answered 404 or 410 (owner/repo#42)
	Owed   []*store.OutboxItem // what is still owed, with the last error
	Failed map[int64]error     // the error of each item tried and kept, by Seq
}

// HasOwed reports whether the outbox holds anything.
func HasOwed(ctx context.Context, st store.Store) (bool, error) {
	var n int
	err := st.Read(ctx, func(tx store.Tx) error {
		items, err := tx.Owed(ctx, 1)
		n = len(items)
		return err
	})
	return n > 0, err
}

// backoff is how long an item waits after its nth failed attempt: nothing
// after the first (the next command tries again), then 1 s, 2 s, 4 s… up to
// ten minutes, so that a forge that is down does not slow every command.
func backoff(attempts int) time.Duration {
	if attempts <= 1 {
		return 0
	}
	d := time.Second << min(attempts-2, 20)
	return min(d, 10*time.Minute)
}

// Push delivers the outbox: items in order, those of one issue strictly in
// order (an item that fails holds back the later ones of its issue), each
// removed once delivered. A delivery holds the store's push lock, so an
// item is never sent by two processes at once; a process killed while
// pushing leaves its items to the next one. It stops when ctx ends, and
// what is left stays owed.
func Push(ctx context.Context, env *Env, eng *engine.Engine, st store.Store, opts PushOptions) (*PushResult, error) {
	res := &PushResult{Failed: map[int64]error{}}
	if pl, ok := st.(store.PushLocker); ok {
		release, err := pl.LockPush(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return res, owed(context.WithoutCancel(ctx), st, res)
			}
			return res, err
		}
		defer release()
	}
	var items []*store.OutboxItem
	if err := st.Read(ctx, func(tx store.Tx) error {
		var err error
		items, err = tx.Owed(ctx, 0)
		return err
	}); err != nil {
		return res, err
	}
	held := map[string]bool{}    // issues whose earlier item is still owed
	refused := map[string]bool{} // forges (type and host) that refused the token
	now := env.now()
	for _, it := range items {
		if ctx.Err() != nil {
			break
		}
		key, host := it.Source.Key(), it.Source.Type+" "+strings.ToLower(it.Source.Host)
		if held[key] || refused[host] {
			held[key] = true
			continue
		}
		if !opts.All && it.NextAt.After(now) {
			held[key] = true
			continue
		}
		err := deliver(ctx, env, it, func() error { return markAttempt(ctx, st, it) })
		switch {
		case err == nil:
			if err := settle(ctx, st, it.Seq); err != nil {
				return res, err
			}
			res.Pushed++
		case forge.IsGone(err):
			if err := settle(ctx, st, it.Seq); err != nil {
				return res, err
			}
			var g *forge.GoneError
			status := 404
			if errors.As(err, &g) {
				status = g.Status
			}
			if err := markGone(ctx, eng, st, it, status); err != nil {
				return res, err
			}
			res.Gone = append(res.Gone, it.Source.Ref())
		default:
			if ctx.Err() != nil && !forge.IsUnavailable(err) && !forge.IsAuth(err) {
				err = &forge.UnavailableError{Host: it.Source.Host, Err: ctx.Err()}
			}
			res.Failed[it.Seq] = err
			held[key] = true
			if forge.IsAuth(err) {
				refused[host] = true
			}
			attempts := it.Attempts + 1
			dctx := context.WithoutCancel(ctx)
			if err := st.Write(dctx, func(tx store.Tx) error {
				return tx.Defer(dctx, it.Seq, attempts, env.now().Add(backoff(attempts)), err.Error())
			}); err != nil {
				return res, err
			}
		}
	}
	return res, owed(context.WithoutCancel(ctx), st, res)
}

func owed(ctx context.Context, st store.Store, res *PushResult) error {
	return st.Read(ctx, func(tx store.Tx) error {
		var err error
		res.Owed, err = tx.Owed(ctx, 0)
		return err
	})
}

func settle(ctx context.Context, st store.Store, seq int64) error {
	ctx = context.WithoutCancel(ctx)
	return st.Write(ctx, func(tx store.Tx) error { return tx.Settle(ctx, seq) })
}

// goneKey is the setting that records an issue gone upstream.
func goneKey(s backlog.Source) string { return "gone:" + s.Key() }

// markGone records that the issue is gone: the task gets an annotation
// (once), and sync --status lists it.
func markGone(ctx context.Context, eng *engine.Engine, st store.Store, it *store.OutboxItem, status int) error {
	ctx = context.WithoutCancel(ctx)
	text := fmt.Sprintf("upstream issue gone (%d)", status)
	if err := st.Write(ctx, func(tx store.Tx) error {
		return tx.SetMeta(ctx, goneKey(it.Source), it.TaskUUID)
	}); err != nil {
		return err
	}
	var has bool
	err := st.Read(ctx, func(tx store.Tx) error {
		t, err := tx.TaskByUUID(ctx, it.TaskUUID)
		if err != nil {
			return err
		}
		has = slices.ContainsFunc(t.Annotations, func(a backlog.Annotation) bool { return a.Description == text })
		return nil
	})
	if errors.Is(err, backlog.ErrNotFound) || has {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = eng.Annotate(engine.Quietly(ctx), it.TaskUUID, text)
	if errors.Is(err, backlog.ErrNotFound) || errors.Is(err, backlog.ErrConflict) {
		return nil // purged or archived meanwhile
	}
	return err
}

// interrupted is the outbox's note on an item whose comment was being
// posted when its process ended.
const interrupted = "interrupted while posting a comment"

// markAttempt records, before a first attempt posts a comment, that the
// comment may be out: a comment is the one change that is not idempotent
// upstream, and a process killed after the forge took it but before the
// item was settled would otherwise leave an item that looks untried, and
// the next delivery would post it again.
func markAttempt(ctx context.Context, st store.Store, it *store.OutboxItem) error {
	ctx = context.WithoutCancel(ctx)
	return st.Write(ctx, func(tx store.Tx) error {
		return tx.Defer(ctx, it.Seq, it.Attempts+1, it.NextAt, interrupted)
	})
}

// deliver sends one item: the event read, the repository's configuration
// applied (label names, usernames, close on done, comments), the issue
// changed idempotently. beforeComment runs before a first attempt posts a
// comment; a later attempt looks for the comment first.
func deliver(ctx context.Context, env *Env, it *store.OutboxItem, beforeComment func() error) error {
	var ev engine.UpstreamEvent
	if err := json.Unmarshal([]byte(it.Event), &ev); err != nil {
		return fmt.Errorf("outbox item %d is not an event we can read: %w", it.Seq, err)
	}
	repo := env.Repo(it.Source.Host, it.Source.Project)
	if ev.Op == "comment" && !repo.CommentAnnotations {
		return nil // annotations stay local
	}
	f, err := env.ForSource(it.Source)
	if err != nil {
		return err
	}
	p, n := it.Source.Project, it.Source.IID
	l := repo.Labels
	var u forge.Update
	var comment string
	switch ev.Op {
	case "claim":
		user := repo.Username(ev.Agent)
		u = forge.Update{AddAssignees: []string{user}, AddLabels: []string{l.Doing}, RemoveLabels: []string{l.ToDo, l.Done}}
		if ev.Prev != "" && !strings.EqualFold(repo.Username(ev.Prev), user) {
			u.RemoveAssignees = []string{repo.Username(ev.Prev)}
		}
	case "release":
		u = forge.Update{RemoveAssignees: []string{repo.Username(ev.Agent)}, RemoveLabels: []string{l.Doing}, AddLabels: []string{l.ToDo}}
	case "done":
		u = forge.Update{AddLabels: []string{l.Done}, RemoveLabels: []string{l.Doing, l.ToDo}, Close: ev.Close || repo.CloseOnDone}
		comment = ev.Note
	case "reopen":
		u = forge.Update{RemoveLabels: []string{l.Done}, Reopen: true}
	case "edit":
		u = forge.Update{Title: ev.Title, Body: ev.Body}
		if len(ev.AddLabels)+len(ev.RemoveLabels) > 0 {
			cur, err := f.Get(ctx, p, n)
			if err != nil {
				return err
			}
			u.AddLabels, u.RemoveLabels = labelEdits(cur.Labels, ev.AddLabels, ev.RemoveLabels)
		}
	case "comment":
		comment = ev.Text
	default:
		return fmt.Errorf("outbox item %d has an event %q this version does not know", it.Seq, ev.Op)
	}
	if !u.IsZero() {
		if _, err := f.Update(ctx, p, n, u); err != nil {
			return err
		}
	}
	if comment == "" {
		return nil
	}
	if it.Attempts == 0 {
		if err := beforeComment(); err != nil {
			return err
		}
		return f.Comment(ctx, p, n, comment)
	}
	// An earlier attempt may have posted it before it failed or its
	// process ended.
	bodies, err := f.Comments(ctx, p, n)
	if err != nil {
		return err
	}
	if slices.Contains(bodies, comment) {
		return nil
	}
	return f.Comment(ctx, p, n, comment)
}

// labelEdits turns tags added and removed into labels: a removed tag takes
// away every label that maps to it (Bug, bug); an added tag is a new label
// unless a label already maps to it.
func labelEdits(current, add, remove []string) (adds, removes []string) {
	for _, t := range remove {
		for _, lb := range current {
			if LabelTag(lb) == t {
				removes = append(removes, lb)
			}
		}
	}
	for _, t := range add {
		if !slices.ContainsFunc(current, func(lb string) bool { return LabelTag(lb) == t }) {
			adds = append(adds, t)
		}
	}
	return adds, removes
}
