// Package agentsetup writes the backlog's MCP server into the configuration
// files of coding agents (Claude Code, Cursor, Gemini CLI, Codex, Windsurf,
// VS Code), for `backlog init`: one file per agent says where that agent
// reads its servers, for a project and for the user, and in what shape.
//
// An edit merges: other servers, comments, key order and indentation stay
// as they were, and the new lines follow their neighbours' layout. A file
// that has the server already is left untouched, so a second run changes
// nothing. Each edit takes the file's lock, re-reads it under the lock and
// replaces it atomically (internal/atomicfile).
package agentsetup

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/internal/atomicfile"
	"github.com/agent-backlog/backlog/internal/oserr"
)

// Scope is which configuration file of an agent an edit goes to.
type Scope string

// The scopes.
const (
	// Project is the file inside the repository, shared with whoever
	// clones it.
	Project Scope = "project"
	// User is the file in the user's home directory, for every project.
	User Scope = "user"
)

// Server is the MCP server entry written: its name, and the command that
// starts it over stdio.
type Server struct {
	Name    string
	Command string
	Args    []string
}

// Backlog is the server init writes by default: `backlog serve` on the
// PATH, named backlog.
func Backlog() Server {
	return Server{Name: "backlog", Command: "backlog", Args: []string{"serve"}}
}

// Env is where an agent's files are: the project's root directory, the
// user's home, the environment (CODEX_HOME and the like move a file) and
// the operating system (VS Code's user directory depends on it).
type Env struct {
	Project string
	Home    string
	Getenv  func(string) string
	GOOS    string
}

// getenv reads the environment, nothing when Env has none.
func (e Env) getenv(key string) string {
	if e.Getenv == nil {
		return ""
	}
	return e.Getenv(key)
}

// Result says what an edit did to a file.
type Result int

// The results.
const (
	// Unchanged: the file has the server already.
	Unchanged Result = iota
	// Added: the server is added (to a new file when there was none).
	Added
	// Replaced: another server of that name was replaced (Options.Force).
	Replaced
)

// Client is one coding agent: where it reads MCP servers, how its file is
// edited, and what its user should know after the edit.
type Client struct {
	// Name is the agent's name on the command line (--client claude).
	Name string
	// Title is the agent's name for people (Claude Code).
	Title string
	// paths gives the file of each scope the agent has.
	paths func(Env) map[Scope]string
	// home is the directory whose presence shows the agent is installed.
	home   func(Env) string
	format interface {
		// add returns src with srv in it and what that did; src is nil for
		// a file that does not exist.
		add(src []byte, srv Server, force bool) ([]byte, Result, error)
	}
	// notes are what the user needs to know after an edit of a scope,
	// such as a trust prompt the agent shows before it starts the server.
	notes map[Scope]string
}

// Clients are the agents init knows, in the order `--client all` takes
// them.
func Clients() []*Client {
	return []*Client{claude(), cursor(), gemini(), codex(), windsurf(), vscode()}
}

