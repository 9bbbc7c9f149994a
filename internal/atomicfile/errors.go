package atomicfile

import (
	"context"
	"errors"
	"io/fs"
	"syscall"
	"time"

	backlog "github.com/agent-backlog/backlog"

	"github.com/agent-backlog/backlog/internal/oserr"
)

// This file turns what the machine does to an edit into one sentence that
// names the file and the cause. Every such failure happens before the
// rename, so the sentence can promise that the file is as it was.

// notRegular is read's error for a directory, a device or a pipe, which an
// edit must not replace with a file.
type notRegular struct{ dir bool }

func (e *notRegular) Error() string {
	if e.dir {
		return "it is a directory"
	}
	return "it is not a regular file"
}

// failure is the sentence for a failure to verb ("edit", "read") the file
// at path.
func failure(verb, path string, err error) error {
	if cause := cause(err); cause != "" {
		return backlog.Environmentf(err, "cannot %s %s: %s", verb, path, cause)
	}
	return backlog.Environmentf(err, "cannot %s %s: %v", verb, path, err)
}

// readFailure is the sentence for a file that cannot be read under its
// lock: a missing file is not found, anything that is not a regular file
// is refused as input, the rest is the machine's.
func readFailure(verb, path string, err error) error {
	var odd *notRegular
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &backlog.Error{Kind: backlog.ErrNotFound, Msg: "cannot " + verb + " " + path + ": the file does not exist", Err: err}
	case errors.As(err, &odd):
		return &backlog.Error{Kind: backlog.ErrInvalid, Msg: "cannot " + verb + " " + path + ": " + odd.Error(), Err: err}
	}
	return failure(verb, path, err)
}

// lockFailure is the sentence for a lock that could not be had: one held
// past the wait names the sidecar, so that a user can see who holds it; an
// ended context is passed on as it is.
func lockFailure(verb, path, target string, wait time.Duration, err error) error {
	switch {
	case errors.Is(err, errLockTimeout):
		return backlog.Environmentf(err, "cannot %s %s: another process held its lock (%s) for more than %s",
			verb, path, lockPath(target), wait)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, fs.ErrNotExist):
		return backlog.Environmentf(err, "cannot %s %s: its directory does not exist", verb, path)
	}
	return failure(verb, path, err)
}

// unlockable says whether a lock failed only because its sidecar cannot
// be created: in a read-only directory, which nobody edits either.
func unlockable(err error) bool {
	return errors.Is(err, syscall.EROFS) || errors.Is(err, fs.ErrPermission)
}

// cause is oserr.Cause, which also names a chain of links too long to
// follow (errTooManyLinks, this package's own).
func cause(err error) string {
	if errors.Is(err, errTooManyLinks) {
		return "too many levels of symbolic links"
	}
	return oserr.Cause(err)
}
