// Package watch keeps the TASKS.md files of a workspace and a backlog in
// step while a process runs (`backlog serve --tasksmd-sync`): it syncs
// once at start (an import when the backlog holds no sync state yet), then
// again whenever a TASKS.md changes on disk or the store reports a commit
// of any process, a burst of changes making one sync.
//
// The files are polled (their size and modification time, and those of
// the directories holding them, every Poll), not watched through inotify:
// an edit replaces a file by a rename, which a poll of the directory sees
// the same on every system, and the module needs no new dependency. The
// tree is walked again for new TASKS.md files when a directory changes and
// every Rescan otherwise.
//
// A sync with nothing to do writes nothing (no file, no journal entry), so
// the sync's own writes cause at most one more sync, which finds nothing:
// the loop settles. A sync that fails (a file that does not lint in the
// middle of an edit, the backlog busy) is logged at warn level with its
// sentence and tried again at the next change; the loop never stops for
// it.
package watch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"strings"
	"time"

	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/tasksmd"
	"github.com/agent-backlog/backlog/tasksmd/bridge"
	"github.com/agent-backlog/backlog/tasksmd/workspace"
)

// Defaults of a Loop's durations.
const (
	DefaultPoll     = 250 * time.Millisecond
	DefaultDebounce = 150 * time.Millisecond
	DefaultRescan   = 2 * time.Second
)

// A Loop syncs a workspace's TASKS.md files and a backlog until its
// context ends.
type Loop struct {
	// Workspace holds the TASKS.md files.
	Workspace *workspace.Workspace
	// Open opens the backlog's store. It is called at the first sync and
	// again at the next change while it fails; the loop closes the store
	// when it ends.
	Open func(ctx context.Context) (store.Store, error)
	// Engine is the options of the engine the syncs write through.
	Engine engine.Options
	// Logger receives a line per sync that changed something (info) and
	// per failed sync (warn); nil discards them.
	Logger *slog.Logger
	// Poll, Debounce and Rescan default to DefaultPoll, DefaultDebounce and
	// DefaultRescan.
	Poll, Debounce, Rescan time.Duration
	// Synced, when set, is called after each sync with its result (nil
	// after an import) and error; tests use it.
	Synced func(*bridge.SyncResult, error)
}

// stamp is what a poll compares of a file or directory.
type stamp struct {
	size    int64
	modTime time.Time
	exists  bool
}

// Run syncs at once, then after every change, until ctx ends. It returns
// nil when ctx ends; every other failure is logged and retried.
func (l *Loop) Run(ctx context.Context) error {
	poll, debounce, rescan := or(l.Poll, DefaultPoll), or(l.Debounce, DefaultDebounce), or(l.Rescan, DefaultRescan)
	log := l.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &syncer{loop: l, log: log}
	defer s.close()

	files := l.discover(log)
	seen := l.stamps(files)
	ticker := time.NewTicker(poll)
	defer ticker.Stop()
	timer := time.NewTimer(0) // the first sync, at once
	defer timer.Stop()
	lastScan := time.Now()
	var changes <-chan int64
	lastSeq := int64(-1)
	for {
		select {
		case <-ctx.Done():
			return nil
		case seq, ok := <-changes:
			if !ok {
				changes = nil
				continue
			}
			if seq > lastSeq { // a report may repeat a number
				lastSeq = seq
				timer.Reset(debounce)
			}
		case <-ticker.C:
			now := l.stamps(files)
			if !same(now, seen) || time.Since(lastScan) >= rescan {
				if found := l.discover(log); !sameList(found, files) {
					files = found
					now = l.stamps(files)
				}
				lastScan = time.Now()
			}
			if !same(now, seen) {
				seen = now
				timer.Reset(debounce)
			}
		case <-timer.C:
			// Stamped before the sync, so an edit made while it runs is
			// synced next; the sync's own writes cause one more sync, which
			// finds nothing to do and writes nothing.
			files = l.discover(log)
			seen = l.stamps(files)
			s.sync(ctx)
			if changes == nil && s.store != nil {
				ch, err := s.store.Changes(ctx)
				if err != nil {
					log.Warn(fmt.Sprintf("cannot follow the backlog's changes, so only file changes are synced: %v", err))
				} else {
					changes = ch
				}
			}
		}
	}
}

