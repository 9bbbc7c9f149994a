package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alecthomas/kong"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/config"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/memstore"
	"github.com/agent-backlog/backlog/when"
)

func grammar(t *testing.T) *kong.Node {
	t.Helper()
	var cmds commands
	k, err := kong.New(&cmds, kong.Name("backlog"))
	if err != nil {
		t.Fatal(err)
	}
	return k.Model.Node
}

func TestArrange(t *testing.T) {
	tests := []struct {
		name string
		args string
		want string
	}{
		{"filter words go after --", "list project:web +bug", "list -- project:web +bug"},
		{"a -tag is a word, not a flag", "list -bug", "list -- -bug"},
		{"flags may follow the words", "list +bug --json --sort due+", "list --json --sort=due+ -- +bug"},
		{"a global flag may precede the command", "--data /d list", "list --data=/d"},
		{"a value that looks like a flag stays a value", "list --limit -1", "list --limit=-1"},
		{"-h before any word is help", "modify -h", "modify -h"},
		{"-h after a word removes the tag h", "modify 12 -h", "modify -- 12 -h"},
		{"-- ends the flags and is dropped", "annotate 12 -- --json text", "annotate -- 12 --json text"},
		{"modify keeps its first -- and still reads flags after it", "modify +bug -- priority:H --yes", "modify --yes -- +bug -- priority:H"},
		{"a second -- in modify ends the flags", "modify 1 -- -- --yes", "modify -- 1 -- --yes"},
		{"subcommands nest", "doc write 12 --file x.md", "doc write --file=x.md -- 12"},
		{"an unknown flag is left for kong to report", "list --frob", "list --frob"},
		{"a command without words leaves extra words to kong", "undo now", "undo now"},
	}
	root := grammar(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := arrange(root, strings.Fields(tt.args))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("arrange(%s) = %q, want %q", tt.args, strings.Join(got, " "), tt.want)
			}
		})
	}
	t.Run("a flag without its value is an error", func(t *testing.T) {
		_, err := arrange(root, []string{"list", "--sort"})
		if !errors.Is(err, backlog.ErrInvalid) || err.Error() != "--sort needs a value" {
			t.Errorf("err = %v", err)
		}
	})
}

func TestSplitModify(t *testing.T) {
	tests := []struct {
		name                string
		words               string
		wantFilter, wantMod string
		wantErr             string
	}{
		{"ids first, then changes", "12 priority:H due:eow", "12", "priority:H due:eow", ""},
		{"id lists, ranges and several ids", "1,3 5-7 9 +x", "1,3 5-7 9", "+x", ""},
		{"a UUID prefix is an id", "0b1c2d3e +x", "0b1c2d3e", "+x", ""},
		{"a full UUID is an id", "0b1c2d3e-0000-4000-8000-000000000001 +x", "0b1c2d3e-0000-4000-8000-000000000001", "+x", ""},
		{"-- separates any filter from the changes", "+bug project:web -- priority:H", "+bug project:web", "priority:H", ""},
		{"with --, ids may be followed by filter words", "12 +bug -- -bug", "12 +bug", "-bug", ""},
		{"a filter that is not ids needs --", "+bug priority:H", "", "", `"+bug" is not a task id`},
		{"a short hex word is not a UUID prefix", "abc priority:H", "", "", `"abc" is not a task id`},
		{"no words at all", "", "", "", "modify needs a filter"},
		{"nothing before --", "-- priority:H", "", "", "modify needs a filter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, m, err := splitModify(strings.Fields(tt.words))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(f, " ") != tt.wantFilter || strings.Join(m, " ") != tt.wantMod {
				t.Errorf("split = %q / %q, want %q / %q", f, m, tt.wantFilter, tt.wantMod)
			}
		})
	}
}

