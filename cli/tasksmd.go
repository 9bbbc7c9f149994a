package cli

import (
	"fmt"
	"io"
	"path/filepath"
	"runtime/debug"
	"strings"

	backlog "github.com/agent-backlog/backlog"

	"github.com/agent-backlog/backlog/internal/atomicfile"
	"github.com/agent-backlog/backlog/tasksmd"
	"github.com/agent-backlog/backlog/tasksmd/workspace"
)

// tasksmdCmd groups the commands over TASKS.md files: the convention's
// linter, picker and editor, with the same outputs (TASKSMD.md), none of
// which opens the backlog, and the bridge (import, export, sync), which
// does.
type tasksmdCmd struct {
	Lint     tasksmdLintCmd     `cmd:"" help:"Check TASKS.md files against the convention (the CI step)."`
	Parse    tasksmdParseCmd    `cmd:"" help:"Print the tasks of TASKS.md files as JSON."`
	Pick     tasksmdPickCmd     `cmd:"" help:"Choose the next task to work on (and claim it with --claim)."`
	List     tasksmdListCmd     `cmd:"" help:"List the tasks of the queue, by priority."`
	Stats    tasksmdStatsCmd    `cmd:"" help:"Count the queue's tasks by priority and state."`
	Claim    tasksmdClaimCmd    `cmd:"" help:"Mark a task as taken by an agent: (@agent) at its end."`
	Unclaim  tasksmdUnclaimCmd  `cmd:"" help:"Take an agent's claim off a task."`
	Complete tasksmdCompleteCmd `cmd:"" help:"Remove a finished task's whole block from its file."`
	Add      tasksmdAddCmd      `cmd:"" help:"Append a task to its priority section."`
	Init     tasksmdInitCmd     `cmd:"" help:"Create a TASKS.md at the repository's root."`
	Import   tasksmdImportCmd   `cmd:"" help:"Read the TASKS.md files into the backlog (all or nothing)."`
	Export   tasksmdExportCmd   `cmd:"" help:"Write the backlog's pending tasks back into the TASKS.md files."`
	Sync     tasksmdSyncCmd     `cmd:"" help:"Bring the TASKS.md files and the backlog in step, both ways."`
}

// tasksmdDir is the --dir flag of the commands that discover files.
type tasksmdDir struct {
	Dir string `help:"Discover TASKS.md files under this directory instead of the git root." placeholder:"DIR" type:"path"`
}

