package board

import (
	"net/http"
	"strconv"
	"time"
)

// keepAlive is how often an idle event stream sends a comment, so that
// proxies and browsers keep it open.
const keepAlive = 20 * time.Second

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
	first := true
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			if !write(": keep-alive\n\n") {
				return
			}
		case seq, ok := <-feed:
			if !ok {
				return
			}
			if first { // the newest sequence when the page opened
				first = false
				continue
			}
			if !write("event: change\ndata: " + strconv.FormatInt(seq, 10) + "\n\n") {
				return
			}
		}
	}
}
