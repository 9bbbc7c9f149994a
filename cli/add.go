package cli

import (
	"context"
	"fmt"

	"github.com/agent-backlog/backlog/engine"
)

type addCmd struct {
	Words []string `arg:"" optional:"" help:"The description, with modifications among its words."`
}

func (c *addCmd) Help() string {
	return `Adds a pending task. Words of the form name:value, +tag and -tag set fields
(attribute names may be abbreviated: pro:web); every other word is part of
the description. With recur:PERIOD the task is a recurring template and its
first instance is created at once. A quoted phrase is always text, even
with words such as --json or -bug in it.

Examples:

    backlog add Fix login page project:web +bug due:friday priority:H
    backlog add Renew certificate due:eom recur:monthly
    backlog add Write the spec depends:12,13 --json
    backlog add "Document the --json flag" +docs`
}

func (c *addCmd) Run(a *runner) error {
	return a.create(c.Words, "Created", (*engine.Engine).Add)
}

// create runs add or log.
func (a *runner) create(words []string, verb string, fn func(*engine.Engine, context.Context, *engine.Changes) (*engine.Result, error)) error {
	changes, err := engine.ParseNew(words)
	if err != nil {
		return err
	}
	eng, err := a.Engine(true)
	if err != nil {
		return err
	}
	r, err := fn(eng, a.ctx, changes)
	if err != nil {
		return err
	}
	what := "task"
	if r.Task.Recur != "" && r.Next != nil {
		what = "recurring task"
	}
	return a.printResult(r, fmt.Sprintf("%s %s %d.", verb, what, r.Task.ID))
}
