package cli

import (
	"io"
	"strings"
)

type docReadCmd struct {
	ID string `arg:"" optional:"" help:"The task: an id, a UUID or a UUID prefix."`
}

func (c *docReadCmd) Help() string {
	return `Prints a task's doc as it was written. A task without a doc is an error
(exit status 2).

Examples:

    backlog doc read 12
    backlog doc read 12 > spec.md
    backlog doc read 12 --json`
}

func (c *docReadCmd) Run(a *runner) error {
	eng, err := a.Engine(false)
	if err != nil {
		return err
	}
	doc, err := eng.DocRead(a.ctx, c.ID)
	if err != nil {
		return err
	}
	if a.globals.JSON {
		return a.printJSON(map[string]string{"content": doc})
	}
	if _, err := io.WriteString(a.env.Stdout, doc); err != nil {
		return err
	}
	if isTerminal(a.env.Stdout) && !strings.HasSuffix(doc, "\n") {
		_, err = io.WriteString(a.env.Stdout, "\n")
	}
	return err
}
