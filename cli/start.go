package cli

import "github.com/agent-backlog/backlog/engine"

type startCmd struct {
	ID string `arg:"" optional:"" help:"The task: an id (12), a UUID or a UUID prefix of at least 8 hex digits."`
}

func (c *startCmd) Help() string {
	return `Marks a task as being worked on: sets its start time. Starting an active task
changes nothing; a completed or deleted task cannot be started.

Examples:

    backlog start 12
    backlog start 3f2a9c1e --json`
}

func (c *startCmd) Run(a *runner) error {
	return a.oneTask(c.ID, "Started", (*engine.Engine).Start)
}
