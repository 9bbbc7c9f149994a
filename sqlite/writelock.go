package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
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
	// timeout bounds the wait for another process's turn, as SQLite's busy
	// timeout bounds the wait for its lock: a process that holds the turn
	// that long is stuck, or a long import the writer should not wait for.
	// Waiting for this process's own writers is not bounded.
	timeout time.Duration
	once    sync.Once
	file    *os.File
	err     error
}

// errQueueTimeout is lock's answer when another process kept the turn
// longer than the timeout.
var errQueueTimeout = errors.New("sqlite: another process kept the write turn past the busy timeout")

// lock waits for the write turn and returns the function that gives it up.
// It gives up waiting when ctx ends, or with errQueueTimeout when another
// process keeps the turn past the timeout.
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
	var expired <-chan time.Time
	if q.timeout > 0 {
		timer := time.NewTimer(q.timeout)
		defer timer.Stop()
		expired = timer.C
	}
	giveUp := func() {
		// The lock may still be granted later: release it then.
		go func() {
			if <-done == nil {
				unlockFile(q.file)
			}
			q.mu.Unlock()
		}()
	}
	select {
	case err := <-done:
		if err != nil {
			q.mu.Unlock()
			return nil, fmt.Errorf("sqlite: the write lock file %s: %w", q.path, err)
		}
	case <-ctx.Done():
		giveUp()
		return nil, ctx.Err()
	case <-expired:
		giveUp()
		return nil, errQueueTimeout
	}
	return func() {
		unlockFile(q.file)
		q.mu.Unlock()
	}, nil
}

// close releases the lock file: at once when no writer holds the turn,
// else once the last holder is done, without waiting for it (a waiter that
// gave up holds the turn until another process lets go, see lock).
func (q *writeQueue) close() {
	if q.mu.TryLock() {
		q.closeFile()
		return
	}
	go func() {
		q.mu.Lock()
		q.closeFile()
	}()
}

// closeFile closes the lock file and gives up the turn, which the caller
// holds.
func (q *writeQueue) closeFile() {
	defer q.mu.Unlock()
	if q.file != nil {
		q.file.Close()
		q.file = nil
	}
}
