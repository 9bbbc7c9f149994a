package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/internal/faultfs"
	"github.com/agent-backlog/backlog/store"

	sqlite3 "modernc.org/sqlite/lib"
)

// codeError stands for the driver's error: a message and a result code.
type codeError int

func (c codeError) Error() string { return fmt.Sprintf("driver text (%d)", int(c)) }
func (c codeError) Code() int     { return int(c) }

func TestFailureSentences(t *testing.T) {
	const path = "/no/such/dir/backlog.db"
	own := backlog.Invalidf("priority must be H, M, L or empty")
	env := backlog.Environmentf(nil, "the disk is full")
	tests := []struct {
		name string
		err  error
		want string // "" when err comes back unchanged
		kind error  // nil: not a failure of the machine
	}{
		{"a full disk names the file", fmt.Errorf("sqlite: insert task 3: %w", codeError(sqlite3.SQLITE_FULL)),
			"cannot write the backlog at " + path + ": the disk is full", backlog.ErrEnvironment},
		{"a read-only file", codeError(sqlite3.SQLITE_READONLY | 1<<8),
			"cannot write the backlog at " + path + ": it is read-only", backlog.ErrEnvironment},
		{"a lock held past the timeout says how long it waited", codeError(sqlite3.SQLITE_BUSY),
			"the backlog at " + path + " is locked by another process (waited 5s)", backlog.ErrEnvironment},
		{"a locked table is a lock too", codeError(sqlite3.SQLITE_LOCKED),
			"the backlog at " + path + " is locked by another process (waited 5s)", backlog.ErrEnvironment},
		{"a file that cannot be opened says why", codeError(sqlite3.SQLITE_CANTOPEN),
			"cannot open the backlog at " + path + ": its directory does not exist", backlog.ErrEnvironment},
		{"an I/O error", codeError(sqlite3.SQLITE_IOERR | 3<<8),
			"cannot read or write the backlog at " + path + ": the disk reported an I/O error", backlog.ErrEnvironment},
		{"a damaged file", codeError(sqlite3.SQLITE_CORRUPT),
			"the backlog at " + path + " is damaged (its database is malformed): restore it from a backup", backlog.ErrEnvironment},
		{"a file that is no database", codeError(sqlite3.SQLITE_NOTADB),
			"the file " + path + " is not a backlog database: move it away, or choose another directory with --data", backlog.ErrEnvironment},
		{"a full disk met by the file system", fmt.Errorf("sqlite: the write lock file: %w", &fs.PathError{Op: "open", Path: path, Err: syscall.ENOSPC}),
			"cannot use the backlog at " + path + ": the disk is full", backlog.ErrEnvironment},
		{"SQL that does not run is a bug, its text kept for the debug log", fmt.Errorf("sqlite: select tasks: %w", codeError(sqlite3.SQLITE_ERROR)),
			"internal error in the backlog at " + path + " (SQLite result code 1): run the command again with BACKLOG_LOG=debug to see the details", nil},
		{"an environment failure passed on loses the prefixes", fmt.Errorf("task 3: %w", env), "the disk is full", backlog.ErrEnvironment},
		{"bad input passes through", own, "", nil},
		{"a cancelled command passes through", fmt.Errorf("sqlite: begin: %w", context.Canceled), "", nil},
		{"an interrupted statement passes through", codeError(sqlite3.SQLITE_INTERRUPT), "", nil},
		{"an error of this package passes through", errors.New("sqlite: the transaction is over"), "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := failure(path, 5*time.Second, tt.err)
			want := tt.want
			if want == "" {
				if got != tt.err {
					t.Errorf("got %v, want the error unchanged", got)
				}
				return
			}
			if got.Error() != want {
				t.Errorf("got  %q\nwant %q", got, want)
			}
			if (tt.kind != nil) != errors.Is(got, backlog.ErrEnvironment) {
				t.Errorf("kind of %q: environment %v, want %v", got, errors.Is(got, backlog.ErrEnvironment), tt.kind != nil)
			}
			var code interface{ Code() int }
			if errors.As(tt.err, &code) && !errors.As(got, &code) {
				t.Error("the driver's error is lost, the debug log cannot show it")
			}
		})
	}
}

