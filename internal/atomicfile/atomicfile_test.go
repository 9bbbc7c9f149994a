package atomicfile

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	backlog "github.com/agent-backlog/backlog"
)

// past is an mtime no edit of a test could give a file.
var past = time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)

// newFile writes a file of mode perm with an mtime in the past.
func newFile(t *testing.T, dir, name, content string, perm fs.FileMode) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, past, past); err != nil {
		t.Fatal(err)
	}
	return path
}

// entries lists the names in dir.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	list, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range list {
		names = append(names, e.Name())
	}
	return names
}

// unchanged checks that the file at path still holds content, with its old
// mtime and the same inode, and that nothing else is in its directory.
func unchanged(t *testing.T, path, content string, before fs.FileInfo) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != content {
		t.Errorf("the file holds %q, want %q", data, content)
	}
	after, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("the mtime moved from %v to %v", before.ModTime(), after.ModTime())
	}
	if !os.SameFile(before, after) {
		t.Error("the file was replaced by another inode")
	}
	if names := entries(t, filepath.Dir(path)); !slices.Equal(names, []string{filepath.Base(path)}) {
		t.Errorf("the directory holds %q, want the file alone", names)
	}
}

func appendLine(line string) func([]byte) ([]byte, error) {
	return func(old []byte) ([]byte, error) { return append(old, line+"\n"...), nil }
}

