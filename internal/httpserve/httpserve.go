// Package httpserve runs an HTTP server until its context ends and shuts it
// down the way every surface of backlog needs: the MCP endpoint, the REST API
// and the board serve event streams that never end on their own.
package httpserve

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// Timeouts of every server. Request bodies have their own deadline, set by
// the handlers; answers have none, since an event stream lasts as long as
// its reader.
const (
	ReadHeaderTimeout = 10 * time.Second
	// IdleTimeout closes a keep-alive connection that sends no new request
	// for this long.
	IdleTimeout = 2 * time.Minute
	// ShutdownGrace is how long requests in flight may finish once the
	// context ends, before their contexts are cancelled.
	ShutdownGrace = time.Second
	// shutdownWait bounds the whole shutdown.
	shutdownWait = 5 * time.Second
)

// Serve serves h on ln until ctx ends, then shuts down: requests in flight
// get ShutdownGrace, then their contexts are cancelled, and the server
// closes within a few seconds whatever they do. ready, when set, runs once
// the server is about to accept (to print where it listens).
func Serve(ctx context.Context, ln net.Listener, h http.Handler, ready func()) error {
	// Requests get a context of their own, cancelled once shutdown has
	// given calls in flight a moment.
	base, cancelRequests := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRequests()
	srv := &http.Server{
		Handler: h, ReadHeaderTimeout: ReadHeaderTimeout, IdleTimeout: IdleTimeout,
		BaseContext: func(net.Listener) context.Context { return base },
	}
	if ready != nil {
		ready()
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	grace := time.AfterFunc(ShutdownGrace, cancelRequests)
	defer grace.Stop()
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownWait)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		srv.Close()
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
