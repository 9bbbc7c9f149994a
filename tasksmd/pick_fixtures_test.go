package tasksmd

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPickFixtures runs every folder of testdata/pick: its TASKS.md files
// are the queue (discovered and parsed as a workspace loads them), args the
// pick flags, and want.json and want.txt the exact `pick --json` and `pick`
// outputs.
func TestPickFixtures(t *testing.T) {
	dirs, err := filepath.Glob("testdata/pick/*")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no fixture under testdata/pick")
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir)+" picks as want.json and want.txt say", func(t *testing.T) {
			q := loadFixtureQueue(t, dir)
			args, err := os.ReadFile(filepath.Join(dir, "args"))
			if err != nil {
				t.Fatal(err)
			}
			opts, err := pickFixtureArgs(string(args))
			if err != nil {
				t.Fatal(err)
			}
			p := q.Pick(opts)
			for _, out := range []struct {
				file string
				got  string
			}{{"want.json", PickJSON(p)}, {"want.txt", PickText(p)}} {
				want, err := os.ReadFile(filepath.Join(dir, out.file))
				if err != nil {
					t.Fatal(err)
				}
				if out.got != string(want) {
					t.Errorf("%s: got\n%s\nwant\n%s", out.file, out.got, want)
				}
			}
		})
	}
}

// loadFixtureQueue reads the TASKS.md files under dir as a queue, with
// paths relative to dir.
func loadFixtureQueue(t *testing.T, dir string) *Queue {
	t.Helper()
	paths, err := Discover(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("no TASKS.md under %s", dir)
	}
	q := &Queue{}
	for _, p := range paths {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil {
			t.Fatal(err)
		}
		q.Files = append(q.Files, Parse(p, data))
	}
	return q
}

// pickFixtureArgs reads the flags of an args file: --agent A and --tags
// a,b (also as --flag=value); anything else is refused.
func pickFixtureArgs(line string) (PickOptions, error) {
	var opts PickOptions
	words := strings.Fields(line)
	for i := 0; i < len(words); i++ {
		name, value, hasValue := strings.Cut(words[i], "=")
		if !hasValue {
			if i+1 >= len(words) {
				return opts, fmt.Errorf("args: %s needs a value", name)
			}
			i++
			value = words[i]
		}
		switch name {
		case "--agent":
			opts.Agent = value
		case "--tags":
			for _, tag := range strings.Split(value, ",") {
				if tag = strings.TrimSpace(tag); tag != "" {
					opts.Tags = append(opts.Tags, tag)
				}
			}
		default:
			return opts, fmt.Errorf("args: unknown flag %q; a pick fixture takes --agent and --tags", words[i])
		}
	}
	return opts, nil
}
