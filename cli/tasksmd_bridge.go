package cli

import (
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
