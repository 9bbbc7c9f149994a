// Package config decides which backlog a command works on and as whom: the
// store file, the namespace inside it, the agent id and the clock, each with
// the reason it was chosen, so that `backlog where` can explain it.
//
// Everything is read from a Source, never from the process directly, so that
// the rules are tested without touching the environment.
package config

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	backlog "github.com/agent-backlog/backlog"
)

// Source is where configuration comes from.
type Source struct {
	Getenv   func(key string) string
	Getwd    func() (string, error)
	Hostname func() (string, error)
	// Username names the account when $USER is unset.
	Username func() (string, error)
	// Home is the user's home directory, for the XDG default.
	Home func() (string, error)
}

// OS is the Source of the running process.
func OS() Source {
	return Source{
		Getenv:   os.Getenv,
		Getwd:    os.Getwd,
		Hostname: os.Hostname,
		Username: func() (string, error) {
			u, err := user.Current()
			if err != nil {
				return "", err
			}
			return u.Username, nil
		},
		Home: os.UserHomeDir,
	}
}

// Config is what a command works on, and why.
type Config struct {
	// Backend is "sqlite" (the default: a file in Dir), "postgres" (a
	// shared server at DatabaseURL, the backlog named by Namespace) or
	// "s3" (an object in a bucket, see S3).
	Backend     string
	BackendFrom string

	DatabaseURL     string
	DatabaseURLFrom string

	Dir     string // the directory holding the store
	DirFrom string // why: "--data", "TASKDATA", ...
	// DirGiven is true when the directory was named (--data, TASKDATA)
	// rather than derived from the repository: reading from a named
	// directory that does not exist is an error (a typo), where a derived
	// one reads as empty (a repository without tasks yet).
	DirGiven bool

	File string // the SQLite file inside Dir

	// S3 is the object that holds the backlog with BACKLOG_BACKEND=s3.
	S3 S3

	Namespace     string // "" for none
	NamespaceFrom string

	Agent     string
	AgentFrom string

	// BusyTimeout is how long a write to a SQLite file waits for another
	// process's lock (BACKLOG_BUSY_TIMEOUT); 0 means the store's default.
	BusyTimeout time.Duration

	// Root is the git root of the working directory, or the working
	// directory itself when there is none; RootIsGit says which. Both are
	// empty when no rule needed them.
	Root      string
	RootIsGit bool
}

// MaxNamespace is the longest namespace, in bytes (backlog.MaxNamespace).
const MaxNamespace = backlog.MaxNamespace

// Flags are the command-line settings that override the environment.
type Flags struct {
	Data        string // --data DIR
	DatabaseURL string // --database-url URL
}

