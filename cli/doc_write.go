package cli

import (
	"errors"
	"fmt"
	"io"
	"os"

	backlog "github.com/agent-backlog/backlog"
)

type docWriteCmd struct {
	File string `help:"Read the doc from this file instead of standard input." placeholder:"FILE"`
	ID   string `arg:"" optional:"" help:"The task: an id, a UUID or a UUID prefix."`
}

func (c *docWriteCmd) Help() string {
	return `Attaches a markdown doc to a task, replacing any, from --file or else from
standard input.

Examples:

    backlog doc write 12 --file spec.md
    echo "# Plan" | backlog doc write 12
    backlog doc write 12 --json < spec.md`
}

func (c *docWriteCmd) Run(a *runner) error {
	var content []byte
	var err error
	if c.File != "" && c.File != "-" {
		content, err = os.ReadFile(c.File)
		if errors.Is(err, os.ErrNotExist) {
			return backlog.Invalidf("cannot read the doc from %s: there is no such file", c.File)
		}
	} else {
		if isTerminal(a.env.Stdin) {
			fmt.Fprintln(a.env.Stderr, "Reading the doc from standard input; end it with Ctrl-D.")
		}
		content, err = io.ReadAll(a.env.Stdin)
	}
	if err != nil {
		return fmt.Errorf("cannot read the doc: %w", err)
	}
	return a.writeDoc(c.ID, string(content))
}

// writeDoc writes a doc and confirms it.
func (a *runner) writeDoc(ref, content string) error {
	eng, err := a.Engine(true)
	if err != nil {
		return err
	}
	r, err := eng.DocWrite(a.ctx, ref, content)
	if err != nil {
		return err
	}
	return a.printResult(r, fmt.Sprintf("Wrote the doc of task %s (%s).", named(r.Task), plural(len(content), "byte")))
}
