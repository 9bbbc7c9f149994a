//go:build unix

package board

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time the process has used, user and system: a
// measure of the work a benchmark did that other processes on a busy
// machine do not stretch the way they stretch the time on the clock.
func cpuTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
