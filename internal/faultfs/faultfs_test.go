package faultfs

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestFaults(t *testing.T) {
	dir := t.TempDir()
	unmount, err := Tmpfs(filepath.Join(dir, "small"), 256<<10)
	if errors.Is(err, ErrUnsupported) {
		t.Skipf("this machine cannot mount (%v): run as root on Linux", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer unmount()
	small := filepath.Join(dir, "small")

	t.Run("a filled tmpfs refuses another byte, and has room again once the fill is gone", func(t *testing.T) {
		fill, err := Fill(small, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		err = os.WriteFile(filepath.Join(small, "more"), []byte("x"), 0o600)
		if !errors.Is(err, syscall.ENOSPC) {
			t.Errorf("a write on a full disk: %v, want ENOSPC", err)
		}
		os.Remove(fill)
		if err := os.WriteFile(filepath.Join(small, "more"), []byte("x"), 0o600); err != nil {
			t.Errorf("a write after the fill is gone: %v", err)
		}
	})

	t.Run("a read-only directory refuses root and can be read", func(t *testing.T) {
		undo, err := ReadOnly(small)
		if err != nil {
			t.Fatal(err)
		}
		defer undo()
		if err := os.WriteFile(filepath.Join(small, "new"), nil, 0o600); !errors.Is(err, syscall.EROFS) {
			t.Errorf("a write in a read-only directory: %v, want EROFS", err)
		}
		if _, err := os.ReadFile(filepath.Join(small, "more")); err != nil {
			t.Errorf("a read in a read-only directory: %v", err)
		}
	})

	t.Run("filling a large disk stops at the bound", func(t *testing.T) {
		if _, err := Fill(dir, 64<<10); err == nil {
			t.Error("Fill of a large disk reported it full")
		}
		if _, err := os.Stat(filepath.Join(dir, FillName)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Fill left its file behind: %v", err)
		}
	})
}
