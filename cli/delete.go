package cli

import "github.com/agent-backlog/backlog/engine"

type deleteCmd struct {
	ID string `arg:"" optional:"" help:"The task: an id (12), a UUID or a UUID prefix of at least 8 hex digits."`
}

func (c *deleteCmd) Help() string {
	return `Marks a task deleted; backlog undo restores it, and backlog purge removes it
for good. Deleting a recurring template ends the series.

Examples:

    backlog delete 12
    backlog delete 12 --json`
}

func (c *deleteCmd) Run(a *runner) error {
	return a.oneTask(c.ID, "Deleted", (*engine.Engine).Delete)
}
