package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/hook"
)

// hookCmd answers Claude Code's hook events; the plugin's hooks.json runs
// it. Every event exits 0, whatever its input: a hook must never block a
// session.
type hookCmd struct {
	SessionStart  hookSessionStartCmd  `cmd:"" name:"session-start" help:"SessionStart: add the backlog's summary to the session."`
	TaskCreated   hookTaskCreatedCmd   `cmd:"" name:"task-created" help:"TaskCreated: mirror Claude's new built-in task as a backlog task."`
	TaskCompleted hookTaskCompletedCmd `cmd:"" name:"task-completed" help:"TaskCompleted: complete the backlog task that mirrors Claude's."`
	SubagentStart hookSubagentStartCmd `cmd:"" name:"subagent-start" help:"SubagentStart: claim a task for the sub-agent's role, if configured."`
}

func (c *hookCmd) Help() string {
	return `Answers a Claude Code hook event: reads the event's JSON on stdin, acts on
the backlog, and writes what Claude Code reads on stdout. The Claude Code
plugin wires them (hooks.json); wire them by hand in .claude/settings.json
as {"type": "command", "command": "backlog hook session-start"}.

The exit status is always 0: input it does not understand (not JSON,
another event, a missing field) changes nothing and is reported on stderr.
Nothing from the input is ever run or read as a filter. Hooks write as the
agent claude-code-hook and wait at most 2s for another process's lock
(BACKLOG_BUSY_TIMEOUT overrides).

Examples:

    echo '{"hook_event_name":"SessionStart","source":"startup"}' | backlog hook session-start
    backlog list claude_task.any:`
}

type hookSessionStartCmd struct{}

func (c *hookSessionStartCmd) Help() string {
	return `Prints {"hookSpecificOutput":{"hookEventName":"SessionStart",
"additionalContext":...}} with the summary backlog summary prints (under
1,500 bytes): counts, claims by agent, overdue tasks, the next READY tasks,
what was done lately. It only reads: where there is no backlog yet it says
"No tasks." and creates none.

Examples:

    echo '{"hook_event_name":"SessionStart","source":"startup"}' | backlog hook session-start`
}

func (c *hookSessionStartCmd) Run(a *runner) error { return a.hook("session-start") }

type hookTaskCreatedCmd struct{}

func (c *hookTaskCreatedCmd) Help() string {
	return `Mirrors a task Claude creates with its built-in task tool as a pending
backlog task. The subject becomes the description (one line; cut at 500
bytes), Claude's description becomes the task's doc. The mirror is linked,
not matched by text: its UDA claude_task holds LIST/ID (Claude's task list,
which is CLAUDE_CODE_TASK_LIST_ID, the team or the session, and the task's
id), and its UUID is derived from that link, so a task delivered twice is
mirrored once. Prints nothing.

Examples:

    echo '{"hook_event_name":"TaskCreated","session_id":"s1","task_id":"1","task_subject":"Add the login form"}' | backlog hook task-created
    backlog list claude_task.any:`
}

func (c *hookTaskCreatedCmd) Run(a *runner) error { return a.hook("task-created") }

type hookTaskCompletedCmd struct{}

func (c *hookTaskCompletedCmd) Help() string {
	return `Completes the backlog task linked to the built-in task Claude completed
(see backlog hook task-created --help). A built-in task without a mirror,
or a mirror already completed or deleted, is left alone. Prints nothing.

Examples:

    echo '{"hook_event_name":"TaskCompleted","session_id":"s1","task_id":"1","task_subject":"Add the login form"}' | backlog hook task-completed`
}

func (c *hookTaskCompletedCmd) Run(a *runner) error { return a.hook("task-completed") }

type hookSubagentStartCmd struct{}

func (c *hookSubagentStartCmd) Help() string {
	return `When BACKLOG_SUBAGENT_CLAIM names the sub-agent's type (a comma-separated
list of agent types, or all), claims for it the most urgent READY task of
its role, as backlog claim --agent TYPE does: tasks tagged +TYPE or in
project TYPE first, then tasks that name no role. The claim is atomic: two
sub-agents starting at once never get the same task. Prints
{"hookSpecificOutput":{"hookEventName":"SubagentStart","additionalContext":...}}
with the task and the calls that complete it or hand it back; nothing when
the setting is unset, does not name the type, or nothing is left.

Examples:

    BACKLOG_SUBAGENT_CLAIM=backend,frontend backlog hook subagent-start < event.json
    echo '{"hook_event_name":"SubagentStart","agent_id":"a1","agent_type":"backend"}' | BACKLOG_SUBAGENT_CLAIM=all backlog hook subagent-start`
}

func (c *hookSubagentStartCmd) Run(a *runner) error { return a.hook("subagent-start") }

// hookAgent is the agent id hooks write as: not the session's own (the MCP
// server's), so that an agent's task_undo never reverses a mirror it did
// not ask for.
const hookAgent = "claude-code-hook"

// hookBusyTimeout is how long a hook waits for another process's write
// lock, unless BACKLOG_BUSY_TIMEOUT says otherwise; hookTimeout bounds the
// whole event.
const (
	hookBusyTimeout = 2 * time.Second
	hookTimeout     = 5 * time.Second
)

// hook answers one event. Whatever happens it returns nil, so the exit
// status is 0; what went wrong is one line on stderr. Even a panic is
// caught: Go exits 2 on one, and Claude Code reads exit status 2 as the
// hook's refusal (a TaskCreated hook's rolls the creation back).
func (a *runner) hook(name string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(a.env.Stderr, "backlog hook %s: internal error: %v\n", name, r)
		}
		if cerr := a.close(); cerr != nil {
			fmt.Fprintln(a.env.Stderr, "backlog hook "+name+": "+strings.Join(strings.Fields(cerr.Error()), " "))
		}
		err = nil
	}()
	ev, _ := hook.Lookup(name)
	ctx, cancel := context.WithTimeout(a.ctx, hookTimeout)
	defer cancel()
	a.ctx = ctx
	env := hook.Env{
		Getenv:      a.env.Config.Getenv,
		SummaryText: func(s *engine.Summary) string { return summaryText(s) },
		Engine: func(write bool) (*engine.Engine, error) {
			cfg, err := a.Config()
			if err != nil {
				return nil, err
			}
			cfg.Agent, cfg.AgentFrom = hookAgent, "backlog hook"
			if cfg.BusyTimeout == 0 {
				cfg.BusyTimeout = hookBusyTimeout
			}
			return a.Engine(write)
		},
	}
	if isTerminal(a.env.Stdin) {
		err = &hook.Ignored{Reason: "no hook input: Claude Code writes the event's JSON on stdin"}
	} else {
		err = hook.Run(ctx, ev, a.env.Stdin, a.env.Stdout, env)
	}
	if err != nil {
		fmt.Fprintln(a.env.Stderr, "backlog hook "+name+": "+strings.Join(strings.Fields(err.Error()), " "))
	}
	return nil
}