func TestEdit(t *testing.T) {
	ctx := context.Background()

	t.Run("an edit that changes nothing writes nothing and keeps the mtime", func(t *testing.T) {
		path := newFile(t, t.TempDir(), "TASKS.md", "# Tasks\n", 0o644)
		before, _ := os.Stat(path)
		changed, err := Edit(ctx, path, func(old []byte) ([]byte, error) { return []byte(string(old)), nil })
		if err != nil || changed {
			t.Fatalf("Edit = %v, %v; want false, nil", changed, err)
		}
		unchanged(t, path, "# Tasks\n", before)
	})

	t.Run("an edit replaces the file with the new bytes and leaves nothing beside it", func(t *testing.T) {
		dir := t.TempDir()
		path := newFile(t, dir, "TASKS.md", "a\r\n", 0o644)
		changed, err := Edit(ctx, path, appendLine("b"))
		if err != nil || !changed {
			t.Fatalf("Edit = %v, %v; want true, nil", changed, err)
		}
		if data, _ := os.ReadFile(path); string(data) != "a\r\nb\n" {
			t.Errorf("the file holds %q", data)
		}
		if info, _ := os.Stat(path); info.ModTime().Equal(past) {
			t.Error("the mtime did not move")
		}
		if names := entries(t, dir); !slices.Equal(names, []string{"TASKS.md"}) {
			t.Errorf("the directory holds %q, want TASKS.md alone", names)
		}
	})

	for _, perm := range []fs.FileMode{0o600, 0o640, 0o664, 0o755, 0o604} {
		t.Run("an edit keeps the mode "+perm.String(), func(t *testing.T) {
			path := newFile(t, t.TempDir(), "f", "x", perm)
			if _, err := Edit(ctx, path, appendLine("y")); err != nil {
				t.Fatal(err)
			}
			info, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if info.Mode() != perm {
				t.Errorf("mode %v after the edit, want %v", info.Mode(), perm)
			}
		})
	}

	t.Run("an edit keeps the owner and group", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("only root can give a file another owner")
		}
		path := newFile(t, t.TempDir(), "f", "x", 0o644)
		if err := os.Chown(path, 1234, 5678); err != nil {
			t.Fatal(err)
		}
		if _, err := Edit(ctx, path, appendLine("y")); err != nil {
			t.Fatal(err)
		}
		uid, gid := owner(t, path)
		if uid != 1234 || gid != 5678 {
			t.Errorf("owner %d:%d after the edit, want 1234:5678", uid, gid)
		}
	})

	t.Run("an error of the function writes nothing and is returned as it is", func(t *testing.T) {
		path := newFile(t, t.TempDir(), "TASKS.md", "keep\n", 0o644)
		before, _ := os.Stat(path)
		refused := backlog.Invalidf("no task matches %q", "zzz")
		changed, err := Edit(ctx, path, func([]byte) ([]byte, error) { return []byte("other"), refused })
		if changed || err != refused {
			t.Fatalf("Edit = %v, %v; want false, %v", changed, err, refused)
		}
		unchanged(t, path, "keep\n", before)
	})

	t.Run("a missing file is not found and is not created", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "TASKS.md")
		called := false
		_, err := Edit(ctx, path, func([]byte) ([]byte, error) { called = true; return nil, nil })
		if !errors.Is(err, backlog.ErrNotFound) || !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("Edit of a missing file: %v, want ErrNotFound", err)
		}
		if want := "cannot edit " + path + ": the file does not exist"; err.Error() != want {
			t.Errorf("sentence %q, want %q", err, want)
		}
		if called {
			t.Error("the function was called")
		}
		if names := entries(t, dir); len(names) != 0 {
			t.Errorf("the directory holds %q, want nothing", names)
		}
	})

	t.Run("Create makes a missing file with its mode less the umask, even empty", func(t *testing.T) {
		for _, content := range []string{"# Tasks\n", ""} {
			path := filepath.Join(t.TempDir(), "TASKS.md")
			var got []byte = []byte("not called")
			changed, err := Edit(ctx, path, func(old []byte) ([]byte, error) { got = old; return []byte(content), nil }, Create(0o666))
			if err != nil || !changed {
				t.Fatalf("Edit = %v, %v; want true, nil", changed, err)
			}
			if got != nil {
				t.Errorf("the function got %q for a missing file, want nil", got)
			}
			info, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if want := fs.FileMode(0o666) &^ umask(); info.Mode() != want {
				t.Errorf("mode %v, want %v", info.Mode(), want)
			}
			if data, _ := os.ReadFile(path); string(data) != content {
				t.Errorf("the file holds %q, want %q", data, content)
			}
		}
	})

	t.Run("Create leaves an existing file's bytes to the function", func(t *testing.T) {
		path := newFile(t, t.TempDir(), "f", "old", 0o600)
		before, _ := os.Stat(path)
		changed, err := Edit(ctx, path, func(old []byte) ([]byte, error) { return old, nil }, Create(0o644))
		if err != nil || changed {
			t.Fatalf("Edit = %v, %v; want false, nil", changed, err)
		}
		unchanged(t, path, "old", before)
	})

	t.Run("a symbolic link is followed: its target is edited and the link stays", func(t *testing.T) {
		dir := t.TempDir()
		real := newFile(t, filepath.Join(dir), "real.md", "a\n", 0o640)
		os.Mkdir(filepath.Join(dir, "sub"), 0o755)
		link := filepath.Join(dir, "sub", "TASKS.md")
		if err := os.Symlink("../real.md", link); err != nil {
			t.Fatal(err)
		}
		if _, err := Edit(ctx, link, appendLine("b")); err != nil {
			t.Fatal(err)
		}
		if data, _ := os.ReadFile(real); string(data) != "a\nb\n" {
			t.Errorf("the link's target holds %q", data)
		}
		if info, _ := os.Lstat(link); info.Mode()&fs.ModeSymlink == 0 {
			t.Error("the link was replaced by a file")
		}
		if info, _ := os.Stat(real); info.Mode() != 0o640 {
			t.Errorf("the target's mode is %v, want 0640", info.Mode())
		}
	})

	t.Run("a dangling symbolic link is created through with Create", func(t *testing.T) {
		dir := t.TempDir()
		link := filepath.Join(dir, "TASKS.md")
		os.Symlink("real.md", link)
		if _, err := Edit(ctx, link, appendLine("a"), Create(0o644)); err != nil {
			t.Fatal(err)
		}
		if data, _ := os.ReadFile(filepath.Join(dir, "real.md")); string(data) != "a\n" {
			t.Errorf("the link's target holds %q", data)
		}
	})

	t.Run("a file without write bits is refused, though its directory would allow the rename", func(t *testing.T) {
		path := newFile(t, t.TempDir(), "TASKS.md", "x", 0o444)
		before, _ := os.Stat(path)
		_, err := Edit(ctx, path, appendLine("y"))
		if !errors.Is(err, backlog.ErrEnvironment) || err.Error() != "cannot edit "+path+": it is read-only" {
			t.Fatalf("Edit of a read-only file: %v", err)
		}
		unchanged(t, path, "x", before)
		// Nothing to change is no failure.
		if changed, err := Edit(ctx, path, func(old []byte) ([]byte, error) { return old, nil }); err != nil || changed {
			t.Errorf("an edit that changes nothing of a read-only file: %v, %v", changed, err)
		}
	})

	t.Run("a directory is refused as bad input", func(t *testing.T) {
		dir := t.TempDir()
		_, err := Edit(ctx, dir, appendLine("x"))
		if !errors.Is(err, backlog.ErrInvalid) || err.Error() != "cannot edit "+dir+": it is a directory" {
			t.Fatalf("Edit of a directory: %v", err)
		}
	})

	t.Run("a missing directory is named", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "no", "TASKS.md")
		_, err := Edit(ctx, path, appendLine("x"), Create(0o644))
		if !errors.Is(err, backlog.ErrEnvironment) || err.Error() != "cannot edit "+path+": its directory does not exist" {
			t.Fatalf("Edit in a missing directory: %v", err)
		}
	})
}

