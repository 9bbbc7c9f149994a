// Package oserr says in a few words why the machine refused a file
// operation (a full disk, a read-only file system), for the one-sentence
// errors of every store and file editor.
package oserr

import (
	"errors"
	"io/fs"
	"syscall"
)

// Cause is the cause of a file system error in a few words ("the disk is
// full"), or "" for an error that is not about the machine.
func Cause(err error) string {
	switch {
	case errors.Is(err, syscall.ENOSPC):
		return "the disk is full"
	case errors.Is(err, syscall.EDQUOT):
		return "the disk quota is exceeded"
	case errors.Is(err, syscall.EROFS):
		return "the file system is read-only"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	case errors.Is(err, syscall.EIO):
		return "the disk reported an I/O error"
	case errors.Is(err, syscall.ENOTDIR):
		return "a part of its path is not a directory"
	case errors.Is(err, syscall.EISDIR):
		return "it is a directory"
	case errors.Is(err, syscall.ELOOP):
		return "too many levels of symbolic links"
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return "too many open files"
	}
	return ""
}
