package agentsetup

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/txtar"

	backlog "github.com/agent-backlog/backlog"
)

var update = flag.Bool("update", false, "rewrite the after and error sections of testdata/golden from what the code does")

// TestGolden runs testdata/golden/CLIENT/SCOPE-CASE.txtar: the agent's file
// before (no "before" section: there is none), init's edit, and the file
// after it or the sentence that refused it. Every case is then run again,
// which must change nothing (not even the file's mtime), and every file
// written must have the shape the agent documents (schema_test.go). A case
// whose name holds "force" runs with --force.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/golden/*/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	seen := map[string]bool{}
	for _, file := range files {
		client := Lookup(filepath.Base(filepath.Dir(file)))
		if client == nil {
			t.Fatalf("%s: no agent is named %q", file, filepath.Base(filepath.Dir(file)))
		}
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		scope, kase, _ := strings.Cut(name, "-")
		seen[client.Name+"/"+kase] = true
		t.Run(client.Name+"/"+name, func(t *testing.T) {
			runGolden(t, file, client, Scope(scope), strings.Contains(kase, "force"))
		})
	}
	// Every agent has the cases the acceptance names.
	for _, c := range Clients() {
		for _, kase := range []string{"missing", "empty", "existing", "commented"} {
			if !seen[c.Name+"/"+kase] {
				t.Errorf("testdata/golden/%s has no case %q", c.Name, kase)
			}
		}
	}
}

func runGolden(t *testing.T, file string, client *Client, scope Scope, force bool) {
	ar, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string][]byte{}
	for _, f := range ar.Files {
		sections[f.Name] = f.Data
	}
	env := testEnv(t)
	path, err := client.Path(env, scope)
	if err != nil {
		t.Fatal(err)
	}
	before, hasBefore := sections["before"]
	if hasBefore {
		writeFile(t, path, before)
	}
	ctx := context.Background()
	srv := Backlog()

	dry, dryErr := client.Setup(ctx, env, scope, srv, Options{DryRun: true, Force: force})
	if _, err := os.Stat(path); hasBefore == errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the dry run created or removed %s (stat: %v)", path, err)
	}

	ch, err := client.Setup(ctx, env, scope, srv, Options{Force: force})
	got, _ := os.ReadFile(path)
	if err != nil {
		if dryErr == nil || dryErr.Error() != err.Error() {
			t.Errorf("the dry run said %v, the run %v", dryErr, err)
		}
		if hasBefore && !bytes.Equal(got, before) {
			t.Errorf("a refused edit changed the file:\n%s", got)
		}
		if !hasBefore && got != nil {
			t.Errorf("a refused edit created the file:\n%s", got)
		}
		msg := strings.NewReplacer(env.Project, "$PROJECT", env.Home, "$HOME").Replace(err.Error())
		checkSection(t, file, ar, "error", []byte(msg+"\n"))
		return
	}
	if dryErr != nil {
		t.Fatalf("the dry run failed (%v), the run did not", dryErr)
	}
	if !bytes.Equal(dry.New, got) || dry.Result != ch.Result {
		t.Errorf("the dry run would write (result %d):\n%s\nthe run wrote (result %d):\n%s", dry.Result, dry.New, ch.Result, got)
	}
	if _, ok := sections["error"]; ok && !*update {
		t.Errorf("the edit succeeded, but %s expects an error", file)
	}
	checkSection(t, file, ar, "after", got)
	wantResult := Added
	switch {
	case hasBefore && bytes.Equal(before, got):
		wantResult = Unchanged
	case force:
		wantResult = Replaced
	}
	if ch.Result != wantResult || ch.Existed != hasBefore {
		t.Errorf("result %d existed %v, want %d and %v", ch.Result, ch.Existed, wantResult, hasBefore)
	}
	checkShape(t, client, got)

	// Idempotent: a second run reports the server there and leaves the
	// file alone.
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	again, err := client.Setup(ctx, env, scope, srv, Options{})
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	now, _ := os.ReadFile(path)
	if again.Result != Unchanged || !bytes.Equal(now, got) || !info.ModTime().Equal(old) {
		t.Errorf("the second run changed something: result %d, mtime %v (was %v), file:\n%s", again.Result, info.ModTime(), old, now)
	}
}

// checkSection compares got with the section name of the archive, or with
// -update writes it there.
func checkSection(t *testing.T, file string, ar *txtar.Archive, name string, got []byte) {
	t.Helper()
	if *update {
		var files []txtar.File
		for _, f := range ar.Files {
			if f.Name != "after" && f.Name != "error" {
				files = append(files, f)
			}
		}
		ar.Files = append(files, txtar.File{Name: name, Data: got})
		if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	for _, f := range ar.Files {
		if f.Name == name {
			if !bytes.Equal(f.Data, got) {
				t.Errorf("%s, want:\n%s\ngot:\n%s", name, f.Data, got)
			}
			return
		}
	}
	t.Errorf("%s has no %q section; got:\n%s", file, name, got)
}

// testEnv is a project and a home directory of the test's own, on Linux
// paths whatever the machine.
func testEnv(t *testing.T) Env {
	dir := t.TempDir()
	return Env{
		Project: filepath.Join(dir, "project"),
		Home:    filepath.Join(dir, "home"),
		Getenv:  func(string) string { return "" },
		GOOS:    "linux",
	}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSetupRefusesWithOneSentence: the sentences of the failures that are
// not about a file's contents.
func TestSetupRefusesWithOneSentence(t *testing.T) {
	ctx := context.Background()
	t.Run("a scope the agent has no file for", func(t *testing.T) {
		_, err := Lookup("windsurf").Setup(ctx, testEnv(t), Project, Backlog(), Options{})
		if !errors.Is(err, backlog.ErrInvalid) || err.Error() != "Windsurf has no project configuration file: use --scope user" {
			t.Errorf("got %v", err)
		}
	})
	t.Run("a file that is a directory", func(t *testing.T) {
		env := testEnv(t)
		if err := os.MkdirAll(filepath.Join(env.Project, ".mcp.json"), 0o755); err != nil {
			t.Fatal(err)
		}
		_, err := Lookup("claude").Setup(ctx, env, Project, Backlog(), Options{})
		if !errors.Is(err, backlog.ErrInvalid) || !strings.Contains(err.Error(), "it is a directory") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("a directory that cannot be created", func(t *testing.T) {
		env := testEnv(t)
		writeFile(t, filepath.Join(env.Project, ".cursor"), []byte("a file, not a directory\n"))
		_, err := Lookup("cursor").Setup(ctx, env, Project, Backlog(), Options{})
		if !errors.Is(err, backlog.ErrEnvironment) || !strings.Contains(err.Error(), "cannot create the directory of "+filepath.Join(env.Project, ".cursor", "mcp.json")) {
			t.Errorf("got %v", err)
		}
	})
}