func (c *tasksmdCmd) Help() string {
	return `Commands over the TASKS.md files of a repository: every file named TASKS.md
under the git root (or --dir) forms one queue, as the convention's own tools
read it. Their output is the reference tools' output, so CI steps, skills
and prompts written for those keep working.

Examples:

    backlog tasksmd lint TASKS.md
    backlog tasksmd pick --agent claude --claim
    backlog tasksmd add "Fix the login crash" --priority P1 --tags auth`
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
	shortLived()
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

// shortLived makes the collector run less often in a command that reads a
// whole tree of files and exits: a third of a 5,000-task pick went to
// collecting garbage the exit frees anyway.
func shortLived() { debug.SetGCPercent(400) }

// exitStatus ends a command with a status of its own after it has printed
// everything itself (the reference tools' exit codes), with no sentence.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// workspace is the tree of TASKS.md files a command works on: --dir, else
// the git root of the working directory, else the working directory.
func (a *runner) workspace(dir string) (*workspace.Workspace, error) {
	wd, err := a.env.Config.Getwd()
	if err != nil {
		return nil, fmt.Errorf("cannot find the working directory: %w", err)
	}
	return workspace.Find(dir, wd)
}

// queue reads every TASKS.md of the workspace.
func (a *runner) queue(dir string) (*tasksmd.Queue, error) {
	shortLived()
	w, err := a.workspace(dir)
	if err != nil {
		return nil, err
	}
	return w.Load(a.ctx)
}

// editQueue applies an edit to the workspace under the file's lock.
func (a *runner) editQueue(dir string, edit func(q *tasksmd.Queue) (tasksmd.Edit, error)) (tasksmd.Edit, error) {
	w, err := a.workspace(dir)
	if err != nil {
		return tasksmd.Edit{}, err
	}
	return w.Edit(a.ctx, edit)
}

type tasksmdParseCmd struct {
	tasksmdDir
	Files []string `arg:"" optional:"" help:"Files to read (default: every discovered TASKS.md)." placeholder:"FILE"`
}

func (c *tasksmdParseCmd) Help() string {
	return `Prints the tasks as a JSON array of {summary, priority, claimed, metadata,
subtasks, file, startLine, endLine, rawLines}, as the convention's parser
does: metadata keys camel-cased (blockedBy), tags, files and blockedBy as
arrays, lines counted from 1.

Examples:

    backlog tasksmd parse
    backlog tasksmd parse packages/api/TASKS.md`
}

func (c *tasksmdParseCmd) Run(a *runner) error {
	var tasks []*tasksmd.Task
	if len(c.Files) == 0 {
		q, err := a.queue(c.Dir)
		if err != nil {
			return err
		}
		tasks = q.Tasks()
	} else {
		for _, p := range c.Files {
			data, err := atomicfile.Read(a.ctx, p)
			if err != nil {
				return err
			}
			tasks = append(tasks, tasksmd.Parse(filepath.ToSlash(p), data).Tasks...)
		}
	}
	io.WriteString(a.env.Stdout, tasksmd.ParseJSON(tasks))
	return nil
}

type tasksmdPickCmd struct {
	tasksmdDir
	Agent string `help:"Resume this agent's own claim first; with --claim, claim the pick for it." placeholder:"NAME"`
	Tags  string `help:"Prefer tasks sharing one of these tags (comma-separated)." placeholder:"A,B"`
	Claim bool   `help:"Claim the picked task for --agent, in the same locked write."`
}

func (c *tasksmdPickCmd) Help() string {
	return `Chooses the next task: the agent's own unblocked claim first; otherwise the
unclaimed, unblocked tasks (those sharing a --tags tag when any does), by
priority, then by how many tasks it unblocks, then by tags shared. Nothing
left prints "No eligible tasks found (all claimed, blocked, or empty
queue)." and exits 0.

Examples:

    backlog tasksmd pick
    backlog tasksmd pick --agent claude --tags backend --json
    backlog tasksmd pick --agent claude --claim`
}

func (c *tasksmdPickCmd) Run(a *runner) error {
	if c.Claim && strings.TrimSpace(c.Agent) == "" {
		return backlog.Invalidf("--claim needs --agent: the name to claim the task for")
	}
	opts := tasksmd.PickOptions{Agent: strings.TrimSpace(c.Agent), Tags: splitTags(c.Tags)}
	q, err := a.queue(c.Dir)
	if err != nil {
		return err
	}
	p := q.Pick(opts)
	if c.Claim && p != nil && !p.Resumed {
		// The pick and the claim in one locked write: the queue is
		// picked again from the file as it is under the lock.
		_, err := a.editQueue(c.Dir, func(q *tasksmd.Queue) (tasksmd.Edit, error) {
			p = q.Pick(opts)
			if p == nil {
				return tasksmd.Edit{}, backlog.Conflictf("%s", strings.TrimSpace(tasksmd.NoPickText))
			}
			return q.Claim(p.Task.Summary, opts.Agent)
		})
		if err != nil {
			return err
		}
	}
	if a.globals.JSON {
		io.WriteString(a.env.Stdout, tasksmd.PickJSON(p))
		return nil
	}
	io.WriteString(a.env.Stdout, tasksmd.PickText(p))
	return nil
}

// splitTags reads a comma-separated tag list.
func splitTags(s string) []string {
	var out []string
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

type tasksmdListCmd struct {
	tasksmdDir
	Priority  string `help:"Only this priority (P0-P3)." placeholder:"P"`
	Tag       string `help:"Only tasks with this tag." placeholder:"TAG"`
	Unclaimed bool   `help:"Only tasks no agent has claimed."`
	Unblocked bool   `help:"Only tasks nothing blocks."`
}

func (c *tasksmdListCmd) Help() string {
	return `Lists the queue's tasks by priority, one a line: priority, ID (or -) and
summary, separated by tabs; --json prints the list_tasks result.

Examples:

    backlog tasksmd list
    backlog tasksmd list --priority P1 --unclaimed --unblocked
    backlog tasksmd list --tag backend --json`
}

func (c *tasksmdListCmd) Run(a *runner) error {
	q, err := a.queue(c.Dir)
	if err != nil {
		return err
	}
	tasks := q.List(tasksmd.ListOptions{Priority: c.Priority, Tag: c.Tag, Unclaimed: c.Unclaimed, Unblocked: c.Unblocked})
	if a.globals.JSON {
		io.WriteString(a.env.Stdout, q.ListJSON(tasks)+"\n")
		return nil
	}
	io.WriteString(a.env.Stdout, tasksmd.ListText(tasks))
	return nil
}

type tasksmdStatsCmd struct {
	tasksmdDir
}

func (c *tasksmdStatsCmd) Help() string {
	return `Counts the queue's tasks: by priority, blocked, claimed and available (total
less blocked and claimed), and the number of files.

Examples:

    backlog tasksmd stats
    backlog tasksmd stats --json`
}

func (c *tasksmdStatsCmd) Run(a *runner) error {
	w, err := a.workspace(c.Dir)
	if err != nil {
		return err
	}
	q, err := w.Load(a.ctx)
	if err != nil {
		return err
	}
	s := q.Stats()
	// Completed tasks from the files' git history (tasksmd_git.go); nil
	// outside a repository.
	th, err := a.tasksmdThroughput(w.Root)
	if err != nil {
		return err
	}
	if a.globals.JSON {
		io.WriteString(a.env.Stdout, tasksmd.StatsJSON(s, th))
		return nil
	}
	io.WriteString(a.env.Stdout, tasksmd.StatsText(s, th))
	return nil
}

type tasksmdClaimCmd struct {
	tasksmdDir
	Agent string `help:"The agent taking the task (required)." placeholder:"NAME"`
	Query string `arg:"" help:"The task: its ID, or words of its summary."`
}

func (c *tasksmdClaimCmd) Help() string {
	return `Appends (@agent) to the task's line, under the file's lock: of two agents
claiming one task at once, exactly one wins. QUERY is an ID (backticks and
case ignored), else words of the summary (the first task containing them).

Examples:

    backlog tasksmd claim auth-fix --agent claude
    backlog tasksmd claim "rate limiting" --agent codex`
}

func (c *tasksmdClaimCmd) Run(a *runner) error {
	if strings.TrimSpace(c.Agent) == "" {
		return backlog.Invalidf("claim needs --agent: the name to claim the task for")
	}
	return a.printEdit(a.editQueue(c.Dir, func(q *tasksmd.Queue) (tasksmd.Edit, error) { return q.Claim(c.Query, c.Agent) }))
}

type tasksmdUnclaimCmd struct {
	tasksmdDir
	Query string `arg:"" help:"The task: its ID, or words of its summary."`
}

func (c *tasksmdUnclaimCmd) Help() string {
	return `Takes the (@agent) claim off a task, so another agent may pick it.

Examples:

    backlog tasksmd unclaim auth-fix`
}

func (c *tasksmdUnclaimCmd) Run(a *runner) error {
	return a.printEdit(a.editQueue(c.Dir, func(q *tasksmd.Queue) (tasksmd.Edit, error) { return q.Unclaim(c.Query) }))
}

type tasksmdCompleteCmd struct {
	tasksmdDir
	Query string `arg:"" help:"The task: its ID, or words of its summary."`
}

func (c *tasksmdCompleteCmd) Help() string {
	return `Removes a finished task's whole block (its line, metadata, sub-tasks and one
blank line after it): completed tasks leave the file, history is in git.

Examples:

    backlog tasksmd complete auth-fix`
}

func (c *tasksmdCompleteCmd) Run(a *runner) error {
	return a.printEdit(a.editQueue(c.Dir, func(q *tasksmd.Queue) (tasksmd.Edit, error) { return q.Complete(c.Query) }))
}

type tasksmdAddCmd struct {
	tasksmdDir
	Priority   string `help:"P0 (most urgent) to P3; default P2." placeholder:"P"`
	ID         string `name:"id" help:"A kebab-case ID, for tasks that others wait on." placeholder:"ID"`
	Tags       string `help:"Comma-separated lower-case tags." placeholder:"A,B"`
	Details    string `help:"What to do, in more words." placeholder:"TEXT"`
	Files      string `help:"Files to look at, comma-separated." placeholder:"PATHS"`
	Acceptance string `help:"When the task is done." placeholder:"TEXT"`
	BlockedBy  string `name:"blocked-by" help:"IDs of tasks to finish first, comma-separated." placeholder:"IDS"`
	File       string `help:"The TASKS.md to add to (default: the first discovered)." placeholder:"FILE"`
	Summary    string `arg:"" help:"The task, in one line."`
}

func (c *tasksmdAddCmd) Help() string {
	return `Appends a task at the end of its priority section, creating the section in
order when it is missing, under the file's lock.

Examples:

    backlog tasksmd add "Add rate limiting" --priority P1 --blocked-by auth-fix
    backlog tasksmd add "Fix the crash" --id crash-fix --tags auth,backend --file packages/api/TASKS.md`
}

func (c *tasksmdAddCmd) Run(a *runner) error {
	spec := tasksmd.TaskSpec{Summary: c.Summary, Priority: c.Priority, ID: c.ID, Tags: c.Tags, Details: c.Details,
		Files: c.Files, Acceptance: c.Acceptance, BlockedBy: c.BlockedBy}
	file := filepath.ToSlash(c.File)
	return a.printEdit(a.editQueue(c.Dir, func(q *tasksmd.Queue) (tasksmd.Edit, error) { return q.Add(file, spec) }))
}

// printEdit prints an edit's message, the MCP tool's text.
func (a *runner) printEdit(e tasksmd.Edit, err error) error {
	if err != nil {
		return err
	}
	if a.globals.JSON {
		return a.printJSON(map[string]string{"message": e.Message, "file": e.Path})
	}
	a.say("%s", e.Message)
	return nil
}

type tasksmdInitCmd struct {
	tasksmdDir
}

func (c *tasksmdInitCmd) Help() string {
	return `Creates TASKS.md at the git root (or --dir) with the "# Tasks" title and the
P0-P3 sections; an existing file is left as it is.

Examples:

    backlog tasksmd init`
}

func (c *tasksmdInitCmd) Run(a *runner) error {
	w, err := a.workspace(c.Dir)
	if err != nil {
		return err
	}
	path, created, err := w.Init(a.ctx)
	if err != nil {
		return err
	}
	if !created {
		a.say("TASKS.md already exists at %s.", path)
		return nil
	}
	a.say("Created %s.", path)
	return nil
}
