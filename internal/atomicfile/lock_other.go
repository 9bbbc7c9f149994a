//go:build !unix

package atomicfile

import (
	"io/fs"
	"os"
)

// Without flock, processes do not exclude one another: each edit is still
// an atomic replace, but one of two concurrent edits may be lost.
func lockFile(*os.File, bool) error { return nil }

func tryExclusive(*os.File) bool { return true }

func keepOwner(*os.File, fs.FileInfo) {}

func mayWrite(string) bool { return true }
