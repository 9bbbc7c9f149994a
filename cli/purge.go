package cli

import "github.com/agent-backlog/backlog/engine"

type purgeCmd struct {
	ID string `arg:"" optional:"" help:"The task: an id (12), a UUID or a UUID prefix of at least 8 hex digits."`
}

func (c *purgeCmd) Help() string {
	return `Removes a deleted task and its doc for good (backlog undo can still bring it
back). Only a deleted task can be purged: delete it first.

Examples:

    backlog delete 12 && backlog purge 12
    backlog purge 12 --json`
}

func (c *purgeCmd) Run(a *runner) error {
	return a.oneTask(c.ID, "Purged", (*engine.Engine).Purge)
}
