package cli

type undoCmd struct{}

func (c *undoCmd) Help() string {
	return `Reverses your most recent command that is not undone yet, as a whole: a
modify of ten tasks, an import of three hundred, a doc write. Undo is per
agent id (BACKLOG_AGENT_ID): you never undo another agent's work. When a
later command changed one of the same tasks, undo refuses and changes
nothing. Nothing to undo is not an error.

Examples:

    backlog undo
    backlog undo --json`
}

func (c *undoCmd) Run(a *runner) error {
	eng, err := a.Engine(true)
	if err != nil {
		return err
	}
	res, err := eng.Undo(a.ctx)
	if err != nil {
		return err
	}
	if a.globals.JSON {
		return a.printJSON(res)
	}
	if res.Undone == nil {
		a.say("Nothing to undo.")
		return nil
	}
	a.say("Undid: %s.", *res.Undone)
	if len(res.Tasks) > 0 {
		ids := make([]int64, len(res.Tasks))
		for i, t := range res.Tasks {
			ids[i] = t.ID
		}
		a.say("Restored %s %s.", pick(len(ids), "task", "tasks"), idList(ids))
	}
	return nil
}
