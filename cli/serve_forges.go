package cli

import (
	"context"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/forge/mirror"
)

// serveForges is what `backlog serve` hands the MCP server so that it
// delivers changes of imported tasks to their issues in the background and
// serves task_sync: the mirror, with the environment of the command.
type serveForges struct {
	env func(maxWait time.Duration) (*mirror.Env, error)
}

// Push implements mcp.Forges.
func (f serveForges) Push(ctx context.Context, e *engine.Engine) error {
	owed, err := mirror.HasOwed(ctx, e.Store())
	if err != nil || !owed {
		return err
	}
	env, err := f.env(forgeWait)
	if err != nil {
		return err
	}
	_, err = mirror.Push(ctx, env, e, e.Store(), mirror.PushOptions{})
	return err
}

// Sync implements mcp.Forges.
func (f serveForges) Sync(ctx context.Context, e *engine.Engine, kind, filter string) (any, error) {
	env, err := f.env(forgeWait)
	if err != nil {
		return nil, err
	}
	if kind != "" && kind != "github" && kind != "gitlab" {
		return nil, backlog.Invalidf("forge must be github or gitlab, got %q", kind)
	}
	return mirror.Sync(ctx, env, e, e.Store(), mirror.SyncOptions{Kind: kind, Filter: filter})
}
