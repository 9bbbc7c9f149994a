package engine

import (
	"context"
	"slices"
	"strings"
	"unicode/utf8"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/store"
)

// DocWrite attaches a markdown doc to a task, replacing any, and sets
// has_doc and the doc tag.
func (e *Engine) DocWrite(ctx context.Context, ref, content string) (*Result, error) {
	if err := validDoc(content); err != nil {
		return nil, err
	}
	return e.one(ctx, ref, func(o *op, t *backlog.Task, r *Result) (string, error) {
		after, err := o.setDoc(t, content)
		r.Task = after
		return "doc write", err
	})
}

// DocRead returns a task's doc.
func (e *Engine) DocRead(ctx context.Context, ref string) (string, error) {
	var doc string
	err := e.store.Read(ctx, func(tx store.Tx) error {
		t, err := resolve(ctx, tx, ref)
		if err != nil {
			return err
		}
		doc, err = tx.Doc(ctx, t.UUID)
		if isNotFound(err) {
			return backlog.NotFoundf("task %s has no doc", t.Ref())
		}
		return err
	})
	return doc, err
}

// DocDelete removes a task's doc and clears has_doc and the doc tag.
func (e *Engine) DocDelete(ctx context.Context, ref string) (*Result, error) {
	return e.one(ctx, ref, func(o *op, t *backlog.Task, r *Result) (string, error) {
		before, err := o.tx.Doc(o.ctx, t.UUID)
		if isNotFound(err) {
			return "", backlog.NotFoundf("task %s has no doc", t.Ref())
		}
		if err != nil {
			return "", err
		}
		if err := o.tx.DeleteDoc(o.ctx, t.UUID); err != nil {
			return "", err
		}
		after := t.Clone()
		after.HasDoc = false
		after.Tags = slices.DeleteFunc(after.Tags, func(s string) bool { return s == "doc" })
		if len(after.Tags) == 0 {
			after.Tags = nil
		}
		r.Task = after
		if err := o.update(t, after); err != nil {
			return "", err
		}
		o.docChange(t.UUID, &before, nil)
		return "doc delete", nil
	})
}

func validDoc(content string) error {
	switch {
	case len(content) > backlog.MaxDocSize:
		return backlog.Invalidf("doc is %d bytes, more than the %d allowed", len(content), backlog.MaxDocSize)
	case !utf8.ValidString(content):
		return backlog.Invalidf("doc is not valid UTF-8")
	case strings.ContainsRune(content, 0):
		return backlog.Invalidf("doc contains a NUL character")
	}
	return nil
}

// setDoc writes a doc and marks the task; it returns the task as updated.
func (o *op) setDoc(t *backlog.Task, content string) (*backlog.Task, error) {
	if err := validDoc(content); err != nil {
		return nil, err
	}
	var before *string
	if d, err := o.tx.Doc(o.ctx, t.UUID); err == nil {
		before = &d
	} else if !isNotFound(err) {
		return nil, err
	}
	if before != nil && *before == content && t.HasDoc && t.HasTag("doc") {
		return t, nil // the same doc again changes nothing
	}
	if err := o.tx.SetDoc(o.ctx, t.UUID, content); err != nil {
		return nil, err
	}
	after := t.Clone()
	after.HasDoc = true
	if !after.HasTag("doc") {
		after.Tags = append(after.Tags, "doc")
	}
	if err := o.update(t, after); err != nil {
		return nil, err
	}
	o.docChange(t.UUID, before, &content)
	return after, nil
}

// writeDoc attaches a doc to a task being imported, updating t in place.
func (o *op) writeDoc(t *backlog.Task, content string) error {
	after, err := o.setDoc(t, content)
	if err != nil {
		return err
	}
	*t = *after
	return nil
}
