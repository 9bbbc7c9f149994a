package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/config"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/store"
)

type migrateCmd struct {
	From string `required:"" help:"The backlog to copy: sqlite:PATH or postgres:URL[#namespace]." placeholder:"STORE"`
	To   string `required:"" help:"Where to copy it: sqlite:PATH (created if needed) or postgres:URL[#namespace]." placeholder:"STORE"`
}

func (c *migrateCmd) Help() string {
	return `Copies a backlog whole, from one store to another: every task of any
status with its id and UUID, the docs, the archive and the journal (so history
and undo carry on). It reads the source in one transaction and writes the
destination in one: all or nothing.

It merges by UUID and can be run again: a task whose UUID the destination
holds already is skipped, and a journal entry is skipped when the destination
has one with the same time, agent, command and summary; a second run copies
nothing. A destination task with the same id as a source task but another
UUID is a clash: nothing is copied. A store is sqlite:PATH (a backlog.db
file; --to creates it) or postgres:URL, with #namespace at the end for a
namespaced backlog. A progress bar shows on a terminal.

Examples:

    backlog migrate --from sqlite:$HOME/.local/share/backlog/projects/web-1a2b3c4d/backlog.db \
        --to postgres://backlog@db.internal/backlog#web
    backlog migrate --from postgres:postgres://db.internal/backlog#web --to sqlite:web.db --json`
}

// migrateSpec is a parsed --from or --to.
func migrateSpec(flag, spec string, create bool) (*config.Config, error) {
	bad := backlog.Invalidf("--%s must be sqlite:PATH or postgres:URL, got %q", flag, spec)
	kind, rest, ok := strings.Cut(spec, ":")
	switch {
	case !ok || rest == "":
		return nil, bad
	case kind == "sqlite":
		path, err := filepath.Abs(rest)
		if err != nil {
			return nil, bad
		}
		if !create {
			if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
				return nil, backlog.Invalidf("--%s names %s, and there is no such file", flag, rest)
			}
		}
		return &config.Config{Backend: "sqlite", Dir: filepath.Dir(path), File: path}, nil
	case kind == "postgres" || kind == "postgresql":
		// postgres:URL as the issue writes it (postgres:postgres://host/db),
		// or the URL alone, which starts with postgres: itself.
		if strings.HasPrefix(rest, "postgres://") || strings.HasPrefix(rest, "postgresql://") {
			spec = rest
		}
		url, ns := spec, ""
		if i := strings.LastIndexByte(spec, '#'); i >= 0 {
			url, ns = spec[:i], spec[i+1:]
			if config.ValidNamespace(ns) != nil {
				return nil, backlog.Invalidf("--%s: a namespace is 1 to %d letters, digits, '_' or '-', got %q", flag, config.MaxNamespace, ns)
			}
		}
		return &config.Config{Backend: "postgres", DatabaseURL: url, Namespace: ns}, nil
	}
	return nil, bad
}

func (c *migrateCmd) Run(a *runner) error {
	fromCfg, err := migrateSpec("from", c.From, false)
	if err != nil {
		return err
	}
	toCfg, err := migrateSpec("to", c.To, true)
	if err != nil {
		return err
	}
	if fromCfg.File != "" && fromCfg.File == toCfg.File {
		return backlog.Invalidf("--from and --to are the same file %s", fromCfg.File)
	}
	from, err := openBacklog(a.ctx, a.env, fromCfg, true)
	if err != nil {
		return err
	}
	defer from.Close()
	var to store.Store
	if to, err = openBacklog(a.ctx, a.env, toCfg, true); err != nil {
		return err
	}
	defer to.Close()
	var progress func(done, total int)
	if isTerminal(a.env.Stderr) {
		bar := &progressBar{w: a.env.Stderr, label: "Migrating"}
		progress = bar.update
		defer bar.clear()
	}
	res, err := engine.Migrate(a.ctx, from, to, progress)
	if err != nil {
		return err
	}
	if a.globals.JSON {
		return a.printJSON(res)
	}
	a.say("Copied %s, %s, %s and %s; %s already there.",
		migrateCount(res.Tasks, "task"), migrateCount(res.Docs, "doc"), migrateCount(res.Archived, "archived task"),
		migrateCount(res.Entries, "journal entry"), skipped(res))
	return nil
}

// skipped names what a migration found already in the destination.
func skipped(r engine.MigrateResult) string {
	n := r.TasksSkipped + r.ArchivedSkipped + r.EntriesSkipped
	if n == 0 {
		return "nothing was"
	}
	return fmt.Sprintf("%s, %s and %s were", migrateCount(r.TasksSkipped, "task"),
		migrateCount(r.ArchivedSkipped, "archived task"), migrateCount(r.EntriesSkipped, "journal entry"))
}

// migrateCount is "1 journal entry", "3 journal entries", "0 docs".
func migrateCount(n int, word string) string {
	if n != 1 && strings.HasSuffix(word, "entry") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(word, "y"))
	}
	return plural(n, word)
}
