package cli

import (
	"strconv"
	"strings"
)

type archiveCmd struct {
	Move    archiveMoveCmd    `cmd:"" default:"withargs" hidden:"" help:"Archive finished tasks older than a number of days."`
	List    archiveListCmd    `cmd:"" help:"List the archive's segments with their task counts."`
	Load    archiveLoadCmd    `cmd:"" help:"Show the tasks of one archive segment (read-only)."`
	Restore archiveRestoreCmd `cmd:"" help:"Bring tasks of a segment back into the working set."`
}

func (c *archiveCmd) Help() string {
	return `Moves completed and deleted tasks whose end is older than --older-than days
(default 90) out of the working set into quarterly segments named by the
quarter of their end (2026-Q3). Archived tasks keep their ids, "backlog info"
still finds them, and dependencies on them count as resolved; lists and
counts no longer pay for them. "backlog undo" brings an archive back whole.

Examples:

    backlog archive
    backlog archive --older-than 30
    backlog archive list
    backlog archive load 2026-Q3
    backlog archive restore 2026-Q3 project:web`
}

type archiveMoveCmd struct {
	OlderThan int `name:"older-than" default:"90" help:"Archive tasks that ended more than DAYS days ago." placeholder:"DAYS"`
}

func (c *archiveMoveCmd) Run(a *runner) error {
	eng, err := a.Engine(true)
	if err != nil {
		return err
	}
	n, err := eng.Archive(a.ctx, c.OlderThan)
	if err != nil {
		return err
	}
	if a.globals.JSON {
		return a.printJSON(map[string]int{"archived": n})
	}
	a.say("Archived %s.", plural(n, "task"))
	return nil
}

type archiveListCmd struct{}

func (c *archiveListCmd) Help() string {
	return `Lists the archive's segments, oldest first, with how many tasks each holds.

Examples:

    backlog archive list
    backlog archive list --json`
}

func (c *archiveListCmd) Run(a *runner) error {
	eng, err := a.Engine(false)
	if err != nil {
		return err
	}
	segs, err := eng.ArchiveSegments(a.ctx)
	if err != nil {
		return err
	}
	if a.globals.JSON {
		return a.printJSON(map[string]any{"segments": segs})
	}
	if len(segs) == 0 {
		a.say("The archive is empty.")
		return nil
	}
	tb := &table{header: []string{"Segment", "Tasks"}, right: []bool{false, true}}
	for _, s := range segs {
		tb.add([]string{s.Name, strconv.Itoa(s.Count)})
	}
	tb.print(a, a.env.Stdout, 0, -1)
	return nil
}

type archiveLoadCmd struct {
	Segment string `arg:"" help:"The segment, such as 2026-Q3."`
}

func (c *archiveLoadCmd) Help() string {
	return `Shows the tasks of one archive segment, by id. They are read-only: restore
them to change them.

Examples:

    backlog archive load 2026-Q3
    backlog archive load 2026-Q3 --json`
}

func (c *archiveLoadCmd) Run(a *runner) error {
	eng, err := a.Engine(false)
	if err != nil {
		return err
	}
	tasks, err := eng.ArchiveLoad(a.ctx, c.Segment)
	if err != nil {
		return err
	}
	if a.globals.JSON {
		return a.printJSON(map[string]any{"tasks": tasksOrEmpty(tasks)})
	}
	a.printTasks(tasks, eng.Now())
	return nil
}

type archiveRestoreCmd struct {
	Segment string   `arg:"" help:"The segment, such as 2026-Q3."`
	Filter  []string `arg:"" optional:"" passthrough:"" help:"Restore only the tasks this filter selects."`
}

func (c *archiveRestoreCmd) Help() string {
	return `Brings the tasks of an archive segment that match the filter (all of them
without one) back into the working set, with their docs and ids. Undo
archives them again.

Examples:

    backlog archive restore 2026-Q3
    backlog archive restore 2026-Q3 12
    backlog archive restore 2026-Q3 project:web`
}

func (c *archiveRestoreCmd) Run(a *runner) error {
	eng, err := a.Engine(true)
	if err != nil {
		return err
	}
	tasks, err := eng.ArchiveRestore(a.ctx, c.Segment, strings.Join(c.Filter, " "))
	if err != nil {
		return err
	}
	if a.globals.JSON {
		return a.printJSON(map[string]any{"tasks": tasksOrEmpty(tasks)})
	}
	a.say("Restored %s from %s.", plural(len(tasks), "task"), c.Segment)
	return nil
}
