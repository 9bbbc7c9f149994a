package s3store

import (
	"context"
	"time"
)

// Changes implements store.Store by polling: S3 tells no one of a change,
// so every PollEvery (2 s by default) the store asks for the object only if
// its ETag changed, and reports the journal's newest sequence number when
// it did. A write of this store is reported at once. Each poll is one small
// request (an unchanged object is not sent again).
func (s *Store) Changes(ctx context.Context) (<-chan int64, error) {
	first, tag, err := s.newest(ctx, "", 0)
	if err != nil {
		return nil, err
	}
	ch := make(chan int64, 1)
	ch <- first
	go func() {
		defer close(ch)
		last := first
		tick := time.NewTicker(s.opts.PollEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			case <-s.wroteCh():
			}
			seq, now, err := s.newest(ctx, tag, last)
			if err != nil {
				continue // S3 out of reach a moment: the next poll will see
			}
			tag = now
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

// newest is the newest journal sequence number of the latest object, and
// the object's ETag; when that is still tag, the number is still seq and
// the copy is not opened.
func (s *Store) newest(ctx context.Context, tag string, seq int64) (int64, string, error) {
	unlock, err := s.cache.lock(ctx)
	if err != nil {
		return 0, "", err
	}
	defer unlock()
	now, err := s.refresh(ctx)
	if err != nil || (tag != "" && now == tag) {
		return seq, now, err
	}
	st, err := s.openSQLite(ctx, s.cache.db())
	if err != nil {
		return 0, "", err
	}
	defer st.Close()
	// The SQLite store's own feed reports its newest number at once. Its
	// connection must be closed before the cache is let go: a write that
	// then finds it open could not fold its log into the file.
	sub, cancel := context.WithCancel(ctx)
	defer cancel()
	feed, err := st.Changes(sub)
	if err != nil {
		return 0, "", err
	}
	newest := <-feed
	cancel()
	for range feed { // closed once its connection is
	}
	return newest, now, nil
}
