package cli

type docCmd struct {
	Write  docWriteCmd  `cmd:"" help:"Attach a markdown doc (from --file or stdin)."`
	Read   docReadCmd   `cmd:"" help:"Print a task's doc."`
	Edit   docEditCmd   `cmd:"" help:"Edit a task's doc in $VISUAL or $EDITOR."`
	Delete docDeleteCmd `cmd:"" help:"Remove a task's doc."`
}

func (c *docCmd) Help() string {
	return `Each task may carry one markdown doc of up to 1 MiB: a spec, a design, the
notes a hand-off needs. Writing one sets has_doc and the doc tag; deleting it
clears both. Writes and deletes are undoable.

Examples:

    backlog doc write 12 --file spec.md
    backlog doc read 12
    backlog doc edit 12
    backlog doc delete 12`
}