func or(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// discover lists the workspace's TASKS.md files (queue paths), logging a
// tree that cannot be walked.
func (l *Loop) discover(log *slog.Logger) []string {
	paths, err := tasksmd.Discover(l.Workspace.Root)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		log.Warn(fmt.Sprintf("cannot look for TASKS.md files under %s: %v", l.Workspace.Root, err))
	}
	return paths
}

// stamps stats the files, the directories holding them and the root (a
// new TASKS.md beside the others changes its directory).
func (l *Loop) stamps(files []string) map[string]stamp {
	out := map[string]stamp{".": statOf(l.Workspace.Root)}
	for _, f := range files {
		out[f] = statOf(l.Workspace.Path(f))
		if dir := path.Dir(f); out[dir] == (stamp{}) {
			out[dir] = statOf(l.Workspace.Path(dir))
		}
	}
	return out
}

func statOf(p string) stamp {
	fi, err := os.Stat(p)
	if err != nil {
		return stamp{}
	}
	return stamp{size: fi.Size(), modTime: fi.ModTime(), exists: true}
}

func same(a, b map[string]stamp) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || !v.modTime.Equal(w.modTime) || v.size != w.size || v.exists != w.exists {
			return false
		}
	}
	return true
}

func sameList(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A syncer runs one sync at a time (the loop's goroutine calls it).
type syncer struct {
	loop    *Loop
	log     *slog.Logger
	store   store.Store
	bridge  *bridge.Bridge
	synced  bool   // the backlog holds sync state: sync, not import
	lastErr string // the last failure logged, so a repeated one is logged once
}

func (s *syncer) close() {
	if s.store != nil {
		if err := s.store.Close(); err != nil {
			s.log.Warn(fmt.Sprintf("cannot close the backlog: %v", err))
		}
	}
}

func (s *syncer) sync(ctx context.Context) {
	res, err := s.run(ctx)
	if ctx.Err() != nil {
		return
	}
	if s.loop.Synced != nil {
		s.loop.Synced(res, err)
	}
	if err != nil {
		if msg := err.Error(); msg != s.lastErr {
			s.lastErr = msg
			s.log.Warn("tasksmd sync: " + msg)
		}
		return
	}
	s.lastErr = ""
}

func (s *syncer) run(ctx context.Context) (*bridge.SyncResult, error) {
	if s.store == nil {
		st, err := s.loop.Open(ctx)
		if err != nil {
			return nil, fmt.Errorf("cannot open the backlog: %w", err)
		}
		s.store = st
		s.bridge = &bridge.Bridge{Engine: engine.New(st, s.loop.Engine), Workspace: s.loop.Workspace}
	}
	if !s.synced {
		has, err := hasState(ctx, s.bridge.Engine)
		if err != nil {
			return nil, err
		}
		if !has {
			res, err := s.bridge.Import(ctx)
			if err != nil {
				return nil, err
			}
			s.synced = true
			s.log.Info(fmt.Sprintf("tasksmd sync: imported %d tasks from %d files", res.Tasks, res.Files))
			return nil, nil
		}
		s.synced = true
	}
	res, err := s.bridge.Sync(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range res.Conflicts {
		s.log.Info("tasksmd sync: " + c)
	}
	if len(res.Written) > 0 || res.Added+res.Completed+res.Updated > 0 {
		s.log.Info(fmt.Sprintf("tasksmd sync: %s written (added %d, removed %d, updated %d); backlog: added %d, completed %d, updated %d",
			files(res.Written), res.FileAdded, res.FileRemoved, res.FileUpdated, res.Added, res.Completed, res.Updated))
	}
	return res, nil
}

// files names the files a sync wrote.
func files(written []string) string {
	if len(written) == 0 {
		return "no file"
	}
	return strings.Join(written, ", ")
}

// hasState reports whether the backlog holds the state of a past import,
// export or sync.
func hasState(ctx context.Context, e *engine.Engine) (bool, error) {
	all, err := e.Export(ctx, "")
	if err != nil {
		return false, err
	}
	for _, t := range all {
		if _, ok := t.Extra[bridge.AttrState]; ok {
			return true, nil
		}
	}
	return false, nil
}