// TestNewBacklogIsTheOwnersAlone: a task list is nobody else's business, in
// a new directory or an existing one, and so are the -wal and -shm files.
func TestNewBacklogIsTheOwnersAlone(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	for _, dir := range []string{t.TempDir(), filepath.Join(t.TempDir(), "new", "dir")} {
		path := filepath.Join(dir, "backlog.db")
		s, err := Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		write(t, s, func(tx store.Tx) error { return tx.Insert(context.Background(), fullTask()) })
		for _, f := range []string{path, path + "-wal", path + "-shm", path + "-writer.lock"} {
			if st, err := os.Stat(f); err != nil || st.Mode().Perm() != 0o600 {
				t.Errorf("%s: %v %v, want -rw-------", f, st.Mode(), err)
			}
		}
		s.Close()
	}
	dir := filepath.Join(t.TempDir(), "made")
	s, err := Open(context.Background(), filepath.Join(dir, "backlog.db"))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("a created directory: %v %v, want drwx------", st.Mode(), err)
	}
}

// TestWriteReportsTheFailureWhateverTheCommandMadeOfIt: a command that
// takes a store failure for bad input (as import did: "task 1071: …", exit
// 1) still reports the full disk.
func TestWriteReportsTheFailureWhateverTheCommandMadeOfIt(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	err := s.Write(ctx, func(stx store.Tx) error {
		// A database that may not grow is a full disk to SQLite.
		raw := stx.(*watchedTx).Tx.(*tx).tx
		var pages int
		if err := raw.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
			return err
		}
		if _, err := raw.ExecContext(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", pages)); err != nil {
			return err
		}
		task := fullTask()
		if err := stx.Insert(ctx, task); err != nil {
			return err
		}
		if err := stx.SetDoc(ctx, task.UUID, strings.Repeat("many words ", 100_000)); err != nil {
			return backlog.Invalidf("task 0: %s", err.Error())
		}
		return nil
	})
	want := "cannot write the backlog at " + s.Path() + ": the disk is full"
	if !errors.Is(err, backlog.ErrEnvironment) || err.Error() != want {
		t.Fatalf("got  %v\nwant %s (an environment failure)", err, want)
	}
	read(t, s, func(tx store.Tx) error {
		if _, err := tx.TaskByUUID(ctx, fullTask().UUID); !errors.Is(err, backlog.ErrNotFound) {
			t.Errorf("the task of the failed write: %v, want not found", err)
		}
		return nil
	})
}

// TestBusyWriteFailsAfterTheTimeout: a lock another process keeps past the
// busy timeout is an environment failure that says how long it waited.
func TestBusyWriteFailsAfterTheTimeout(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		hold func(t *testing.T, path string) (release func())
	}{
		{"SQLite's write lock, held by a connection of another program", func(t *testing.T, path string) func() {
			db, err := sql.Open("sqlite", "file:"+path+"?_busy_timeout=100")
			if err != nil {
				t.Fatal(err)
			}
			conn, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
				t.Fatal(err)
			}
			return func() {
				conn.ExecContext(ctx, "ROLLBACK")
				conn.Close()
				db.Close()
			}
		}},
		{"the write turn, held by another process's writer", holdTurn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "backlog.db")
			s, err := OpenWith(ctx, path, Options{BusyTimeout: 150 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			release := tt.hold(t, path)
			start := time.Now()
			err = s.Write(ctx, func(tx store.Tx) error { return tx.Insert(ctx, fullTask()) })
			want := "the backlog at " + path + " is locked by another process (waited 150ms)"
			if !errors.Is(err, backlog.ErrEnvironment) || err.Error() != want {
				t.Errorf("got  %v\nwant %s (an environment failure)", err, want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("the write gave up after %v", d)
			}
			release()
			write(t, s, func(tx store.Tx) error { return tx.Insert(ctx, fullTask()) })
		})
	}
}

