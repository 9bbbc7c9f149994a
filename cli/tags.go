package cli

import "github.com/agent-backlog/backlog/engine"

type tagsCmd struct{}

func (c *tagsCmd) Help() string {
	return `Lists the tags of pending and recurring tasks with how many tasks carry each.

Examples:

    backlog tags
    backlog tags --json`
}

func (c *tagsCmd) Run(a *runner) error {
	return a.names("tag", (*engine.Engine).Tags)
}
