package cli

import (
	"strings"

	"github.com/agent-backlog/backlog/config"
	"github.com/agent-backlog/backlog/when"
)

type calcCmd struct {
	Expr []string `arg:"" optional:"" help:"The date expression; words are joined with spaces."`
}

func (c *calcCmd) Help() string {
	return `Resolves a date expression, as filters and due: would, and prints it in UTC.
Named dates use the local time zone (TZ); BACKLOG_NOW fixes "now".

Examples:

    backlog calc eom
    backlog calc friday+1w
    backlog calc 2026-03-01T14:30 --json`
}

func (c *calcCmd) Run(a *runner) error {
	clock, err := config.Clock(a.env.Config.Getenv)
	if err != nil {
		return err
	}
	t, err := when.Parse(strings.Join(c.Expr, " "), clock())
	if err != nil {
		return err
	}
	if a.globals.JSON {
		return a.printJSON(map[string]string{"date": when.Format(t)})
	}
	a.say("%s", when.Format(t))
	return nil
}
