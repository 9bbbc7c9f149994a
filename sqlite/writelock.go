package sqlite

import (
	"context"
	"fmt"
	"os"
	"sync"
)

// writeQueue orders the writers of one database file. SQLite's own busy
// handler sleeps and polls, so a process that writes back to back can take
// the lock again and again before a sleeping waiter wakes: under load a
// writer could wait past any timeout. Writers of this package therefore
// first take, in this process, a mutex (Go's hands over to long waiters),
// and across processes an exclusive advisory lock on a file beside the
// database, which the kernel grants to a waiter as soon as it is released,
// without polling. BEGIN IMMEDIATE (and its busy timeout) stays as the
// backstop for writers that do not use the queue.
type writeQueue struct {
	mu   sync.Mutex
	path string
	once sync.Once
	file *os.File
	err  error
}

// lock waits for the write turn and returns the function that gives it up.
// It gives up waiting when ctx ends.
func (q *writeQueue) lock(ctx context.Context) (func(), error) {
	locked := make(chan struct{})
	go func() {
		q.mu.Lock()
		close(locked)
	}()
	select {
	case <-locked:
	case <-ctx.Done():
		go func() { <-locked; q.mu.Unlock() }()
		return nil, ctx.Err()
	}
	q.once.Do(func() {
		q.file, q.err = os.OpenFile(q.path, os.O_RDWR|os.O_CREATE, 0o600)
	})
	if q.err != nil {
		q.mu.Unlock()
		return nil, fmt.Errorf("sqlite: the write lock file %s: %w", q.path, q.err)
	}
	done := make(chan error, 1)
	go func() { done <- lockFile(q.file) }()
	select {
	case err := <-done:
		if err != nil {
			q.mu.Unlock()
			return nil, fmt.Errorf("sqlite: the write lock file %s: %w", q.path, err)
		}
	case <-ctx.Done():
		// The lock may still be granted later: release it then.
		go func() {
			if <-done == nil {
				unlockFile(q.file)
			}
			q.mu.Unlock()
		}()
		return nil, ctx.Err()
	}
	return func() {
		unlockFile(q.file)
		q.mu.Unlock()
	}, nil
}

// close releases the lock file.
func (q *writeQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.file != nil {
		q.file.Close()
		q.file = nil
	}
}
