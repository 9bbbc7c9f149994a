package cli

import "strings"

type countCmd struct {
	Filter []string `arg:"" optional:"" help:"Filter words (default: pending tasks)."`
}

func (c *countCmd) Help() string {
	return `Counts the tasks a filter selects, with the same scope as list: pending
tasks unless the filter names a status, an id or a UUID. The count is made
in the store, without listing.

Examples:

    backlog count
    backlog count project:web +bug
    backlog count status:completed end.after:sow --json`
}

func (c *countCmd) Run(a *runner) error {
	eng, err := a.Engine(false)
	if err != nil {
		return err
	}
	n, err := eng.Count(a.ctx, strings.Join(c.Filter, " "))
	if err != nil {
		return err
	}
	if a.globals.JSON {
		return a.printJSON(map[string]int{"count": n})
	}
	a.say("%d", n)
	return nil
}
