// Package s3store keeps a backlog in an S3 bucket, for a few machines that
// share it without a database server. The backlog is a SQLite database
// (package sqlite, unchanged: journal, undo, docs, archive and claims work
// as on a laptop), stored as one zstd-compressed object; each machine works
// on a cached copy of it.
//
// Every command runs in three steps, under an exclusive lock on the cache
// that orders the processes of one machine:
//
//  1. fetch the object only if its ETag changed (GET with If-None-Match on
//     the cached ETag);
//  2. run the command in one SQLite transaction on the cached copy;
//  3. for a write that changed something, upload the copy with If-Match on
//     the ETag it started from (If-None-Match: * for the first write); the
//     copy counts as the object's version only once S3 has taken it.
//
// A write whose upload S3 refuses because another machine wrote first (412)
// throws its result away, fetches the new object and runs the command
// again, a bounded number of times with growing random pauses; then the
// command fails with "the backlog is busy" and nothing was changed. A read
// never uploads. The cache is never ahead of the bucket: while a write runs
// the cached copy has no ETag, so that a crash, a refused or a failed
// upload leaves a copy no command trusts, and the next one fetches
// whatever the bucket holds.
package s3store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/klauspost/compress/zstd"

	"github.com/agent-backlog/backlog/s3store/s3api"
	"github.com/agent-backlog/backlog/sqlite"
	"github.com/agent-backlog/backlog/store"
)

// Defaults for Options.
const (
	DefaultAttempts  = 16
	DefaultPollEvery = 2 * time.Second
	DefaultLockWait  = time.Minute
)

// Options say which object holds the backlog and how to work on it.
type Options struct {
	// Client reaches the bucket.
	Client *s3api.Client
	// Key is the object's key.
	Key string
	// Cache is the directory of this object's cached copy (see CacheDir);
	// it is created for the owner alone.
	Cache string
	// MustExist makes a read of a missing object an error wrapping
	// backlog.ErrNotFound, for an object the user named (a backup),
	// rather than an empty backlog, for one derived from the settings.
	MustExist bool
	// Attempts bounds how many times a write runs when other machines
	// keep writing first; 0 means DefaultAttempts.
	Attempts int
	// PollEvery is how often Changes asks S3 whether the object changed;
	// 0 means DefaultPollEvery.
	PollEvery time.Duration
	// LockWait bounds the wait for another process of this machine to
	// finish with the cache; 0 means DefaultLockWait.
	LockWait time.Duration
	// BusyTimeout is passed to the SQLite store underneath.
	BusyTimeout time.Duration
}

// Store is a backlog kept in one S3 object. It is safe for concurrent use.
type Store struct {
	opts   Options
	client *s3api.Client
	cache  *cache
	name   string // s3://bucket/key, for sentences

	conflicts atomic.Int64
	encOnce   sync.Once
	enc       *zstd.Encoder
	// wrote is closed and replaced after every upload of this store, so
	// that Changes reports this process's writes without waiting for a
	// poll.
	mu    sync.Mutex
	wrote chan struct{}
}

var (
	_ store.Store      = (*Store)(nil)
	_ store.PushLocker = (*Store)(nil)
)

// Open prepares the store: it creates the cache directory and touches
// nothing in S3 until the first command.
func Open(opts Options) (*Store, error) {
	if opts.Client == nil || opts.Key == "" || opts.Cache == "" {
		return nil, errors.New("s3store: Open needs a client, a key and a cache directory")
	}
	if opts.Attempts <= 0 {
		opts.Attempts = DefaultAttempts
	}
	if opts.PollEvery <= 0 {
		opts.PollEvery = DefaultPollEvery
	}
	if opts.LockWait <= 0 {
		opts.LockWait = DefaultLockWait
	}
	s := &Store{opts: opts, client: opts.Client, name: opts.Client.URL(opts.Key), wrote: make(chan struct{})}
	c, err := openCache(opts.Cache, s.name, opts.LockWait)
	if err != nil {
		return nil, err
	}
	s.cache = c
	return s, nil
}

// Name is the object's s3:// URL.
func (s *Store) Name() string { return s.name }

// Key is the object's key.
func (s *Store) Key() string { return s.opts.Key }

// Conflicts counts the writes of this store that S3 refused because
// another machine wrote first, each of which was run again.
func (s *Store) Conflicts() int64 { return s.conflicts.Load() }

// Close releases the cache.
func (s *Store) Close() error { return s.cache.close() }

// Read runs fn on the cached copy, brought up to date first.
func (s *Store) Read(ctx context.Context, fn func(store.Tx) error) error {
	unlock, err := s.cache.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := s.refresh(ctx); err != nil {
		return err
	}
	st, err := s.openSQLite(ctx, s.cache.db())
	if err != nil {
		return err
	}
	err = st.Read(ctx, fn)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	return err
}

// errConflict is one attempt's answer when S3 refused the upload because
// the object changed since it was fetched.
var errConflict = errors.New("s3store: the object changed during the write")

// Write runs fn on a working copy of the latest object and uploads the
// result over the version it started from; see the package comment.
func (s *Store) Write(ctx context.Context, fn func(store.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.tryWrite(ctx, fn)
		if !errors.Is(err, errConflict) {
			return err
		}
		s.conflicts.Add(1)
		if attempt >= s.opts.Attempts {
			return backlog.Environmentf(err, "the backlog %s is busy (other machines wrote it first %d times in a row), nothing was changed: run the command again", s.name, attempt)
		}
		if err := pause(ctx, attempt); err != nil {
			return err
		}
	}
}

