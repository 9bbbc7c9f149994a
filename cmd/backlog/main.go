// Command backlog is the persistent task backlog for AI coding agents: an
// MCP server and a CLI over one store. This file only wires things together:
// the process's streams and environment, the store backend, and the command
// line (package cli), which does the rest.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // TZ (named dates) works without the system's zone database: a scratch image, Windows

	"github.com/agent-backlog/backlog/cli"
	"github.com/agent-backlog/backlog/config"
	_ "github.com/agent-backlog/backlog/internal/startup" // the collector held off while the process starts
)

func main() {
	os.Exit(run())
}

// run runs the command line and returns its exit status.
func run() int {
	// An interrupt or a termination request cancels the running command,
	// which rolls its transaction back, instead of killing the process
	// mid-way; a server answers what it has read, then exits.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return cli.Run(ctx, os.Args[1:], cli.Env{
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		Config: config.OS(),
		Open:   openStore,
		Serve:  serve,
	})
}
