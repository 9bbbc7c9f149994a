// Package workspace reads and edits the TASKS.md files of a directory tree
// on disk, for every surface (the CLI, the MCP tools, the bridge): each
// file is read under its shared lock and edited under its exclusive lock,
// re-read, changed and replaced whole (internal/atomicfile), so two agents
// claiming one task at once never both win and no edit is lost.
package workspace

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/config"
	"github.com/agent-backlog/backlog/internal/atomicfile"
	"github.com/agent-backlog/backlog/internal/oserr"
	"github.com/agent-backlog/backlog/tasksmd"
)

// A Workspace is the tree of TASKS.md files under Root.
type Workspace struct {
	Root string // absolute
}

// Find returns the workspace of dir when given, else the git root of wd,
// else wd itself.
func Find(dir, wd string) (*Workspace, error) {
	if dir != "" {
		root, err := filepath.Abs(dir)
		if err != nil {
			return nil, fmt.Errorf("cannot resolve %s: %w", dir, err)
		}
		return &Workspace{Root: root}, nil
	}
	if root, ok := config.FindGitRoot(wd); ok {
		return &Workspace{Root: root}, nil
	}
	return &Workspace{Root: wd}, nil
}

// Path is the file path of a queue path ("packages/api/TASKS.md").
func (w *Workspace) Path(rel string) string {
	return filepath.Join(w.Root, filepath.FromSlash(rel))
}

// Load reads every discovered file. It takes no lock: every edit replaces
// a file whole by a rename, so a read sees the file before an edit or
// after it, never half of one, and a read-only command (pick, list, a
// tool's list_tasks) costs no lock file per file.
func (w *Workspace) Load(ctx context.Context) (*tasksmd.Queue, error) {
	paths, err := tasksmd.Discover(w.Root)
	if err != nil {
		return nil, backlog.Environmentf(err, "cannot look for TASKS.md files under %s: %v", w.Root, err)
	}
	q := &tasksmd.Queue{Files: make([]*tasksmd.File, 0, len(paths))}
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		data, err := os.ReadFile(w.Path(p))
		if err != nil {
			return nil, readError(w.Path(p), err)
		}
		q.Files = append(q.Files, tasksmd.Parse(p, data))
	}
	return q, nil
}

// readError names a file that could not be read and why.
func readError(path string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return backlog.NotFoundf("%s disappeared while it was read: try again", path)
	}
	if cause := oserr.Cause(err); cause != "" {
		return backlog.Environmentf(err, "cannot read %s: %s", path, cause)
	}
	return backlog.Environmentf(err, "cannot read %s: %v", path, err)
}

// Edit applies an edit to one file of the queue under that file's lock: a
// first read finds the file; then, holding its lock, the file is read
// again, the edit applied to the queue as it now is, and the file
// replaced. Of two claimers of one task the second sees the first's claim
// and is refused. Errors of the format package keep their kinds in the
// backlog's terms (Error).
func (w *Workspace) Edit(ctx context.Context, edit func(q *tasksmd.Queue) (tasksmd.Edit, error)) (tasksmd.Edit, error) {
	q, err := w.Load(ctx)
	if err != nil {
		return tasksmd.Edit{}, err
	}
	first, err := edit(q)
	if err != nil {
		return tasksmd.Edit{}, Error(err)
	}
	var done tasksmd.Edit
	_, err = atomicfile.Edit(ctx, w.Path(first.Path), func(old []byte) ([]byte, error) {
		fresh := &tasksmd.Queue{Files: slices.Clone(q.Files)}
		for i, f := range fresh.Files {
			if f.Path == first.Path {
				fresh.Files[i] = tasksmd.Parse(f.Path, old)
			}
		}
		var err error
		done, err = edit(fresh)
		if err == nil && done.Path != first.Path {
			err = backlog.Conflictf("%s changed while it was edited: try again", first.Path)
		}
		return done.Data, err
	}, atomicfile.Create(0o644))
	if err != nil {
		return tasksmd.Edit{}, Error(err)
	}
	return done, nil
}

// Error gives an error of the format package its kind in the backlog's
// terms (not found, conflict, bad input); other errors pass unchanged.
func Error(err error) error {
	var e *tasksmd.Error
	if !errors.As(err, &e) {
		return err
	}
	switch {
	case errors.Is(e, tasksmd.ErrNotFound):
		return backlog.NotFoundf("%s", e.Msg)
	case errors.Is(e, tasksmd.ErrConflict):
		return backlog.Conflictf("%s", e.Msg)
	}
	return backlog.Invalidf("%s", e.Msg)
}

// InitTemplate is a new TASKS.md: the title and the four sections, which
// lints clean and gives add a place for every priority.
const InitTemplate = "# Tasks\n\n## P0\n\n## P1\n\n## P2\n\n## P3\n"

// Init creates TASKS.md at the root with InitTemplate, unless a file is
// there already (left as it is); it reports the path and whether it made
// the file.
func (w *Workspace) Init(ctx context.Context) (path string, created bool, err error) {
	path = w.Path("TASKS.md")
	_, err = atomicfile.Edit(ctx, path, func(old []byte) ([]byte, error) {
		if len(old) > 0 {
			return old, nil
		}
		created = true
		return []byte(InitTemplate), nil
	}, atomicfile.Create(0o644))
	return path, created, err
}
