// Package mcp serves the backlog over the Model Context Protocol: the tools of
// TOOLS.md, the planning prompts, and each task's doc as a resource, over
// stdio or streamable HTTP. Every tool is a thin layer over the engine: it
// reads its arguments (as JSON strings or native types), runs one engine
// command, and returns the engine's result as structuredContent plus the same
// JSON as text.
//
// Wiring a command (cmd/backlog) takes a few lines:
//
//	opts, err := mcp.OptionsFromEnv(os.Getenv)
//	opts.Clock = clock
//	srv := mcp.NewServer(open, opts)
//	defer srv.Close()
//	err = srv.ServeStdio(ctx, os.Stdin, os.Stdout) // or srv.ServeHTTP(ctx, addr)
package mcp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/internal/version"
	"github.com/agent-backlog/backlog/store"
)

// Toolsets are the groups of tools BACKLOG_TOOLSETS chooses from. All but
// TasksMDToolset are served by default and by "all"; that one only when
// named.
var Toolsets = []string{"core", "docs", "archive", "agents", ForgesToolset, TasksMDToolset}

// Options configure a Server. The zero value serves every tool, writes as the
// client's name, and logs warnings and errors to stderr.
type Options struct {
	// Agent is the agent id every change is recorded under (BACKLOG_AGENT_ID).
	// Empty means the name the client gives in its clientInfo, else "mcp".
	Agent string
	// Toolsets limits the tools to these groups (BACKLOG_TOOLSETS); empty
	// means all of Toolsets but TasksMDToolset, which is served only when
	// named (WithTasksMD adds it).
	Toolsets []string
	// TasksMDDir is the directory whose TASKS.md files the tasksmd tools
	// serve (TASKS_MCP_DIR); empty means the git root of the working
	// directory, else the working directory.
	TasksMDDir string
	// ReadOnly serves only the tools that change nothing (BACKLOG_READ_ONLY).
	ReadOnly bool
	// Clock is the engine's clock; nil means time.Now. The caller sets it
	// (BACKLOG_NOW is read by the command's configuration, as for the CLI).
	Clock func() time.Time
	// Logger receives the server's logs; nil means warnings and errors as
	// text on Stderr. Logs never go to stdout, which carries the protocol.
	Logger *slog.Logger
	// Version is reported to clients as the server's version; empty means
	// this binary's (internal/version), as backlog --version prints it.
	Version string

	// Token is the bearer token HTTP clients must send (BACKLOG_HTTP_TOKEN).
	// Empty: ServeHTTP requires none on a loopback address and generates one
	// on any other. Off loopback, ServeHTTP refuses to start with a token
	// that is easy to guess (see MinTokenLength).
	Token string
	// AllowedOrigins are browser origins (scheme://host[:port]) allowed
	// besides loopback ones (BACKLOG_HTTP_ORIGINS, comma-separated).
	AllowedOrigins []string
	// MaxBodyBytes caps an HTTP request body and a stdio line; 0 means
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// BodyTimeout is how long an HTTP request body may take to arrive; 0
	// means DefaultBodyTimeout.
	BodyTimeout time.Duration
	// SessionTimeout closes an HTTP session idle this long; 0 means
	// DefaultSessionTimeout.
	SessionTimeout time.Duration
	// MaxSessions caps the HTTP sessions open at once, closing the one idle
	// longest to make room for a new one; 0 means DefaultMaxSessions.
	MaxSessions int
	// LineTimeout is how long a stdio line may stop part-way before it is
	// dropped; 0 means DefaultLineTimeout.
	LineTimeout time.Duration
	// Stderr receives the generated HTTP token and the listening address;
	// nil means os.Stderr.
	Stderr io.Writer
	// Forges delivers changes of imported tasks to their issues and serves
	// task_sync; nil: neither.
	Forges Forges
}

