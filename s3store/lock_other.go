//go:build !unix

package s3store

import "os"

// Without flock, the processes of one machine do not wait for each other
// on a shared cache: give each its own (BACKLOG_S3_CACHE). Machines are
// kept apart by S3's conditional writes all the same.
func lockFile(*os.File) error { return nil }

func unlockFile(*os.File) {}
