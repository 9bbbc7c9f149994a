package sqlite

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
func (x *tx) SourceTasks(ctx context.Context, keys []string) (map[string]string, error) {
	out := make(map[string]string)
	for len(keys) > 0 {
		n := min(len(keys), 500)
		args := make([]any, n)
		for i, k := range keys[:n] {
			args[i] = k
		}
		keys = keys[n:]
		in := placeholders(n)
		q := "SELECT source_key, uuid FROM tasks WHERE source_key IN (" + in + ")" +
			" UNION ALL SELECT source_key, uuid FROM archive WHERE source_key IN (" + in + ")"
		rows, err := x.tx.QueryContext(ctx, q, append(args, args...)...)
		if err != nil {
			return nil, fmt.Errorf("sqlite: look up imported issues: %w", err)
		}
		for rows.Next() {
			var k, u string
			if err := rows.Scan(&k, &u); err != nil {
				rows.Close()
				return nil, fmt.Errorf("sqlite: look up imported issues: %w", err)
			}
			out[k] = u
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("sqlite: look up imported issues: %w", err)
		}
	}
	return out, nil
}

// Enqueue implements store.Tx.
func (x *tx) Enqueue(ctx context.Context, items []*store.OutboxItem) error {
	if err := x.check(true); err != nil {
		return err
	}
	for _, it := range items {
		src, err := sqlcodec.Marshal(it.Source)
		if err != nil {
			return err
		}
		if err := x.queryRow(ctx, `INSERT INTO outbox (task_uuid, source, source_key, event, at, agent, attempts, next_at, last_error)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
			it.TaskUUID, src, it.Source.Key(), it.Event, it.At.Unix(), it.Agent, it.Attempts, unixOrZero(it.NextAt), it.LastError).Scan(&it.Seq); err != nil {
			return fmt.Errorf("sqlite: record an upstream change owed: %w", err)
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
func (x *tx) Owed(ctx context.Context, limit int) ([]*store.OutboxItem, error) {
	q := "SELECT seq, task_uuid, source, event, at, agent, attempts, next_at, last_error FROM outbox ORDER BY seq"
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	rows, err := x.tx.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read the outbox: %w", err)
	}
	defer rows.Close()
	var out []*store.OutboxItem
	for rows.Next() {
		var (
			it       store.OutboxItem
			src      []byte
			at, next int64
		)
		if err := rows.Scan(&it.Seq, &it.TaskUUID, &src, &it.Event, &at, &it.Agent, &it.Attempts, &next, &it.LastError); err != nil {
			return nil, fmt.Errorf("sqlite: read the outbox: %w", err)
		}
		if err := json.Unmarshal(src, &it.Source); err != nil {
			return nil, fmt.Errorf("sqlite: read the outbox: item %d: %w", it.Seq, err)
		}
		it.At = time.Unix(at, 0).UTC()
		if next > 0 {
			it.NextAt = time.Unix(next, 0).UTC()
		}
		out = append(out, &it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: read the outbox: %w", err)
	}
	return out, nil
}

// Settle implements store.Tx.
func (x *tx) Settle(ctx context.Context, seq int64) error {
	if err := x.check(true); err != nil {
		return err
	}
	if _, err := x.exec(ctx, "DELETE FROM outbox WHERE seq = ?", seq); err != nil {
		return fmt.Errorf("sqlite: settle upstream change %d: %w", seq, err)
	}
	return nil
}

// Defer implements store.Tx.
func (x *tx) Defer(ctx context.Context, seq int64, attempts int, next time.Time, lastError string) error {
	if err := x.check(true); err != nil {
		return err
	}
	if _, err := x.exec(ctx, "UPDATE outbox SET attempts = ?, next_at = ?, last_error = ? WHERE seq = ?",
		attempts, unixOrZero(next), lastError, seq); err != nil {
		return fmt.Errorf("sqlite: defer upstream change %d: %w", seq, err)
	}
	return nil
}

// Meta implements store.Tx.
func (x *tx) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := x.queryRow(ctx, "SELECT value FROM meta WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("sqlite: read setting %q: %w", key, err)
	}
	return v, nil
}

// SetMeta implements store.Tx.
func (x *tx) SetMeta(ctx context.Context, key, value string) error {
	if err := x.check(true); err != nil {
		return err
	}
	var err error
	if value == "" {
		_, err = x.exec(ctx, "DELETE FROM meta WHERE key = ?", key)
	} else {
		_, err = x.exec(ctx, "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value)
	}
	if err != nil {
		return fmt.Errorf("sqlite: write setting %q: %w", key, err)
	}
	return nil
}

// LockPush implements store.PushLocker: an exclusive lock on a file beside
// the database, which the kernel releases when the process dies.
func (s *Store) LockPush(ctx context.Context) (func(), error) {
	s.pushOnce.Do(func() { s.pusher = &writeQueue{path: s.path + "-push.lock"} })
	release, err := s.pusher.lock(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, s.fail(err)
	}
	return release, nil
}
