package cli

type releaseCmd struct {
	Note  string `help:"A hand-off note, kept as an annotation on the task." placeholder:"TEXT"`
	Force bool   `help:"Release a task that another agent holds."`
	ID    string `arg:"" optional:"" help:"The task: an id (12), a UUID or a UUID prefix of at least 8 hex digits."`
}

func (c *releaseCmd) Help() string {
	return `Hands a claimed task back to the pool: clears its agent and start, and keeps
the note, if any, as an annotation for whoever takes it next. Releasing a
task held by an agent other than you (BACKLOG_AGENT_ID) needs --force;
releasing a task nobody holds is an error (exit status 3).

Examples:

    backlog release 12
    backlog release 12 --note "migrated users table; tests pass"
    backlog release 12 --force --note "agent died; back to the pool" --json`
}

func (c *releaseCmd) Run(a *runner) error {
	eng, err := a.Engine(true)
	if err != nil {
		return err
	}
	res, err := eng.Release(a.ctx, c.ID, c.Note, c.Force)
	if err != nil {
		return err
	}
	return a.printResult(res, "Released task "+named(res.Task)+".")
}
