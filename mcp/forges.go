package mcp

import (
	"context"
	"sync"
	"time"

	"github.com/agent-backlog/backlog/engine"
)

// ForgesToolset is the toolset of task_sync.
const ForgesToolset = "forges"

// Forges connects the server to the GitHub and GitLab issues tasks were
// imported from (forge/mirror, set up by the command line). The server
// delivers what commands leave owed upstream in the background, at once
// after each such command and every PushInterval, and serves task_sync.
type Forges interface {
	// Push delivers the changes owed upstream that are due.
	Push(ctx context.Context, e *engine.Engine) error
	// Sync delivers every change owed, then pulls upstream changes into
	// the imported tasks (kind: github, gitlab or "" for both; filter
	// narrows the tasks), and returns what changed on each side.
	Sync(ctx context.Context, e *engine.Engine, kind, filter string) (any, error)
}

// PushInterval is how often the server retries changes owed upstream
// when no command asks it to.
const PushInterval = 30 * time.Second

// pushTimeout bounds one background delivery.
const pushTimeout = 2 * time.Minute

// closeGrace is how long Close lets the pusher deliver what the last
// commands left owed (a client that ends the session right after task_done
// still gets its issue updated), before it gives up; what is left stays
// owed for the next command or sync.
const closeGrace = 5 * time.Second

// pusher delivers the outbox in the background, one delivery at a time.
type pusher struct {
	mu      sync.Mutex
	started bool
	closed  bool
	kick    chan struct{}
	stop    chan struct{} // closed by Close: one last round, then return
	cancel  context.CancelFunc
	done    chan struct{}
}

// owed asks the background pusher to deliver now; it starts it on first
// use. A kick while a delivery runs is kept for the next round.
func (s *Server) owed() {
	if s.opts.Forges == nil {
		return
	}
	p := &s.push
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	if !p.started {
		p.started = true
		p.kick = make(chan struct{}, 1)
		p.stop = make(chan struct{})
		p.done = make(chan struct{})
		ctx, cancel := context.WithCancel(context.Background())
		p.cancel = cancel
		go s.pushLoop(ctx)
	}
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

func (s *Server) pushLoop(ctx context.Context) {
	defer close(s.push.done)
	tick := time.NewTicker(PushInterval)
	defer tick.Stop()
	for {
		last := false
		select {
		case <-ctx.Done():
			return
		case <-s.push.stop:
			last = true
		case <-s.push.kick:
		case <-tick.C:
		}
		s.deliver(ctx)
		if last {
			return
		}
	}
}

// deliver runs one delivery of the outbox.
func (s *Server) deliver(ctx context.Context) {
	s.mu.Lock()
	st := s.store
	s.mu.Unlock()
	if st == nil {
		return
	}
	agent := s.opts.Agent
	if agent == "" {
		agent = "mcp"
	}
	e := engine.New(st, engine.Options{Agent: agent, Clock: s.opts.Clock})
	pctx, cancel := context.WithTimeout(ctx, pushTimeout)
	defer cancel()
	if err := s.opts.Forges.Push(pctx, e); err != nil && ctx.Err() == nil {
		s.log.Warn("upstream updates are owed", "error", err)
	}
}

// stopPushing ends the background pusher after one last delivery, within
// closeGrace, and waits for it.
func (s *Server) stopPushing() {
	p := &s.push
	p.mu.Lock()
	started := p.started && !p.closed
	p.closed = true
	p.mu.Unlock()
	if !started {
		return
	}
	close(p.stop)
	select {
	case <-p.done:
	case <-time.After(closeGrace):
		p.cancel()
		<-p.done
	}
	p.cancel()
}

// syncTool is task_sync.
func (s *Server) syncTool() *tool {
	return &tool{name: "task_sync", set: ForgesToolset, out: `{"type":"object"}`,
		args: []arg{{name: "forge", kind: kString, desc: "github, gitlab; default both"}, {name: "filter", kind: kString}},
		desc: "Sync imported GitHub/GitLab issues: push owed updates, pull changes. Returns {pulled, pushed, owed}.",
		run: func(ctx context.Context, e *engine.Engine, a argv) (any, error) {
			return s.opts.Forges.Sync(ctx, e, a.str("forge"), a.str("filter"))
		}}
}
