package cli

import (
	"context"
	"os"
	"path/filepath"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/config"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/store"
)

type backupCmd struct {
	To string `required:"" help:"The S3 object to write: s3://BUCKET/KEY (replaced if it exists)." placeholder:"s3://BUCKET/KEY"`
}

func (c *backupCmd) Help() string {
	return `Copies the whole backlog, whatever its store (SQLite, PostgreSQL or S3), to
one object in S3: every task of any status, the docs, the archive, the
journal (so history and undo carry on after a restore) and the updates owed
to GitHub or GitLab. The copy is read in one transaction, so it is
consistent, and written as the S3 backend keeps a backlog: a SQLite
database, zstd-compressed. An object already at the key is replaced.

S3 is reached with the S3 backend's settings: BACKLOG_S3_ENDPOINT (with
BACKLOG_S3_PATH_STYLE) for an S3-compatible server, BACKLOG_S3_REGION, and
credentials from the AWS chain (AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY, AWS_PROFILE and ~/.aws, a container's or an EC2
instance's role).

backlog restore --from s3://BUCKET/KEY brings it back; backlog migrate
--from s3://BUCKET/KEY --to postgres:URL copies it into PostgreSQL.

Examples:

    backlog backup --to s3://team-backups/web/$(date +%F).db.zst
    BACKLOG_S3_ENDPOINT=http://127.0.0.1:7070 backlog backup --to s3://backups/backlog.db.zst --json`
}

// backupJSON is what backup --json prints.
type backupJSON struct {
	To       string `json:"to"`
	Bytes    int64  `json:"bytes"`
	Tasks    int    `json:"tasks"`
	Docs     int    `json:"docs"`
	Archived int    `json:"archived"`
	Entries  int    `json:"entries"`
	Owed     int    `json:"owed,omitempty"`
}

// replacer is a store kept as one object, which a backup replaces whole
// with a SQLite file (the S3 store).
type replacer interface {
	Replace(ctx context.Context, path string) (int64, error)
}

func (c *backupCmd) Run(a *runner) error {
	to, err := s3Object(a, "--to", c.To, false)
	if err != nil {
		return err
	}
	cfg, err := a.Config()
	if err != nil {
		return err
	}
	if cfg.Backend == "s3" && cfg.S3.URL() == to.S3.URL() && cfg.S3.Endpoint == to.S3.Endpoint {
		return backlog.Invalidf("--to names %s, the object that holds this backlog: back it up to another key", to.S3.URL())
	}
	src, err := openBacklog(a.ctx, a.env, cfg, false)
	if err != nil {
		return err
	}
	defer src.Close()

	dir, err := os.MkdirTemp("", "backlog-backup-")
	if err != nil {
		return backlog.Environmentf(err, "cannot make a temporary directory for the backup: %v", err)
	}
	defer os.RemoveAll(dir)
	snapshot := &config.Config{Backend: "sqlite", Dir: dir, File: filepath.Join(dir, "backlog.db")}
	res, err := a.copyInto(src, snapshot, "Reading")
	if err != nil {
		return err
	}

	dst, err := openBacklog(a.ctx, a.env, to, true)
	if err != nil {
		return err
	}
	defer dst.Close()
	r, ok := dst.(replacer)
	if !ok {
		return backlog.Environmentf(nil, "this build of backlog cannot write S3 objects")
	}
	size, err := r.Replace(a.ctx, snapshot.File)
	if err != nil {
		return err
	}
	if a.globals.JSON {
		return a.printJSON(backupJSON{To: to.S3.URL(), Bytes: size, Tasks: res.Tasks, Docs: res.Docs,
			Archived: res.Archived, Entries: res.Entries, Owed: res.Owed})
	}
	a.say("Backed up %s, %s, %s and %s to %s (%s).", migrateCount(res.Tasks, "task"), migrateCount(res.Docs, "doc"),
		migrateCount(res.Archived, "archived task"), migrateCount(res.Entries, "journal entry"), to.S3.URL(), byteSize(int(size)))
	return nil
}

// copyInto copies the backlog in src, whole, into a new SQLite file, with
// a progress bar on a terminal, and closes the file.
func (a *runner) copyInto(src store.Store, snapshot *config.Config, label string) (engine.MigrateResult, error) {
	dst, err := openBacklog(a.ctx, a.env, snapshot, true)
	if err != nil {
		return engine.MigrateResult{}, err
	}
	var progress func(done, total int)
	if isTerminal(a.env.Stderr) {
		bar := &progressBar{w: a.env.Stderr, label: label}
		progress = bar.update
		defer bar.clear()
	}
	res, err := engine.Migrate(a.ctx, src, dst, progress)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	return res, err
}

