// Package cli is the backlog's command line: one small file per subcommand,
// each turning words into an engine call and its result into a table, a
// sentence or the MCP tool's JSON object.
//
// Run is the whole surface: it takes the arguments and an Env (streams,
// configuration source, a store opener) and returns the exit status, so that
// it runs the same in the binary, in Go tests and in testscripts.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/alecthomas/kong"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/config"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/when"
)

// Exit statuses.
const (
	ExitOK       = 0
	ExitInvalid  = 1 // bad usage or input
	ExitNotFound = 2 // a task, doc or annotation that does not exist
	ExitConflict = 3 // refused because of the state of the backlog
	ExitFailure  = 4 // anything else: the machine (a full disk, a read-only file, a lock), a broken store
)

// Env is what the command line runs with.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Config is where settings come from (the environment, the working
	// directory, the host).
	Config config.Source
	// Open opens the backlog the configuration names, with whichever
	// store its backend calls for (the command line does not choose). A
	// command that writes creates the backlog when it is missing; one that
	// only reads (write false) gets an empty backlog instead, or ErrNotFound
	// when the user named a place that does not exist (a typo, most likely).
	Open func(ctx context.Context, cfg *config.Config, write bool) (store.Store, error)
	// Serve runs the MCP server for `backlog serve`; nil when the build has
	// none.
	Serve func(ctx context.Context, r ServeRequest) error
}

// Globals are the flags every command takes.
type Globals struct {
	JSON        bool   `help:"Print one line of JSON: the MCP tool's result object."`
	Data        string `help:"Use the backlog in DIR (overrides TASKDATA and the rest)." placeholder:"DIR"`
	DatabaseURL string `name:"database-url" help:"With BACKLOG_BACKEND=postgres: the server (overrides BACKLOG_DATABASE_URL)." placeholder:"URL"`
}