// pause waits before attempt+1: a random time up to 10 ms doubled per
// attempt (at most 1 s), so that machines that collided spread out.
func pause(ctx context.Context, attempt int) error {
	ceiling := 10 * time.Millisecond << min(attempt-1, 7)
	ceiling = min(ceiling, time.Second)
	t := time.NewTimer(ceiling/4 + rand.N(ceiling*3/4))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// tryWrite is one attempt of Write.
func (s *Store) tryWrite(ctx context.Context, fn func(store.Tx) error) error {
	unlock, err := s.cache.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	etag, err := s.refresh(ctx)
	if err != nil {
		return err
	}
	// The command runs on the cached copy itself, which is therefore
	// unknown from here on (no ETag) until S3 takes the change or the
	// command proves to have changed nothing: a crash, a refusal or a
	// failed upload leaves a copy the next command does not trust, and
	// fetches again. (A working copy would keep the cache valid through
	// a failure, but copying the whole file and syncing it all to disk
	// at every write costs more than the rare fetch after a failure.)
	db := s.cache.db()
	s.cache.forget()
	unchanged := func() error {
		if etag == "" {
			return s.cache.setState(absentTag)
		}
		return s.cache.setState(etag)
	}
	st, err := s.openSQLite(ctx, db)
	if err != nil {
		return err
	}
	before := walSize(db)
	err = st.Write(ctx, fn)
	changed := walSize(db) > before
	cerr := st.Close()
	switch {
	case cerr != nil:
		return cerr
	case err != nil || !changed:
		// Rolled back, or nothing written: the copy is as it was.
		if serr := unchanged(); serr != nil && err == nil {
			err = s.cache.failure("update", serr)
		}
		return err
	case walSize(db) > 0:
		// Closing did not fold the log into the file, which alone is
		// uploaded: it would lack the change.
		return backlog.Environmentf(nil, "cannot save the change to the backlog %s: SQLite left its cached copy %s with a write-ahead log", s.name, db)
	}
	s.encOnce.Do(func() { s.enc = newEncoder() })
	body, err := compressFile(s.enc, db)
	if err != nil {
		return s.cache.failure("read", err)
	}
	cond := s3api.Condition{IfMatch: etag}
	if etag == "" {
		cond = s3api.Condition{IfNoneMatch: "*"}
	}
	newTag, err := s.client.Put(ctx, s.opts.Key, body, contentType, cond)
	switch {
	case s3api.IsPreconditionFailed(err):
		return fmt.Errorf("%w: %w", errConflict, err)
	case err != nil:
		return s.uploadFailure(err)
	}
	// S3 holds the change: the copy is its version. Should the ETag not
	// be written, the next command merely fetches the object again.
	s.cache.setState(newTag)
	s.notify()
	return nil
}

// contentType names the object's format for whoever lists the bucket.
const contentType = "application/vnd.backlog.sqlite+zstd"

// openSQLite opens the SQLite store on a file of the cache.
func (s *Store) openSQLite(ctx context.Context, path string) (*sqlite.Store, error) {
	st, err := sqlite.OpenWith(ctx, path, sqlite.Options{BusyTimeout: s.opts.BusyTimeout})
	if err != nil {
		if errors.Is(err, backlog.ErrEnvironment) {
			return nil, err
		}
		return nil, backlog.Environmentf(err, "the backlog %s could not be opened from its cached copy %s: %v", s.name, path, err)
	}
	return st, nil
}

// walSize is the size of a SQLite file's write-ahead log: it grows with
// every committed change, so a write that leaves it as it was changed
// nothing and need not be uploaded.
func walSize(db string) int64 {
	st, err := os.Stat(db + "-wal")
	if err != nil {
		return 0
	}
	return st.Size()
}

// notify wakes the Changes of this store.
func (s *Store) notify() {
	s.mu.Lock()
	close(s.wrote)
	s.wrote = make(chan struct{})
	s.mu.Unlock()
}

func (s *Store) wroteCh() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wrote
}

// LockPush implements store.PushLocker for the processes of this machine:
// S3 has no lock that dies with its holder, so machines are not kept
// apart; an outbox item two of them deliver at once is marked in a
// conditional write, which one of them loses.
func (s *Store) LockPush(ctx context.Context) (func(), error) {
	return s.cache.lockFile(ctx, filepath.Join(s.opts.Cache, "push.lock"))
}

// Replace uploads the SQLite backlog file at path as the object, whatever
// the object held (a backup over an older one), and returns the size of
// what it uploaded. The file must be closed by every SQLite connection, so
// that it holds the whole backlog without its write-ahead log.
func (s *Store) Replace(ctx context.Context, path string) (int64, error) {
	unlock, err := s.cache.lock(ctx)
	if err != nil {
		return 0, err
	}
	defer unlock()
	s.encOnce.Do(func() { s.enc = newEncoder() })
	body, err := compressFile(s.enc, path)
	if err != nil {
		return 0, backlog.Environmentf(err, "cannot read the backlog snapshot %s: %v", path, err)
	}
	if walSize(path) > 0 {
		return 0, fmt.Errorf("s3store: %s has a write-ahead log: close it before Replace", path)
	}
	// The cached copy is now behind: the next command fetches the object.
	s.cache.forget()
	if _, err := s.client.Put(ctx, s.opts.Key, body, contentType, s3api.Condition{}); err != nil {
		return 0, s.uploadFailure(err)
	}
	s.notify()
	return int64(len(body)), nil
}