// Resolve applies the rules: the --data flag (dataFlag) wins; else TASKDATA;
// else TASKDATA_ROOT/<slug>; else $XDG_DATA_HOME/backlog/projects/<slug>
// (~/.local/share by default). The slug names the git root of the working
// directory, or the working directory when there is none. A directory named
// by --data or TASKDATA must exist before a command reads from it; a
// derived one reads as empty until the first write creates it.
//
// With BACKLOG_BACKEND=postgres the backlog lives on the server at
// --database-url or BACKLOG_DATABASE_URL instead, as the backlog named by the
// namespace (none: the server's default backlog). With BACKLOG_BACKEND=s3 it
// is an object in BACKLOG_S3_BUCKET, under the key prefix --data or TASKDATA
// names (see S3). There, the automatic namespace is the git root's base name
// alone: the path differs from machine to machine, and a team's agents on
// many machines must meet in one backlog.
func Resolve(src Source, flags Flags) (*Config, error) {
	dataFlag := flags.Data
	c := &Config{Backend: "sqlite", BackendFrom: "default (BACKLOG_BACKEND is unset)"}
	switch b := strings.ToLower(strings.TrimSpace(src.Getenv("BACKLOG_BACKEND"))); b {
	case "", "sqlite":
		if b != "" {
			c.BackendFrom = "BACKLOG_BACKEND"
		}
	case "postgres", "postgresql":
		c.Backend, c.BackendFrom = "postgres", "BACKLOG_BACKEND"
		switch {
		case flags.DatabaseURL != "":
			c.DatabaseURL, c.DatabaseURLFrom = flags.DatabaseURL, "--database-url"
		case strings.TrimSpace(src.Getenv("BACKLOG_DATABASE_URL")) != "":
			c.DatabaseURL, c.DatabaseURLFrom = strings.TrimSpace(src.Getenv("BACKLOG_DATABASE_URL")), "BACKLOG_DATABASE_URL"
		default:
			return nil, backlog.Invalidf("BACKLOG_BACKEND=postgres needs a server: set BACKLOG_DATABASE_URL or pass --database-url postgres://user@host/db")
		}
	case "s3":
		c.Backend, c.BackendFrom = "s3", "BACKLOG_BACKEND"
	default:
		return nil, backlog.Invalidf("BACKLOG_BACKEND must be sqlite, postgres or s3, got %q", b)
	}
	var root string
	rootOf := func() (string, error) {
		if root != "" {
			return root, nil
		}
		wd, err := src.Getwd()
		if err != nil {
			return "", backlog.Invalidf("cannot read the working directory (%v): set TASKDATA or pass --data", err)
		}
		if abs, err := filepath.Abs(wd); err == nil {
			wd = abs
		}
		if real, err := filepath.EvalSymlinks(wd); err == nil {
			wd = real
		}
		root = wd
		if r, ok := FindGitRoot(wd); ok {
			root, c.RootIsGit = r, true
		}
		c.Root = root
		return root, nil
	}
	rootWords := func() string {
		if c.RootIsGit {
			return "the slug of the git root " + c.Root
		}
		return "the slug of the working directory " + c.Root + " (no git root above it)"
	}

	if ns := src.Getenv("BACKLOG_NAMESPACE"); ns != "" {
		if err := ValidNamespace(ns); err != nil {
			return nil, err
		}
	}
	env := func(k string) string { return strings.TrimSpace(src.Getenv(k)) }
	if c.Backend == "sqlite" {
		switch {
		case dataFlag != "":
			c.Dir, c.DirFrom, c.DirGiven = abs(dataFlag), "--data", true
		case env("TASKDATA") != "":
			c.Dir, c.DirFrom, c.DirGiven = abs(env("TASKDATA")), "TASKDATA", true
		default:
			r, err := rootOf()
			if err != nil {
				return nil, err
			}
			slug := Slug(r)
			switch {
			case env("TASKDATA_ROOT") != "":
				c.Dir = filepath.Join(abs(env("TASKDATA_ROOT")), slug)
				c.DirFrom = "TASKDATA_ROOT and " + rootWords()
			case filepath.IsAbs(env("XDG_DATA_HOME")):
				c.Dir = filepath.Join(env("XDG_DATA_HOME"), "backlog", "projects", slug)
				c.DirFrom = "XDG_DATA_HOME and " + rootWords()
			default:
				home, err := src.Home()
				if err != nil || home == "" {
					return nil, backlog.Invalidf("cannot find the home directory: set HOME, XDG_DATA_HOME, TASKDATA_ROOT or TASKDATA")
				}
				c.Dir = filepath.Join(home, ".local", "share", "backlog", "projects", slug)
				c.DirFrom = "default (~/.local/share: XDG_DATA_HOME is unset or not absolute) and " + rootWords()
			}
		}
	}

	switch ns := src.Getenv("BACKLOG_NAMESPACE"); {
	case ns != "":
		if err := ValidNamespace(ns); err != nil {
			return nil, err
		}
		c.Namespace, c.NamespaceFrom = ns, "BACKLOG_NAMESPACE"
	default:
		auto, err := envBool(src.Getenv, "BACKLOG_AUTO_NAMESPACE")
		if err != nil {
			return nil, err
		}
		if auto {
			r, err := rootOf()
			if err != nil {
				return nil, err
			}
			c.Namespace = Slug(r)
			c.NamespaceFrom = "BACKLOG_AUTO_NAMESPACE and " + rootWords()
			if c.Backend != "sqlite" {
				c.Namespace = strings.TrimSuffix(c.Namespace, c.Namespace[strings.LastIndexByte(c.Namespace, '-'):])
				c.NamespaceFrom = "BACKLOG_AUTO_NAMESPACE and the base name of " + c.Root
			}
		} else {
			c.NamespaceFrom = "default (BACKLOG_NAMESPACE and BACKLOG_AUTO_NAMESPACE are unset)"
		}
	}
	if c.Backend == "s3" {
		if err := c.resolveS3Backend(src, dataFlag); err != nil {
			return nil, err
		}
	}
	if c.Backend == "sqlite" {
		c.File = filepath.Join(c.Dir, "backlog.db")
		if c.Namespace != "" {
			c.File = filepath.Join(c.Dir, "backlog-"+c.Namespace+".db")
		}
	}

	agent, from, err := agentOf(src)
	if err != nil {
		return nil, err
	}
	c.Agent, c.AgentFrom = agent, from
	if c.BusyTimeout, err = busyTimeout(src.Getenv); err != nil {
		return nil, err
	}
	return c, nil
}