// commands is the command line's grammar. Each command lives in a file of
// its own.
type commands struct {
	Globals

	Add        addCmd        `cmd:"" help:"Add a task: backlog add Fix login project:web +bug."`
	Log        logCmd        `cmd:"" help:"Record a task that is already done."`
	List       listCmd       `cmd:"" help:"List tasks, most urgent first (default: pending)."`
	Count      countCmd      `cmd:"" help:"Count the tasks a filter selects."`
	Info       infoCmd       `cmd:"" help:"Show every field of one task."`
	Modify     modifyCmd     `cmd:"" help:"Change tasks: backlog modify <filter> -- <changes>." keepdashdash:""`
	Start      startCmd      `cmd:"" help:"Mark a task as being worked on."`
	Stop       stopCmd       `cmd:"" help:"Mark an active task as not being worked on."`
	Done       doneCmd       `cmd:"" help:"Complete a task."`
	Delete     deleteCmd     `cmd:"" help:"Delete a task (undo restores it)."`
	Purge      purgeCmd      `cmd:"" help:"Remove a deleted task and its doc for good."`
	Annotate   annotateCmd   `cmd:"" help:"Add a timestamped note to a task."`
	Denotate   denotateCmd   `cmd:"" help:"Remove a note from a task by its exact text."`
	Duplicate  duplicateCmd  `cmd:"" help:"Copy a task, with optional changes."`
	Undo       undoCmd       `cmd:"" help:"Reverse your most recent command, as a whole."`
	Import     importCmd     `cmd:"" help:"Import tasks from JSON, or issues from GitHub or GitLab."`
	Export     exportCmd     `cmd:"" help:"Print tasks of any status as a JSON array, or as a markdown page with --markdown."`
	Migrate    migrateCmd    `cmd:"" help:"Copy a backlog between SQLite, PostgreSQL and S3, or bring in the TypeScript server's, beads' or Backlog.md's tasks."`
	Backup     backupCmd     `cmd:"" help:"Copy the whole backlog, from any store, to an S3 object."`
	Restore    restoreCmd    `cmd:"" help:"Copy a backup from an S3 object into an empty backlog."`
	Sync       syncCmd       `cmd:"" help:"Send updates owed to GitHub/GitLab issues, and pull their changes."`
	Projects   projectsCmd   `cmd:"" help:"List the projects of pending tasks."`
	Tags       tagsCmd       `cmd:"" help:"List the tags of pending tasks."`
	Doc        docCmd        `cmd:"" help:"Write, read, edit or delete a task's markdown doc."`
	Archive    archiveCmd    `cmd:"" help:"Move old finished tasks into quarterly archive segments."`
	Serve      serveCmd      `cmd:"" help:"Run the MCP server (stdio, or streamable HTTP with --http)."`
	Init       initCmd       `cmd:"" help:"Add the MCP server to an agent's config (Claude Code, Cursor, Gemini CLI, Codex, Windsurf, VS Code)."`
	Claim      claimCmd      `cmd:"" help:"Take the most urgent READY task (or one by id) for an agent."`
	Release    releaseCmd    `cmd:"" help:"Hand a claimed task back to the pool, with an optional note."`
	AssignAll  assignAllCmd  `cmd:"" name:"assign-all" help:"Hold every free pending task a filter selects for one agent."`
	Remove     removeCmd     `cmd:"" help:"Delete and purge a task at once (undo restores it)."`
	Reclaim    reclaimCmd    `cmd:"" help:"Return claims unchanged for a given time to the pool."`
	Summary    summaryCmd    `cmd:"" help:"Print a compact overview for the start of a session."`
	History    historyCmd    `cmd:"" help:"Show who changed which tasks, and how, oldest first."`
	Watch      watchCmd      `cmd:"" help:"Stream changes as JSON lines until interrupted."`
	Board      boardCmd      `cmd:"" help:"Serve the live web board on a loopback address (--open opens it)."`
	Where      whereCmd      `cmd:"" help:"Show the store, namespace and agent id, and why."`
	Hook       hookCmd       `cmd:"" help:"Answer a Claude Code hook event (session-start, task-created, task-completed, subagent-start)."`
	Tasksmd    tasksmdCmd    `cmd:"" name:"tasksmd" aliases:"tasks" help:"Lint, pick and edit TASKS.md files, as the convention's own tools do."`
	Calc       calcCmd       `cmd:"" help:"Resolve a date expression (eom, friday+1w) in UTC."`
	Completion completionCmd `cmd:"" help:"Print a bash, zsh or fish completion script."`
	Complete   completeCmd   `cmd:"" name:"_complete" hidden:"" help:"Print ids, projects or tags for shell completion."`
	versions                 // version and --version
}

// runner is one run of the command line: its environment, its flags, and the
// store and engine, opened only by the commands that need them.
type runner struct {
	ctx     context.Context
	env     Env
	globals *Globals
	cfg     *config.Config
	store   store.Store
	engine  *engine.Engine
	color   *bool
	model   *kong.Application // the grammar, for completion scripts
	pushed  bool              // the command delivered the outbox itself (sync, import)
}

// exit carries kong's exit status (after --help) out of the parser.
type exit int

// Run runs the command line with args (without the program name) and
// returns the exit status.
func Run(ctx context.Context, args []string, env Env) (status int) {
	grammar, globals := grammarFor(args)
	return runGrammar(ctx, args, env, grammar, globals)
}

// runGrammar is Run with the grammar to parse args with: the whole one, or
// the one command args name (see grammarFor).
func runGrammar(ctx context.Context, args []string, env Env, grammar any, globals *Globals) (status int) {
	a := &runner{ctx: ctx, env: env, globals: globals}
	defer func() {
		if r := recover(); r != nil {
			code, ok := r.(exit)
			if !ok {
				panic(r)
			}
			status = int(code)
		}
	}()
	parser, err := kong.New(grammar,
		kong.Name("backlog"),
		kong.Description("A persistent, cross-session task backlog for AI coding agents.\n\n"+
			"Filters are the words after a command: backlog list project:web +bug. "+
			"Errors are one sentence on stderr; exit status 1 bad input, 2 not found, 3 conflict, 4 anything else."),
		kong.Writers(env.Stdout, env.Stderr),
		kong.Exit(func(code int) { panic(exit(code)) }),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true, NoExpandSubcommands: true}),
	)
	if err != nil {
		return a.fail(err)
	}
	a.model = parser.Model
	if err := checkUTF8(args); err != nil {
		return a.fail(err)
	}
	if len(args) == 0 {
		args = []string{"--help"}
	}
	args, err = arrange(parser.Model.Node, args)
	if err != nil {
		return a.fail(err)
	}
	kctx, err := parser.Parse(args)
	if err != nil {
		return a.fail(err)
	}
	err = kctx.Run(a)
	a.pushOwed()
	if cerr := a.close(); err == nil {
		err = cerr
	}
	if err != nil {
		return a.fail(err)
	}
	return ExitOK
}

