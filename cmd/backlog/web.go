package main

import (
	"context"

	"github.com/agent-backlog/backlog/cli"
	"github.com/agent-backlog/backlog/mcp"
	"github.com/agent-backlog/backlog/web"
)

// serveHTTP serves `backlog serve --http`: MCP, the REST API and the board
// at one address, behind one set of checks.
func serveHTTP(ctx context.Context, srv *mcp.Server, opts mcp.Options, r cli.ServeRequest) error {
	w := web.New(web.Options{
		Open: r.Open, Agent: opts.Agent, Clock: r.Clock, MCP: srv.HTTPHandler(),
		Token: opts.Token, AllowedOrigins: opts.AllowedOrigins, Logger: opts.Logger, Stderr: r.Stderr,
	})
	defer w.Close()
	return w.Serve(ctx, r.HTTP)
}
