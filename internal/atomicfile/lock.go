package atomicfile

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"time"
)

// errLockTimeout is acquire's answer when another process held the lock
// past the wait.
var errLockTimeout = errors.New("atomicfile: the lock was held past the wait")

// lock is a held flock on the sidecar of one file.
type lock struct {
	f         *os.File
	path      string
	exclusive bool
}

// lockPath is the sidecar of target: ".NAME.lock" beside it.
func lockPath(target string) string {
	dir, name := filepath.Split(target)
	return filepath.Join(dir, "."+name+".lock")
}

// acquire takes the lock of target, exclusive or shared, waiting up to
// wait (or until ctx ends) for another process to let go. The sidecar may
// be removed by the holder just before it lets go, after this process
// opened it: a lock on an inode that no longer has the name excludes
// nobody, so acquire then starts again on the name's new file.
func acquire(ctx context.Context, target string, exclusive bool, wait time.Duration) (*lock, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	path := lockPath(target)
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		f, err := openLockFile(path)
		if err != nil {
			return nil, err
		}
		done := make(chan error, 1)
		go func() { done <- lockFile(f, exclusive) }()
		abandon := func() {
			// The lock may still be granted later: closing the file
			// gives it up then.
			go func() { <-done; f.Close() }()
		}
		select {
		case err := <-done:
			if err != nil {
				f.Close()
				return nil, err
			}
		case <-ctx.Done():
			abandon()
			return nil, ctx.Err()
		case <-timer.C:
			abandon()
			return nil, errLockTimeout
		}
		if current(f, path) {
			return &lock{f: f, path: path, exclusive: exclusive}, nil
		}
		f.Close()
	}
}

// openLockFile opens the sidecar, creating it when missing; one left
// behind by another user that this one may only read still locks.
func openLockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o666)
	if errors.Is(err, os.ErrPermission) {
		if f, err := os.Open(path); err == nil {
			return f, nil
		}
	}
	return f, err
}

// current says whether f is still the file at path.
func current(f *os.File, path string) bool {
	held, err := f.Stat()
	if err != nil {
		return false
	}
	named, err := os.Lstat(path)
	return err == nil && os.SameFile(held, named)
}

// release removes the sidecar and lets go. Only a holder of the exclusive
// lock removes it: a shared holder that removed it would let a writer lock
// a new sidecar while other readers still hold the old one. A reader that
// can take the exclusive lock at once (no one else holds or waits for a
// turn) removes it too, so that reads leave nothing behind either.
func (l *lock) release() {
	if l.exclusive || tryExclusive(l.f) {
		if current(l.f, l.path) {
			os.Remove(l.path)
		}
	}
	l.f.Close()
}
