package board

import (
	"context"
	"net/http"
	"strconv"
	"time"
)

// keepAlive is how often an idle event stream sends a comment, so that
// proxies and browsers keep it open.
const keepAlive = 20 * time.Second

// eventGap is the least time between two events of a stream. A change
// after a quiet spell is sent at once (the page asks for itself again
// without delay); the changes of a burst (a bulk command's, a busy
// PostgreSQL's notifications) within the gap wait for its end and go as
// one event, so that a page re-reads itself at most this often. The page
// also never has two re-reads in flight (hx-sync in layout.html).
const eventGap = 50 * time.Millisecond

// events streams a "change" event whenever the journal grows, by any
// process (the store's change feed: polling on SQLite, LISTEN/NOTIFY on
// PostgreSQL); the open pages refresh their live part on it.
func (s *server) events(w http.ResponseWriter, r *http.Request) {
	e, ok := s.engine(w, r)
	if !ok {
		return
	}
	feed, err := e.Store().Changes(r.Context())
	if err != nil {
		s.fail(w, r, e, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	write := func(s string) bool {
		if _, err := w.Write([]byte(s)); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !write(": backlog changes\nretry: 1000\n\n") {
		return
	}
	select { // the newest change when the page opened, which it shows
	case <-feed:
	case <-r.Context().Done():
		return
	}
	changes := throttle(r.Context(), feed, eventGap)
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			if !write(": keep-alive\n\n") {
				return
			}
		case seq, ok := <-changes:
			if !ok {
				return
			}
			if !write("event: change\ndata: " + strconv.FormatInt(seq, 10) + "\n\n") {
				return
			}
		}
	}
}

// throttle passes on what comes in, at most once per gap: a change after
// a quiet spell at once, and the changes that come within the gap after
// one as the newest of them when the gap ends (or when in closes). The
// channel it returns closes when in does, or when ctx ends.
func throttle(ctx context.Context, in <-chan int64, gap time.Duration) <-chan int64 {
	out := make(chan int64)
	go func() {
		defer close(out)
		var (
			last    time.Time // when the last change went out
			pending int64     // the newest change held back, 0 for none
			timer   = time.NewTimer(gap)
			due     <-chan time.Time // timer.C while a change is held back
		)
		timer.Stop()
		defer timer.Stop()
		pass := func(seq int64) bool {
			select {
			case out <- seq:
				last, pending, due = time.Now(), 0, nil
				return true
			case <-ctx.Done():
				return false
			}
		}
		for {
			select {
			case <-ctx.Done():
				return
			case <-due:
				if !pass(pending) {
					return
				}
			case seq, ok := <-in:
				switch {
				case !ok:
					if pending != 0 {
						pass(pending)
					}
					return
				case pending != 0:
					pending = seq
				case time.Since(last) < gap:
					pending = seq
					timer.Reset(gap - time.Since(last))
					due = timer.C
				default:
					if !pass(seq) {
						return
					}
				}
			}
		}
	}()
	return out
}