// Lookup returns the agent named name, or nil.
func Lookup(name string) *Client {
	for _, c := range Clients() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Names are the names of the agents, for sentences and help.
func Names() []string {
	var names []string
	for _, c := range Clients() {
		names = append(names, c.Name)
	}
	return names
}

// Scopes are the scopes the agent has a file for, project first.
func (c *Client) Scopes(env Env) []Scope {
	var scopes []Scope
	for _, s := range []Scope{Project, User} {
		if _, ok := c.paths(env)[s]; ok {
			scopes = append(scopes, s)
		}
	}
	return scopes
}

// Path is the agent's file for scope, or an ErrInvalid sentence when it
// has none.
func (c *Client) Path(env Env, scope Scope) (string, error) {
	p, ok := c.paths(env)[scope]
	if !ok {
		other := User
		if scope == User {
			other = Project
		}
		return "", backlog.Invalidf("%s has no %s configuration file: use --scope %s", c.Title, scope, other)
	}
	return p, nil
}

// Installed says whether the agent's directory exists in the user's home,
// which is how init chooses an agent when none is named.
func (c *Client) Installed(env Env) bool {
	_, err := os.Stat(c.home(env))
	return err == nil
}

// Note is what the user should know after an edit of scope, or "".
func (c *Client) Note(scope Scope) string { return c.notes[scope] }

// Options change what Setup does.
type Options struct {
	// Force replaces a different server of the same name, which is
	// otherwise refused as a conflict.
	Force bool
	// DryRun computes the change and writes nothing.
	DryRun bool
}

// Change is what Setup did, or with DryRun would do, to one file.
type Change struct {
	Client *Client
	Scope  Scope
	Path   string
	// Old is the file before (nil when it did not exist), New after.
	Old, New []byte
	Existed  bool
	Result   Result
}

// Setup puts srv into the agent's file for scope, creating the file and
// its directory when missing (a project's file readable by all, a user's
// by the user alone). The file keeps everything else it holds.
//
// A file that cannot be read as its format, or whose servers are not where
// the agent keeps them, is an ErrInvalid sentence naming it; a server of
// that name that runs something else is an ErrConflict unless
// Options.Force; failures of the machine are ErrEnvironment. In each case
// nothing is written.
func (c *Client) Setup(ctx context.Context, env Env, scope Scope, srv Server, opts Options) (*Change, error) {
	path, err := c.Path(env, scope)
	if err != nil {
		return nil, err
	}
	ch := &Change{Client: c, Scope: scope, Path: path}
	edit := func(old []byte) ([]byte, error) {
		ch.Old, ch.Existed = old, old != nil
		updated, res, err := c.format.add(old, srv, opts.Force)
		if err != nil {
			return nil, cannot(path, err)
		}
		ch.New, ch.Result = updated, res
		return updated, nil
	}
	if opts.DryRun {
		var old []byte
		if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
			if old, err = atomicfile.Read(ctx, path); err != nil && !errors.Is(err, backlog.ErrNotFound) {
				return nil, err
			}
			if old == nil && err == nil {
				old = []byte{}
			}
		}
		if _, err := edit(old); err != nil {
			return nil, err
		}
		return ch, nil
	}
	filePerm, dirPerm := fs.FileMode(0o644), fs.FileMode(0o755)
	if scope == User {
		filePerm, dirPerm = 0o600, 0o700
	}
	if err := os.MkdirAll(filepath.Dir(path), dirPerm); err != nil {
		return nil, machine("create the directory of", path, err)
	}
	if _, err := atomicfile.Edit(ctx, path, edit, atomicfile.Create(filePerm)); err != nil {
		return nil, err
	}
	return ch, nil
}

// cannot prefixes an editor's sentence with the file it is about, keeping
// its kind.
func cannot(path string, err error) error {
	var e *backlog.Error
	if !errors.As(err, &e) {
		return err
	}
	return &backlog.Error{Kind: e.Kind, Msg: "cannot add the server to " + path + ": " + e.Msg, Err: e.Err}
}

// machine is the sentence for a failure of the machine to verb path.
func machine(verb, path string, err error) error {
	cause := oserr.Cause(err)
	if cause == "" {
		cause = err.Error()
	}
	return backlog.Environmentf(err, "cannot %s %s: %s", verb, path, cause)
}

// userConfigDir is where the operating system keeps applications' user
// settings, as VS Code finds it: %APPDATA% on Windows, ~/Library/Application
// Support on macOS, else $XDG_CONFIG_HOME (when absolute) or ~/.config.
func userConfigDir(env Env) string {
	switch env.GOOS {
	case "windows":
		if d := env.getenv("APPDATA"); d != "" {
			return d
		}
		return filepath.Join(env.Home, "AppData", "Roaming")
	case "darwin", "ios":
		return filepath.Join(env.Home, "Library", "Application Support")
	}
	if d := env.getenv("XDG_CONFIG_HOME"); filepath.IsAbs(d) {
		return d
	}
	return filepath.Join(env.Home, ".config")
}

// orHome is the directory an environment variable names, else home/rel.
func orHome(env Env, key, rel string) string {
	if d := env.getenv(key); d != "" {
		return d
	}
	return filepath.Join(env.Home, rel)
}

// stdioEntry is the entry of agents that name the transport:
// {"type": "stdio", "command": …, "args": […]}.
func stdioEntry(srv Server) object {
	return append(object{{"type", "stdio"}}, commandEntry(srv)...)
}

// commandEntry is the entry of agents for which a command means stdio:
// {"command": …, "args": […]}.
func commandEntry(srv Server) object {
	entry := object{{"command", srv.Command}}
	if len(srv.Args) > 0 {
		entry = append(entry, field{"args", slices.Clone(srv.Args)})
	}
	return entry
}
