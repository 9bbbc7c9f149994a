package sqlite

import (
	"context"
	"errors"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store"
)

// watchedTx is the Tx that Write hands to its function: it notes the first
// failure of the machine (a full disk, a lock held too long) that any call
// meets, so that the transaction reports it whatever the function made of
// the error (a command that took a failed insert for bad input, or worded
// it as a sentence of its own). Read needs none: a failed read ends a
// command without being taken for anything else.
type watchedTx struct {
	store.Tx
	path   string
	busy   time.Duration
	failed error // the first environment failure, as its sentence
}

// note records err when it is a failure of the machine, and returns it
// unchanged.
func (w *watchedTx) note(err error) error {
	if err != nil && w.failed == nil {
		if f := failure(w.path, w.busy, err); errors.Is(f, backlog.ErrEnvironment) {
			w.failed = f
		}
	}
	return err
}

func (w *watchedTx) Task(ctx context.Context, id int64) (*backlog.Task, error) {
	v, err := w.Tx.Task(ctx, id)
	return v, w.note(err)
}

func (w *watchedTx) TaskByUUID(ctx context.Context, uuid string) (*backlog.Task, error) {
	v, err := w.Tx.TaskByUUID(ctx, uuid)
	return v, w.note(err)
}

func (w *watchedTx) TasksByUUIDPrefix(ctx context.Context, prefix string, limit int) ([]*backlog.Task, error) {
	v, err := w.Tx.TasksByUUIDPrefix(ctx, prefix, limit)
	return v, w.note(err)
}

func (w *watchedTx) Select(ctx context.Context, q store.Query) ([]*backlog.Task, error) {
	v, err := w.Tx.Select(ctx, q)
	return v, w.note(err)
}

func (w *watchedTx) Count(ctx context.Context, q store.Query) (int, error) {
	v, err := w.Tx.Count(ctx, q)
	return v, w.note(err)
}

func (w *watchedTx) Tally(ctx context.Context, q store.Query, by store.TallyKey, ids int) ([]store.Tally, error) {
	v, err := w.Tx.Tally(ctx, q, by, ids)
	return v, w.note(err)
}

func (w *watchedTx) Graph(ctx context.Context) (backlog.Graph, error) {
	v, err := w.Tx.Graph(ctx)
	return v, w.note(err)
}

func (w *watchedTx) UDAs(ctx context.Context) (map[string]filter.UDAKind, error) {
	v, err := w.Tx.UDAs(ctx)
	return v, w.note(err)
}

func (w *watchedTx) Names(ctx context.Context, kind store.NameKind) ([]store.NameCount, error) {
	v, err := w.Tx.Names(ctx, kind)
	return v, w.note(err)
}

func (w *watchedTx) TryLock(ctx context.Context, uuid string) (bool, error) {
	v, err := w.Tx.TryLock(ctx, uuid)
	return v, w.note(err)
}

func (w *watchedTx) Dependents(ctx context.Context, uuid string) ([]*backlog.Task, error) {
	v, err := w.Tx.Dependents(ctx, uuid)
	return v, w.note(err)
}

func (w *watchedTx) NextID(ctx context.Context) (int64, error) {
	v, err := w.Tx.NextID(ctx)
	return v, w.note(err)
}

func (w *watchedTx) Insert(ctx context.Context, t *backlog.Task) error {
	return w.note(w.Tx.Insert(ctx, t))
}

func (w *watchedTx) Update(ctx context.Context, t *backlog.Task) error {
	return w.note(w.Tx.Update(ctx, t))
}

func (w *watchedTx) Purge(ctx context.Context, uuid string) error {
	return w.note(w.Tx.Purge(ctx, uuid))
}

func (w *watchedTx) Doc(ctx context.Context, uuid string) (string, error) {
	v, err := w.Tx.Doc(ctx, uuid)
	return v, w.note(err)
}

func (w *watchedTx) SetDoc(ctx context.Context, uuid, content string) error {
	return w.note(w.Tx.SetDoc(ctx, uuid, content))
}

func (w *watchedTx) DeleteDoc(ctx context.Context, uuid string) error {
	return w.note(w.Tx.DeleteDoc(ctx, uuid))
}

func (w *watchedTx) Append(ctx context.Context, e *store.Entry) error {
	return w.note(w.Tx.Append(ctx, e))
}

func (w *watchedTx) LatestUndoable(ctx context.Context, agent string) (*store.Entry, error) {
	v, err := w.Tx.LatestUndoable(ctx, agent)
	return v, w.note(err)
}

func (w *watchedTx) Entries(ctx context.Context, after int64, uuid string, limit int) ([]*store.Entry, error) {
	v, err := w.Tx.Entries(ctx, after, uuid, limit)
	return v, w.note(err)
}

func (w *watchedTx) MarkUndone(ctx context.Context, seq, by int64) error {
	return w.note(w.Tx.MarkUndone(ctx, seq, by))
}

func (w *watchedTx) Archive(ctx context.Context, uuid, segment string) error {
	return w.note(w.Tx.Archive(ctx, uuid, segment))
}

func (w *watchedTx) Unarchive(ctx context.Context, uuid string) (*backlog.Task, error) {
	v, err := w.Tx.Unarchive(ctx, uuid)
	return v, w.note(err)
}

func (w *watchedTx) Segments(ctx context.Context) ([]store.NameCount, error) {
	v, err := w.Tx.Segments(ctx)
	return v, w.note(err)
}

func (w *watchedTx) ArchivedTasks(ctx context.Context, segment string) ([]*backlog.Task, error) {
	v, err := w.Tx.ArchivedTasks(ctx, segment)
	return v, w.note(err)
}

func (w *watchedTx) FindArchived(ctx context.Context, id int64, prefix string, limit int) ([]*backlog.Task, error) {
	v, err := w.Tx.FindArchived(ctx, id, prefix, limit)
	return v, w.note(err)
}

func (w *watchedTx) ArchivedDoc(ctx context.Context, uuid string) (string, error) {
	v, err := w.Tx.ArchivedDoc(ctx, uuid)
	return v, w.note(err)
}
