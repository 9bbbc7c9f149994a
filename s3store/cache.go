package s3store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/internal/oserr"
)

// The cache of one object is a directory:
//
//	lock        flocked by the process working on the cache
//	backlog.db  the object as the bucket had it at the ETag in etag
//	etag        that ETag, or "absent" when the bucket had no object
//	fetch.db    an object being downloaded
//
// etag is removed before backlog.db changes (a download replacing it, a
// write running on it) and written once the copy matches the bucket again,
// so that a crash at any instant leaves either a copy that matches its
// ETag or no ETag, and the next command then fetches the object whole.
const (
	dbName    = "backlog.db"
	etagName  = "etag"
	fetchName = "fetch.db"
	absentTag = "absent"
)

// CacheDir is the directory that caches the object key of bucket on
// endpoint, under root ($XDG_CACHE_HOME/backlog/s3 by default): the
// bucket and key made safe for a file name, and a hash of all three, so
// that no two objects share a cache and no key can climb out of root.
func CacheDir(root, endpoint, bucket, key string) string {
	name := []byte(bucket + "_" + key)
	for i, c := range name {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			name[i] = '_'
		}
	}
	if len(name) > 60 {
		name = name[len(name)-60:]
	}
	sum := sha256.Sum256([]byte(endpoint + "\x00" + bucket + "\x00" + key))
	return filepath.Join(root, string(name)+"-"+hex.EncodeToString(sum[:6]))
}

// cache is one object's cache directory, locked per command.
type cache struct {
	dir  string
	name string // the object, for sentences
	wait time.Duration
	// turn orders this process's commands before they take the file
	// lock, which orders processes.
	turn chan struct{}
	once sync.Once
	file *os.File
	err  error
}

func openCache(dir, name string, wait time.Duration) (*cache, error) {
	c := &cache{dir: dir, name: name, wait: wait, turn: make(chan struct{}, 1)}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, c.failure("create", err)
	}
	return c, nil
}

func (c *cache) db() string { return filepath.Join(c.dir, dbName) }

// failure names a failure of the machine on the cache in one sentence.
func (c *cache) failure(what string, err error) error {
	if settled, ok := backlog.Settled(err); ok {
		return settled
	}
	cause := oserr.Cause(err)
	if cause == "" {
		cause = err.Error()
	}
	return backlog.Environmentf(err, "cannot %s the local cache of the backlog %s in %s: %s", what, c.name, c.dir, cause)
}

// lock waits for this cache's turn, in this process and then across
// processes, and returns the function that gives it up.
func (c *cache) lock(ctx context.Context) (func(), error) {
	select {
	case c.turn <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	release := func() { <-c.turn }
	c.once.Do(func() {
		c.file, c.err = os.OpenFile(filepath.Join(c.dir, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
	})
	if c.err != nil {
		release()
		return nil, c.failure("lock", c.err)
	}
	if err := c.flock(ctx, c.file, release); err != nil {
		return nil, err
	}
	return func() {
		unlockFile(c.file)
		release()
	}, nil
}

// lockFile takes an flock on another file of the cache (the push lock),
// held until the returned function runs.
func (c *cache) lockFile(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, c.failure("lock", err)
	}
	if err := c.flock(ctx, f, func() { f.Close() }); err != nil {
		return nil, err
	}
	return func() {
		unlockFile(f)
		f.Close()
	}, nil
}

// flock waits for an exclusive lock on f, up to the cache's wait. The
// kernel hands a released flock to a waiter at once, where polling for it
// could starve a waiter behind a process that writes back to back. On
// failure it calls release, at once or, when it gave up waiting, once the
// abandoned wait ends (so that nothing else locks f meanwhile).
func (c *cache) flock(ctx context.Context, f *os.File, release func()) error {
	done := make(chan error, 1)
	go func() { done <- lockFile(f) }()
	timer := time.NewTimer(c.wait)
	defer timer.Stop()
	giveUp := func() {
		go func() {
			if <-done == nil {
				unlockFile(f)
			}
			release()
		}()
	}
	select {
	case err := <-done:
		if err != nil {
			release()
			return c.failure("lock", err)
		}
		return nil
	case <-ctx.Done():
		giveUp()
		return ctx.Err()
	case <-timer.C:
		giveUp()
		return backlog.Environmentf(nil, "the local cache of the backlog %s in %s is locked by another process (waited %s)", c.name, c.dir, c.wait)
	}
}

func (c *cache) close() error {
	c.turn <- struct{}{}
	defer func() { <-c.turn }()
	if c.file != nil {
		err := c.file.Close()
		c.file = nil
		c.once = sync.Once{}
		return err
	}
	return nil
}

// state is the ETag the cached copy has: "" when there is none (nothing
// cached, or a crash left it unknown), absentTag when the bucket had no
// object.
func (c *cache) state() string {
	b, err := os.ReadFile(filepath.Join(c.dir, etagName))
	if err != nil {
		return ""
	}
	tag := strings.TrimSpace(string(b))
	if tag != absentTag {
		if _, err := os.Stat(c.db()); err != nil {
			return ""
		}
	}
	return tag
}

// setState records the cached copy's ETag, through a rename so that a
// crash leaves the old one or the new.
func (c *cache) setState(tag string) error {
	tmp := filepath.Join(c.dir, etagName+".tmp")
	if err := os.WriteFile(tmp, []byte(tag+"\n"), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(c.dir, etagName))
}

// forget drops the ETag, so that the next command fetches the object.
func (c *cache) forget() { os.Remove(filepath.Join(c.dir, etagName)) }

// install makes the file at path the cached copy, at ETag tag.
func (c *cache) install(path, tag string) error {
	c.forget()
	removeSidecars(c.db())
	if err := os.Rename(path, c.db()); err != nil {
		return err
	}
	return c.setState(tag)
}

// setAbsent records that the bucket has no object, and drops any copy.
func (c *cache) setAbsent() error {
	c.forget()
	for _, p := range []string{c.db()} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		removeSidecars(p)
	}
	return c.setState(absentTag)
}

// removeSidecars deletes the files SQLite keeps beside a database.
func removeSidecars(db string) {
	for _, suffix := range []string{"-wal", "-shm", "-journal", "-writer.lock"} {
		os.Remove(db + suffix)
	}
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return nil
}
