//go:build linux

package sqlite

import "golang.org/x/sys/unix"

// writable reports whether this process may write the file or directory
// at path: the kernel's answer, which knows of read-only mounts and
// immutable files even for root.
func writable(path string) bool {
	return unix.Access(path, unix.W_OK) == nil
}

// readOnlyFS reports whether path lies on a file system mounted read-only.
func readOnlyFS(path string) bool {
	var st unix.Statfs_t
	return unix.Statfs(path, &st) == nil && st.Flags&unix.ST_RDONLY != 0
}

// diskFull reports whether the file system holding dir has no block left
// for this process.
func diskFull(dir string) bool {
	var st unix.Statfs_t
	return unix.Statfs(dir, &st) == nil && st.Bavail == 0
}
