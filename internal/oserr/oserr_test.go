package oserr

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"testing"
)

func TestCauseNamesTheMachinesRefusal(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want string
	}{
		{&fs.PathError{Op: "write", Path: "/x", Err: syscall.ENOSPC}, "the disk is full"},
		{fmt.Errorf("rename: %w", syscall.EROFS), "the file system is read-only"},
		{fs.ErrPermission, "permission denied"},
		{syscall.ELOOP, "too many levels of symbolic links"},
		{errors.New("syntax error"), ""},
	} {
		if got := Cause(tt.err); got != tt.want {
			t.Errorf("Cause(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
