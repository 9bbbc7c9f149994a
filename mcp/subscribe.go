package mcp

import (
	"context"
	"errors"
	"strings"
	"sync"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
)

// subscriptions tracks which doc resources clients subscribed to, by task
// UUID (a client may name a task by id or prefix in the URI), and runs one
// watcher over the backlog's change feed while any subscription exists.
type subscriptions struct {
	mu     sync.Mutex
	byUUID map[string]map[string]int // UUID -> URI as the client wrote it -> subscribers
	uuidOf map[string]string         // URI -> UUID
	cancel context.CancelFunc        // stops the watcher; nil when none runs
}

// subscribe resolves the URI's task and starts watching if nobody was.
func (s *Server) subscribe(ctx context.Context, req *sdk.SubscribeRequest) error {
	uri := req.Params.URI
	ref, ok := docRef(uri)
	if !ok {
		return sdk.ResourceNotFoundError(uri)
	}
	e, err := s.engineFor(ctx, s.agentOf(req.Session.InitializeParams().ClientInfo))
	if err != nil {
		return err
	}
	t, err := e.Info(ctx, ref)
	switch {
	case errors.Is(err, backlog.ErrNotFound):
		return sdk.ResourceNotFoundError(uri)
	case err != nil:
		return err
	}
	subs := &s.subs
	subs.mu.Lock()
	defer subs.mu.Unlock()
	if subs.byUUID == nil {
		subs.byUUID, subs.uuidOf = map[string]map[string]int{}, map[string]string{}
	}
	if subs.byUUID[t.UUID] == nil {
		subs.byUUID[t.UUID] = map[string]int{}
	}
	subs.byUUID[t.UUID][uri]++
	subs.uuidOf[uri] = t.UUID
	if subs.cancel == nil {
		wctx, cancel := context.WithCancel(context.Background())
		subs.cancel = cancel
		go s.watch(wctx, e)
	}
	return nil
}

// unsubscribe forgets a subscription and stops the watcher after the last.
func (s *Server) unsubscribe(ctx context.Context, req *sdk.UnsubscribeRequest) error {
	subs := &s.subs
	subs.mu.Lock()
	defer subs.mu.Unlock()
	uri := req.Params.URI
	u, ok := subs.uuidOf[uri]
	if !ok {
		return nil
	}
	if subs.byUUID[u][uri]--; subs.byUUID[u][uri] <= 0 {
		delete(subs.byUUID[u], uri)
		delete(subs.uuidOf, uri)
		if len(subs.byUUID[u]) == 0 {
			delete(subs.byUUID, u)
		}
	}
	if len(subs.uuidOf) == 0 && subs.cancel != nil {
		subs.cancel()
		subs.cancel = nil
	}
	return nil
}

// watch follows the change feed from now on and tells subscribers when a
// task's doc changed, by any process. Only real changes notify: the feed
// reports committed journal entries, never reads.
func (s *Server) watch(ctx context.Context, e *engine.Engine) {
	_, err := e.Watch(ctx, "", -1, func(ev engine.Event) error {
		if !ev.DocChanged {
			return nil
		}
		s.subs.mu.Lock()
		var uris []string
		for uri := range s.subs.byUUID[ev.Task.UUID] {
			uris = append(uris, uri)
		}
		s.subs.mu.Unlock()
		for _, uri := range uris {
			if err := s.sdk.ResourceUpdated(ctx, &sdk.ResourceUpdatedNotificationParams{URI: uri}); err != nil {
				s.log.Warn("resource update notification failed", "uri", uri, "error", err)
			}
		}
		return nil
	})
	if err != nil && ctx.Err() == nil {
		s.log.Error("watching the backlog for subscriptions stopped", "error", err)
	}
}

// stopWatching ends the watcher, when the server closes.
func (s *Server) stopWatching() {
	s.subs.mu.Lock()
	defer s.subs.mu.Unlock()
	if s.subs.cancel != nil {
		s.subs.cancel()
		s.subs.cancel = nil
	}
}

// docRef reads the task reference of a doc URI.
func docRef(uri string) (string, bool) {
	ref, ok := strings.CutPrefix(uri, docPrefix)
	if ok {
		ref, ok = strings.CutSuffix(ref, docSuffix)
	}
	return ref, ok && ref != "" && !strings.Contains(ref, "/")
}
