package hostiletest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestOddIDsAreRefusedAlikeOnEverySurface gives the ids -1, 0 and 2^63 to
// reading and writing commands, on the command line and over MCP (as a
// string and as a JSON number): each is refused with one sentence, the
// command line and MCP say the same sentence, and the store is unchanged.
func TestOddIDsAreRefusedAlikeOnEverySurface(t *testing.T) {
	t.Parallel()
	b := seeded(t)
	before := b.snapshot()
	s := b.serveStdio()
	for _, id := range []string{"-1", "0", "9223372036854775808"} {
		for _, c := range []struct {
			command, tool string
			extra         []string // further words of the command, and the tool's "text"
		}{
			{"info", "task_info", nil},
			{"done", "task_done", nil},
			{"delete", "task_delete", nil},
			{"annotate", "task_annotate", []string{"a note"}},
		} {
			name := fmt.Sprintf("%s and %s refuse the id %s alike", c.command, c.tool, id)
			t.Run(name, func(t *testing.T) {
				skipKnownOpen(t, name)
				r := b.run(nil, append([]string{c.command, "--", id}, c.extra...)...)
				if r.code != 1 && r.code != 2 {
					t.Fatalf("backlog %s %s: exit status %d, want 1 (bad input) or 2 (not found): %s%s", c.command, id, r.code, r.stdout, r.stderr)
				}
				cli := strings.TrimSuffix(strings.TrimPrefix(r.stderr, "backlog: "), "\n")
				if p := sentenceProblem(cli); p != "" {
					t.Errorf("command line: %s", p)
				}
				var mcpSaid []string
				for _, form := range []json.RawMessage{mustJSON(id), json.RawMessage(id)} {
					args := map[string]json.RawMessage{"id": form}
					if c.extra != nil {
						args["text"] = mustJSON(c.extra[0])
					}
					m, err := s.callRaw(c.tool, encodeArgs(args), answerTimeout)
					if err != nil {
						t.Fatal(err)
					}
					if p := refusalProblem(m); p != "" {
						t.Errorf("%s with the id %s: %s", c.tool, form, p)
					}
					mcpSaid = append(mcpSaid, refusal(m))
				}
				if mcpSaid[0] != cli {
					t.Errorf("the command line and MCP say different things about the id %s:\n  backlog %s: %q\n  %s: %q", id, c.command, cli, c.tool, mcpSaid[0])
				}
				if mcpSaid[1] != mcpSaid[0] {
					t.Errorf("%s says different things about the id %s as a string and as a number:\n  %q\n  %q", c.tool, id, mcpSaid[0], mcpSaid[1])
				}
				if p := s.alive(); p != "" {
					t.Fatal(p)
				}
				if d := b.unchanged(before); d != "" {
					t.Error(d)
					before = b.snapshot()
				}
			})
		}
	}
}

// TestIDWithSpacesIsTrimmedOnEverySurface: the id " 1" (and "1 ", "\t1")
// is task 1 on every surface, as decided for issue 11 (whitespace around a
// task reference is trimmed): the command line and MCP show the same task,
// and a filter of it counts that task.
func TestIDWithSpacesIsTrimmedOnEverySurface(t *testing.T) {
	t.Parallel()
	b := seeded(t)
	before := b.snapshot()
	s := b.serveStdio()
	for _, ref := range []string{" 1", "1 ", "\t1", " 1 "} {
		name := fmt.Sprintf("the id %q is task 1 for info and task_info alike", ref)
		t.Run(name, func(t *testing.T) {
			skipKnownOpen(t, name)
			r := b.run(nil, "--json", "info", ref)
			if r.code != 0 {
				t.Fatalf("backlog info %q: exit %d: %s", ref, r.code, r.stderr)
			}
			m, err := s.call("task_info", map[string]any{"id": ref})
			if err != nil {
				t.Fatal(err)
			}
			if !m.succeeded() {
				t.Fatalf("task_info %q: %s", ref, m.raw)
			}
			var cli, mcp bytes.Buffer
			json.Compact(&cli, []byte(r.stdout))
			json.Compact(&mcp, m.Result.Structured)
			if cli.String() != mcp.String() {
				t.Errorf("info and task_info differ:\n  %s\n  %s", shorten(cli.String()), shorten(mcp.String()))
			}
			if !strings.Contains(cli.String(), `"uuid":"`+uuidOne+`"`) {
				t.Errorf("the id %q is not task 1: %s", ref, shorten(cli.String()))
			}
		})
		name = fmt.Sprintf("the filter %q counts task 1 for count and task_count alike", ref)
		t.Run(name, func(t *testing.T) {
			skipKnownOpen(t, name)
			r := b.run(nil, "count", ref)
			if r.code != 0 || r.stdout != "1\n" {
				t.Errorf("backlog count %q: exit %d, %q %q", ref, r.code, r.stdout, r.stderr)
			}
			m, err := s.call("task_count", map[string]any{"filter": ref})
			if err != nil {
				t.Fatal(err)
			}
			if !m.succeeded() || string(m.Result.Structured) != `{"count":1}` {
				t.Errorf("task_count %q: %s", ref, m.raw)
			}
		})
	}
	if d := b.unchanged(before); d != "" {
		t.Error(d)
	}
	const name = "annotate and task_annotate both take the id \" 4\" as task 4"
	t.Run(name, func(t *testing.T) {
		skipKnownOpen(t, name)
		if r := b.run(nil, "annotate", " 4", "from the command line"); r.code != 0 {
			t.Errorf("backlog annotate \" 4\": exit %d: %s", r.code, r.stderr)
		}
		m, err := s.call("task_annotate", map[string]any{"id": " 4", "text": "from MCP"})
		if err != nil {
			t.Fatal(err)
		}
		if !m.succeeded() {
			t.Errorf("task_annotate \" 4\": %s", m.raw)
		}
		r := b.run(nil, "--json", "info", "4")
		for _, note := range []string{"from the command line", "from MCP"} {
			if !strings.Contains(r.stdout, note) {
				t.Errorf("task 4 lacks the note %q: %s", note, shorten(r.stdout))
			}
		}
	})
}
