// Package startup holds the garbage collector off while a process starts.
//
// Most runs of backlog are short: a hook at every agent event, a CLI call,
// a server that must answer initialize at once. Their heaps stay small, and
// a collection in their first milliseconds costs more than it frees: it
// starts the collector's workers and touches fresh memory, and on a small
// VM every fresh page is a fault of 10-20 µs. So the collector is off from
// this package's init (imported by main before anything heavy initialises)
// until Done, or until the process has run for a while, whichever is first;
// a limit on the heap meanwhile keeps a command that does allocate a lot
// (an import) from growing without bounds. After that the collector runs
// as GOGC and GOMEMLIMIT say, or as Go's defaults do.
//
// BACKLOG_GC=on turns the hold-off off, for measuring.
package startup

import (
	"math"
	"os"
	"runtime/debug"
	"sync"
	"time"
)

const (
	// holdFor bounds the hold-off for a process that never calls Done:
	// longer than a short command takes, short enough that a long one
	// (an import, a server) soon collects as usual.
	holdFor = 100 * time.Millisecond

	// heldLimit is the heap size at which the collector runs even while
	// held off.
	heldLimit = 256 << 20
)

var (
	prevPercent = -2 // -2: not held
	prevLimit   int64
	once        sync.Once
)

func init() {
	if os.Getenv("BACKLOG_GC") == "on" || os.Getenv("GOGC") == "off" {
		return
	}
	prevPercent = debug.SetGCPercent(-1)
	prevLimit = debug.SetMemoryLimit(heldLimit)
	if prevLimit < heldLimit && prevLimit != math.MaxInt64 {
		debug.SetMemoryLimit(prevLimit) // a tighter GOMEMLIMIT still holds
	}
	time.AfterFunc(holdFor, Done)
}

// Done lets the collector run as configured; a server calls it once it has
// answered its first request. Calling it again does nothing.
func Done() {
	once.Do(func() {
		if prevPercent == -2 {
			return
		}
		debug.SetGCPercent(prevPercent)
		debug.SetMemoryLimit(prevLimit)
	})
}
