package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/diff"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/agentsetup"
	"github.com/agent-backlog/backlog/config"
)

type initCmd struct {
	Client  []string `help:"The agent: claude, cursor, gemini, codex, windsurf, vscode or all (several with commas). Default: the one installed here, else claude." sep:"," placeholder:"NAME"`
	Scope   string   `help:"project (the repository's file, the default) or user (your home's, for every project; Windsurf has only this one)." placeholder:"SCOPE"`
	DryRun  bool     `name:"dry-run" help:"Print the change and write nothing."`
	Force   bool     `help:"Replace a server named backlog that runs something else."`
	Command string   `help:"The command the agent starts, with serve after it." default:"backlog" placeholder:"PATH"`
}

func (c *initCmd) Help() string {
	return `Writes the backlog's MCP server (` + "`backlog serve`" + ` over stdio) into an agent's
configuration file, so that the agent starts it:

    claude    .mcp.json                  ~/.claude.json
    cursor    .cursor/mcp.json           ~/.cursor/mcp.json
    gemini    .gemini/settings.json      ~/.gemini/settings.json
    codex     .codex/config.toml         ~/.codex/config.toml
    windsurf  (none)                     ~/.codeium/windsurf/mcp_config.json
    vscode    .vscode/mcp.json           the user profile's mcp.json

The project's file is at the git root of the working directory (or the
working directory outside git); CLAUDE_CONFIG_DIR, GEMINI_CLI_HOME,
CODEX_HOME and XDG_CONFIG_HOME move the user's files as they move the
agents'. The file keeps everything else it holds, comments and layout
included; the change is printed as a diff. A file that has the server
already is left alone, so running init again changes nothing. A server
named backlog that runs something else is refused (exit 3) unless --force.

Without --client, init sets up the agent whose directory is in your home
(~/.claude, ~/.cursor, ~/.gemini, ~/.codex, ~/.codeium/windsurf, VS Code's
user directory), or Claude Code when there is none. When there are several
it asks on a terminal, and elsewhere refuses, naming them.

Examples:

    backlog init
    backlog init --client codex --scope user
    backlog init --client all --dry-run`
}

// changeJSON is one file of init --json.
type changeJSON struct {
	Client string `json:"client"`
	Scope  string `json:"scope"`
	File   string `json:"file"`
	Result string `json:"result"` // created, added, replaced or unchanged
	Diff   string `json:"diff,omitempty"`
	Note   string `json:"note,omitempty"`
}

// target is one agent's file to edit.
type target struct {
	client *agentsetup.Client
	scope  agentsetup.Scope
}

func (c *initCmd) Run(a *runner) error {
	if strings.TrimSpace(c.Command) == "" {
		return backlog.Invalidf("--command is empty: name the backlog binary, such as /usr/local/bin/backlog")
	}
	scope := agentsetup.Scope(c.Scope)
	if scope != "" && scope != agentsetup.Project && scope != agentsetup.User {
		return backlog.Invalidf("unknown scope %q: project or user", c.Scope)
	}
	env, err := setupEnv(a.env.Config)
	if err != nil {
		return err
	}
	clients, err := c.clients(a, env)
	if err != nil {
		return err
	}
	targets, err := c.targets(a, env, clients, scope)
	if err != nil {
		return err
	}
	srv := agentsetup.Backlog()
	srv.Command = c.Command

	// Every file is read and its edit made before any is written, so that
	// a file init cannot edit stops the run with nothing written.
	var failures []error
	for _, t := range targets {
		if _, err := t.client.Setup(a.ctx, env, t.scope, srv, agentsetup.Options{Force: c.Force, DryRun: true}); err != nil {
			failures = append(failures, err)
		}
	}
	if len(failures) > 0 {
		for _, err := range failures[:len(failures)-1] {
			fmt.Fprintln(a.env.Stderr, "backlog: "+err.Error())
		}
		return failures[len(failures)-1]
	}
	var changes []changeJSON
	for _, t := range targets {
		ch, err := t.client.Setup(a.ctx, env, t.scope, srv, agentsetup.Options{Force: c.Force, DryRun: c.DryRun})
		if err != nil {
			return err
		}
		changes = append(changes, describe(ch))
	}
	defer c.warnNotOnPath(a) // after the changes, which it is about
	if a.globals.JSON {
		out := struct {
			Changes []changeJSON `json:"changes"`
			DryRun  bool         `json:"dry_run,omitempty"`
		}{changes, c.DryRun}
		return a.printJSON(out)
	}
	for i, ch := range changes {
		if i > 0 {
			a.say("")
		}
		c.print(a, targets[i].client, ch)
	}
	if c.DryRun {
		a.say("")
		a.say("Dry run: nothing was written.")
	}
	return nil
}

