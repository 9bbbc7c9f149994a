// Package web serves the backlog over HTTP at one address: MCP at /mcp, the
// REST API at /api/v1/, Tinytown's routes at /v1/backlog, and the board at /.
// Every request passes the same checks first (see Handler); the surfaces
// behind them run each command through the engine, so that a change made
// over HTTP is journalled and undoable like one made from the CLI.
//
// Wiring it (cmd/backlog) takes a few lines:
//
//	srv := web.New(web.Options{Open: open, MCP: mcpServer.HTTPHandler(), Token: token})
//	defer srv.Close()
//	err := srv.Serve(ctx, "127.0.0.1:7412")
package web

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/mcp"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/web/api"
	"github.com/agent-backlog/backlog/web/board"
)

// MCPPath is where MCP is served, as `backlog serve --http` always has.
const MCPPath = mcp.MCPPath

// Options configure a Server.
type Options struct {
	// Open opens the backlog; it is called on the first request that needs
	// the store, and again after a failure.
	Open func(context.Context) (store.Store, error)
	// Agent is who the changes made over REST and the board are recorded
	// under (BACKLOG_AGENT_ID). Empty: for the REST API the request's
	// Backlog-Agent header, else "api"; for the board BoardAgent.
	Agent string
	// Clock is the engine's clock; nil means time.Now.
	Clock func() time.Time
	// MCP serves MCP at MCPPath; nil serves no MCP.
	MCP http.Handler

	// Token is the bearer token every request must carry (BACKLOG_HTTP_TOKEN);
	// empty requires none from Handler, and makes Serve generate one off
	// loopback. Browsers present it once and keep a session cookie.
	Token string
	// AllowedOrigins are browser origins (scheme://host[:port]) trusted
	// besides loopback ones and the server's own (BACKLOG_HTTP_ORIGINS).
	AllowedOrigins []string
	// MaxBodyBytes caps a request body (413 past it); 0 means
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// BodyTimeout is how long a request body may take to arrive (408 past
	// it); 0 means DefaultBodyTimeout.
	BodyTimeout time.Duration
	// Logger receives the server's logs; nil means warnings and errors on
	// Stderr.
	Logger *slog.Logger
	// Stderr receives the listening address and a generated token; nil
	// means os.Stderr.
	Stderr io.Writer
}

// Limits of a request body, the same as MCP's over HTTP.
const (
	DefaultMaxBodyBytes = mcp.DefaultMaxBodyBytes
	DefaultBodyTimeout  = mcp.DefaultBodyTimeout
)

// Server is the backlog's HTTP surface over one store.
type Server struct {
	opts Options
	log  *slog.Logger
	back *backend
}

// New returns a server; nothing is opened until the first request.
func New(opts Options) *Server {
	if opts.Stderr == nil {
		opts.Stderr = os.Stderr
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(opts.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.BodyTimeout <= 0 {
		opts.BodyTimeout = DefaultBodyTimeout
	}
	return &Server{opts: opts, log: opts.Logger, back: &backend{open: opts.Open, clock: opts.Clock, log: opts.Logger}}
}

// Close closes the store, if it was opened.
func (s *Server) Close() error { return s.back.close() }

// Handler serves everything behind one set of checks (guard, in
// security.go): the token when Options.Token is set, Host and Origin
// against DNS rebinding and other sites, CSRF on every write, the body
// limits, and security headers on every answer.
func (s *Server) Handler() http.Handler { return s.handler(s.opts.Token) }

// handler is Handler with the token to require ("" for none).
func (s *Server) handler(token string) http.Handler {
	mux := http.NewServeMux()
	if s.opts.MCP != nil {
		mux.Handle(MCPPath, s.opts.MCP)
	}
	rest := api.Handler(api.Deps{Engine: s.back.engine, Agent: s.opts.Agent, Logger: s.log})
	mux.Handle("/api/", rest)
	mux.Handle("/v1/", rest)
	agent := s.opts.Agent
	if agent == "" {
		agent = BoardAgent
	}
	mux.Handle("/", board.Handler(board.Deps{
		Engine: func(ctx context.Context) (*engine.Engine, error) { return s.back.engine(ctx, agent) },
		CSRF:   CSRFToken,
	}))
	return s.guard(token, mux)
}

// BoardAgent is who the board's changes are recorded under when the server
// has no agent of its own.
const BoardAgent = "board"

// backend opens the store once, on first use, and hands out engines over it.
type backend struct {
	open  func(context.Context) (store.Store, error)
	clock func() time.Time
	log   *slog.Logger

	mu sync.Mutex
	st store.Store
}

// store opens the store if needed and returns it.
func (b *backend) store(ctx context.Context) (store.Store, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.st != nil {
		return b.st, nil
	}
	if b.open == nil {
		return nil, backlog.Environmentf(nil, "this server has no backlog to open")
	}
	st, err := b.open(ctx)
	if err != nil {
		b.log.Error("cannot open the backlog", "error", err)
		var sentence *backlog.Error
		if errors.As(err, &sentence) {
			return nil, err // it names the backlog and the cause already
		}
		return nil, backlog.Environmentf(err, "cannot open the backlog: %v", err)
	}
	b.st = st
	return st, nil
}

// engine returns an engine writing as agent.
func (b *backend) engine(ctx context.Context, agent string) (*engine.Engine, error) {
	st, err := b.store(ctx)
	if err != nil {
		return nil, err
	}
	return engine.New(st, engine.Options{Agent: agent, Clock: b.clock}), nil
}

func (b *backend) close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.st == nil {
		return nil
	}
	err := b.st.Close()
	b.st = nil
	return err
}
