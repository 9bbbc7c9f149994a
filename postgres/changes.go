package postgres

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Changes implements store.Store with LISTEN on the backlog's channel, on a
// connection of its own (not the pool's). Every command's journal entry
// sends a NOTIFY at commit carrying the backlog and its sequence number;
// the entries of a backlog commit in sequence order, so a report of N means
// every entry up to N is readable. When the connection is lost, Changes
// reconnects (backing off up to reconnectMax) and reports the newest
// sequence number, so a watcher catches up on what it missed.
func (s *Store) Changes(ctx context.Context) (<-chan int64, error) {
	conn, first, err := s.listen(ctx)
	if err != nil {
		return nil, err
	}
	ch := make(chan int64, 1)
	ch <- first
	go s.feed(ctx, conn, first, ch)
	return ch, nil
}

// reconnectMax bounds the wait between attempts to reconnect the feed.
const reconnectMax = 2 * time.Second

// listen opens the feed's connection, listens, and reads the newest
// sequence number (after LISTEN, so that no commit falls between).
func (s *Store) listen(ctx context.Context) (*pgx.Conn, int64, error) {
	cfg := s.cfg.ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = cfg.RuntimeParams["application_name"] + " watch " + s.channel
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, 0, s.connError(err)
	}
	var seq int64
	_, err = conn.Exec(ctx, "LISTEN "+pgx.Identifier{s.channel}.Sanitize())
	if err == nil {
		err = conn.QueryRow(ctx, "SELECT coalesce(max(seq), 0) FROM journal WHERE backlog = $1", s.backlog).Scan(&seq)
	}
	if err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, 0, s.connError(err)
	}
	return conn, seq, nil
}

// feed reports notifications on ch until ctx ends, then closes ch.
func (s *Store) feed(ctx context.Context, conn *pgx.Conn, last int64, ch chan int64) {
	defer close(ch)
	defer func() {
		if conn != nil {
			conn.Close(context.WithoutCancel(ctx))
		}
	}()
	// report never blocks the listener: a report not yet taken is replaced
	// by the newer one (reports may skip numbers).
	report := func(seq int64) {
		if seq < last {
			return
		}
		last = seq
		for {
			select {
			case ch <- seq:
				return
			default:
			}
			select {
			case <-ch:
			default:
			}
		}
	}
	wait := 50 * time.Millisecond
	for ctx.Err() == nil {
		if conn == nil {
			var seq int64
			var err error
			conn, seq, err = s.listen(ctx)
			if err != nil {
				conn = nil
				select {
				case <-ctx.Done():
				case <-time.After(wait):
				}
				wait = min(2*wait, reconnectMax)
				continue
			}
			wait = 50 * time.Millisecond
			report(seq)
		}
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			conn.Close(context.WithoutCancel(ctx))
			conn = nil
			continue
		}
		if seq, ok := parsePayload(n.Payload, s.backlog); ok && seq > last {
			report(seq)
		}
	}
}

// parsePayload reads "backlog:seq".
func parsePayload(p string, backlog int64) (int64, bool) {
	b, sq, ok := strings.Cut(p, ":")
	if !ok || b != strconv.FormatInt(backlog, 10) {
		return 0, false
	}
	seq, err := strconv.ParseInt(sq, 10, 64)
	return seq, err == nil
}
