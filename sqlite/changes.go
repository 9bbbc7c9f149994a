package sqlite

import (
	"context"
	"fmt"
	"time"
)

// pollEvery is how often Changes looks at the journal's newest sequence
// number: one indexed integer, so the poll costs microseconds.
const pollEvery = 20 * time.Millisecond

// Changes implements store.Store by polling the newest journal sequence
// number on one connection of its own. SQLite has no cross-process
// notification; a poll of one integer is the cheapest reliable signal.
func (s *Store) Changes(ctx context.Context) (<-chan int64, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, s.fail(fmt.Errorf("sqlite: watch %s: %w", s.path, err))
	}
	newest := func() (int64, error) {
		var seq int64
		err := conn.QueryRowContext(ctx, "SELECT coalesce(max(seq), 0) FROM journal").Scan(&seq)
		return seq, err
	}
	first, err := newest()
	if err != nil {
		conn.Close()
		return nil, s.fail(fmt.Errorf("sqlite: watch %s: %w", s.path, err))
	}
	ch := make(chan int64, 1)
	ch <- first
	go func() {
		defer close(ch)
		defer conn.Close()
		last := first
		tick := time.NewTicker(pollEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			seq, err := newest()
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				continue // a busy moment; the next poll will see it
			}
			if seq > last {
				last = seq
				select {
				case ch <- seq:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return ch, nil
}
