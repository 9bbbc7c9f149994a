package cli

import (
	"strings"
	"testing"

	"github.com/agent-backlog/backlog/agentsetup"
)

func TestAskClientTakesTheAnswerOrTheFirstAgent(t *testing.T) {
	found := []*agentsetup.Client{agentsetup.Lookup("claude"), agentsetup.Lookup("codex")}
	for answer, want := range map[string]string{
		"\n":       "claude",
		"":         "", // no answer at all: refused
		"2\n":      "codex",
		" codex\n": "codex",
		"a\n":      "claude,codex",
		"ALL\n":    "claude,codex",
		"3\n":      "",
		"vim\n":    "",
	} {
		var out strings.Builder
		got, err := askClient(strings.NewReader(answer), &out, found)
		var names []string
		for _, c := range got {
			names = append(names, c.Name)
		}
		if strings.Join(names, ",") != want || (want == "") != (err != nil) {
			t.Errorf("answer %q: got %v, %v; want %q", answer, names, err, want)
		}
		if !strings.Contains(out.String(), "  1) Claude Code\n  2) Codex\n  a) all of them\nChoose [1]: ") {
			t.Errorf("the question reads:\n%s", out.String())
		}
	}
}
