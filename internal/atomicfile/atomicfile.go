// Package atomicfile edits a file that several processes may edit at once
// (a TASKS.md, an agent's config file): each edit takes a lock, re-reads
// the file under it, applies a change and replaces the file atomically, so
// that no edit is lost and a reader sees the old bytes or the new, never a
// part.
//
// The lock is an flock on a sidecar file beside the target, named
// ".NAME.lock" (".TASKS.md.lock"). Locking the target itself would not do:
// the replace renames a new inode over it, and a process that opened the
// new inode would not wait for one that still holds the old. The sidecar's
// inode outlives the edits; an edit removes it before letting go, and a
// waiter that then finds the name gone or on another inode takes the lock
// again, so nothing is left beside the file between edits (a killed process
// may leave it behind: the kernel released its lock, and the next edit
// removes it). Processes coordinate only with others that use this package
// (or flock the same sidecar); editors and other tools do not take the
// lock, which is why every edit re-reads the file.
//
// A symbolic link is followed: the file it points to is edited, in that
// file's directory (the temporary file and the sidecar go there), and the
// link stays. A hard link is broken by the replace, as by any editor that
// saves through a rename.
//
// On systems without flock (see lock_other.go) edits are still atomic
// replaces, but two processes editing at once may lose one's change.
package atomicfile

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	backlog "github.com/agent-backlog/backlog"
)

// DefaultWait is how long an edit waits for another process's lock, as the
// SQLite store waits for its database (BACKLOG_BUSY_TIMEOUT's default).
const DefaultWait = 10 * time.Second

// Option changes how Edit or Read treats a file.
type Option func(*options)

type options struct {
	create bool
	perm   fs.FileMode
	wait   time.Duration
}

// Create lets Edit create a missing file: fn gets nil, and the file is
// created with perm (less the umask), even when fn returns no bytes.
func Create(perm fs.FileMode) Option {
	return func(o *options) { o.create, o.perm = true, perm.Perm() }
}

// Wait bounds how long Edit or Read waits for another process's lock
// (DefaultWait without it); past it they fail with an ErrEnvironment
// sentence naming the file. The context may end the wait sooner.
func Wait(d time.Duration) Option {
	return func(o *options) { o.wait = d }
}

func collect(opts []Option) options {
	o := options{wait: DefaultWait}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// Edit changes the file at path under an exclusive lock. fn gets the bytes
// read under the lock and returns the bytes the file should hold; when they
// differ, they replace the file atomically (a temporary file in the same
// directory, synced, given the old file's permissions and, where allowed,
// its owner, then renamed over it, and the directory synced). When they are
// the same nothing is written and the file keeps its mtime. An error of fn
// is returned as it is, with nothing written. changed says whether the file
// was replaced (or created).
//
// A missing file is an ErrNotFound error unless Create is given. Failures
// of the machine (permission denied, a read-only file system, a full disk,
// a lock held past Wait) are ErrEnvironment errors with one sentence naming
// path and the cause; no temporary file is left behind.
func Edit(ctx context.Context, path string, fn func(old []byte) ([]byte, error), opts ...Option) (changed bool, err error) {
	o := collect(opts)
	target, err := resolve(path)
	if err != nil {
		return false, failure("edit", path, err)
	}
	l, err := acquire(ctx, target, true, o.wait)
	if err != nil {
		return false, lockFailure("edit", path, target, o.wait, err)
	}
	defer l.release()

	old, info, err := read(target)
	switch {
	case errors.Is(err, fs.ErrNotExist) && o.create:
		info = nil
	case err != nil:
		return false, readFailure("edit", path, err)
	}
	updated, err := fn(old)
	if err != nil {
		return false, err
	}
	if info != nil && bytes.Equal(old, updated) {
		return false, nil
	}
	if info != nil {
		if err := writable(path, target, info); err != nil {
			return false, err
		}
	}
	if err := replace(target, updated, info, o.perm); err != nil {
		return false, failure("edit", path, err)
	}
	return true, nil
}

// Read returns the file's bytes under a shared lock, so that it waits for
// an edit in progress to land. Without the lock a read would still see a
// whole file (edits replace it with a rename); where no lock can be taken
// because the directory cannot be written, Read reads without one. A
// missing file is an ErrNotFound error.
func Read(ctx context.Context, path string, opts ...Option) ([]byte, error) {
	o := collect(opts)
	target, err := resolve(path)
	if err != nil {
		return nil, failure("read", path, err)
	}
	l, err := acquire(ctx, target, false, o.wait)
	switch {
	case err == nil:
		defer l.release()
	case unlockable(err):
		// Nobody can edit it here either.
	default:
		return nil, lockFailure("read", path, target, o.wait, err)
	}
	data, _, err := read(target)
	if err != nil {
		return nil, readFailure("read", path, err)
	}
	return data, nil
}

// maxLinks bounds the symbolic links followed, as the kernel's ELOOP does.
const maxLinks = 40

// resolve follows symbolic links in the last part of path to the file they
// name, which may not exist yet (a dangling link is created through).
// Links among the directories need no resolving: the replace happens in
// whatever directory they lead to.
func resolve(path string) (string, error) {
	for range maxLinks {
		info, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return path, nil
		}
		if err != nil {
			return "", err
		}
		if info.Mode()&fs.ModeSymlink == 0 {
			return path, nil
		}
		link, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(filepath.Dir(path), link)
		}
		path = link
	}
	return "", &fs.PathError{Op: "resolve", Path: path, Err: errTooManyLinks}
}

