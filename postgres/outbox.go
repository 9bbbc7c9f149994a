package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/agent-backlog/backlog/store"
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
