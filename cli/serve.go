package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/tasksmd/workspace"
)

// ServeRequest is what `backlog serve` hands to the MCP server that main
// wires in (the command line does not import another surface).
type ServeRequest struct {
	// HTTP is the address for streamable HTTP; empty means stdio.
	HTTP string
	// TasksMD adds the tasksmd toolset (the tasks-mcp tools over the
	// TASKS.md files of TasksMDRoot).
	TasksMD bool
	// TasksMDRoot is the git root of the working directory (else the
	// working directory): where the tasksmd tools look for TASKS.md files
	// unless TASKS_MCP_DIR says otherwise. Empty: the server finds it from
	// its own working directory at each call.
	TasksMDRoot string
	// TasksMDSync keeps the TASKS.md files of the same root and the backlog
	// in step while the server runs (tasksmd/watch).
	TasksMDSync bool
	// Open opens the backlog's store; the server calls it on first use.
	Open   func(ctx context.Context) (store.Store, error)
	Clock  func() time.Time
	Getenv func(string) string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Forges delivers changes of tasks imported from GitHub and GitLab
	// issues upstream in the background and runs task_sync (mcp.Forges).
	Forges interface {
		Push(ctx context.Context, e *engine.Engine) error
		Sync(ctx context.Context, e *engine.Engine, kind, filter string) (any, error)
	}
}

// serveCmd runs the MCP server.
type serveCmd struct {
	HTTP        string `name:"http" help:"Serve on ADDR (e.g. 127.0.0.1:7411) instead of stdio: MCP over streamable HTTP at /mcp, the board at /, the REST API at /api/v1/. A bearer token (BACKLOG_HTTP_TOKEN, or one generated and printed once) is required unless ADDR is loopback." placeholder:"ADDR"`
	TasksMD     bool   `name:"tasksmd" help:"Also serve the tasks-mcp tools (list_tasks, pick_task, claim_task, unclaim_task, complete_task, add_task) over the TASKS.md files of the git root, or of TASKS_MCP_DIR."`
	TasksMDSync bool   `name:"tasksmd-sync" help:"Keep the TASKS.md files of the git root (or TASKS_MCP_DIR) and the backlog in step while serving: import at start if never synced, then sync within a second of a change on either side."`
}

func (c *serveCmd) Help() string {
	return `Agents spawn "backlog serve" and speak MCP over its stdin and stdout.

Examples:
  claude mcp add backlog -- backlog serve
  claude mcp add tasks -- backlog serve --tasksmd
  claude mcp add backlog -- backlog serve --tasksmd-sync
  BACKLOG_HTTP_TOKEN=$(openssl rand -hex 16) backlog serve --http 0.0.0.0:7411

With --http the same tools are served over streamable HTTP at /mcp, for
agents on other machines, beside the board (/) and the REST API (/api/v1/,
described at /api/v1/openapi.json; Tinytown's /v1/backlog routes too). Off
loopback a browser gives the token once (the sign-in form, or ?token= in
the link printed at start) and keeps it as a cookie. The store is opened
on the first request, so starting the server costs nothing.

With --tasksmd (or tasksmd in BACKLOG_TOOLSETS) the server also has the
tools of tasks-mcp, with its argument names and result texts, over every
TASKS.md under the git root (or TASKS_MCP_DIR): an MCP config that spawned
"npx tasks-mcp" can spawn "backlog serve --tasksmd" instead. Each edit locks
the file, re-reads it and replaces it whole, so of two agents claiming one
task exactly one wins. These tools never open the backlog;
BACKLOG_TOOLSETS=tasksmd serves them alone.

With --tasksmd-sync the server also keeps the TASKS.md files under the git
root (or TASKS_MCP_DIR) and the backlog in step, as "backlog tasksmd sync"
does: once at start (an import if the backlog was never synced), then
within a second of an edit of a file or a commit to the backlog by any
process. A sync that fails (a file that does not lint in the middle of an
edit) is logged on stderr at warn level and tried again at the next change.

Settings: BACKLOG_AGENT_ID (default: the client's name), BACKLOG_TOOLSETS
(core,docs,archive,agents by default; tasksmd only when named),
BACKLOG_READ_ONLY, BACKLOG_LOG (debug|info|warn|error, on stderr),
BACKLOG_HTTP_TOKEN (16 characters or more off loopback),
BACKLOG_HTTP_ORIGINS, BACKLOG_BUSY_TIMEOUT (how long a write waits for
another process, default 10s), TASKS_MCP_DIR (where the tasksmd tools look
for TASKS.md files).`
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
	var root string // found here, where the tests' working directory is set
	if wd, err := a.env.Config.Getwd(); err == nil {
		if w, err := workspace.Find("", wd); err == nil {
			root = w.Root
		}
	}
	return a.env.Serve(a.ctx, ServeRequest{
		HTTP: c.HTTP, TasksMD: c.TasksMD, TasksMDRoot: root, TasksMDSync: c.TasksMDSync, Open: open, Clock: clock, Getenv: a.env.Config.Getenv,
		Stdin: a.env.Stdin, Stdout: a.env.Stdout, Stderr: a.env.Stderr,
		Forges: serveForges{env: a.mirrorEnv},
	})
}
