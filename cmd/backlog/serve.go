package main

import (
	"context"
	"errors"
	"sync"

	"github.com/agent-backlog/backlog/cli"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/mcp"
	"github.com/agent-backlog/backlog/tasksmd/watch"
	"github.com/agent-backlog/backlog/tasksmd/workspace"
)

// serve runs the MCP server for `backlog serve`, and beside it, with
// --tasksmd-sync, the loop that keeps the TASKS.md files in step.
func serve(ctx context.Context, r cli.ServeRequest) error {
	opts, err := mcp.OptionsFromEnv(r.Getenv)
	if err != nil {
		return err
	}
	opts.Clock, opts.Stderr = r.Clock, r.Stderr
	if r.Forges != nil {
		opts.Forges = r.Forges
	}
	if r.TasksMD {
		opts.Toolsets = mcp.WithTasksMD(opts.Toolsets)
	}
	if opts.TasksMDDir == "" {
		opts.TasksMDDir = r.TasksMDRoot
	}
	var loop *watch.Loop
	if r.TasksMDSync {
		if opts.TasksMDDir == "" {
			return errors.New("--tasksmd-sync cannot find the TASKS.md files: the working directory cannot be read and TASKS_MCP_DIR is not set")
		}
		w, err := workspace.Find(opts.TasksMDDir, "")
		if err != nil {
			return err
		}
		agent := opts.Agent
		if agent == "" {
			agent = "tasksmd-sync"
		}
		loop = &watch.Loop{Workspace: w, Open: r.Open, Engine: engine.Options{Agent: agent, Clock: r.Clock}, Logger: opts.Logger}
	}
	srv := mcp.NewServer(r.Open, opts)
	defer srv.Close()
	if loop != nil {
		// The loop has its own store handle; it ends before the server
		// closes its own.
		ctx2, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Go(func() { _ = loop.Run(ctx2) })
		defer wg.Wait()
		defer cancel()
		ctx = ctx2
	}
	if r.HTTP != "" {
		return serveHTTP(ctx, srv, opts, r)
	}
	return srv.ServeStdio(ctx, r.Stdin, r.Stdout)
}
