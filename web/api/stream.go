package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
)

// heartbeat is how often an idle event stream sends a comment, so that
// proxies and browsers keep it open and a gone client is noticed.
const heartbeat = 25 * time.Second

// retryMillis tells a browser's EventSource how soon to reconnect after the
// stream breaks: soon, since the board promises changes within a second.
const retryMillis = 1000

// streamChanges serves the change feed as Server-Sent Events: the same
// events as `backlog watch`, one per task changed, each with the journal's
// sequence number as its id, so that a browser's reconnect (Last-Event-ID)
// resumes where it broke off. A bad filter or from is a problem answer;
// once the stream is open, a failure ends it with an "error" event.
func streamChanges(c *call) {
	after, err := c.resumeAfter()
	if err != nil {
		c.fail(err)
		return
	}
	e, err := c.engine()
	if err != nil {
		c.fail(err)
		return
	}
	// The filter is judged before the stream opens, so that a mistake is
	// a 400 with its position, not a stream that never says anything.
	if _, err := e.Count(c.ctx, c.query("filter")); err != nil {
		c.fail(err)
		return
	}
	if after < 0 {
		// "From now" is from before the stream opens: a change committed
		// once the client has its answer is never missed.
		if after, err = newestChange(c, e); err != nil {
			c.fail(err)
			return
		}
	}
	rc := http.NewResponseController(c.w)
	h := c.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	c.w.WriteHeader(http.StatusOK)
	var mu sync.Mutex
	send := func(s string) error {
		mu.Lock()
		defer mu.Unlock()
		if _, err := c.w.Write([]byte(s)); err != nil {
			return err
		}
		return rc.Flush()
	}
	if err := send(fmt.Sprintf("retry: %d\n\n", retryMillis)); err != nil {
		return
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		t := time.NewTicker(heartbeat)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-c.ctx.Done():
				return
			case <-t.C:
				send(": ping\n\n")
			}
		}
	}()
	_, err = e.Watch(c.ctx, c.query("filter"), after, func(ev engine.Event) error {
		return send(fmt.Sprintf("id: %d\nevent: change\ndata: %s\n\n", ev.Seq, compactJSON(ev)))
	})
	if err != nil && c.ctx.Err() == nil {
		c.h.deps.Logger.Warn("the change stream failed", "error", err)
		p := problem{Type: "about:blank", Title: http.StatusText(StatusOf(err)), Status: StatusOf(err), Detail: err.Error()}
		send(fmt.Sprintf("event: error\ndata: %s\n\n", compactJSON(p)))
	}
}

// newestChange is the journal's newest sequence number: the change feed's
// first report.
func newestChange(c *call, e *engine.Engine) (int64, error) {
	ctx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	feed, err := e.Store().Changes(ctx)
	if err != nil {
		return 0, err
	}
	newest, ok := <-feed
	if !ok {
		return 0, c.ctx.Err()
	}
	return newest, nil
}

// resumeAfter is the sequence number the stream starts after: a browser's
// Last-Event-ID when it reconnects, else from, else -1 (from now).
func (c *call) resumeAfter() (int64, error) {
	if id := strings.TrimSpace(c.r.Header.Get("Last-Event-ID")); id != "" {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || n < 0 {
			return 0, backlog.Invalidf("Last-Event-ID must be a change number, 0 or more, got %q", id)
		}
		return n, nil
	}
	s := strings.TrimSpace(c.query("from"))
	if s == "" {
		return -1, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, backlog.Invalidf("from must be a change number, 0 or more, got %q", s)
	}
	return n, nil
}
