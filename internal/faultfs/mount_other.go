//go:build !linux

package faultfs

import "fmt"

// Tmpfs is not possible here.
func Tmpfs(dir string, size int64) (unmount func() error, err error) {
	return nil, fmt.Errorf("%w: a tmpfs needs Linux", ErrUnsupported)
}

// ReadOnly is not possible here.
func ReadOnly(dir string) (undo func() error, err error) {
	return nil, fmt.Errorf("%w: a read-only bind mount needs Linux", ErrUnsupported)
}
