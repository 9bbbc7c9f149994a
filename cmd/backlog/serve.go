package main

import (
	"context"

	"github.com/agent-backlog/backlog/cli"
	"github.com/agent-backlog/backlog/mcp"
)

// version is reported to MCP clients; release builds set it with -ldflags.
var version = "dev"

// serve runs the MCP server for `backlog serve`.
func serve(ctx context.Context, r cli.ServeRequest) error {
	opts, err := mcp.OptionsFromEnv(r.Getenv)
	if err != nil {
		return err
	}
	opts.Clock, opts.Version, opts.Stderr = r.Clock, version, r.Stderr
	if r.TasksMD {
		opts.Toolsets = mcp.WithTasksMD(opts.Toolsets)
	}
	if opts.TasksMDDir == "" {
		opts.TasksMDDir = r.TasksMDRoot
	}
	srv := mcp.NewServer(r.Open, opts)
	defer srv.Close()
	if r.HTTP != "" {
		return srv.ServeHTTP(ctx, r.HTTP)
	}
	return srv.ServeStdio(ctx, r.Stdin, r.Stdout)
}