// MaxBusyTimeout is the longest BACKLOG_BUSY_TIMEOUT.
const MaxBusyTimeout = time.Hour

// busyTimeout reads BACKLOG_BUSY_TIMEOUT: a duration such as 10s or 500ms;
// unset is 0 (the store's default).
func busyTimeout(getenv func(string) string) (time.Duration, error) {
	v := strings.TrimSpace(getenv("BACKLOG_BUSY_TIMEOUT"))
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < time.Millisecond || d > MaxBusyTimeout {
		return 0, backlog.Invalidf("BACKLOG_BUSY_TIMEOUT must be a duration from 1ms to 1h such as 10s or 500ms, got %q", v)
	}
	return d, nil
}

// agentOf is BACKLOG_AGENT_ID, else user@host.
func agentOf(src Source) (agent, from string, err error) {
	if a := strings.TrimSpace(src.Getenv("BACKLOG_AGENT_ID")); a != "" {
		if err := backlog.ValidateAgent(a); err != nil {
			return "", "", backlog.Invalidf("BACKLOG_AGENT_ID: %s", err.Error())
		}
		return a, "BACKLOG_AGENT_ID", nil
	}
	name, from := src.Getenv("USER"), "default ($USER@host name)"
	if name == "" && src.Username != nil {
		if u, err := src.Username(); err == nil {
			name = u
		}
		from = "default (account name@host name)"
	}
	if name == "" {
		name = "user"
	}
	host := "localhost"
	if src.Hostname != nil {
		if h, err := src.Hostname(); err == nil && h != "" {
			host = h
		}
	}
	agent = name + "@" + host
	if err := backlog.ValidateAgent(agent); err != nil {
		return "", "", backlog.Invalidf("the default agent id %q cannot be used (%s): set BACKLOG_AGENT_ID", agent, err.Error())
	}
	return agent, from, nil
}

func abs(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

func envBool(getenv func(string) string, key string) (bool, error) {
	v := strings.TrimSpace(getenv(key))
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, backlog.Invalidf("%s must be true or false, got %q", key, v)
	}
	return b, nil
}

// ValidNamespace checks a namespace: the domain's rule,
// backlog.ValidNamespace.
func ValidNamespace(ns string) error { return backlog.ValidNamespace(ns) }

func isSlugByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-'
}

// Slug names a directory: its base name, with every byte outside
// A-Z a-z 0-9 _ - replaced by '_' and cut to 55 bytes, then '-' and the
// first 8 hex digits of the SHA-256 of the absolute path. A slug is always a
// valid namespace.
func Slug(path string) string {
	base := filepath.Base(path)
	if base == "/" || base == "." || base == string(filepath.Separator) || base == "" {
		base = "root"
	}
	b := []byte(base)
	for i := range b {
		if !isSlugByte(b[i]) {
			b[i] = '_'
		}
	}
	if len(b) > 55 {
		b = b[:55]
	}
	sum := sha256.Sum256([]byte(path))
	return string(b) + "-" + hex.EncodeToString(sum[:4])
}

// FindGitRoot walks up from dir to the first directory holding .git (a
// directory, or a file as in worktrees and submodules). It runs no git.
func FindGitRoot(dir string) (string, bool) {
	for {
		if _, err := os.Lstat(filepath.Join(dir, ".git")); err == nil {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// Clock returns the time commands run at: BACKLOG_NOW (RFC 3339) when set,
// for tests and reproducible examples, else the real time, in the local zone.
func Clock(getenv func(string) string) (func() time.Time, error) {
	v := strings.TrimSpace(getenv("BACKLOG_NOW"))
	if v == "" {
		return time.Now, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return nil, backlog.Invalidf("BACKLOG_NOW must be an RFC 3339 time such as 2026-03-01T09:00:00Z, got %q", v)
	}
	t = t.In(time.Local)
	return func() time.Time { return t }, nil
}
