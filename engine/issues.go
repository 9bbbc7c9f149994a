package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	backlog "github.com/agent-backlog/backlog"
)

// IssueTask is an issue to import: the task it becomes (Source set) and
// its body, which becomes the task's doc when not empty.
type IssueTask struct {
	Task *backlog.Task
	Doc  string
}

// IssueImport is what ImportIssues did: the tasks it made, in input order,
// and the issues it found already here (by UUID of their task).
type IssueImport struct {
	Imported []*backlog.Task
	Already  []string
}

// ImportIssues makes a task of every issue the backlog has no task for
// yet, in the working set or in the archive, in one transaction: an issue
// is never imported twice, not even by two processes at once (the stores
// keep one task per issue). Ids follow the input's order.
func (e *Engine) ImportIssues(ctx context.Context, items []IssueTask, summary string) (*IssueImport, error) {
	var res *IssueImport
	err := e.write(ctx, func(o *op) error {
		res = &IssueImport{}
		keys := make([]string, 0, len(items))
		for i, it := range items {
			if it.Task == nil || it.Task.Source == nil {
				return fmt.Errorf("engine: issue %d has no source", i)
			}
			keys = append(keys, it.Task.Source.Key())
		}
		here, err := o.tx.SourceTasks(ctx, keys)
		if err != nil {
			return err
		}
		for i, it := range items {
			key := keys[i]
			if u, ok := here[key]; ok {
				res.Already = append(res.Already, u)
				continue
			}
			t := it.Task.Clone()
			t.Tags = withoutDocTag(t.Tags)
			if t.Status == "" {
				t.Status = backlog.StatusPending
			}
			if t.UUID == "" {
				t.UUID = newUUID()
			}
			if err := o.insert(t); err != nil {
				return atIssue(it.Task.Source.Ref(), err)
			}
			if it.Doc != "" {
				if err := o.writeDoc(t, it.Doc); err != nil {
					return atIssue(it.Task.Source.Ref(), err)
				}
			}
			here[key] = t.UUID
			res.Imported = append(res.Imported, t)
		}
		if err := o.commit("import", summary); err != nil {
			return err
		}
		g, err := o.tx.Graph(ctx)
		if err != nil {
			return err
		}
		res.Imported = view(res.Imported, g, o.now)
		return nil
	})
	return res, err
}

// PullChange is what an issue's upstream state asks of its task: the task
// as it should be (nil: unchanged), and its doc (nil: unchanged; "" removes
// it).
type PullChange struct {
	Task *backlog.Task
	Doc  *string
}

// PullIssues brings upstream changes into the tasks with the UUIDs, in one
// transaction that owes nothing upstream (the change came from there): fn
// sees each task and its doc and says what changes. A task that went from
// pending to completed gets its end date; one reopened loses it. It returns
// the tasks that changed, as they are now.
func (e *Engine) PullIssues(ctx context.Context, uuids []string, fn func(cur *backlog.Task, doc *string) PullChange) ([]*backlog.Task, error) {
	var out []*backlog.Task
	err := e.write(Quietly(ctx), func(o *op) error {
		out = nil
		for _, u := range uuids {
			cur, err := o.tx.TaskByUUID(o.ctx, u)
			if isNotFound(err) {
				continue // purged or archived since: nothing to bring in
			}
			if err != nil {
				return err
			}
			var doc *string
			if cur.HasDoc {
				d, err := o.tx.Doc(o.ctx, u)
				if err != nil && !isNotFound(err) {
					return err
				}
				if err == nil {
					doc = &d
				}
			}
			ch := fn(cur.Clone(), doc)
			t := cur
			if ch.Task != nil && !sameTask(cur, ch.Task) {
				after := ch.Task.Clone()
				after.UUID, after.ID, after.HasDoc = cur.UUID, cur.ID, cur.HasDoc
				after.Tags = withoutDocTag(after.Tags)
				if cur.HasDoc {
					after.Tags = append(after.Tags, docTag)
				}
				switch {
				case cur.Status != backlog.StatusCompleted && after.Status == backlog.StatusCompleted:
					after.End = o.now
				case cur.Status == backlog.StatusCompleted && after.Status == backlog.StatusPending:
					after.End = time.Time{}
				}
				if !sameTask(cur, after) {
					if err := o.update(cur, after); err != nil {
						return atIssue(cur.Ref(), err)
					}
					t = after
				}
			}
			if ch.Doc != nil {
				switch {
				case *ch.Doc == "" && doc != nil:
					if err := o.tx.DeleteDoc(o.ctx, u); err != nil {
						return err
					}
					after := t.Clone()
					after.HasDoc = false
					after.Tags = withoutDocTag(after.Tags)
					if err := o.update(t, after); err != nil {
						return err
					}
					o.docChange(u, doc, nil)
					t = after
				case *ch.Doc != "" && (doc == nil || *doc != *ch.Doc):
					after, err := o.setDoc(t, *ch.Doc)
					if err != nil {
						return atIssue(cur.Ref(), err)
					}
					t = after
				}
			}
			if t != cur {
				out = append(out, t)
			}
		}
		if len(out) == 0 {
			return nil
		}
		if err := o.commit("sync", fmt.Sprintf("sync %d task%s from upstream", len(out), plural(len(out)))); err != nil {
			return err
		}
		g, err := o.tx.Graph(ctx)
		if err != nil {
			return err
		}
		out = view(out, g, o.now)
		return nil
	})
	return out, err
}

// atIssue names the issue or task in an error about it, keeping its kind;
// a failure of the machine names none and passes as it is (as atTask).
func atIssue(ref string, err error) error {
	var e *backlog.Error
	if errors.As(err, &e) {
		return &backlog.Error{Kind: e.Kind, Msg: ref + ": " + e.Msg}
	}
	return err
}
