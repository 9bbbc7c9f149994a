package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/alecthomas/kong"
	"github.com/google/go-cmp/cmp"

	"github.com/agent-backlog/backlog/config"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/memstore"
)

// A command line parsed with the grammar of its command alone must behave
// exactly as with the whole grammar: the same help, the same errors.
func TestOneCommandGrammarAnswersAsTheWholeOne(t *testing.T) {
	var lines [][]string
	var visit func(n *kong.Node, path []string)
	visit = func(n *kong.Node, path []string) {
		for _, c := range n.Children {
			p := append(append([]string(nil), path...), c.Name)
			lines = append(lines,
				append(append([]string(nil), p...), "--help"),
				append(append([]string(nil), p...), "--no-such-flag"),
				append(append([]string(nil), p...), "-h", "--json"),
			)
			visit(c, p)
		}
	}
	visit(grammar(t), nil)
	lines = append(lines,
		[]string{"add"}, []string{"info"}, []string{"list", "project:"}, []string{"count", "+"},
		[]string{"modify", "1", "--", "+x", "--nope"}, []string{"hook"}, []string{"hook", "nope"},
		[]string{"doc"}, []string{"tasks", "--help"}, []string{"assign-all", "--help"},
		[]string{"calc", "eom", "--json"}, []string{"version"},
	)
	if len(lines) < 100 {
		t.Fatalf("only %d command lines to compare: the grammar walk is broken", len(lines))
	}
	run := func(args []string, whole bool) (string, string, int) {
		var out, errOut strings.Builder
		env := Env{
			Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
			Config: config.Source{
				Getenv: func(k string) string {
					if k == "TASKDATA" {
						return t.TempDir()
					}
					return ""
				},
				Getwd: func() (string, error) { return "/", nil },
			},
			Open: func(context.Context, *config.Config, bool) (store.Store, error) { return memstore.New(), nil },
		}
		grammar, globals := grammarFor(args)
		if whole {
			cmds := new(commands)
			grammar, globals = cmds, &cmds.Globals
		}
		status := runGrammar(context.Background(), args, env, grammar, globals)
		return out.String(), errOut.String(), status
	}
	reduced := 0
	for _, args := range lines {
		if g, _ := grammarFor(args); !isWhole(g) {
			reduced++
		}
		wo, we, ws := run(args, true)
		oo, oe, os := run(args, false)
		if diff := cmp.Diff(wo+we, oo+oe); diff != "" || ws != os {
			t.Errorf("backlog %s: the one-command grammar answers differently (status %d, want %d):\n%s",
				strings.Join(args, " "), os, ws, diff)
		}
	}
	if reduced < len(lines)/2 {
		t.Errorf("only %d of %d command lines took the one-command grammar", reduced, len(lines))
	}
}

func isWhole(g any) bool { _, ok := g.(*commands); return ok }
