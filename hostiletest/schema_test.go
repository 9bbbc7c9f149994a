package hostiletest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
)

// tool is one entry of tools/list, as far as the generator needs it.
type tool struct {
	Name        string `json:"name"`
	InputSchema struct {
		Properties map[string]property `json:"properties"`
		Required   []string            `json:"required"`
	} `json:"inputSchema"`
}

// property is the schema of one argument.
type property struct {
	Type  schemaTypes `json:"type"`
	Items *property   `json:"items"`
}

// schemaTypes is a JSON Schema "type": one name or a list of names.
type schemaTypes []string

func (ts *schemaTypes) UnmarshalJSON(data []byte) error {
	var one string
	if json.Unmarshal(data, &one) == nil {
		*ts = schemaTypes{one}
		return nil
	}
	var many []string
	err := json.Unmarshal(data, &many)
	*ts = many
	return err
}

// allows reports whether the schema admits a JSON type.
func (ts schemaTypes) allows(name string) bool {
	return slices.Contains(ts, name) || (name == "integer" && slices.Contains(ts, "number"))
}

// listTools fetches tools/list.
func (s *stdioServer) listTools(t *testing.T) []tool {
	t.Helper()
	if err := s.write([]byte(`{"jsonrpc":"2.0","id":"tools","method":"tools/list","params":{}}` + "\n")); err != nil {
		t.Fatal(err)
	}
	m, err := s.await(`"tools"`, answerTimeout)
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Result struct {
			Tools []tool `json:"tools"`
		} `json:"result"`
	}
	if err := json.Unmarshal(m.line, &list); err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	return list.Result.Tools
}

// baseCalls are valid arguments for every tool on the seeded store, in an
// order in which each still holds after the ones before it were carried out.
// A wrong-typed value replaces one argument of these, so that the wrong type
// alone is what a refusal answers.
var baseCalls = []struct{ tool, args string }{
	{"task_info", `{"id":1}`},
	{"task_list", `{}`},
	{"task_count", `{}`},
	{"task_summary", `{}`},
	{"task_sync", `{"forge":"github","filter":"project:none"}`},
	{"task_projects", `{}`},
	{"task_tags", `{}`},
	{"task_archive_list", `{}`},
	{"task_archive_load", `{"segment":"2026-Q3"}`},
	{"task_doc_read", `{"id":2}`},
	{"task_add", `{"description":"Added by the hostile suite"}`},
	{"task_log", `{"description":"Logged by the hostile suite"}`},
	{"task_import", `{"tasks":[{"description":"Imported by the hostile suite"}]}`},
	{"task_duplicate", `{"id":1}`},
	{"task_annotate", `{"id":4,"text":"a note"}`},
	{"task_denotate", `{"id":3,"text":"started thinking"}`},
	{"task_doc_write", `{"id":2,"content":"# New doc"}`},
	{"task_doc_delete", `{"id":2}`},
	{"task_modify", `{"filter":"5","priority":"H"}`},
	{"task_start", `{"id":5}`},
	{"task_stop", `{"id":7}`},
	{"task_release", `{"id":13,"note":"handing off"}`},
	{"task_claim", `{}`},
	{"task_done", `{"id":4}`},
	{"task_delete", `{"id":12}`},
	{"task_purge", `{"id":9}`},
	{"task_archive", `{}`},
	{"task_undo", `{}`},
}

// baseArgs returns a tool's valid arguments.
func baseArgs(name string) (map[string]json.RawMessage, bool) {
	for _, c := range baseCalls {
		if c.tool == name {
			var m map[string]json.RawMessage
			if err := json.Unmarshal([]byte(c.args), &m); err != nil {
				panic(err)
			}
			return m, true
		}
	}
	return nil, false
}

// badValue is one hostile value for an argument.
type badValue struct {
	name string // as in "<tool> <argument> as <name>"
	raw  string // the JSON text sent, possibly not valid UTF-8
	kind string // its JSON type; for arrays, "array of <item type>"
}

