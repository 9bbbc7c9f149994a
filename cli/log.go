package cli

import "github.com/agent-backlog/backlog/engine"

type logCmd struct {
	Tags  string   `help:"Comma-separated tags, the same as +tag words." placeholder:"A,B"`
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
	words, err := withTags(c.Words, c.Tags)
	if err != nil {
		return err
	}
	return a.create(words, "Logged", (*engine.Engine).Log)
}
