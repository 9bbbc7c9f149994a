package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/agent-backlog/backlog/store"
)

// ServeRequest is what `backlog serve` hands to the MCP server that main
// wires in (the command line does not import another surface).
type ServeRequest struct {
	// HTTP is the address for streamable HTTP; empty means stdio.
	HTTP string
	// Open opens the backlog's store; the server calls it on first use.
	Open   func(ctx context.Context) (store.Store, error)
	Clock  func() time.Time
	Getenv func(string) string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// serveCmd runs the MCP server.
type serveCmd struct {
	HTTP string `name:"http" help:"Serve streamable HTTP on ADDR (e.g. 127.0.0.1:7411) instead of stdio. A bearer token (BACKLOG_HTTP_TOKEN, or one generated and printed once) is required unless ADDR is loopback." placeholder:"ADDR"`
}

func (c *serveCmd) Help() string {
	return `Agents spawn "backlog serve" and speak MCP over its stdin and stdout.

Examples:
  claude mcp add backlog -- backlog serve
  BACKLOG_HTTP_TOKEN=$(openssl rand -hex 16) backlog serve --http 0.0.0.0:7411

With --http the same tools are served over streamable HTTP at /mcp, for
agents on other machines. The store is opened on the first tool call, so
starting the server costs nothing. Settings: BACKLOG_AGENT_ID (default: the
client's name), BACKLOG_TOOLSETS (core,docs,archive,agents), BACKLOG_READ_ONLY,
BACKLOG_LOG (debug|info|warn|error, on stderr), BACKLOG_HTTP_TOKEN (16
characters or more off loopback), BACKLOG_HTTP_ORIGINS, BACKLOG_BUSY_TIMEOUT
(how long a write waits for another process, default 10s).`
}

func (c *serveCmd) Run(a *runner) error {
	if a.env.Serve == nil {
		return fmt.Errorf("this build has no MCP server")
	}
	cfg, err := a.Config()
	if err != nil {
		return err
	}
	clock, err := configClock(a)
	if err != nil {
		return err
	}
	open := func(ctx context.Context) (store.Store, error) { return openBacklog(ctx, a.env, cfg, true) }
	return a.env.Serve(a.ctx, ServeRequest{
		HTTP: c.HTTP, Open: open, Clock: clock, Getenv: a.env.Config.Getenv,
		Stdin: a.env.Stdin, Stdout: a.env.Stdout, Stderr: a.env.Stderr,
	})
}
