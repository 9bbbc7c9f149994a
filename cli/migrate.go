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
	"github.com/agent-backlog/backlog/importers"
	"github.com/agent-backlog/backlog/importers/backlogmd"
	"github.com/agent-backlog/backlog/importers/beads"
	"github.com/agent-backlog/backlog/importers/tsbacklog"
	"github.com/agent-backlog/backlog/store"
)

type migrateCmd struct {
	From string `required:"" help:"What to copy: sqlite:PATH, postgres:URL[#namespace] or s3://BUCKET/KEY, or another tool's data: ts-backlog:DIR[#collection], beads:PATH, backlog-md:DIR." placeholder:"SOURCE"`
	To   string `help:"Where to copy it: sqlite:PATH (created if needed), postgres:URL[#namespace] or s3://BUCKET/KEY; for another tool's data, the current backlog when not given." placeholder:"STORE"`
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
file; --to creates it), postgres:URL, with #namespace at the end for a
namespaced backlog, or s3://BUCKET/KEY, an object the S3 backend keeps (as
PREFIX/backlog.db.zst) or a backup (backlog backup), reached with the S3
backend's settings (BACKLOG_S3_ENDPOINT, BACKLOG_S3_REGION, the AWS
credentials). A progress bar shows on a terminal.

It also brings in another tool's tasks, into the current backlog (or --to):

  ts-backlog:DIR   the TypeScript backlog server's data directory (its
                   TASKDATA): the current snapshot, every agent's operation
                   log, the archive and the docs; ids, UUIDs, notes,
                   dependencies and recurrence kept. A directory holding
                   several namespaces needs one named: DIR#namespace.
  beads:PATH       beads' JSONL export (bd export, or .beads/issues.jsonl;
                   PATH may be the file, .beads or the repository).
  backlog-md:DIR   Backlog.md's markdown task files (DIR is the repository,
                   or its backlog/ folder).

These keep the tasks' UUIDs (beads and Backlog.md ones are derived from their
ids), so a second run copies nothing. A task whose id the backlog has used, or
two tasks with one id, keep their UUIDs and the later gets a new id; the output
says so, with every mapping applied and everything left out, and why.

Examples:

    backlog migrate --from ts-backlog:$HOME/.claude/plugins/data/backlog/projects/web-1a2b3c4d
    backlog migrate --from beads:.beads/issues.jsonl --json
    backlog migrate --from sqlite:$HOME/.local/share/backlog/projects/web-1a2b3c4d/backlog.db \
        --to postgres://backlog@db.internal/backlog#web
    backlog migrate --from postgres:postgres://db.internal/backlog#web --to sqlite:web.db --json
    backlog migrate --from s3://team-backlog/web/backlog.db.zst --to postgres://backlog@db.internal/backlog#web`
}

