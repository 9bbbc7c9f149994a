package cli

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/agent-backlog/backlog/config"
	"github.com/agent-backlog/backlog/internal/atomicfile"
	"github.com/agent-backlog/backlog/tasksmd"
)

// tasksmdCmd groups the commands over TASKS.md files: the convention's
// linter, picker and editor, with the same outputs (TASKSMD.md). None of
// them opens the backlog.
type tasksmdCmd struct {
	Lint tasksmdLintCmd `cmd:"" help:"Check TASKS.md files against the convention (the CI step)."`
}

func (c *tasksmdCmd) Help() string {
	return `Commands over the TASKS.md files of a repository: every file named TASKS.md
under the git root (or --dir) forms one queue, as the convention's own tools
read it. Their output is the reference tools' output, so CI steps, skills
and prompts written for those keep working.

Examples:

    backlog tasksmd lint TASKS.md
    backlog tasksmd lint --fix .`
}

type tasksmdLintCmd struct {
	Fix   bool     `help:"Remove completed (checked) tasks and runs of blank lines, then lint what is left."`
	Paths []string `arg:"" optional:"" help:"Files or directories (a directory: its *.md files and every nested TASKS.md)." placeholder:"PATH"`
}

func (c *tasksmdLintCmd) Help() string {
	return `Checks TASKS.md files: the "# Tasks" title, P0-P3 headings in order,
checkbox tasks under them, kebab-case IDs unique across the files, blockers
that name existing IDs, metadata under a task, policies in HTML comments.
Each finding goes to stderr as "ERROR: <file>:<line>: <message>"; stdout
ends with the count. Exit status 0 clean, 1 findings remain, 2 usage (no
PATH, a PATH that does not exist, no markdown file). --fix edits each file
under its lock and replaces it whole.

Examples:

    backlog tasksmd lint TASKS.md
    backlog tasksmd lint TASKS.md docs/
    backlog tasksmd lint --fix TASKS.md`
}

func (c *tasksmdLintCmd) Run(a *runner) error {
	write := func(path string, data []byte) error {
		_, err := atomicfile.Edit(a.ctx, path, func([]byte) ([]byte, error) { return data, nil })
		return err
	}
	run := tasksmd.RunLint(c.Paths, c.Fix, write)
	io.WriteString(a.env.Stdout, run.Stdout)
	io.WriteString(a.env.Stderr, run.Stderr)
	if run.Code != 0 {
		return exitStatus(run.Code)
	}
	return nil
}

// exitStatus ends a command with a status of its own after it has printed
// everything itself (the reference tools' exit codes), with no sentence.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// tasksmdRoot is where discovery starts: --dir, else the git root of the
// working directory, else the working directory.
func tasksmdRoot(src config.Source, dir string) (string, error) {
	if dir != "" {
		return filepath.Abs(dir)
	}
	wd, err := src.Getwd()
	if err != nil {
		return "", fmt.Errorf("cannot find the working directory: %w", err)
	}
	if root, ok := config.FindGitRoot(wd); ok {
		return root, nil
	}
	return wd, nil
}