// OptionsFromEnv reads the options from the environment: BACKLOG_AGENT_ID,
// BACKLOG_TOOLSETS, BACKLOG_READ_ONLY, BACKLOG_LOG
// (debug|info|warn|error, default warn), BACKLOG_HTTP_TOKEN,
// BACKLOG_HTTP_ORIGINS and TASKS_MCP_DIR. A value that cannot be read is
// an error naming it.
func OptionsFromEnv(getenv func(string) string) (Options, error) {
	env := func(k string) string { return strings.TrimSpace(getenv(k)) }
	var o Options
	o.Agent = env("BACKLOG_AGENT_ID")
	if err := backlog.ValidateAgent(o.Agent); err != nil {
		return o, backlog.Invalidf("BACKLOG_AGENT_ID: %s", err.Error())
	}
	if v := env("BACKLOG_TOOLSETS"); v != "" {
		o.Toolsets = splitComma(v)
		if err := checkToolsets(o.Toolsets); err != nil {
			return o, backlog.Invalidf("BACKLOG_TOOLSETS: %s", err.Error())
		}
	}
	if v := env("BACKLOG_READ_ONLY"); v != "" {
		b, err := parseBool(v)
		if err != nil {
			return o, backlog.Invalidf("BACKLOG_READ_ONLY must be true or false, got %q", v)
		}
		o.ReadOnly = b
	}
	level, err := parseLevel(env("BACKLOG_LOG"))
	if err != nil {
		return o, err
	}
	o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	o.Token = env("BACKLOG_HTTP_TOKEN")
	if v := env("BACKLOG_HTTP_ORIGINS"); v != "" {
		o.AllowedOrigins = splitComma(v)
	}
	o.TasksMDDir = env("TASKS_MCP_DIR")
	return o, nil
}

// parseLevel reads BACKLOG_LOG; empty means warn.
func parseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "", "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, backlog.Invalidf("BACKLOG_LOG must be debug, info, warn or error, got %q", s)
}

