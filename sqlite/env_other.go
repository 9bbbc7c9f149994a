//go:build !linux

package sqlite

import "os"

// writable reports whether this process may write the file at path; a
// directory is taken as writable, and SQLite reports otherwise.
func writable(path string) bool {
	if st, err := os.Stat(path); err != nil || st.IsDir() {
		return true
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return false
	}
	f.Close()
	return true
}

// readOnlyFS is false where the mount flags cannot be read.
func readOnlyFS(string) bool { return false }

// diskFull is false where the free space cannot be read.
func diskFull(string) bool { return false }