// migrateSpec is a parsed --from or --to.
func migrateSpec(a *runner, flag, spec string, create bool) (*config.Config, error) {
	bad := backlog.Invalidf("--%s must be sqlite:PATH, postgres:URL or s3://BUCKET/KEY, got %q", flag, spec)
	if flag == "from" {
		bad = backlog.Invalidf("--from must be sqlite:PATH, postgres:URL, s3://BUCKET/KEY, ts-backlog:DIR, beads:PATH or backlog-md:DIR, got %q", spec)
	}
	kind, rest, ok := strings.Cut(spec, ":")
	switch {
	case !ok || rest == "":
		return nil, bad
	case kind == "s3":
		return s3Object(a, "--"+flag, spec, !create)
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
	if kind, path, ok := foreignSpec(c.From); ok {
		return c.runForeign(a, kind, path)
	}
	if c.To == "" {
		return backlog.Invalidf("--to is needed to copy a backlog from %s", c.From)
	}
	fromCfg, err := migrateSpec(a, "from", c.From, false)
	if err != nil {
		return err
	}
	toCfg, err := migrateSpec(a, "to", c.To, true)
	if err != nil {
		return err
	}
	if fromCfg.Backend == "s3" && toCfg.Backend == "s3" && fromCfg.S3.URL() == toCfg.S3.URL() {
		return backlog.Invalidf("--from and --to are the same object %s", fromCfg.S3.URL())
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

// foreignSpec recognises another tool's data as --from names it.
func foreignSpec(spec string) (kind, path string, ok bool) {
	kind, path, ok = strings.Cut(spec, ":")
	switch kind {
	case tsbacklog.Kind, beads.Kind, backlogmd.Kind:
		return kind, path, ok
	}
	return "", "", false
}

// readForeign reads another tool's data.
func readForeign(kind, path string) (*importers.Backlog, error) {
	if path == "" {
		return nil, backlog.Invalidf("--from %s: needs a path after the colon", kind)
	}
	switch kind {
	case tsbacklog.Kind:
		dir, collection := path, ""
		if i := strings.LastIndexByte(path, '#'); i >= 0 {
			if _, err := os.Stat(path); err != nil {
				dir, collection = path[:i], path[i+1:]
			}
		}
		return tsbacklog.Read(dir, collection)
	case beads.Kind:
		return beads.Read(path)
	}
	return backlogmd.Read(path)
}

// migrateForeignJSON is the --json result of a migration from another tool.
type migrateForeignJSON struct {
	Source string `json:"source"`
	Read   string `json:"read"`
	engine.MigrateInResult
	Mapped  []string `json:"mapped,omitempty"`
	Skipped []string `json:"skipped,omitempty"`
}

// runForeign brings another tool's tasks into the current backlog, or the
// one --to names.
func (c *migrateCmd) runForeign(a *runner, kind, path string) error {
	src, err := readForeign(kind, path)
	if err != nil {
		return err
	}
	cfg, err := a.Config()
	if err != nil {
		return err
	}
	var eng *engine.Engine
	where := cfg.File
	if c.To == "" {
		if eng, err = a.Engine(true); err != nil {
			return err
		}
	} else {
		toCfg, err := migrateSpec(a, "to", c.To, true)
		if err != nil {
			return err
		}
		to, err := openBacklog(a.ctx, a.env, toCfg, true)
		if err != nil {
			return err
		}
		defer to.Close()
		clock, err := configClock(a)
		if err != nil {
			return err
		}
		eng = engine.New(to, engine.Options{Agent: cfg.Agent, Clock: clock})
		cfg, where = toCfg, toCfg.File
	}
	if cfg.Backend != "sqlite" {
		where = backlogName(cfg)
	}
	res, err := eng.MigrateIn(a.ctx, src.Source, src.Tasks, src.Docs)
	if err != nil {
		return err
	}
	if a.globals.JSON {
		out := migrateForeignJSON{Source: src.Source, Read: src.Read, MigrateInResult: *res}
		if res.Tasks+res.Archived > 0 {
			out.Mapped, out.Skipped = src.Mapped, src.Skipped
		}
		return a.printJSON(out)
	}
	a.say("Read %s: %s.", src.Source, src.Read)
	found := res.TasksSkipped + res.ArchivedSkipped
	if res.Tasks+res.Archived == 0 {
		a.say("Nothing to copy: %s holds all %s already (matched by UUID).", where, plural(found, "task"))
		return nil
	}
	there := "nothing was already there"
	switch {
	case found == 1:
		there = "1 task was already there (matched by UUID)"
	case found > 1:
		there = fmt.Sprintf("%d tasks were already there (matched by UUID)", found)
	}
	a.say("Copied %s, %s and %s into %s; %s.", plural(res.Tasks, "task"), plural(res.Archived, "archived task"),
		plural(res.Docs, "doc"), where, there)
	if len(res.Renumbered) > 0 {
		a.say("Renumbered, keeping their UUIDs (an id is given once):")
		for _, r := range res.Renumbered {
			why := fmt.Sprintf("the backlog had used %d", r.From)
			if r.Holder != "" {
				why = fmt.Sprintf("%d stays with %s, made first", r.From, r.Holder[:8])
			}
			a.say("  %d -> %d  %s (%s)", r.From, r.To, r.Description, why)
		}
	}
	if len(src.Mapped) > 0 {
		a.say("Mapped:")
		for _, m := range src.Mapped {
			a.say("  %s", m)
		}
	}
	if len(src.Skipped) > 0 {
		a.say("Skipped:")
		for _, s := range src.Skipped {
			a.say("  %s", s)
		}
	}
	return nil
}
