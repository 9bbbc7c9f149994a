package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestABuiltBinaryNamesItsVersionAlike builds backlog as a user does in a
// clone and checks that --version, version --json and the MCP server's
// serverInfo all name the version the toolchain stamped, with the commit
// of HEAD: never (devel), never a string kept by hand.
func TestABuiltBinaryNamesItsVersionAlike(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(root, ".git")); err != nil || !fi.IsDir() {
		t.Skip("not a git clone (no .git directory: a worktree or a copy): go build cannot stamp a version here")
	}
	head, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("git cannot read the clone (%v): go build cannot stamp a version here", err)
	}
	bin := filepath.Join(t.TempDir(), "backlog")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	// -buildvcs=true: this machine's go env may turn stamping off.
	if out, err := exec.Command("go", "build", "-buildvcs=true", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	run := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "TASKDATA="+t.TempDir())
		cmd.Stdin = strings.NewReader(stdin)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("backlog %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return string(out)
	}

	flag := strings.TrimSuffix(run("", "--version"), "\n")
	v, ok := strings.CutPrefix(flag, "backlog ")
	if !ok || v == "" || v == "(devel)" || v == "dev" || strings.Contains(v, " ") {
		t.Fatalf("backlog --version printed %q, want backlog and the stamped version", flag)
	}

	var info struct {
		Version, Revision string
		Modified          bool
	}
	if err := json.Unmarshal([]byte(run("", "version", "--json")), &info); err != nil {
		t.Fatal(err)
	}
	if info.Version != v {
		t.Errorf("version --json says %q, --version %q", info.Version, v)
	}
	if want := strings.TrimSpace(string(head)); info.Revision != want {
		t.Errorf("version --json names the commit %q, want HEAD %s", info.Revision, want)
	}
	if info.Modified != strings.HasSuffix(v, "+dirty") {
		t.Errorf("modified is %v for the version %q", info.Modified, v)
	}

	out := run(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`+"\n", "serve")
	var answer struct {
		Result struct {
			ServerInfo struct{ Name, Version string }
		}
	}
	if err := json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &answer); err != nil {
		t.Fatalf("serve answered %q: %v", out, err)
	}
	if answer.Result.ServerInfo.Version != v {
		t.Errorf("serverInfo.version is %q, --version %q", answer.Result.ServerInfo.Version, v)
	}
}