// setupEnv is where the agents' files are for this process.
func setupEnv(src config.Source) (agentsetup.Env, error) {
	wd, err := src.Getwd()
	if err != nil {
		return agentsetup.Env{}, backlog.Environmentf(err, "cannot find the working directory: %v", err)
	}
	root, ok := config.FindGitRoot(wd)
	if !ok {
		root = wd
	}
	home, err := src.Home()
	if err != nil || home == "" {
		return agentsetup.Env{}, backlog.Environmentf(err, "cannot find your home directory (set HOME)")
	}
	return agentsetup.Env{Project: root, Home: home, Getenv: src.Getenv, GOOS: runtime.GOOS}, nil
}

// clients are the agents --client names, or the one chosen without it.
func (c *initCmd) clients(a *runner, env agentsetup.Env) ([]*agentsetup.Client, error) {
	if len(c.Client) == 0 {
		return chooseClients(a, env)
	}
	var out []*agentsetup.Client
	for _, name := range c.Client {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "all" {
			return agentsetup.Clients(), nil
		}
		cl := agentsetup.Lookup(name)
		if cl == nil {
			return nil, backlog.Invalidf("unknown agent %q: one of %s, or all", name, strings.Join(agentsetup.Names(), ", "))
		}
		if !slices.Contains(out, cl) {
			out = append(out, cl)
		}
	}
	return out, nil
}

// targets pairs each agent with its scope: the one asked for, else the
// project's file where the agent has one. An agent named alone without
// the scope asked for is refused; among several it is skipped, saying so.
func (c *initCmd) targets(a *runner, env agentsetup.Env, clients []*agentsetup.Client, scope agentsetup.Scope) ([]target, error) {
	var out []target
	for _, cl := range clients {
		scopes := cl.Scopes(env)
		s := scope
		if s == "" {
			s = scopes[0]
		}
		if !slices.Contains(scopes, s) {
			_, err := cl.Path(env, s)
			if len(clients) == 1 {
				return nil, err
			}
			fmt.Fprintln(a.env.Stderr, "backlog: skipped: "+err.Error())
			continue
		}
		out = append(out, target{cl, s})
	}
	return out, nil
}

// chooseClients picks the agent when --client is not given: the one
// installed in the home directory, Claude Code when none is; among several
// the user chooses on a terminal, and elsewhere the run is refused.
func chooseClients(a *runner, env agentsetup.Env) ([]*agentsetup.Client, error) {
	var found []*agentsetup.Client
	for _, cl := range agentsetup.Clients() {
		if cl.Installed(env) {
			found = append(found, cl)
		}
	}
	switch {
	case len(found) == 0:
		return []*agentsetup.Client{agentsetup.Lookup("claude")}, nil
	case len(found) == 1:
		return found, nil
	case isTerminal(a.env.Stdin) && isTerminal(a.env.Stdout):
		return askClient(a.env.Stdin, a.env.Stdout, found)
	}
	var names []string
	for _, cl := range found {
		names = append(names, cl.Name)
	}
	return nil, backlog.Invalidf("several agents are installed here (%s): name one with --client %s, or --client all",
		strings.Join(names, ", "), strings.Join(names, "|"))
}