func splitComma(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func checkToolsets(sets []string) error {
	for _, s := range sets {
		if s != "all" && !slices.Contains(Toolsets, s) {
			return fmt.Errorf("unknown toolset %q: use %s or all", s, strings.Join(Toolsets, ", "))
		}
	}
	return nil
}

// Server is the backlog's MCP server. It is safe for concurrent use: the
// SDK runs tool handlers in parallel, and each call gets its own engine over
// the one shared store.
type Server struct {
	opts  Options
	log   *slog.Logger
	sdk   *sdk.Server
	tools []*tool // the tools served, in TOOLS.md order

	mu    sync.Mutex
	open  func(context.Context) (store.Store, error)
	store store.Store

	subs subscriptions
	push pusher

	registered sync.Once // tools, prompts and resources given to the SDK (see register)
}

// NewServer returns a server over the store open returns. open is called on
// the first request that needs the store (not at start-up, so that an agent
// that never calls a tool costs nothing), and again after a failure.
// NewServer panics on a toolset not in Toolsets; OptionsFromEnv reports one
// as an error first.
func NewServer(open func(context.Context) (store.Store, error), opts Options) *Server {
	if opts.Logger == nil {
		w := opts.Stderr
		if w == nil {
			w = os.Stderr
		}
		opts.Logger = slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if opts.Version == "" {
		opts.Version = version.Current().String()
	}
	if err := checkToolsets(opts.Toolsets); err != nil {
		panic("mcp.NewServer: " + err.Error())
	}
	s := &Server{opts: opts, log: opts.Logger, open: open}
	s.sdk = sdk.NewServer(&sdk.Implementation{Name: "backlog", Title: "Backlog", Version: opts.Version}, &sdk.ServerOptions{
		Instructions: instructions,
		Logger:       opts.Logger,
		// Logs go to stderr, not to the client; tool and prompt lists never
		// change while the server runs, so list_changed is never sent.
		Capabilities: &sdk.ServerCapabilities{
			Tools:     &sdk.ToolCapabilities{},
			Prompts:   &sdk.PromptCapabilities{},
			Resources: &sdk.ResourceCapabilities{Subscribe: true},
		},
		SubscribeHandler:   s.subscribe,
		UnsubscribeHandler: s.unsubscribe,
	})
	tools := allTools()
	if opts.Forges != nil {
		tools = append(tools, s.syncTool())
	}
	for _, t := range tools {
		if s.serves(t) {
			s.tools = append(s.tools, t)
		}
	}
	s.sdk.AddReceivingMiddleware(s.registerFirst)
	return s
}

// register gives the SDK the tools, prompts and resources, once. It waits
// for the first request that could need them rather than running in
// NewServer: the SDK re-encodes every schema as a tool is added, which is
// most of what a server allocates before it answers, and an agent spawns
// the server at every session and waits for initialize. The lists never
// change while the server runs, and no session has seen them before, so
// no list_changed is owed (none is declared either).
func (s *Server) register() {
	s.registered.Do(func() {
		for _, t := range s.tools {
			s.sdk.AddTool(t.sdkTool(), s.handler(t))
		}
		s.addTasksMD()
		s.addPrompts()
		s.addResources()
	})
}

// registerFirst is the receiving middleware that registers everything
// before any request but initialize and ping (and notifications) reaches
// the SDK's handlers.
func (s *Server) registerFirst(next sdk.MethodHandler) sdk.MethodHandler {
	return func(ctx context.Context, method string, req sdk.Request) (sdk.Result, error) {
		switch {
		case method == "initialize", method == "ping", strings.HasPrefix(method, "notifications/"):
		default:
			s.register()
		}
		return next(ctx, method, req)
	}
}

// instructions tell the client what the server is for, in one breath.
const instructions = "A persistent task backlog shared across sessions and agents: plan work as tasks, " +
	"take one, note progress on it, complete it. Filters are words such as project:web +bug due.before:eow +READY."

// serves reports whether the options expose the tool.
func (s *Server) serves(t *tool) bool {
	if s.opts.ReadOnly && !t.read {
		return false
	}
	sets := s.opts.Toolsets
	return len(sets) == 0 || slices.Contains(sets, "all") || slices.Contains(sets, t.set)
}

// has reports whether the tool with the name is served.
func (s *Server) has(name string) bool {
	return slices.ContainsFunc(s.tools, func(t *tool) bool { return t.name == name })
}

// Close closes the store, if it was opened.
func (s *Server) Close() error {
	s.stopWatching()
	s.stopPushing()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.store == nil {
		return nil
	}
	err := s.store.Close()
	s.store = nil
	return err
}

// engineFor opens the store if needed and returns an engine writing as agent.
func (s *Server) engineFor(ctx context.Context, agent string) (*engine.Engine, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.store == nil {
		st, err := s.open(ctx)
		if err != nil {
			s.log.Error("cannot open the backlog", "error", err)
			var sentence *backlog.Error
			if errors.As(err, &sentence) {
				return nil, err // it names the backlog and the cause already
			}
			return nil, fmt.Errorf("cannot open the backlog: %w", err)
		}
		s.store = st
	}
	e := engine.New(s.store, engine.Options{Agent: agent, Clock: s.opts.Clock})
	if s.opts.Forges != nil {
		e.OnOwed(s.owed)
	}
	return e, nil
}

// agentOf is the agent id a request writes as: the configured one, else the
// client's name, else "mcp".
func (s *Server) agentOf(info *sdk.Implementation) string {
	if s.opts.Agent != "" {
		return s.opts.Agent
	}
	if info != nil {
		name := strings.TrimSpace(info.Name)
		if name != "" && backlog.ValidateAgent(name) == nil {
			return name
		}
	}
	return "mcp"
}

// parseBool reads yes/no answers: true, yes, y, 1 and false, no, n, 0, "".
func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "y", "1", "on":
		return true, nil
	case "false", "no", "n", "0", "off", "":
		return false, nil
	}
	return false, fmt.Errorf("not a yes or no: %q", s)
}
