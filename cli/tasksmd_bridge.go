package cli

import (
	"fmt"
	"strings"

	"github.com/agent-backlog/backlog/tasksmd/bridge"
)

// The bridge between the TASKS.md files and the backlog (tasksmd/bridge).

type tasksmdImportCmd struct {
	tasksmdDir
}

func (c *tasksmdImportCmd) Help() string {
	return `Reads every TASKS.md of the repository into the backlog, all or nothing:
P0 becomes priority H with the tag next, P1 H, P2 M, P3 L; the summary the
description; a claim the agent; the ID the attribute tasksmd_id; Tags the
tags; Blocked by depends. Each task's block (metadata, sub-tasks, notes)
becomes its doc, verbatim, and the file's other lines are kept in the
backlog, so export writes the same bytes back. A file that does not lint,
an ID the backlog already has, or a cycle of blockers is refused with the
file and line, and nothing is written.

Examples:

    backlog tasksmd import
    backlog tasksmd import --dir ../other-repo`
}

func (c *tasksmdImportCmd) Run(a *runner) error {
	b, err := a.bridge(c.Dir)
	if err != nil {
		return err
	}
	res, err := b.Import(a.ctx)
	if err != nil {
		return err
	}
	if a.globals.JSON {
		return a.printJSON(map[string]int{"files": res.Files, "imported": res.Tasks})
	}
	a.say("Imported %s from %s.", plural(res.Tasks, "task"), plural(res.Files, "file"))
	return nil
}

type tasksmdExportCmd struct {
	tasksmdDir
	Force bool `help:"Overwrite a file that changed since the last import or export."`
}

func (c *tasksmdExportCmd) Help() string {
	return `Writes the backlog's pending tasks into the TASKS.md files, each where it
was (new tasks at the end of their section, in their tasksmd_file or the
root TASKS.md); a task done or deleted in the backlog leaves the file. A
file is written under its lock and only when its bytes change. A file
edited since the last import or export is refused (sync merges both
sides) unless --force.

Examples:

    backlog tasksmd export
    backlog tasksmd export --force`
}

func (c *tasksmdExportCmd) Run(a *runner) error {
	b, err := a.bridge(c.Dir)
	if err != nil {
		return err
	}
	res, err := b.Export(a.ctx, bridge.ExportOptions{Force: c.Force})
	if err != nil {
		return err
	}
	if a.globals.JSON {
		return a.printJSON(res)
	}
	for _, f := range res {
		if f.Changed {
			a.say("Wrote %s (%s).", f.Path, plural(f.Tasks, "task"))
		} else {
			a.say("%s is up to date (%s).", f.Path, plural(f.Tasks, "task"))
		}
	}
	return nil
}

// bridge joins the backlog and the workspace's TASKS.md files.
func (a *runner) bridge(dir string) (*bridge.Bridge, error) {
	w, err := a.workspace(dir)
	if err != nil {
		return nil, err
	}
	eng, err := a.Engine(true)
	if err != nil {
		return nil, err
	}
	return &bridge.Bridge{Engine: eng, Workspace: w}, nil
}

type tasksmdSyncCmd struct {
	tasksmdDir
}

func (c *tasksmdSyncCmd) Help() string {
	return `Brings the TASKS.md files and the backlog in step, three-way against the
state of the last import, export or sync: a task deleted from a file is
completed in the backlog; a task done or deleted in the backlog leaves its
file; a task added on one side appears on the other; a field changed on
one side takes that side's value. A field changed on both sides keeps the
backlog's value, and a line says so:

    TASKS.md:12: "Fix login" priority changed on both sides; kept the backlog's (P1)

Then one line counts what changed on each side (a side with nothing to
count is left out), or says "Nothing to sync." when nothing did, and then
nothing is written: the files keep their mtime and the backlog gets no
journal entry. The backlog changes in one write (one undo) and each file
under its lock, only when its bytes change. A file that does not lint, an
ID clash or a cycle of blockers is refused with the file and line, and
nothing is written on either side.

Examples:

    backlog tasksmd sync
    backlog tasksmd sync --dir ../other-repo`
}

func (c *tasksmdSyncCmd) Run(a *runner) error {
	b, err := a.bridge(c.Dir)
	if err != nil {
		return err
	}
	res, err := b.Sync(a.ctx)
	if err != nil {
		return err
	}
	if a.globals.JSON {
		return a.printJSON(res)
	}
	for _, line := range res.Conflicts {
		a.say("%s", line)
	}
	a.say("%s", syncSummary(res))
	return nil
}

// syncSummary is the line that counts a sync's changes:
// "TASKS.md: added 2, removed 1, updated 1; backlog: added 1, completed 1".
func syncSummary(res *bridge.SyncResult) string {
	counts := func(names []string, ns ...int) string {
		var parts []string
		for i, n := range ns {
			if n > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", names[i], n))
			}
		}
		return strings.Join(parts, ", ")
	}
	var sides []string
	if f := counts([]string{"added", "removed", "updated"}, res.FileAdded, res.FileRemoved, res.FileUpdated); f != "" || len(res.Written) > 0 {
		label := fmt.Sprintf("%d files", len(res.Written))
		if len(res.Written) == 1 {
			label = res.Written[0]
		}
		if f == "" {
			f = "rewritten"
		}
		sides = append(sides, label+": "+f)
	}
	if k := counts([]string{"added", "completed", "updated"}, res.Added, res.Completed, res.Updated); k != "" {
		sides = append(sides, "backlog: "+k)
	}
	switch {
	case len(sides) > 0:
		return strings.Join(sides, "; ")
	case res.Stored:
		return "Nothing to sync; the sync state was recorded."
	}
	return "Nothing to sync."
}