// askClient asks which of the agents found to set up; an empty answer
// takes the first.
func askClient(in io.Reader, out io.Writer, found []*agentsetup.Client) ([]*agentsetup.Client, error) {
	fmt.Fprintln(out, "Several agents are installed here. Which one should use the backlog?")
	for i, cl := range found {
		fmt.Fprintf(out, "  %d) %s\n", i+1, cl.Title)
	}
	fmt.Fprintln(out, "  a) all of them")
	fmt.Fprintf(out, "Choose [1]: ")
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && (!errors.Is(err, io.EOF) || line == "") {
		fmt.Fprintln(out)
		return nil, backlog.Invalidf("no agent chosen: name one with --client")
	}
	answer := strings.ToLower(strings.TrimSpace(line))
	switch answer {
	case "":
		return found[:1], nil
	case "a", "all":
		return found, nil
	}
	if n, err := strconv.Atoi(answer); err == nil && n >= 1 && n <= len(found) {
		return found[n-1 : n], nil
	}
	for _, cl := range found {
		if answer == cl.Name {
			return []*agentsetup.Client{cl}, nil
		}
	}
	return nil, backlog.Invalidf("%q is not one of the choices (1 to %d, or a)", answer, len(found))
}

// describe is what init prints of a change.
func describe(ch *agentsetup.Change) changeJSON {
	j := changeJSON{Client: ch.Client.Name, Scope: string(ch.Scope), File: ch.Path}
	switch {
	case ch.Result == agentsetup.Unchanged:
		j.Result = "unchanged"
		return j
	case ch.Result == agentsetup.Replaced:
		j.Result = "replaced"
	case !ch.Existed:
		j.Result = "created"
	default:
		j.Result = "added"
	}
	oldName := ch.Path
	if !ch.Existed {
		oldName = "/dev/null"
	}
	d := string(diff.Diff(oldName, ch.Old, ch.Path, ch.New))
	if i := strings.Index(d, "@@"); i >= 0 {
		d = d[i:] // the hunks: the file is named above them
	}
	j.Diff, j.Note = d, ch.Client.Note(ch.Scope)
	return j
}

// print writes one change for a person: the file, what happened, the diff
// and what to do next.
func (c *initCmd) print(a *runner, cl *agentsetup.Client, ch changeJSON) {
	what := map[string][2]string{
		"created":   {"created it with the backlog server", "would create it with the backlog server"},
		"added":     {"added the backlog server", "would add the backlog server"},
		"replaced":  {"replaced the backlog server", "would replace the server named backlog"},
		"unchanged": {"has the backlog server already; nothing changed", "has the backlog server already; nothing would change"},
	}[ch.Result]
	verb := what[0]
	if c.DryRun {
		verb = what[1]
	}
	a.say("%s (%s) %s: %s.", a.paint(styleBold, cl.Title), ch.Scope, ch.File, verb)
	if ch.Diff != "" {
		for _, line := range strings.SplitAfter(strings.TrimSuffix(ch.Diff, "\n"), "\n") {
			line = strings.TrimSuffix(line, "\n")
			switch {
			case strings.HasPrefix(line, "+"):
				line = a.paint(styleGreen, line)
			case strings.HasPrefix(line, "-"):
				line = a.paint(styleRed, line)
			case strings.HasPrefix(line, "@@"):
				line = a.paint(styleDim, line)
			}
			a.say("%s", line)
		}
	}
	if ch.Note != "" {
		a.say("%s", ch.Note)
	}
}

// warnNotOnPath says so when the command the agents will start is not on
// this PATH: an agent started from here would not find it either.
func (c *initCmd) warnNotOnPath(a *runner) {
	if strings.ContainsRune(c.Command, os.PathSeparator) || strings.ContainsRune(c.Command, '/') {
		if info, err := os.Stat(c.Command); err == nil && !info.IsDir() {
			return
		}
		fmt.Fprintf(a.env.Stderr, "backlog: note: %s does not exist yet; the agent will not start the server until it does\n", c.Command)
		return
	}
	if _, err := exec.LookPath(c.Command); err != nil {
		fmt.Fprintf(a.env.Stderr, "backlog: note: %s is not on this PATH, so an agent started from here will not find it: "+
			"install it there (go install github.com/agent-backlog/backlog/cmd/backlog@latest) or give its full path with --command\n", c.Command)
	}
}
