package cli

import "github.com/agent-backlog/backlog/engine"

type stopCmd struct {
	ID string `arg:"" optional:"" help:"The task: an id (12), a UUID or a UUID prefix of at least 8 hex digits."`
}

func (c *stopCmd) Help() string {
	return `Clears the start time of an active task. A task that is not started is an
error.

Examples:

    backlog stop 12
    backlog stop 12 --json`
}

func (c *stopCmd) Run(a *runner) error {
	return a.oneTask(c.ID, "Stopped", (*engine.Engine).Stop)
}
