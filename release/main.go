// Command release cross-builds the binaries of a release: backlog for
// Linux, macOS and Windows on amd64 and arm64, each with CGO off (the
// SQLite driver is pure Go, so the Linux binaries are fully static), paths
// trimmed and symbols stripped, and a SHA256SUMS file beside them. Run it
// from a git clone at the commit to release, tagged vX.Y.Z for a release:
//
//	go run ./release                                  # all six, into dist/
//	go run ./release -targets linux/arm64 -o /tmp/out # one
//	cd dist && sha256sum -c SHA256SUMS                # what a user checks
//
// Every binary names its version the way the Go toolchain stamps it (the
// tag, or a pseudo-version naming the commit): no string is kept by hand.
// The tool reads each binary's build record back and refuses one that does
// not name its version and commit, or was built with CGO; it refuses a tree
// with uncommitted changes unless -allow-modified (the version then ends in
// +dirty).
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"debug/elf"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/agent-backlog/backlog/internal/version"
)

// pkg is what the release builds.
const pkg = "github.com/agent-backlog/backlog/cmd/backlog"

// target is one platform of the release.
type target struct{ OS, Arch string }

func (t target) String() string { return t.OS + "/" + t.Arch }

// Name is the binary's file name: stable across versions, so that a
// release's download links can name the latest one.
func (t target) Name() string {
	n := "backlog-" + t.OS + "-" + t.Arch
	if t.OS == "windows" {
		n += ".exe"
	}
	return n
}

// allTargets are the platforms of a release.
var allTargets = []target{
	{"linux", "amd64"}, {"linux", "arm64"},
	{"darwin", "amd64"}, {"darwin", "arm64"},
	{"windows", "amd64"}, {"windows", "arm64"},
}

// parseTargets reads -targets: OS/ARCH pairs separated by commas; empty
// means every target.
func parseTargets(s string) ([]target, error) {
	if strings.TrimSpace(s) == "" {
		return allTargets, nil
	}
	var out []target
	for _, w := range strings.Split(s, ",") {
		w = strings.TrimSpace(w)
		i := slices.IndexFunc(allTargets, func(t target) bool { return t.String() == w })
		if i < 0 {
			names := make([]string, len(allTargets))
			for i, t := range allTargets {
				names[i] = t.String()
			}
			return nil, fmt.Errorf("-targets: %q is not a target of the release (%s)", w, strings.Join(names, ", "))
		}
		if !slices.Contains(out, allTargets[i]) {
			out = append(out, allTargets[i])
		}
	}
	return out, nil
}

// options say what build builds.
type options struct {
	Dir           string   // where the binaries and SHA256SUMS go
	Targets       []target // the platforms
	AllowModified bool     // build from a tree with uncommitted changes
	Log           io.Writer
}

// build builds the binaries, checks each one's build record, and writes
// SHA256SUMS; it returns the version the binaries name.
func build(ctx context.Context, o options) (version.Info, error) {
	var v version.Info
	root, err := moduleRoot(ctx)
	if err != nil {
		return v, err
	}
	if !o.AllowModified {
		if err := checkCommitted(ctx, root); err != nil {
			return v, err
		}
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return v, err
	}
	var sums bytes.Buffer
	for _, t := range o.Targets {
		out := filepath.Join(o.Dir, t.Name())
		cmd := exec.CommandContext(ctx, "go", "build", "-buildvcs=true", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+t.OS, "GOARCH="+t.Arch)
		if b, err := cmd.CombinedOutput(); err != nil {
			return v, fmt.Errorf("go build for %s failed: %v\n%s", t, err, b)
		}
		got, err := check(out, t)
		if err != nil {
			return v, err
		}
		if v.Version != "" && got.Version != v.Version {
			return v, fmt.Errorf("%s names version %s, but %s", out, got.Version, v.Version)
		}
		v = got
		sum, err := sha256File(out)
		if err != nil {
			return v, err
		}
		fmt.Fprintf(&sums, "%s  %s\n", sum, t.Name())
		fmt.Fprintf(o.Log, "built %s\n", out)
	}
	sumsFile := filepath.Join(o.Dir, "SHA256SUMS")
	if err := os.WriteFile(sumsFile, sums.Bytes(), 0o644); err != nil {
		return v, err
	}
	fmt.Fprintf(o.Log, "wrote %s: backlog %s, commit %s\n", sumsFile, v.Version, v.Revision)
	return v, nil
}