// fail prints err as one sentence and returns its exit status. With
// BACKLOG_LOG=debug, the failure underneath a sentence (a driver's error)
// follows on a line of its own.
func (a *runner) fail(err error) int {
	var status exitStatus
	if errors.As(err, &status) {
		return int(status) // the command has said everything already
	}
	msg := strings.Join(strings.Fields(err.Error()), " ")
	fmt.Fprintln(a.env.Stderr, "backlog: "+msg)
	var e *backlog.Error
	if errors.As(err, &e) && e.Err != nil && a.env.Config.Getenv != nil &&
		strings.EqualFold(strings.TrimSpace(a.env.Config.Getenv("BACKLOG_LOG")), "debug") {
		fmt.Fprintln(a.env.Stderr, "backlog: debug: "+strings.Join(strings.Fields(e.Err.Error()), " "))
	}
	return ExitCode(err)
}

// checkUTF8 refuses a command line with bytes that are not UTF-8 before any
// of it is parsed: the parser would otherwise store them as U+FFFD.
func checkUTF8(args []string) error {
	for i, w := range args {
		if !utf8.ValidString(w) {
			return backlog.Invalidf("argument %d (%q) is not valid UTF-8", i+1, w)
		}
	}
	return nil
}

// ExitCode is the exit status for an error: 1 for bad usage or input, 2 for
// not found, 3 for a conflict, 4 for anything else, failures of the machine
// (backlog.ErrEnvironment) first among them.
func ExitCode(err error) int {
	var parseErr *kong.ParseError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, backlog.ErrEnvironment):
		return ExitFailure
	case errors.As(err, &parseErr), errors.Is(err, backlog.ErrInvalid), errors.Is(err, when.ErrInvalid):
		return ExitInvalid
	case errors.Is(err, backlog.ErrNotFound):
		return ExitNotFound
	case errors.Is(err, backlog.ErrConflict):
		return ExitConflict
	}
	return ExitFailure
}

// Config resolves which backlog the command works on, once.
func (a *runner) Config() (*config.Config, error) {
	if a.cfg == nil {
		cfg, err := config.Resolve(a.env.Config, config.Flags{Data: a.globals.Data, DatabaseURL: a.globals.DatabaseURL})
		if err != nil {
			return nil, err
		}
		a.cfg = cfg
	}
	return a.cfg, nil
}

// Engine opens the store and returns an engine over it; see openBacklog
// for a backlog that does not exist yet.
func (a *runner) Engine(write bool) (*engine.Engine, error) {
	if a.engine != nil {
		return a.engine, nil
	}
	cfg, err := a.Config()
	if err != nil {
		return nil, err
	}
	clock, err := configClock(a)
	if err != nil {
		return nil, err
	}
	st, err := openBacklog(a.ctx, a.env, cfg, write)
	if err != nil {
		return nil, err
	}
	a.store = st
	a.engine = engine.New(a.store, engine.Options{Agent: cfg.Agent, Clock: clock})
	return a.engine, nil
}

// openBacklog opens the configured backlog (see Env.Open).
func openBacklog(ctx context.Context, env Env, cfg *config.Config, write bool) (store.Store, error) {
	return env.Open(ctx, cfg, write)
}

// configClock is the clock commands run at (BACKLOG_NOW or the real time).
func configClock(a *runner) (func() time.Time, error) {
	return config.Clock(a.env.Config.Getenv)
}

func (a *runner) close() error {
	if a.store == nil {
		return nil
	}
	err := a.store.Close()
	a.store = nil
	return err
}
