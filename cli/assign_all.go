package cli

import (
	"strings"

	backlog "github.com/agent-backlog/backlog"
)

type assignAllCmd struct {
	Words []string `arg:"" optional:"" help:"The agent, then filter words (default: every pending task)."`
}

func (c *assignAllCmd) Help() string {
	return `Holds every pending task the filter selects that no agent holds for one
agent, without starting them: claims made for it, in bulk (a hand-over, or
catching up). One command: backlog undo gives them all back. Tasks another
agent holds are left alone.

Examples:

    backlog assign-all backend
    backlog assign-all backend project:api +bug
    backlog assign-all docs +docs --json`
}

func (c *assignAllCmd) Run(a *runner) error {
	if len(c.Words) == 0 {
		return backlog.Invalidf("assign-all needs an agent: backlog assign-all backend [filter]")
	}
	agent := c.Words[0]
	eng, err := a.Engine(true)
	if err != nil {
		return err
	}
	res, err := eng.AssignAll(a.ctx, agent, strings.Join(c.Words[1:], " "))
	if err != nil {
		return err
	}
	if a.globals.JSON {
		return a.printJSON(res)
	}
	if res.Modified == 0 {
		a.say("Nothing to assign.")
		return nil
	}
	for _, t := range res.Tasks {
		a.say("Assigned task %s to %s.", named(t), agent)
	}
	if res.Modified > 1 {
		a.say("Assigned %s to %s.", plural(res.Modified, "task"), agent)
	}
	return nil
}
