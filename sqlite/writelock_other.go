//go:build !unix

package sqlite

import "os"

// Without flock, writers across processes queue on SQLite's busy handler
// alone.
func lockFile(*os.File) error { return nil }

func unlockFile(*os.File) {}
