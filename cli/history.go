package cli

import (
	"strconv"
	"strings"

	"github.com/agent-backlog/backlog/engine"
)

type historyCmd struct {
	Limit  int      `help:"Show only the last N changes (0: all)." placeholder:"N"`
	Filter []string `arg:"" optional:"" help:"Filter words: the tasks whose history to show, of any status (default: all)."`
}

func (c *historyCmd) Help() string {
	return `Shows who changed what, oldest first: one row per task a command touched,
with the journal's sequence number, the time, the agent, the command, the
task's id and its description after the change. The filter selects tasks of
any status (no implicit status:pending); tasks purged or archived are only
in the unfiltered history.

Examples:

    backlog history 14
    backlog history project:auth --limit 20
    backlog history --limit 50 --json`
}

func (c *historyCmd) Run(a *runner) error {
	eng, err := a.Engine(false)
	if err != nil {
		return err
	}
	events, err := eng.History(a.ctx, strings.Join(c.Filter, " "), c.Limit)
	if err != nil {
		return err
	}
	if a.globals.JSON {
		return a.printJSON(map[string][]engine.Event{"events": events})
	}
	if len(events) == 0 {
		a.say("No history.")
		return nil
	}
	tb := &table{header: []string{"Seq", "Time", "Agent", "Command", "ID", "Description"},
		right: []bool{true, false, false, false, true, false}}
	for _, ev := range events {
		id, desc, style := "", ev.Task.Description, ""
		if ev.Task.ID > 0 {
			id = strconv.FormatInt(ev.Task.ID, 10)
		}
		if ev.Gone {
			desc, style = strings.TrimSpace(desc+" (removed)"), styleDim
		}
		tb.add([]string{strconv.FormatInt(ev.Seq, 10), ev.At.Local().Format("2006-01-02 15:04"), ev.Agent, ev.Command, id, desc},
			"", "", "", "", "", style)
	}
	tb.print(a, a.env.Stdout, a.width(), 5)
	return nil
}
