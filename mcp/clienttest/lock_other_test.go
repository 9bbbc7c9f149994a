//go:build !unix

package clienttest

import "testing"

// lockFile does not lock where flock is missing: concurrent installs in one
// tree are left to npm.
func lockFile(t *testing.T, path string) func() { return func() {} }