func TestRelative(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"}, {30 * time.Second, "30s"}, {-90 * time.Second, "-1min"}, {5 * time.Minute, "5min"},
		{3 * time.Hour, "3h"}, {-3 * time.Hour, "-3h"}, {36 * time.Hour, "1d"}, {13 * day, "13d"},
		{15 * day, "2w"}, {100 * day, "3mo"}, {400 * day, "1y"}, {-400 * day, "-1y"},
	}
	for _, tt := range tests {
		if got := relative(tt.d); got != tt.want {
			t.Errorf("relative(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"success", nil, 0},
		{"bad input", backlog.Invalidf("x"), 1},
		{"a bad date", fmt.Errorf("wrapped: %w", when.ErrInvalid), 1},
		{"a usage error", &kong.ParseError{}, 1},
		{"not found", fmt.Errorf("task 3: %w", backlog.NotFoundf("x")), 2},
		{"a conflict", backlog.Conflictf("x"), 3},
		{"anything else", errors.New("disk full"), 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExitCode(tt.err); got != tt.want {
				t.Errorf("ExitCode = %d, want %d", got, tt.want)
			}
		})
	}
}

// run runs the command line in process over one shared in-memory store,
// which stands for the file dir/backlog.db.
func run(t *testing.T, dir string, st store.Store, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := map[string]string{"TASKDATA": dir, "BACKLOG_AGENT_ID": "tester", "BACKLOG_NOW": "2026-11-18T10:00:00Z"}
	status = Run(context.Background(), args, Env{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
		Config: config.Source{
			Getenv: func(k string) string { return env[k] },
			Getwd:  func() (string, error) { return "/", nil },
		},
		Open: func(_ context.Context, cfg *config.Config, _ bool) (store.Store, error) {
			path := cfg.File
			// Read commands look for the file before they open it.
			return nopClose{st}, os.WriteFile(path, nil, 0o600)
		},
	})
	return out.String(), errOut.String(), status
}

type nopClose struct{ store.Store }

func (nopClose) Close() error { return nil }

func TestRunInProcess(t *testing.T) {
	st, dir := memstore.New(), t.TempDir()
	if out, errOut, status := run(t, dir, st, "add", "Fix", "login", "+bug", "priority:H"); status != 0 || out != "Created task 1.\n" || errOut != "" {
		t.Fatalf("add: %q %q %d", out, errOut, status)
	}
	out, _, status := run(t, dir, st, "list", "--json", "+bug")
	if status != 0 || !strings.HasPrefix(out, `{"tasks":[{"id":1,`) || !strings.HasSuffix(out, "}]}\n") {
		t.Errorf("list --json: %q %d", out, status)
	}
	_, errOut, status := run(t, dir, st, "done", "7")
	if status != ExitNotFound || errOut != "backlog: no task with id 7\n" {
		t.Errorf("done 7: %q %d", errOut, status)
	}
	_, errOut, status = run(t, dir, st, "nosuchcommand")
	if status != ExitInvalid || !strings.HasPrefix(errOut, "backlog: ") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("nosuchcommand: %q %d", errOut, status)
	}
	out, _, status = run(t, dir, st, "add", "--help")
	if status != 0 || !strings.Contains(out, "Examples:") {
		t.Errorf("add --help: %q %d", out, status)
	}
}

// TestEveryCommandHasHelpAndExamples keeps the help complete as commands are
// added.
func TestEveryCommandHasHelpAndExamples(t *testing.T) {
	var missing []string
	var visit func(n *kong.Node)
	visit = func(n *kong.Node) {
		for _, c := range n.Children {
			if c.Hidden {
				continue
			}
			if c.Help == "" || strings.Contains(c.Help, "\n") || !strings.Contains(c.Detail, "Examples:") {
				missing = append(missing, c.Path())
			}
			visit(c)
		}
	}
	visit(grammar(t))
	if len(missing) > 0 {
		t.Errorf("commands without a one-line help and examples: %s", strings.Join(missing, ", "))
	}
	// The completion scripts know every command.
	var names []string
	for _, s := range subcommands {
		names = append(names, s[0])
	}
	for _, c := range grammar(t).Children {
		if !c.Hidden && !slices.Contains(names, c.Name) {
			t.Errorf("the completion scripts do not know %q", c.Name)
		}
	}
}