func TestLock(t *testing.T) {
	ctx := context.Background()

	t.Run("an edit waits for the lock, and past the wait names the file and its lock", func(t *testing.T) {
		dir := t.TempDir()
		path := newFile(t, dir, "TASKS.md", "x", 0o644)
		held, err := acquire(ctx, path, true, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer held.release()
		before, _ := os.Stat(path)
		start := time.Now()
		_, err = Edit(ctx, path, appendLine("y"), Wait(100*time.Millisecond))
		if waited := time.Since(start); waited < 100*time.Millisecond {
			t.Errorf("gave up after %v, want the whole wait", waited)
		}
		want := "cannot edit " + path + ": another process held its lock (" + filepath.Join(dir, ".TASKS.md.lock") + ") for more than 100ms"
		if !errors.Is(err, backlog.ErrEnvironment) || err.Error() != want {
			t.Fatalf("Edit of a locked file: %v\nwant %s", err, want)
		}
		data, _ := os.ReadFile(path)
		after, _ := os.Stat(path)
		if string(data) != "x" || !after.ModTime().Equal(before.ModTime()) {
			t.Errorf("the locked file was written: %q", data)
		}
	})

	t.Run("an ended context ends the wait with its own error", func(t *testing.T) {
		path := newFile(t, t.TempDir(), "TASKS.md", "x", 0o644)
		held, err := acquire(ctx, path, true, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer held.release()
		cctx, cancel := context.WithCancel(ctx)
		time.AfterFunc(50*time.Millisecond, cancel)
		if _, err := Edit(cctx, path, appendLine("y")); !errors.Is(err, context.Canceled) {
			t.Fatalf("Edit with a cancelled context: %v", err)
		}
	})

	t.Run("an edit goes on once the holder lets go", func(t *testing.T) {
		path := newFile(t, t.TempDir(), "TASKS.md", "x\n", 0o644)
		held, err := acquire(ctx, path, true, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		time.AfterFunc(50*time.Millisecond, held.release)
		if _, err := Edit(ctx, path, appendLine("y")); err != nil {
			t.Fatal(err)
		}
		if data, _ := os.ReadFile(path); string(data) != "x\ny\n" {
			t.Errorf("the file holds %q", data)
		}
	})

	t.Run("readers share the lock and an edit waits for them", func(t *testing.T) {
		path := newFile(t, t.TempDir(), "TASKS.md", "x", 0o644)
		reader, err := acquire(ctx, path, false, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if data, err := Read(ctx, path, Wait(100*time.Millisecond)); err != nil || string(data) != "x" {
			t.Errorf("a read beside another reader: %q, %v", data, err)
		}
		if _, err := Edit(ctx, path, appendLine("y"), Wait(100*time.Millisecond)); !errors.Is(err, backlog.ErrEnvironment) {
			t.Errorf("an edit beside a reader: %v, want a lock held past the wait", err)
		}
		reader.release()
		if _, err := Edit(ctx, path, appendLine("y"), Wait(100*time.Millisecond)); err != nil {
			t.Errorf("an edit after the reader: %v", err)
		}
		if names := entries(t, filepath.Dir(path)); !slices.Equal(names, []string{"TASKS.md"}) {
			t.Errorf("the directory holds %q after the reads and edits", names)
		}
	})

	t.Run("a lock file left behind by a killed process is taken and removed", func(t *testing.T) {
		dir := t.TempDir()
		path := newFile(t, dir, "TASKS.md", "x", 0o644)
		os.WriteFile(filepath.Join(dir, ".TASKS.md.lock"), nil, 0o644)
		if _, err := Edit(ctx, path, appendLine("y"), Wait(100*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		if names := entries(t, dir); !slices.Equal(names, []string{"TASKS.md"}) {
			t.Errorf("the directory holds %q", names)
		}
	})
}

func TestRead(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := newFile(t, dir, "TASKS.md", "# Tasks\n", 0o644)
	data, err := Read(ctx, path)
	if err != nil || string(data) != "# Tasks\n" {
		t.Errorf("Read = %q, %v", data, err)
	}
	missing := filepath.Join(dir, "none.md")
	if _, err := Read(ctx, missing); !errors.Is(err, backlog.ErrNotFound) || !strings.Contains(err.Error(), missing) {
		t.Errorf("Read of a missing file: %v", err)
	}
	if names := entries(t, dir); !slices.Equal(names, []string{"TASKS.md"}) {
		t.Errorf("the directory holds %q after the reads", names)
	}
}
