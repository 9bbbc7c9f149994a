package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/sqlcodec"
)

var _ store.PushLocker = (*Store)(nil)

// kindPush is the advisory lock held while the outbox is delivered.
const kindPush = 2

// constraintOf names the constraint (or unique index) an error broke.
func constraintOf(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.ConstraintName
	}
	return ""
}

// SourceTasks implements store.Tx.
func (x *tx) SourceTasks(ctx context.Context, keys []string) (map[string]string, error) {
	if err := x.check(false); err != nil {
		return nil, err
	}
	valid := make([]string, 0, len(keys))
	for _, k := range keys {
		if storableText(k) {
			valid = append(valid, k)
		}
	}
	out := make(map[string]string)
	if len(valid) == 0 {
		return out, nil
	}
	rows, err := x.query(ctx, `SELECT source_key, uuid FROM tasks WHERE backlog = $1 AND source_key = ANY ($2)
		UNION ALL SELECT source_key, uuid FROM archive WHERE backlog = $1 AND source_key = ANY ($2)`, x.s.backlog, valid)
	if err != nil {
		return nil, fmt.Errorf("postgres: look up imported issues: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, u string
		if err := rows.Scan(&k, &u); err != nil {
			return nil, fmt.Errorf("postgres: look up imported issues: %w", x.note(err))
		}
		out[k] = u
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: look up imported issues: %w", x.note(err))
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
		if err := x.queryRow(ctx, `INSERT INTO outbox (backlog, task_uuid, source, source_key, event, at, agent, attempts, next_at, last_error)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING seq`,
			x.s.backlog, it.TaskUUID, sqlcodec.ValidText(src), sqlcodec.ValidText(it.Source.Key()), sqlcodec.ValidText(it.Event),
			it.At.Unix(), sqlcodec.ValidText(it.Agent), it.Attempts, unixOrZero(it.NextAt), sqlcodec.ValidText(it.LastError)).Scan(&it.Seq); err != nil {
			return fmt.Errorf("postgres: record an upstream change owed: %w", err)
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
	if err := x.check(false); err != nil {
		return nil, err
	}
	rows, err := x.query(ctx, `SELECT seq, task_uuid, source, event, at, agent, attempts, next_at, last_error
		FROM outbox WHERE backlog = $1 ORDER BY seq LIMIT $2`, x.s.backlog, limitArg(limit))
	if err != nil {
		return nil, fmt.Errorf("postgres: read the outbox: %w", err)
	}
	return collect(x, rows, func(r pgx.Rows) (*store.OutboxItem, error) {
		var (
			it       store.OutboxItem
			src      string
			at, next int64
		)
		if err := r.Scan(&it.Seq, &it.TaskUUID, &src, &it.Event, &at, &it.Agent, &it.Attempts, &next, &it.LastError); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(src), &it.Source); err != nil {
			return nil, fmt.Errorf("postgres: read the outbox: item %d: %w", it.Seq, err)
		}
		it.At = time.Unix(at, 0).UTC()
		if next > 0 {
			it.NextAt = time.Unix(next, 0).UTC()
		}
		return &it, nil
	})
}

// Settle implements store.Tx.
func (x *tx) Settle(ctx context.Context, seq int64) error {
	if err := x.check(true); err != nil {
		return err
	}
	if _, err := x.exec(ctx, "DELETE FROM outbox WHERE backlog = $1 AND seq = $2", x.s.backlog, seq); err != nil {
		return fmt.Errorf("postgres: settle upstream change %d: %w", seq, err)
	}
	return nil
}

// Defer implements store.Tx.
func (x *tx) Defer(ctx context.Context, seq int64, attempts int, next time.Time, lastError string) error {
	if err := x.check(true); err != nil {
		return err
	}
	if _, err := x.exec(ctx, "UPDATE outbox SET attempts = $3, next_at = $4, last_error = $5 WHERE backlog = $1 AND seq = $2",
		x.s.backlog, seq, attempts, unixOrZero(next), sqlcodec.ValidText(lastError)); err != nil {
		return fmt.Errorf("postgres: defer upstream change %d: %w", seq, err)
	}
	return nil
}

// Meta implements store.Tx.
func (x *tx) Meta(ctx context.Context, key string) (string, error) {
	if err := x.check(false); err != nil {
		return "", err
	}
	var v string
	err := x.queryRow(ctx, "SELECT value FROM meta WHERE backlog = $1 AND key = $2", x.s.backlog, sqlcodec.ValidText(key)).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("postgres: read setting %q: %w", key, err)
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
		_, err = x.exec(ctx, "DELETE FROM meta WHERE backlog = $1 AND key = $2", x.s.backlog, sqlcodec.ValidText(key))
	} else {
		_, err = x.exec(ctx, `INSERT INTO meta (backlog, key, value) VALUES ($1, $2, $3)
			ON CONFLICT (backlog, key) DO UPDATE SET value = excluded.value`, x.s.backlog, sqlcodec.ValidText(key), sqlcodec.ValidText(value))
	}
	if err != nil {
		return fmt.Errorf("postgres: write setting %q: %w", key, err)
	}
	return nil
}

// LockPush implements store.PushLocker: a session advisory lock on a
// connection of its own, which the server releases when the session ends,
// so that a killed process strands nothing.
func (s *Store) LockPush(ctx context.Context) (func(), error) {
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, s.connError(err)
	}
	key := lockKey(s.schema, s.backlog, kindPush)
	if _, err := c.Exec(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
		c.Conn().Close(context.WithoutCancel(ctx))
		c.Release()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, s.connError(err)
	}
	return func() {
		uctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var ok bool
		if err := c.QueryRow(uctx, "SELECT pg_advisory_unlock($1)", key).Scan(&ok); err != nil || !ok {
			c.Conn().Close(uctx)
		}
		c.Release()
	}, nil
}
