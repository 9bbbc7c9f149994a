// Package faultfs makes a directory fail the way machines do, for tests of
// what a user reads then: a full disk (a small tmpfs, or a file that takes
// the free space), a read-only directory (a read-only bind mount, which
// stops root too, where chmod does not).
//
// Mounting needs Linux and CAP_SYS_ADMIN (root); elsewhere Tmpfs and
// ReadOnly return an error wrapping ErrUnsupported, and a test skips with
// it.
package faultfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrUnsupported is the error of a fault this machine cannot make.
var ErrUnsupported = errors.New("faultfs: not possible here")

// FillName is the file Fill writes: remove it to give the space back.
const FillName = ".faultfs-fill"

// Fill writes a file in dir until the disk holding it is full, and returns
// its path. It leaves nothing free on a small file system (a tmpfs of
// Tmpfs); on a large one it would take a long time, so it refuses to write
// more than max bytes.
func Fill(dir string, max int64) (string, error) {
	path := filepath.Join(dir, FillName)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return "", err
	}
	defer f.Close()
	block := make([]byte, 4096)
	var n int64
	for n < max {
		m, err := f.Write(block)
		n += int64(m)
		if err != nil {
			// Full: the last partial block may leave room for a few bytes,
			// which a byte at a time takes too.
			for {
				if _, err := f.Write(block[:1]); err != nil {
					break
				}
			}
			return path, nil
		}
	}
	f.Close()
	os.Remove(path)
	return "", fmt.Errorf("faultfs: %s did not fill up within %d bytes: use a small file system (Tmpfs)", dir, max)
}
