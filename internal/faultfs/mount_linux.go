//go:build linux

package faultfs

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// Tmpfs mounts a tmpfs of size bytes at dir (created when missing) and
// returns the function that unmounts it.
func Tmpfs(dir string, size int64) (unmount func() error, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size="+strconv.FormatInt(size, 10)); err != nil {
		return nil, fmt.Errorf("%w: mount a tmpfs at %s: %v (needs root)", ErrUnsupported, dir, err)
	}
	return func() error { return unix.Unmount(dir, unix.MNT_DETACH) }, nil
}

// ReadOnly mounts dir read-only over itself (a bind mount), so that no
// process, root included, may write under it, and returns the function
// that makes it writable again.
func ReadOnly(dir string) (undo func() error, err error) {
	if err := unix.Mount(dir, dir, "", unix.MS_BIND, ""); err != nil {
		return nil, fmt.Errorf("%w: bind-mount %s: %v (needs root)", ErrUnsupported, dir, err)
	}
	if err := unix.Mount("", dir, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, ""); err != nil {
		unix.Unmount(dir, unix.MNT_DETACH)
		return nil, fmt.Errorf("%w: remount %s read-only: %v", ErrUnsupported, dir, err)
	}
	return func() error { return unix.Unmount(dir, unix.MNT_DETACH) }, nil
}
