package mcp

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// mdFixtureControl are the files of a testdata/mcp folder that describe
// the call; every other file is copied into the served tree.
var mdFixtureControl = map[string]bool{"call.json": true, "want.txt": true, "want-error": true, "after.md": true}

// TestTasksMDToolFixtures runs every folder of ../tasksmd/testdata/mcp,
// named <tool>-<case>, through the real tool over an in-memory session in
// a copy of its tree: call.json is the arguments, want.txt the exact
// result text ("<dir>" standing for the served directory), want-error
// present when the result is an error, and after.md the root TASKS.md
// after the call (absent: every file is unchanged).
func TestTasksMDToolFixtures(t *testing.T) {
	dirs, err := filepath.Glob("../tasksmd/testdata/mcp/*")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no fixture under ../tasksmd/testdata/mcp")
	}
	succeeds, fails := map[string]bool{}, map[string]bool{}
	for _, dir := range dirs {
		name := filepath.Base(dir)
		tool, _, ok := strings.Cut(name, "-")
		if _, known := mdToolArgs[tool]; !ok || !known {
			t.Errorf("fixture %s is not named <tool>-<case> after one of the TASKS.md tools", name)
			continue
		}
		if exists(t, filepath.Join(dir, "want-error")) {
			fails[tool] = true
		} else {
			succeeds[tool] = true
		}
		t.Run(name+" gives want.txt and leaves the files as after.md", func(t *testing.T) {
			call, err := os.ReadFile(filepath.Join(dir, "call.json"))
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(call) {
				t.Fatalf("call.json is not valid JSON: %s", call)
			}
			want, err := os.ReadFile(filepath.Join(dir, "want.txt"))
			if err != nil {
				t.Fatal(err)
			}
			wantErr := exists(t, filepath.Join(dir, "want-error"))

			f := newMDFixture(t, "", Options{})
			if err := os.Remove(filepath.Join(f.dir, "TASKS.md")); err != nil {
				t.Fatal(err)
			}
			before := copyFixtureTree(t, dir, f.dir)

			res, err := f.raw(nil, tool, json.RawMessage(call))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Content) != 1 || res.StructuredContent != nil {
				t.Fatalf("%d content blocks and structuredContent %v, want one text block alone", len(res.Content), res.StructuredContent)
			}
			wantText := strings.ReplaceAll(string(want), "<dir>", f.dir)
			if got := text(res); got != wantText || res.IsError != wantErr {
				t.Errorf("got %q (isError %v)\nwant %q (isError %v)", got, res.IsError, wantText, wantErr)
			}

			after := before
			if exists(t, filepath.Join(dir, "after.md")) {
				data, err := os.ReadFile(filepath.Join(dir, "after.md"))
				if err != nil {
					t.Fatal(err)
				}
				after["TASKS.md"] = string(data)
			}
			for rel, want := range after {
				got, err := os.ReadFile(filepath.Join(f.dir, rel))
				if err != nil {
					t.Errorf("%s: %v", rel, err)
				} else if string(got) != want {
					t.Errorf("%s is\n%s\nwant\n%s", rel, got, want)
				}
			}
		})
	}
	for tool := range mdToolArgs {
		if !succeeds[tool] || !fails[tool] {
			t.Errorf("%s lacks a fixture: a success %v, an error %v", tool, succeeds[tool], fails[tool])
		}
	}
}

// copyFixtureTree copies the files of a fixture folder, but its control
// files, into dst, and returns their contents by relative path.
func copyFixtureTree(t *testing.T, src, dst string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil || mdFixtureControl[rel] {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		files[rel] = string(data)
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// exists reports whether a fixture file is there.
func exists(t *testing.T, path string) bool {
	t.Helper()
	_, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}
