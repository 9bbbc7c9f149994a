package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/sqlcodec"
)

// SourceTasks implements store.Tx.
func (x *Tx) SourceTasks(ctx context.Context, keys []string) (map[string]string, error) {
	if err := x.Check(false); err != nil {
		return nil, err
	}
	valid := make([]string, 0, len(keys))
	for _, k := range keys {
		if x.tr.Storable(k) {
			valid = append(valid, k)
		}
	}
	out := make(map[string]string)
	per := x.tr.Keys
	for len(valid) > 0 {
		n := len(valid)
		if per > 0 {
			n = min(n, per)
		}
		in := x.d.OneOf(Column("source_key"), valid[:n])
		valid = valid[n:]
		q := fmt.Sprintf(x.sql.sourceKeys, "tasks") + in.sql + " UNION ALL " + fmt.Sprintf(x.sql.sourceKeys, "archive") + in.sql
		rows, err := x.Conn.Query(ctx, q, append(in.args, in.args...)...)
		if err != nil {
			return nil, x.errorf("look up imported issues: %w", err)
		}
		_, err = collect(rows, func(r Rows) (struct{}, error) {
			var k, u string
			err := r.Scan(&k, &u)
			out[k] = u
			return struct{}{}, err
		})
		if err != nil {
			return nil, x.errorf("look up imported issues: %w", err)
		}
	}
	return out, nil
}

// Enqueue implements store.Tx.
func (x *Tx) Enqueue(ctx context.Context, items []*store.OutboxItem) error {
	if err := x.Check(true); err != nil {
		return err
	}
	for _, it := range items {
		src, err := sqlcodec.Marshal(it.Source)
		if err != nil {
			return err
		}
		err = x.Conn.QueryRow(ctx, x.sql.enqueue, it.TaskUUID, x.tr.Text(src), x.tr.Text(it.Source.Key()), x.tr.Text(it.Event),
			it.At.Unix(), x.tr.Text(it.Agent), it.Attempts, unixOrZero(it.NextAt), x.tr.Text(it.LastError)).Scan(&it.Seq)
		if err != nil {
			return x.errorf("record an upstream change owed: %w", err)
		}
	}
	return nil
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// Owed implements store.Tx.
func (x *Tx) Owed(ctx context.Context, limit int) ([]*store.OutboxItem, error) {
	if err := x.Check(false); err != nil {
		return nil, err
	}
	rows, err := x.Conn.Query(ctx, x.sql.owed, x.tr.Limit(limit))
	if err != nil {
		return nil, x.errorf("read the outbox: %w", err)
	}
	out, err := collect(rows, func(r Rows) (*store.OutboxItem, error) {
		var (
			it       store.OutboxItem
			src      []byte
			at, next int64
		)
		if err := r.Scan(&it.Seq, &it.TaskUUID, &src, &it.Event, &at, &it.Agent, &it.Attempts, &next, &it.LastError); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(src, &it.Source); err != nil {
			return nil, fmt.Errorf("item %d: %w", it.Seq, err)
		}
		it.At = time.Unix(at, 0).UTC()
		if next > 0 {
			it.NextAt = time.Unix(next, 0).UTC()
		}
		return &it, nil
	})
	if err != nil {
		return nil, x.errorf("read the outbox: %w", err)
	}
	return out, nil
}

// Settle implements store.Tx.
func (x *Tx) Settle(ctx context.Context, seq int64) error {
	if err := x.Check(true); err != nil {
		return err
	}
	if _, err := x.Conn.Exec(ctx, x.sql.settle, seq); err != nil {
		return x.errorf("settle upstream change %d: %w", seq, err)
	}
	return nil
}

// Defer implements store.Tx.
func (x *Tx) Defer(ctx context.Context, seq int64, attempts int, next time.Time, lastError string) error {
	if err := x.Check(true); err != nil {
		return err
	}
	if _, err := x.Conn.Exec(ctx, x.sql.deferItem, attempts, unixOrZero(next), x.tr.Text(lastError), seq); err != nil {
		return x.errorf("defer upstream change %d: %w", seq, err)
	}
	return nil
}

// Meta implements store.Tx.
func (x *Tx) Meta(ctx context.Context, key string) (string, error) {
	if err := x.Check(false); err != nil {
		return "", err
	}
	var v string
	err := x.Conn.QueryRow(ctx, x.sql.meta, x.tr.Text(key)).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", nil
	case err != nil:
		return "", x.errorf("read setting %q: %w", key, err)
	}
	return v, nil
}

// SetMeta implements store.Tx; an empty value removes the setting.
func (x *Tx) SetMeta(ctx context.Context, key, value string) error {
	if err := x.Check(true); err != nil {
		return err
	}
	var err error
	if value == "" {
		_, err = x.Conn.Exec(ctx, x.sql.deleteMeta, x.tr.Text(key))
	} else {
		_, err = x.Conn.Exec(ctx, x.sql.setMeta, x.tr.Text(key), x.tr.Text(value))
	}
	if err != nil {
		return x.errorf("write setting %q: %w", key, err)
	}
	return nil
}
