package cli

import (
	"context"

	"github.com/agent-backlog/backlog/engine"
)

type docDeleteCmd struct {
	ID string `arg:"" optional:"" help:"The task: an id, a UUID or a UUID prefix."`
}

func (c *docDeleteCmd) Help() string {
	return `Removes a task's doc and clears has_doc and the doc tag; backlog undo brings
it back. A task without a doc is an error (exit status 2).

Examples:

    backlog doc delete 12
    backlog doc delete 12 --json`
}

func (c *docDeleteCmd) Run(a *runner) error {
	return a.oneTask(c.ID, "Deleted the doc of", func(e *engine.Engine, ctx context.Context, ref string) (*engine.Result, error) {
		return e.DocDelete(ctx, ref)
	})
}