var errTooManyLinks = errors.New("too many levels of symbolic links")

// read returns a regular file's bytes and its FileInfo.
func read(path string) ([]byte, fs.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, nil, &notRegular{dir: info.IsDir()}
	}
	data, err := readAll(f, info.Size())
	return data, info, err
}

// readAll reads f to its end, sized by what Stat said.
func readAll(f *os.File, size int64) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(int(size) + 1)
	_, err := buf.ReadFrom(f)
	return buf.Bytes(), err
}

// replace writes data to a new file beside target and renames it over
// target. info is the file replaced (nil when there is none), whose mode and
// owner the new file takes; perm is a new file's mode. On failure the
// temporary file is removed and target is as it was.
func replace(target string, data []byte, info fs.FileInfo, perm fs.FileMode) (err error) {
	dir, name := filepath.Split(target)
	if dir == "" {
		dir = "."
	}
	mode := perm
	if info != nil {
		mode = 0o600 // until it has the old file's owner and mode
	}
	f, tmp, err := createTemp(dir, name, mode)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if info != nil {
		keepOwner(f, info) // before the mode: a chown clears set-id bits
		if err := f.Chmod(info.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)); err != nil {
			return err
		}
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, target); err != nil {
		return err
	}
	// The new name is in place; a directory that cannot be synced (some
	// file systems refuse) is no reason to report a change that happened
	// as a failure, which a caller might repeat.
	syncDir(dir)
	return nil
}

// createTemp creates a new file for target's next bytes in dir, with mode
// less the umask, as a dotted name that listings and file discovery skip.
func createTemp(dir, name string, mode fs.FileMode) (*os.File, string, error) {
	for {
		tmp := filepath.Join(dir, "."+name+".tmp-"+rand.Text()[:10])
		f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, tmp, err
	}
}

// syncDir makes a rename in dir durable, as far as the file system allows.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	d.Close()
}

// writable refuses to replace a file without any write bit, or one this
// process may not open for writing: it is kept as the user made it, though
// its directory would let a rename through.
func writable(path, target string, info fs.FileInfo) error {
	switch {
	case info.Mode().Perm()&0o222 == 0:
		return backlog.Environmentf(nil, "cannot edit %s: it is read-only", path)
	case !mayWrite(target):
		return backlog.Environmentf(nil, "cannot edit %s: permission denied", path)
	}
	return nil
}