// check reads a binary's build record back: it must name its version and
// commit, for its platform, without CGO and with trimmed paths; a Linux
// binary must need no dynamic loader nor library.
func check(file string, t target) (version.Info, error) {
	bi, err := buildinfo.ReadFile(file)
	if err != nil {
		return version.Info{}, fmt.Errorf("%s has no Go build record: %w", file, err)
	}
	v := version.Of(bi)
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	switch {
	case !v.Named() || v.Revision == "":
		return v, fmt.Errorf("%s does not name its version and commit (%s): build from a git clone", file, v.Version)
	case v.OS != t.OS || v.Arch != t.Arch:
		return v, fmt.Errorf("%s is for %s/%s, not %s", file, v.OS, v.Arch, t)
	case settings["CGO_ENABLED"] != "0" || settings["-trimpath"] != "true":
		return v, fmt.Errorf("%s was built with CGO_ENABLED=%q, -trimpath=%q", file, settings["CGO_ENABLED"], settings["-trimpath"])
	}
	if t.OS == "linux" {
		f, err := elf.Open(file)
		if err != nil {
			return v, err
		}
		defer f.Close()
		libs, _ := f.ImportedLibraries()
		if slices.ContainsFunc(f.Progs, func(p *elf.Prog) bool { return p.Type == elf.PT_INTERP }) || len(libs) > 0 {
			return v, fmt.Errorf("%s is not static: it needs a dynamic loader or %v", file, libs)
		}
	}
	return v, nil
}

// moduleRoot is the directory of the module being built, which must be
// this one.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Path}} {{.Dir}}").Output()
	if err != nil {
		return "", fmt.Errorf("go list -m: %w (run the release from the backlog's clone)", err)
	}
	path, dir, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	if path != "github.com/agent-backlog/backlog" {
		return "", fmt.Errorf("the module here is %q: run the release from the backlog's clone", path)
	}
	return dir, nil
}

// checkCommitted refuses a tree whose files differ from the commit, as git
// (and so the version's +dirty) sees it.
func checkCommitted(ctx context.Context, root string) error {
	cmd := exec.CommandContext(ctx, "git", "status", "--porcelain")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("git status in %s: %w (a release is built from a git clone)", root, err)
	}
	if n := bytes.Count(out, []byte("\n")); n > 0 {
		return fmt.Errorf("%s has %d uncommitted or untracked files: commit them, or pass -allow-modified for binaries whose version ends in +dirty", root, n)
	}
	return nil
}

func sha256File(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func main() {
	dir := flag.String("o", "dist", "the directory for the binaries and SHA256SUMS")
	targets := flag.String("targets", "", "OS/ARCH,... (default: all of linux, darwin, windows on amd64 and arm64)")
	allow := flag.Bool("allow-modified", false, "build from a tree with uncommitted changes (the version ends in +dirty)")
	flag.Parse()
	if err := run(*dir, *targets, *allow, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "release: "+err.Error())
		os.Exit(1)
	}
}

func run(dir, targets string, allowModified bool, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("unexpected arguments %q: the flags are -o, -targets and -allow-modified", args)
	}
	ts, err := parseTargets(targets)
	if err != nil {
		return err
	}
	_, err = build(context.Background(), options{Dir: dir, Targets: ts, AllowModified: allowModified, Log: os.Stdout})
	return err
}
