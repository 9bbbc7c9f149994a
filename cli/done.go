package cli

import (
	"context"

	"github.com/agent-backlog/backlog/engine"
)

type doneCmd struct {
	ID    string `arg:"" optional:"" help:"The task: an id (12), a UUID or a UUID prefix of at least 8 hex digits."`
	Close bool   `help:"For an imported issue: close it upstream too."`
	Note  string `help:"A closing note: kept as an annotation, and posted on an imported issue as a comment." placeholder:"TEXT"`
}

func (c *doneCmd) Help() string {
	return `Completes a task. The confirmation says which tasks this unblocked, which
tasks it still depended on, and, for a recurring instance, the next one.

Examples:

    backlog done 12
    backlog done 12 --json
    backlog done 12 --close --note "Fixed in 4f2a9c1"   # an imported issue`
}

func (c *doneCmd) Run(a *runner) error {
	opts := engine.DoneOptions{Close: c.Close, Note: c.Note}
	return a.oneTask(c.ID, "Completed", func(e *engine.Engine, ctx context.Context, ref string) (*engine.Result, error) {
		return e.DoneWith(ctx, ref, opts)
	})
}
