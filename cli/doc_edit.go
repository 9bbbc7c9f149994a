package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	backlog "github.com/agent-backlog/backlog"
)

type docEditCmd struct {
	ID string `arg:"" optional:"" help:"The task: an id, a UUID or a UUID prefix."`
}

func (c *docEditCmd) Help() string {
	return `Opens a task's doc (or an empty one) in $VISUAL, else $EDITOR, else vi, on a
temporary file, and writes it back when you changed it. An empty result
writes nothing. If someone else changed the doc meanwhile, nothing is
written and the temporary file is kept.

Examples:

    backlog doc edit 12
    EDITOR="code --wait" backlog doc edit 12`
}

func (c *docEditCmd) Run(a *runner) error {
	if a.editor() == "" && !isTerminal(a.env.Stdin) {
		// vi without a terminal cannot be used, and leaves garbage.
		ref := strings.TrimSpace(c.ID)
		if ref == "" {
			ref = "ID"
		}
		return backlog.Invalidf("no editor to run: $VISUAL and $EDITOR are unset and standard input is not a terminal; "+
			"write the doc from standard input instead (backlog doc write %s < doc.md)", ref)
	}
	eng, err := a.Engine(true)
	if err != nil {
		return err
	}
	task, err := eng.Info(a.ctx, c.ID)
	if err != nil {
		return err
	}
	before, err := eng.DocRead(a.ctx, c.ID)
	if err != nil && !errors.Is(err, backlog.ErrNotFound) {
		return err
	}
	f, err := os.CreateTemp("", fmt.Sprintf("backlog-doc-%d-*.md", task.ID))
	if err != nil {
		return fmt.Errorf("cannot create a temporary file: %w", err)
	}
	path := f.Name()
	keep := false
	defer func() {
		if !keep {
			os.Remove(path)
		}
	}()
	_, err = f.WriteString(before)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := a.runEditor(path); err != nil {
		return err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("cannot read %s back: %w", path, err)
	}
	after := string(b)
	switch {
	case after == before:
		if a.globals.JSON {
			return a.printJSON(map[string]any{"task": task})
		}
		a.say("The doc of task %s is unchanged.", named(task))
		return nil
	case strings.TrimSpace(after) == "":
		return backlog.Invalidf("the doc is empty: nothing written (backlog doc delete %d removes a doc)", task.ID)
	}
	now, err := eng.DocRead(a.ctx, c.ID)
	if err != nil && !errors.Is(err, backlog.ErrNotFound) {
		return err
	}
	if now != before {
		keep = true
		return backlog.Conflictf("the doc of task %d changed while you edited it: nothing written; your version is in %s", task.ID, path)
	}
	return a.writeDoc(c.ID, after)
}

// editor is the editor the user chose: $VISUAL, else $EDITOR, else "".
func (a *runner) editor() string {
	getenv := a.env.Config.Getenv
	if e := strings.TrimSpace(getenv("VISUAL")); e != "" {
		return e
	}
	return strings.TrimSpace(getenv("EDITOR"))
}

// runEditor runs the user's editor, else vi (a command line, run by the
// shell as git does) on path, attached to the terminal.
func (a *runner) runEditor(path string) error {
	editor := a.editor()
	if editor == "" {
		editor = "vi"
	}
	cmd := exec.CommandContext(a.ctx, "sh", "-c", editor+` "$1"`, editor, path)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = a.env.Stdin, a.env.Stderr, a.env.Stderr
	if isTerminal(a.env.Stdout) {
		cmd.Stdout = a.env.Stdout
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("the editor %q failed: %v; nothing written", editor, err)
	}
	return nil
}
