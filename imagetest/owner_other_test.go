//go:build !unix

package imagetest

import "io/fs"

// owner is unknown off unix.
func owner(fs.FileInfo) (int, bool) { return 0, false }
