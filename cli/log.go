package cli

import "github.com/agent-backlog/backlog/engine"

type logCmd struct {
	Words []string `arg:"" optional:"" help:"The description, with modifications among its words."`
}

func (c *logCmd) Help() string {
	return `Records work already done: the task is created completed, ended now. The
words are read as for add.

Examples:

    backlog log Reviewed the release notes project:docs
    backlog log Fixed flaky test +ci --json`
}

func (c *logCmd) Run(a *runner) error {
	return a.create(c.Words, "Logged", (*engine.Engine).Log)
}