// badValues are the values tried for every argument.
var badValues = []badValue{
	{"an object", `{"key":"value"}`, "object"},
	{"a nested object", `{"a":{"b":{"c":[1,{"d":[true,null,{"e":"f"}]}]}}}`, "object"},
	{"an array of objects", `[{"key":"value"},{"key":2}]`, "array of object"},
	{"an array of arrays", `[["a"],["b"]]`, "array of array"},
	{"an array of strings", `["a","b"]`, "array of string"},
	{"a negative number", `-1`, "integer"},
	{"2^63", `9223372036854775808`, "integer"},
	{"1e308", `1e308`, "integer"},
	{"a fraction", `0.5`, "number"},
	{"true", `true`, "boolean"},
	{"null", `null`, "null"},
	{"an empty string", `""`, "string"},
	{"a huge string", `"` + strings.Repeat("x", 100_000) + `"`, "string"},
	{"a string with a NUL byte", `"a\u0000b"`, "string"},
	{"a string with invalid UTF-8", "\"a\xff\xfeb\"", "string"},
	{"a string with a lone surrogate escape", `"a\ud800b"`, "string"},
}

// mustRefuse reports whether every server must refuse v for an argument: its
// JSON type is not one the schema admits, or the argument is a task
// reference and v is no task, or the argument is required and v is null.
func mustRefuse(arg string, p property, required bool, v badValue) bool {
	absent := v.kind == "null" || v.raw == `""`
	if arg == "id" {
		// An optional id left null or empty may be taken as no id.
		return required || !absent
	}
	item, isArray := strings.CutPrefix(v.kind, "array of ")
	switch {
	case v.kind == "null":
		return required
	case isArray:
		if !p.Type.allows("array") {
			return true
		}
		return p.Items != nil && !p.Items.Type.allows(item)
	case v.kind == "integer" && !p.Type.allows("integer") && !p.Type.allows("number"):
		return true
	case v.kind == "number":
		return !p.Type.allows("number")
	}
	return !p.Type.allows(v.kind) && v.kind != "integer"
}

// encodeArgs writes arguments as a JSON object, keys sorted, values as they
// are (even when not valid UTF-8).
func encodeArgs(args map[string]json.RawMessage) []byte {
	keys := make([]string, 0, len(args))
	for k := range args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:", k)
		b.Write(args[k])
	}
	b.WriteByte('}')
	return b.Bytes()
}

// wrongCall is one generated call.
type wrongCall struct {
	name   string // the case name, a sentence
	tool   string
	arg    string // the argument given the bad value, "" for the whole arguments
	args   []byte
	refuse bool // the call must be refused
}

