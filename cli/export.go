package cli

import (
	"bufio"
	"strings"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/mdview"
)

type exportCmd struct {
	Markdown bool     `help:"Print a markdown page for people instead of JSON: tasks grouped as active, blocked, ready, waiting and done."`
	Filter   []string `arg:"" optional:"" help:"Filter words (default: every task)."`
}

func (c *exportCmd) Help() string {
	return `Prints the tasks a filter selects as a JSON array, one task per line, by id.
Unlike list, export has no implicit status: without a filter it prints every
task, completed and deleted ones included. backlog import reads the JSON
back.

With --markdown it prints a page for people instead, to keep in git or paste
into an issue: the tasks grouped under Active (started or held by an agent),
Blocked, Ready, Waiting (hidden until a wait date, or scheduled later) and
Done (most recent first), each task one list item with its project,
priority, agent, due date, blockers, tags and issue link. Without a filter
the page holds every task but deleted ones; deleted tasks and recurring
templates never show. Dates are in the local time zone. The same tasks give
the same page, so that a diff shows only what changed.

Examples:

    backlog export > backup.json
    backlog export project:web
    backlog export status:completed end.after:som
    backlog export --markdown > BACKLOG.md
    backlog export --markdown project:web -COMPLETED`
}

func (c *exportCmd) Run(a *runner) error {
	if c.Markdown && a.globals.JSON {
		return backlog.Invalidf("--markdown and --json ask for two formats: give one")
	}
	eng, err := a.Engine(false)
	if err != nil {
		return err
	}
	tasks, err := eng.Export(a.ctx, strings.Join(c.Filter, " "))
	if err != nil {
		return err
	}
	if c.Markdown {
		// Which live tasks wait for which, whatever the filter selects:
		// a blocker outside the page still blocks.
		related, err := eng.Export(a.ctx, "+BLOCKED or +BLOCKING")
		if err != nil {
			return err
		}
		return mdview.Write(a.env.Stdout, tasks, mdview.Options{Now: eng.Now(), Blockers: mdview.Blockers(related)})
	}
	w := bufio.NewWriter(a.env.Stdout)
	if len(tasks) == 0 {
		w.WriteString("[]\n")
		return w.Flush()
	}
	w.WriteString("[\n")
	for i, t := range tasks {
		b, err := t.MarshalJSON()
		if err != nil {
			return err
		}
		w.Write(b)
		if i < len(tasks)-1 {
			w.WriteByte(',')
		}
		w.WriteByte('\n')
	}
	w.WriteString("]\n")
	return w.Flush()
}
