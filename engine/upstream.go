package engine

import (
	"context"
	"encoding/json"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/store"
)

// UpstreamEvent is what a local command did to a task imported from a forge
// issue, as the outbox keeps it (store.OutboxItem.Event) until forge/mirror
// turns it into the change. The engine decides only what happened;
// the mirror decides, at delivery, what that means upstream (label names,
// usernames, whether done closes the issue), from the configuration of the
// time. Every command that changes an imported task writes its events in
// its own transaction, so a change and what it owes upstream commit
// together, or neither does.
type UpstreamEvent struct {
	Op    string `json:"op"`              // claim, release, done, reopen, edit, comment
	Agent string `json:"agent,omitempty"` // claim: the new holder; release: the old one
	Prev  string `json:"prev,omitempty"`  // claim: the holder it replaced
	// done
	Close bool   `json:"close,omitempty"` // close the issue whatever the configuration says
	Note  string `json:"note,omitempty"`  // post as a comment
	// edit
	Title        *string  `json:"title,omitempty"`
	Body         *string  `json:"body,omitempty"`
	AddLabels    []string `json:"add,omitempty"`    // tags added
	RemoveLabels []string `json:"remove,omitempty"` // tags removed
	// comment: an annotation (posted only when comment_annotations is set)
	Text string `json:"text,omitempty"`
}

// docTag is the tag that follows has_doc: the backlog's own, never a label.
const docTag = "doc"

// DoneOptions are what done may tell an imported task's issue beyond
// "done": close it, and a note posted as a comment (and kept here as an
// annotation).
type DoneOptions struct {
	Close bool
	Note  string
}

type quietKey struct{}

// Quietly marks ctx so that commands run with it owe nothing upstream: for
// changes that came from upstream (sync pulls) or that only record a
// delivery's outcome ("upstream issue gone").
func Quietly(ctx context.Context) context.Context { return context.WithValue(ctx, quietKey{}, true) }

func isQuiet(ctx context.Context) bool { q, _ := ctx.Value(quietKey{}).(bool); return q }

// OnOwed sets the function called after a command commits that left
// upstream changes owed, so that a surface delivers them (the CLI before it
// exits, the server in the background).
func (e *Engine) OnOwed(fn func()) { e.owed = fn }

// owe writes the upstream events of the op's changes to the outbox.
func (o *op) owe() error {
	items, err := o.upstreamItems()
	if err != nil || len(items) == 0 {
		return err
	}
	if err := o.tx.Enqueue(o.ctx, items); err != nil {
		return err
	}
	o.owes += len(items)
	return nil
}

// upstreamItems derives the events of the op's changes.
func (o *op) upstreamItems() ([]*store.OutboxItem, error) {
	if isQuiet(o.ctx) {
		return nil, nil
	}
	var items []*store.OutboxItem
	for _, c := range o.changes {
		b, a := c.Before, c.After
		if b == nil || a == nil {
			continue // an import brings the state; a purge never touches upstream
		}
		src := a.Source
		if src == nil {
			src = b.Source
		}
		if src == nil {
			continue
		}
		for _, ev := range o.events(b, a, c.Doc) {
			j, err := json.Marshal(ev)
			if err != nil {
				return nil, err
			}
			items = append(items, &store.OutboxItem{
				TaskUUID: c.UUID, Source: *src, Event: string(j), At: o.now, Agent: o.e.agent,
			})
		}
	}
	return items, nil
}

// events compares a task's images: the holder, the text, the doc, the
// tags, the status, and new annotations.
func (o *op) events(b, a *backlog.Task, doc *store.DocChange) []UpstreamEvent {
	var evs []UpstreamEvent
	completed := b.Status != backlog.StatusCompleted && a.Status == backlog.StatusCompleted
	switch {
	case a.Agent == b.Agent:
	case a.Agent != "":
		evs = append(evs, UpstreamEvent{Op: "claim", Agent: a.Agent, Prev: b.Agent})
	case !completed && a.Status != backlog.StatusDeleted:
		evs = append(evs, UpstreamEvent{Op: "release", Agent: b.Agent})
	}
	var edit UpstreamEvent
	if a.Description != b.Description {
		edit.Title = &a.Description
	}
	if doc != nil {
		body := ""
		if doc.After != nil {
			body = *doc.After
		}
		edit.Body = &body
	}
	for _, t := range a.Tags {
		if !b.HasTag(t) && t != docTag {
			edit.AddLabels = append(edit.AddLabels, t)
		}
	}
	for _, t := range b.Tags {
		if !a.HasTag(t) && t != docTag {
			edit.RemoveLabels = append(edit.RemoveLabels, t)
		}
	}
	if edit.Title != nil || edit.Body != nil || len(edit.AddLabels)+len(edit.RemoveLabels) > 0 {
		edit.Op = "edit"
		evs = append(evs, edit)
	}
	switch {
	case completed:
		evs = append(evs, UpstreamEvent{Op: "done", Close: o.done.Close, Note: o.done.Note})
	case b.Status == backlog.StatusCompleted && a.Status == backlog.StatusPending:
		evs = append(evs, UpstreamEvent{Op: "reopen"})
	}
	had := make(map[backlog.Annotation]int, len(b.Annotations))
	for _, an := range b.Annotations {
		had[an]++
	}
	for _, an := range a.Annotations {
		if had[an] > 0 {
			had[an]--
			continue
		}
		if completed && an.Description == o.done.Note {
			continue // the note goes with done
		}
		evs = append(evs, UpstreamEvent{Op: "comment", Text: an.Description})
	}
	return evs
}
