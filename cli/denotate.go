package cli

import (
	"context"
	"strings"

	"github.com/agent-backlog/backlog/engine"
)

type denotateCmd struct {
	ID   string   `arg:"" optional:"" help:"The task: an id, a UUID or a UUID prefix."`
	Text []string `arg:"" optional:"" help:"The exact text of the note to remove."`
}

func (c *denotateCmd) Help() string {
	return `Removes the first note of a task whose text is exactly the given text. No
such note is an error.

Examples:

    backlog denotate 12 migrated the users table, tests pass`
}

func (c *denotateCmd) Run(a *runner) error {
	text := strings.Join(c.Text, " ")
	return a.oneTask(c.ID, "Removed a note from", func(e *engine.Engine, ctx context.Context, ref string) (*engine.Result, error) {
		return e.Denotate(ctx, ref, text)
	})
}
