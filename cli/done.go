package cli

import "github.com/agent-backlog/backlog/engine"

type doneCmd struct {
	ID string `arg:"" optional:"" help:"The task: an id (12), a UUID or a UUID prefix of at least 8 hex digits."`
}

func (c *doneCmd) Help() string {
	return `Completes a task. The confirmation says which tasks this unblocked, which
tasks it still depended on, and, for a recurring instance, the next one.

Examples:

    backlog done 12
    backlog done 12 --json`
}

func (c *doneCmd) Run(a *runner) error {
	return a.oneTask(c.ID, "Completed", (*engine.Engine).Done)
}
