package cli

import (
	"context"
	"strings"

	"github.com/agent-backlog/backlog/engine"
)

type annotateCmd struct {
	ID   string   `arg:"" optional:"" help:"The task: an id, a UUID or a UUID prefix."`
	Text []string `arg:"" optional:"" help:"The note; words are joined with spaces."`
}

func (c *annotateCmd) Help() string {
	return `Adds a timestamped note (an annotation) to a task: progress, a hand-off, a
finding. Longer text belongs in the task's doc (backlog doc write).

Examples:

    backlog annotate 12 migrated the users table, tests pass
    backlog annotate 12 -- --force was needed`
}

func (c *annotateCmd) Run(a *runner) error {
	text := strings.Join(c.Text, " ")
	return a.oneTask(c.ID, "Annotated", func(e *engine.Engine, ctx context.Context, ref string) (*engine.Result, error) {
		return e.Annotate(ctx, ref, text)
	})
}
