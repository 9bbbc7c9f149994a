package atomicfile

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/internal/faultfs"
)

// TestFaults edits files on a full disk and in a read-only directory: each
// edit fails with a sentence naming the file and the cause, and leaves the
// file and its directory as they were.
func TestFaults(t *testing.T) {
	ctx := context.Background()
	small := filepath.Join(t.TempDir(), "small")
	unmount, err := faultfs.Tmpfs(small, 256<<10)
	if errors.Is(err, faultfs.ErrUnsupported) {
		t.Skipf("this machine cannot mount (%v): run as root on Linux", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer unmount()

	t.Run("a full disk fails the edit, removes the temporary file and keeps the old one", func(t *testing.T) {
		dir := filepath.Join(small, "full")
		os.Mkdir(dir, 0o755)
		path := newFile(t, dir, "TASKS.md", "# Tasks\n", 0o644)
		before, _ := os.Stat(path)
		fill, err := faultfs.Fill(small, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		defer os.Remove(fill)
		_, err = Edit(ctx, path, appendLine(strings.Repeat("x", 64<<10)))
		if !errors.Is(err, backlog.ErrEnvironment) || err.Error() != "cannot edit "+path+": the disk is full" {
			t.Fatalf("Edit on a full disk: %v", err)
		}
		unchanged(t, path, "# Tasks\n", before)
	})

	t.Run("a read-only directory fails the edit, and a read needs no lock there", func(t *testing.T) {
		dir := filepath.Join(small, "ro")
		os.Mkdir(dir, 0o755)
		path := newFile(t, dir, "TASKS.md", "# Tasks\n", 0o644)
		before, _ := os.Stat(path)
		undo, err := faultfs.ReadOnly(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer undo()
		_, err = Edit(ctx, path, appendLine("x"))
		if !errors.Is(err, backlog.ErrEnvironment) || err.Error() != "cannot edit "+path+": the file system is read-only" {
			t.Fatalf("Edit in a read-only directory: %v", err)
		}
		unchanged(t, path, "# Tasks\n", before)
		if data, err := Read(ctx, path); err != nil || string(data) != "# Tasks\n" {
			t.Errorf("Read in a read-only directory: %q, %v", data, err)
		}
	})

	t.Run("a directory the process may not write fails the edit", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root may write any directory")
		}
		dir := t.TempDir()
		path := newFile(t, dir, "TASKS.md", "x", 0o644)
		os.Chmod(dir, 0o555)
		defer os.Chmod(dir, 0o755)
		_, err := Edit(ctx, path, appendLine("y"))
		if !errors.Is(err, backlog.ErrEnvironment) || err.Error() != "cannot edit "+path+": permission denied" {
			t.Fatalf("Edit in a directory without write permission: %v", err)
		}
		if names := entries(t, dir); !slices.Equal(names, []string{"TASKS.md"}) {
			t.Errorf("the directory holds %q", names)
		}
	})
}
