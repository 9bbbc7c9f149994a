// Command backlog is the persistent task backlog for AI coding agents: an
// MCP server and a CLI over one store. This file only wires things together.
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/alecthomas/kong"
)

// cli is the command line. Each subcommand lives in a file of its own.
type cli struct {
	Calc calcCmd `cmd:"" help:"Resolve a date expression (eom, friday+1w, 2026-03-01T14:30) and print it in UTC."`
}

// clock returns the time commands run at: BACKLOG_NOW (RFC 3339) when set,
// for tests and reproducible examples, else the real time.
func clock() (time.Time, error) {
	if v := os.Getenv("BACKLOG_NOW"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return time.Time{}, fmt.Errorf("BACKLOG_NOW must be an RFC 3339 time such as 2026-03-01T09:00:00Z, got %q", v)
		}
		return t.In(time.Local), nil
	}
	return time.Now(), nil
}

func main() {
	var c cli
	ctx := kong.Parse(&c,
		kong.Name("backlog"),
		kong.Description("A persistent, cross-session task backlog for AI coding agents."),
		kong.UsageOnError(),
	)
	if err := ctx.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "backlog: "+err.Error())
		os.Exit(1)
	}
}
