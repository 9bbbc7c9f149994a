// Package loadtest sizes the tests that put a load on a store or on many
// processes: small by default, so that go test ./... stays quick on a
// laptop or a two-core CI machine, and at their full size with
// BACKLOG_LOAD_TESTS=1. The small size checks the same property on less
// data or for less time; the full size is how the figures in the docs were
// measured and how a change to the write path should be tried.
package loadtest

import "os"

// Env is the variable that asks for the full size.
const Env = "BACKLOG_LOAD_TESTS"

// Full reports whether the load tests run at their full size.
func Full() bool { return os.Getenv(Env) == "1" }

// Size is small, or full when the load tests run at their full size.
func Size[T any](small, full T) T {
	if Full() {
		return full
	}
	return small
}