type restoreCmd struct {
	From  string `required:"" help:"The backup to read: s3://BUCKET/KEY." placeholder:"s3://BUCKET/KEY"`
	Merge bool   `help:"Restore into a backlog that holds tasks already, merging by UUID as migrate does."`
}

func (c *restoreCmd) Help() string {
	return `Copies a backup that backlog backup wrote (or any backlog the S3 backend
keeps) into the current backlog, whatever its store: every task with its id
and UUID, the docs, the archive and the journal, in one transaction.

The current backlog must be empty: a new SQLite directory, a new PostgreSQL
namespace or a new S3 prefix. With --merge it may hold tasks already: the
backup is then merged by UUID, as backlog migrate merges, and a task of the
backup whose id the backlog gave to another task stops it all.

S3 is reached with the S3 backend's settings; see backlog backup --help.

Examples:

    TASKDATA=/tmp/restored backlog restore --from s3://team-backups/web/2026-12-01.db.zst
    backlog restore --from s3://team-backups/web/latest.db.zst --merge --json`
}

func (c *restoreCmd) Run(a *runner) error {
	from, err := s3Object(a, "--from", c.From, true)
	if err != nil {
		return err
	}
	src, err := openBacklog(a.ctx, a.env, from, false)
	if err != nil {
		return err
	}
	defer src.Close()
	// Read the backup first: a missing or damaged one is the news.
	if _, err := holds(a.ctx, src); err != nil {
		return err
	}
	eng, err := a.Engine(true)
	if err != nil {
		return err
	}
	dst := eng.Store()
	cfg, _ := a.Config()
	if !c.Merge {
		if what, err := holds(a.ctx, dst); err != nil {
			return err
		} else if what != "" {
			return backlog.Conflictf("%s holds %s already: restore into an empty backlog (another TASKDATA, namespace or prefix), or pass --merge to merge the backup into it by UUID",
				backlogName(cfg), what)
		}
	}
	var progress func(done, total int)
	if isTerminal(a.env.Stderr) {
		bar := &progressBar{w: a.env.Stderr, label: "Restoring"}
		progress = bar.update
		defer bar.clear()
	}
	res, err := engine.Migrate(a.ctx, src, dst, progress)
	if err != nil {
		return err
	}
	if a.globals.JSON {
		return a.printJSON(struct {
			From string `json:"from"`
			engine.MigrateResult
		}{from.S3.URL(), res})
	}
	a.say("Restored %s, %s, %s and %s from %s into %s; %s already there.",
		migrateCount(res.Tasks, "task"), migrateCount(res.Docs, "doc"), migrateCount(res.Archived, "archived task"),
		migrateCount(res.Entries, "journal entry"), from.S3.URL(), backlogName(cfg), skipped(res))
	return nil
}

// holds says what a backlog holds ("3 tasks", "1 archived task", "2
// journal entries"), or "" when it is empty.
func holds(ctx context.Context, st store.Store) (string, error) {
	var what string
	err := st.Read(ctx, func(tx store.Tx) error {
		n, err := tx.Count(ctx, store.Query{})
		if err != nil || n > 0 {
			what = migrateCount(n, "task")
			return err
		}
		segs, err := tx.Segments(ctx)
		if err != nil {
			return err
		}
		archived := 0
		for _, s := range segs {
			archived += s.Count
		}
		if archived > 0 {
			what = migrateCount(archived, "archived task")
			return nil
		}
		es, err := tx.Entries(ctx, 0, "", 1)
		if err == nil && len(es) > 0 {
			what = "journal entries"
		}
		return err
	})
	return what, err
}

// s3Object is the configuration of the S3 object a flag names, reached
// with the S3 backend's settings. named says that the object must exist.
func s3Object(a *runner, flag, v string, named bool) (*config.Config, error) {
	bucket, key, err := config.ParseS3URL(flag, v)
	if err != nil {
		return nil, err
	}
	s, err := config.ResolveS3(a.env.Config)
	if err != nil {
		return nil, err
	}
	s.Bucket, s.Key, s.KeyFrom, s.Named = bucket, key, flag, named
	return &config.Config{Backend: "s3", S3: s}, nil
}

// backlogName names the backlog cfg describes, for sentences.
func backlogName(cfg *config.Config) string {
	switch cfg.Backend {
	case "postgres":
		if cfg.Namespace != "" {
			return "the PostgreSQL backlog " + cfg.Namespace
		}
		return "the PostgreSQL backlog"
	case "s3":
		return "the backlog " + cfg.S3.URL()
	}
	return "the backlog " + cfg.File
}
