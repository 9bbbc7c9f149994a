package memstore

import (
	"context"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/store"
)

// sourceFree refuses a second task linked to one issue.
func (t *tx) sourceFree(task *backlog.Task) error {
	if task.Source == nil {
		return nil
	}
	key := task.Source.Key()
	for u, o := range t.st.tasks {
		if u != task.UUID && o.Source != nil && o.Source.Key() == key {
			return task.Source.Taken()
		}
	}
	return nil
}

// SourceTasks implements store.Tx.
func (t *tx) SourceTasks(ctx context.Context, keys []string) (map[string]string, error) {
	if err := t.check(false); err != nil {
		return nil, err
	}
	want := make(map[string]bool, len(keys))
	for _, k := range keys {
		want[k] = true
	}
	out := make(map[string]string)
	for u, o := range t.st.tasks {
		if o.Source != nil && want[o.Source.Key()] {
			out[o.Source.Key()] = u
		}
	}
	for u, a := range t.st.archive {
		if a.task.Source != nil && want[a.task.Source.Key()] {
			out[a.task.Source.Key()] = u
		}
	}
	return out, nil
}

// Enqueue implements store.Tx.
func (t *tx) Enqueue(ctx context.Context, items []*store.OutboxItem) error {
	if err := t.check(true); err != nil {
		return err
	}
	for _, it := range items {
		t.st.lastSeq++
		it.Seq = t.st.lastSeq
		c := *it
		c.At, c.NextAt = c.At.Truncate(time.Second).UTC(), c.NextAt.Truncate(time.Second).UTC()
		t.st.outbox = append(t.st.outbox, c)
	}
	return nil
}

// Owed implements store.Tx.
func (t *tx) Owed(ctx context.Context, limit int) ([]*store.OutboxItem, error) {
	if err := t.check(false); err != nil {
		return nil, err
	}
	var out []*store.OutboxItem
	for _, it := range t.st.outbox {
		if limit > 0 && len(out) == limit {
			break
		}
		c := it
		out = append(out, &c)
	}
	return out, nil
}

// Settle implements store.Tx.
func (t *tx) Settle(ctx context.Context, seq int64) error {
	if err := t.check(true); err != nil {
		return err
	}
	for i, it := range t.st.outbox {
		if it.Seq == seq {
			t.st.outbox = append(t.st.outbox[:i:i], t.st.outbox[i+1:]...)
			break
		}
	}
	return nil
}

// Defer implements store.Tx.
func (t *tx) Defer(ctx context.Context, seq int64, attempts int, next time.Time, lastError string) error {
	if err := t.check(true); err != nil {
		return err
	}
	for i := range t.st.outbox {
		if t.st.outbox[i].Seq == seq {
			it := &t.st.outbox[i]
			it.Attempts, it.NextAt, it.LastError = attempts, next.Truncate(time.Second).UTC(), lastError
		}
	}
	return nil
}

// Meta implements store.Tx.
func (t *tx) Meta(ctx context.Context, key string) (string, error) {
	if err := t.check(false); err != nil {
		return "", err
	}
	return t.st.meta[key], nil
}

// SetMeta implements store.Tx.
func (t *tx) SetMeta(ctx context.Context, key, value string) error {
	if err := t.check(true); err != nil {
		return err
	}
	if t.st.meta == nil {
		t.st.meta = map[string]string{}
	}
	if value == "" {
		delete(t.st.meta, key)
	} else {
		t.st.meta[key] = value
	}
	return nil
}

// LockPush implements store.PushLocker.
func (s *Store) LockPush(ctx context.Context) (func(), error) {
	locked := make(chan struct{})
	go func() { s.push.Lock(); close(locked) }()
	select {
	case <-locked:
		return s.push.Unlock, nil
	case <-ctx.Done():
		go func() { <-locked; s.push.Unlock() }()
		return nil, ctx.Err()
	}
}