// wrongCalls generates, for every tool and every argument of its schema,
// calls with each bad value in place of a valid one; and for every tool,
// an unknown argument and arguments that are not an object.
func wrongCalls(t *testing.T, tools []tool) []wrongCall {
	t.Helper()
	var calls []wrongCall
	for _, tl := range tools {
		base, ok := baseArgs(tl.Name)
		if !ok {
			t.Errorf("tool %s has no valid arguments in baseCalls: add them, so that its wrong types are tried", tl.Name)
			continue
		}
		names := make([]string, 0, len(tl.InputSchema.Properties))
		for n := range tl.InputSchema.Properties {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, arg := range names {
			p := tl.InputSchema.Properties[arg]
			required := slices.Contains(tl.InputSchema.Required, arg)
			for _, v := range badValues {
				args := map[string]json.RawMessage{}
				for k, raw := range base {
					args[k] = raw
				}
				args[arg] = json.RawMessage(v.raw)
				c := wrongCall{tool: tl.Name, arg: arg, args: encodeArgs(args), refuse: mustRefuse(arg, p, required, v)}
				if c.refuse {
					c.name = fmt.Sprintf("%s refuses %s as %s", tl.Name, arg, v.name)
				} else {
					c.name = fmt.Sprintf("%s takes or refuses %s as %s", tl.Name, arg, v.name)
				}
				calls = append(calls, c)
			}
		}
		unknown := map[string]json.RawMessage{"bogus": json.RawMessage(`1`)}
		for k, raw := range base {
			unknown[k] = raw
		}
		calls = append(calls, wrongCall{name: tl.Name + " refuses an unknown argument", tool: tl.Name, arg: "bogus", args: encodeArgs(unknown), refuse: true})
		for _, whole := range []struct{ name, raw string }{
			{"an array", `[]`}, {"a string", `"id=1"`}, {"a number", `1`}, {"true", `true`},
		} {
			calls = append(calls, wrongCall{name: fmt.Sprintf("%s refuses arguments that are %s", tl.Name, whole.name), tool: tl.Name, args: []byte(whole.raw), refuse: true})
		}
	}
	return calls
}

// TestWrongTypesForEveryArgument calls every tool of tools/list with a wrong
// or hostile value in each argument, the other arguments valid. A value of a
// type the schema does not admit must be refused with one sentence that
// names the argument; another hostile value may be taken or refused with one
// sentence. After each call the next request is answered; after each tool's
// calls the store is as before, unless one of them was carried out.
func TestWrongTypesForEveryArgument(t *testing.T) {
	t.Parallel()
	b := seeded(t)
	s := b.serveStdio()
	tools := s.listTools(t)
	if len(tools) < 20 {
		t.Fatalf("tools/list gave %d tools", len(tools))
	}
	calls := wrongCalls(t, tools)
	// The calls that must be refused come first, tool by tool, on the
	// seeded store; then the others, which may change it.
	sort.SliceStable(calls, func(i, j int) bool { return calls[i].refuse && !calls[j].refuse })
	before := b.snapshot()
	var echoes []string // refusals that repeat a huge value whole
	group, carried := "", ""
	check := func(next string) {
		if group != "" && carried == "" {
			name := fmt.Sprintf("%s, all refused, leave the store unchanged", group)
			t.Run(name, func(t *testing.T) {
				skipKnownOpen(t, name)
				if d := b.unchanged(before); d != "" {
					t.Error(d)
				}
			})
		}
		if carried != "" {
			before = b.snapshot()
		}
		group, carried = next, ""
	}
	for _, c := range calls {
		key := c.tool + map[bool]string{true: "'s wrong-typed calls", false: "'s other hostile calls"}[c.refuse]
		if key != group {
			check(key)
		}
		t.Run(c.name, func(t *testing.T) {
			skipKnownOpen(t, c.name)
			m, err := s.callRaw(c.tool, c.args, answerTimeout, "null")
			if err != nil {
				t.Error(err)
				s = b.serveStdio() // go on with the next case on a new server
				return
			}
			if m.succeeded() {
				carried = c.name
				t.Logf("carried out: %s", shorten(m.raw))
			}
			said := refusal(m)
			if !m.succeeded() && len(said) > maxSentence {
				// Reported once for all cases, below.
				echoes = append(echoes, fmt.Sprintf("%s: %d bytes", c.name, len(said)))
				m = shortened(m)
			}
			switch {
			case c.refuse:
				if p := refusalProblem(m); p != "" {
					t.Error(p)
				} else if c.arg != "" && !strings.Contains(said, strings.TrimSuffix(c.arg, "s")) {
					t.Errorf("the refusal does not name the argument %q: %q", c.arg, shorten(said))
				}
			default:
				if p := answerProblem(m); p != "" {
					t.Error(p)
				}
			}
			if p := s.alive(); p != "" {
				t.Error(p)
				s = b.serveStdio()
			}
		})
	}
	check("")
	const echo = "no refusal repeats a 100 KB value whole"
	t.Run(echo, func(t *testing.T) {
		skipKnownOpen(t, echo)
		if len(echoes) > 0 {
			t.Errorf("%d refusals are longer than %d bytes, echoing the value instead of naming it briefly:\n%s", len(echoes), maxSentence, strings.Join(echoes, "\n"))
		}
	})
}

// shortened cuts a refusal's text to maxSentence bytes, so that the other
// checks still apply to it once its length has been reported.
func shortened(m message) message {
	if m.Error != nil {
		e := *m.Error
		e.Message = e.Message[:maxSentence]
		m.Error = &e
		return m
	}
	r := *m.Result
	r.Content = []content{{"text", strings.ToValidUTF8(m.text()[:maxSentence], "")}}
	m.Result = &r
	return m
}

// TestBaseCallsAreValid carries out every base call once on a seeded store,
// so that a refusal in TestWrongTypesForEveryArgument answers the wrong
// value, not a wrong base.
func TestBaseCallsAreValid(t *testing.T) {
	t.Parallel()
	b := seeded(t)
	s := b.serveStdio()
	for _, c := range baseCalls {
		if c.tool == "task_archive_load" {
			continue // the seeded store has no archive segment to load
		}
		m, err := s.callRaw(c.tool, []byte(c.args), answerTimeout)
		if err != nil {
			t.Fatalf("%s %s: %v", c.tool, c.args, err)
		}
		if !m.succeeded() {
			t.Errorf("%s %s was refused: %s", c.tool, c.args, m.raw)
		}
	}
}
