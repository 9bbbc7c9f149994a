package cli

import (
	"fmt"

	"github.com/agent-backlog/backlog/engine"
)

type duplicateCmd struct {
	ID   string   `arg:"" optional:"" help:"The task to copy: an id, a UUID or a UUID prefix."`
	Mods []string `arg:"" optional:"" help:"Changes for the copy, as for add."`
}

func (c *duplicateCmd) Help() string {
	return `Copies a task: a new id and UUID, status pending, no start, end, agent or
notes. Words after the id change the copy as they would in add; plain words
replace its description.

Examples:

    backlog duplicate 12
    backlog duplicate 12 project:api due:eow
    backlog duplicate 12 Port the fix to v2 +backport`
}

func (c *duplicateCmd) Run(a *runner) error {
	changes, err := engine.ParseMods(c.Mods, true)
	if err != nil {
		return err
	}
	eng, err := a.Engine(true)
	if err != nil {
		return err
	}
	r, err := eng.Duplicate(a.ctx, c.ID, changes)
	if err != nil {
		return err
	}
	return a.printResult(r, fmt.Sprintf("Duplicated task %s as task %d.", c.ID, r.Task.ID))
}
