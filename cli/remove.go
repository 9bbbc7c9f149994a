package cli

import (
	"bufio"
	"fmt"
	"strings"

	backlog "github.com/agent-backlog/backlog"
)

type removeCmd struct {
	Yes bool   `help:"Remove without asking."`
	ID  string `arg:"" optional:"" help:"The task: an id (12), a UUID or a UUID prefix of at least 8 hex digits."`
}

func (c *removeCmd) Help() string {
	return `Deletes a task and purges it at once, doc included: for a task added by
mistake or no longer needed. backlog undo, run next, brings it back whole.
On a terminal you are asked first; elsewhere --yes is required.

Examples:

    backlog remove 12
    backlog remove 12 --yes --json`
}

func (c *removeCmd) Run(a *runner) error {
	eng, err := a.Engine(true)
	if err != nil {
		return err
	}
	// Resolve first, so that a wrong reference is reported as such.
	t, err := eng.Info(a.ctx, c.ID)
	if err != nil {
		return err
	}
	// An archived task is read-only: Remove says so, with no question first.
	if !c.Yes && t.Archived == "" {
		what := "task " + t.Ref()
		if t.HasDoc {
			what += " and its doc"
		}
		if !isTerminal(a.env.Stdin) {
			return backlog.Invalidf("remove deletes and purges %s: confirm with --yes", what)
		}
		fmt.Fprintf(a.env.Stderr, "Delete and purge %s (%q)? [y/N] ", what, t.Description)
		answer, _ := bufio.NewReader(a.env.Stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			return backlog.Invalidf("remove cancelled: nothing changed")
		}
	}
	// Remove the task the question named, even if a prefix now matches more.
	res, err := eng.Remove(a.ctx, t.UUID)
	if err != nil {
		return err
	}
	return a.printResult(res, "Removed task "+named(res.Task)+".")
}