// TestReadOnlyBacklog: a backlog this process may not write reads as ever,
// and every write fails at once with the sentence that says why.
func TestReadOnlyBacklog(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "ro", "backlog.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	write(t, s, func(tx store.Tx) error { return tx.Insert(ctx, fullTask()) })
	// Changes left in the -wal file, as a writer that crashed leaves them,
	// in a copy of the files without the -shm.
	stale := filepath.Join(dir, "stale")
	if err := os.Mkdir(stale, 0o700); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=wal_autocheckpoint(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec("UPDATE tasks SET description = 'changed' WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(path + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(stale, "backlog.db"+suffix), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	s.Close()

	for _, d := range []string{filepath.Dir(path), stale} {
		undo, err := faultfs.ReadOnly(d)
		if errors.Is(err, faultfs.ErrUnsupported) {
			t.Skipf("no read-only directory can be made here, even for root (%v): run as root on Linux", err)
		}
		if err != nil {
			t.Fatal(err)
		}
		defer undo()
	}

	t.Run("a read-only directory reads, and refuses writes in one sentence", func(t *testing.T) {
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		read(t, s, func(tx store.Tx) error {
			task, err := tx.Task(ctx, 1)
			if err != nil || task.Description != "changed" {
				t.Errorf("task 1: %v %v", task, err)
			}
			return nil
		})
		err = s.Write(ctx, func(tx store.Tx) error { return tx.Insert(ctx, fullTask()) })
		want := "cannot write the backlog at " + path + ": the file system is read-only"
		if !errors.Is(err, backlog.ErrEnvironment) || err.Error() != want {
			t.Errorf("got  %v\nwant %s (an environment failure)", err, want)
		}
	})
	t.Run("changes only a writer can read are refused in one sentence", func(t *testing.T) {
		stalePath := filepath.Join(stale, "backlog.db")
		_, err := Open(ctx, stalePath)
		want := "cannot read the backlog at " + stalePath + ": its directory is read-only, and changes left in backlog.db-wal can be read only by a process that may write there"
		if !errors.Is(err, backlog.ErrEnvironment) || err == nil || err.Error() != want {
			t.Errorf("got  %v\nwant %s (an environment failure)", err, want)
		}
	})
	t.Run("a backlog cannot be created in a read-only directory", func(t *testing.T) {
		newPath := filepath.Join(stale, "other.db")
		_, err := Open(ctx, newPath)
		want := "cannot create the backlog at " + newPath + ": the file system is read-only"
		if !errors.Is(err, backlog.ErrEnvironment) || err == nil || err.Error() != want {
			t.Errorf("got  %v\nwant %s (an environment failure)", err, want)
		}
	})
}

// holdTurn takes the write turn of the backlog at path as another process
// would: a lock on its own open of the lock file.
func holdTurn(t *testing.T, path string) (release func()) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("writers queue on SQLite's busy handler alone here (no flock)")
	}
	f, err := os.OpenFile(path+"-writer.lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := lockFile(f); err != nil {
		t.Fatal(err)
	}
	return func() {
		unlockFile(f)
		f.Close()
	}
}

// TestReadOnlyFile: a file this process may not write (immutable, which
// stops root too) in a directory it may write opens for reading, SQLite
// making its -shm beside it, and refuses writes in one sentence.
func TestReadOnlyFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "backlog.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	write(t, s, func(tx store.Tx) error { return tx.Insert(ctx, fullTask()) })
	s.Close()
	if out, err := exec.Command("chattr", "+i", path).CombinedOutput(); err != nil {
		t.Skipf("no immutable file can be made here (chattr +i: %v %s): run as root on a file system with attributes", err, out)
	}
	t.Cleanup(func() { exec.Command("chattr", "-i", path).Run() })
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	read(t, s, func(tx store.Tx) error {
		_, err := tx.Task(ctx, fullTask().ID)
		return err
	})
	err = s.Write(ctx, func(tx store.Tx) error { return tx.Purge(ctx, fullTask().UUID) })
	want := "cannot write the backlog at " + path + ": it is read-only"
	if !errors.Is(err, backlog.ErrEnvironment) || err.Error() != want {
		t.Errorf("got  %v\nwant %s (an environment failure)", err, want)
	}
}
