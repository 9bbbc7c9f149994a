package main

import (
	"context"
	"debug/pe"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestParseTargets(t *testing.T) {
	tests := []struct {
		name, in, want, err string
	}{
		{"empty is every target", "", "linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64", ""},
		{"a list keeps its order and drops repeats", " windows/arm64,linux/amd64, windows/arm64", "windows/arm64 linux/amd64", ""},
		{"an unknown target is refused, naming the known ones", "plan9/amd64", "",
			`-targets: "plan9/amd64" is not a target of the release (linux/amd64, linux/arm64, darwin/amd64, darwin/arm64, windows/amd64, windows/arm64)`},
		{"an OS alone is refused", "linux", "", `-targets: "linux" is not a target`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, err := parseTargets(tt.in)
			if tt.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.err) {
					t.Fatalf("error %v, want %s", err, tt.err)
				}
				return
			}
			var got []string
			for _, x := range ts {
				got = append(got, x.String())
			}
			if err != nil || strings.Join(got, " ") != tt.want {
				t.Errorf("got %v, %v; want %s", got, err, tt.want)
			}
		})
	}
}

func TestTheBinariesHaveStableNames(t *testing.T) {
	if got := (target{"windows", "arm64"}).Name(); got != "backlog-windows-arm64.exe" {
		t.Errorf("windows: %s", got)
	}
	if got := (target{"darwin", "amd64"}).Name(); got != "backlog-darwin-amd64" {
		t.Errorf("darwin: %s", got)
	}
}

func TestAModifiedTreeIsRefused(t *testing.T) {
	dir := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Skipf("git %s: %v\n%s", args[0], err, out)
		}
	}
	git("init", "-q")
	if err := os.WriteFile(filepath.Join(dir, "a"), []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	git("add", "a")
	git("commit", "-q", "-m", "a")
	if err := checkCommitted(context.Background(), dir); err != nil {
		t.Fatalf("a committed tree: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "b"), []byte("b"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := checkCommitted(context.Background(), dir)
	if err == nil || !strings.Contains(err.Error(), "has 1 uncommitted or untracked files: commit them, or pass -allow-modified") {
		t.Errorf("an untracked file: %v", err)
	}
}

// TestTheReleaseCrossBuildsAForeignTarget builds the release for one
// platform other than this one (Windows on arm64, unless that is this one)
// and checks the binary and its checksum line. Compiling the SQLite driver
// for a new platform takes minutes the first time; the build cache makes
// it seconds after.
func TestTheReleaseCrossBuildsAForeignTarget(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the cross-build compiles the whole program for another platform")
	}
	if fi, err := os.Stat(filepath.Join("..", ".git")); err != nil || !fi.IsDir() {
		t.Skip("not a git clone (no .git directory: a worktree or a copy): a release names its commit, so it is built from a clone")
	}
	foreign := target{"windows", "arm64"}
	if runtime.GOOS == foreign.OS && runtime.GOARCH == foreign.Arch {
		foreign = target{"linux", "amd64"}
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	v, err := build(context.Background(), options{Dir: dir, Targets: []target{foreign}, AllowModified: true, Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSpace(string(head)); v.Revision != want || !v.Named() {
		t.Errorf("the binary names version %q and commit %q; want a version and HEAD %s", v.Version, v.Revision, want)
	}
	bin := filepath.Join(dir, foreign.Name())
	if foreign.OS == "windows" {
		f, err := pe.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if f.Machine != pe.IMAGE_FILE_MACHINE_ARM64 {
			t.Errorf("%s is for machine %#x, not arm64", bin, f.Machine)
		}
	}
	sums, err := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	sum, err := sha256File(bin)
	if err != nil {
		t.Fatal(err)
	}
	if want := sum + "  " + foreign.Name() + "\n"; string(sums) != want {
		t.Errorf("SHA256SUMS is %q, want %q", sums, want)
	}
	// What a user runs to check a download.
	if sha, err := exec.LookPath("sha256sum"); err == nil {
		cmd := exec.Command(sha, "-c", "SHA256SUMS")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("sha256sum -c: %v\n%s", err, out)
		}
	}
}
