package sqlite

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	backlog "github.com/agent-backlog/backlog"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/agent-backlog/backlog/internal/oserr"
)

// This file turns what the machine does to a backlog file (a full disk, a
// read-only mount, a lock another process holds, a damaged file) into one
// sentence that names the file and the cause, of kind
// backlog.ErrEnvironment. The driver's own text stays underneath, for debug
// logs: it names SQL and result codes, which tell a user nothing.

// access is how a store may use its file.
type access struct {
	// readOnly says why the store may not write ("" when it may): the
	// sentence a write gets at once, without touching the file.
	readOnly string
	// immutable reads the file as one that nobody changes: SQLite needs a
	// -shm file beside a WAL database to read it, and in a read-only
	// directory none can be made when none is left over.
	immutable bool
}

// prepare readies the file at path (absolute) before SQLite opens it: it
// creates a missing file, and its directory, for the owner alone (SQLite
// would create it world-readable; its -wal and -shm files take the file's
// mode), and finds whether the store may write.
func prepare(path string) (access, error) {
	_, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return access{}, createError(path, err)
		}
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return access{}, createError(path, err)
		}
		if err := f.Close(); err != nil {
			return access{}, createError(path, err)
		}
		return access{}, nil
	}
	if err != nil {
		return access{}, openError(path, err)
	}
	dir := filepath.Dir(path)
	switch {
	case !writable(dir):
		a := access{readOnly: readOnlySentence(path, dir)}
		if _, err := os.Stat(path + "-shm"); err == nil {
			return a, nil // SQLite reads through the shm file another process keeps
		}
		if st, err := os.Stat(path + "-wal"); err == nil && st.Size() > 0 {
			return access{}, backlog.Environmentf(nil,
				"cannot read the backlog at %s: its directory is read-only, and changes left in %s-wal can be read only by a process that may write there",
				path, filepath.Base(path))
		}
		a.immutable = true
		return a, nil
	case !writable(path):
		return access{readOnly: readOnlySentence(path, path)}, nil
	}
	return access{}, nil
}

// readOnlySentence says why the backlog at path cannot be written: blocked
// is the file itself or its directory, whichever refused.
func readOnlySentence(path, blocked string) string {
	switch {
	case readOnlyFS(blocked):
		return fmt.Sprintf("cannot write the backlog at %s: the file system is read-only", path)
	case blocked != path:
		return fmt.Sprintf("cannot write the backlog at %s: its directory is read-only", path)
	}
	return fmt.Sprintf("cannot write the backlog at %s: it is read-only", path)
}

// createError reports a failure to create the backlog's file or directory.
func createError(path string, err error) error {
	if cause := oserr.Cause(err); cause != "" {
		return backlog.Environmentf(err, "cannot create the backlog at %s: %s", path, cause)
	}
	return backlog.Environmentf(err, "cannot create the backlog at %s", path)
}

// openError reports a file that exists but cannot be opened.
func openError(path string, err error) error {
	return backlog.Environmentf(err, "cannot open the backlog at %s: %s", path, openCause(path))
}

// failure is the sentence for an error of the store at path, whose writes
// wait up to busy for another process's lock. Errors that are no failure of
// the machine come back unchanged: a kind of our own (bad input, a missing
// task, a conflict), an ended context, an error of this package.
func failure(path string, busy time.Duration, err error) error {
	if err == nil {
		return nil
	}
	if settled, ok := backlog.Settled(err); ok {
		return settled
	}
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		return codeFailure(path, busy, coded.Code(), err)
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		if cause := oserr.Cause(errno); cause != "" {
			return backlog.Environmentf(err, "cannot use the backlog at %s: %s", path, cause)
		}
	}
	return err
}

// codeFailure is the sentence for a SQLite result code.
func codeFailure(path string, busy time.Duration, code int, err error) error {
	switch code & 0xff {
	case sqlite3.SQLITE_FULL:
		return backlog.Environmentf(err, "cannot write the backlog at %s: the disk is full", path)
	case sqlite3.SQLITE_READONLY:
		return backlog.Environmentf(err, "%s", readOnlySentence(path, path))
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_PROTOCOL:
		return busyError(path, busy, err)
	case sqlite3.SQLITE_CANTOPEN:
		return openError(path, err)
	case sqlite3.SQLITE_IOERR:
		if diskFull(filepath.Dir(path)) {
			return backlog.Environmentf(err, "cannot write the backlog at %s: the disk is full", path)
		}
		return backlog.Environmentf(err, "cannot read or write the backlog at %s: the disk reported an I/O error", path)
	case sqlite3.SQLITE_CORRUPT:
		return backlog.Environmentf(err, "the backlog at %s is damaged (its database is malformed): restore it from a backup", path)
	case sqlite3.SQLITE_NOTADB:
		return backlog.Environmentf(err, "the file %s is not a backlog database: move it away, or choose another directory with --data", path)
	case sqlite3.SQLITE_NOMEM:
		return backlog.Environmentf(err, "out of memory while using the backlog at %s", path)
	case sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH:
		return backlog.Environmentf(err, "cannot use the backlog at %s: permission denied", path)
	case sqlite3.SQLITE_NOLFS:
		return backlog.Environmentf(err, "cannot write the backlog at %s: the file system does not allow a file that large", path)
	case sqlite3.SQLITE_INTERRUPT:
		return err // a cancelled command
	}
	// Anything else is a bug of ours (SQL that does not run), not the
	// machine's: the sentence says so, the details are for the debug log.
	return &backlog.Error{Msg: fmt.Sprintf(
		"internal error in the backlog at %s (SQLite result code %d): run the command again with BACKLOG_LOG=debug to see the details", path, code), Err: err}
}

// busyError says that another process held the backlog longer than a write
// waits.
func busyError(path string, busy time.Duration, err error) error {
	return backlog.Environmentf(err, "the backlog at %s is locked by another process (waited %s)", path, busy)
}

// openCause finds why a file SQLite cannot open cannot be opened.
func openCause(path string) string {
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "its directory does not exist"
	case err != nil:
		if cause := oserr.Cause(err); cause != "" {
			return cause
		}
	case !st.IsDir():
		return dir + " is not a directory"
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return "it is a directory"
	}
	f, err := os.Open(path)
	if err != nil {
		if cause := oserr.Cause(err); cause != "" {
			return cause
		}
		return "it cannot be read"
	}
	f.Close()
	return "SQLite cannot open it, or the -wal and -shm files beside it"
}
