package agentsetup

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestParseJSONCReadsWhatJSONReads(t *testing.T) {
	for _, src := range []string{
		`{}`, `[]`, `"x"`, `0`, `-1.5e+10`, `true`, `null`,
		`{"a": [1, 2, {"b": null}], "c": "\u00e9\ud83d\ude00\n\"\\/"}`,
		`{"a": 1, "a": 2}`,
		"\uFEFF{\"bom\": true}",
		`{"lone": "\ud800"}`,
		"{\"not utf-8\": \"\xff\"}",
	} {
		t.Run(src, func(t *testing.T) {
			n, err := parseJSONC([]byte(src))
			if err != nil {
				t.Fatal(err)
			}
			var want any
			if err := json.Unmarshal([]byte(strings.TrimPrefix(src, "\uFEFF")), &want); err != nil {
				t.Fatal(err)
			}
			if got := plain(n); !reflect.DeepEqual(got, want) {
				t.Errorf("got %#v, want %#v", got, want)
			}
		})
	}
}

func TestParseJSONCReadsCommentsAndTrailingCommas(t *testing.T) {
	src := "// head\n{ /* a */ \"a\": [1, 2,], // b\n \"c\": {\"d\": 1,}, }\n/* tail */"
	n, err := parseJSONC([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"a": []any{1.0, 2.0}, "c": map[string]any{"d": 1.0}}
	if got := plain(n); !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v", got)
	}
	if n.lookup("a").comma < 0 || n.lookup("c").comma < 0 {
		t.Errorf("the trailing commas were not recorded")
	}
}

func TestParseJSONCRefusesWithAPosition(t *testing.T) {
	for src, want := range map[string]string{
		"{\n  \"a\": 1\n  \"b\": 2\n}":    `line 3, column 3: expected "," or "}", found a string`,
		`{"a" 1}`:                         `line 1, column 6: expected ":", found a number`,
		`{"a": tru}`:                      `line 1, column 7: unexpected word "tru"`,
		`{"a": 01}`:                       `line 1, column 7: bad number "01"`,
		`{"a": "x`:                        `line 1, column 7: a string is not closed`,
		"{\"a\": \"x\ny\"}":               `line 1, column 9: a control character inside a string`,
		`{"a": "\x"}`:                     `line 1, column 8: unknown escape \x`,
		`{"a": 1} /* open`:                `line 1, column 10: a /* comment is not closed`,
		`{"a": 1} 2`:                      `line 1, column 10: expected the end of the file, found a number`,
		`{,}`:                             `line 1, column 2: expected a key in quotes or "}", found ","`,
		`[1,,]`:                           `line 1, column 4: expected a value, found ","`,
		`{'a': 1}`:                        `line 1, column 2: unexpected character '\''`,
		strings.Repeat("[", 1001):         `line 1, column 1001: nested too deeply`,
		`{"a": "\u12"}`:                   `line 1, column 8: a \u escape needs four hex digits`,
		`{"a": -}`:                        `line 1, column 7: bad number "-"`,
		`{"a": 1.}`:                       `line 1, column 7: bad number "1."`,
		`{"a": 1e}`:                       `line 1, column 7: bad number "1e"`,
		`{"a": 1x}`:                       `line 1, column 7: bad number "1x"`,
		"{\n\t\"mcpServers\": {\n\t\t}}}": `line 3, column 5: expected the end of the file, found "}"`,
	} {
		_, err := parseJSONC([]byte(src))
		if err == nil || err.Error() != want {
			t.Errorf("%q: got %v, want %s", src, err, want)
		}
	}
}

func TestParseJSONCTakesNothingButCommentsAsNoValue(t *testing.T) {
	for _, src := range []string{"", "  \n", "// only a comment\n", "/* a */ /* b */"} {
		n, err := parseJSONC([]byte(src))
		if n != nil || err != nil {
			t.Errorf("%q: got %v, %v", src, n, err)
		}
	}
}

func TestAddKeepsAFileWithoutAFinalNewlineSo(t *testing.T) {
	f := jsonServers{container: "mcpServers", entry: commandEntry}
	got, res, err := f.add([]byte(`{"mcpServers": {"a": {"command": "x"}}}`), Backlog(), false)
	if err != nil || res != Added {
		t.Fatal(res, err)
	}
	if want := `{"mcpServers": {"a": {"command": "x"}, "backlog": {"command": "backlog", "args": ["serve"]}}}`; string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	got, _, err = f.add([]byte("{\n  \"x\": 1\n}"), Backlog(), false)
	if err != nil {
		t.Fatal(err)
	}
	if want := "{\n  \"x\": 1,\n  \"mcpServers\": {\n    \"backlog\": {\n      \"command\": \"backlog\",\n      \"args\": [\"serve\"]\n    }\n  }\n}"; string(got) != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	got, _, err = tomlServers{}.add([]byte("model = \"o3\""), Backlog(), false)
	if err != nil {
		t.Fatal(err)
	}
	if want := "model = \"o3\"\n\n[mcp_servers.backlog]\ncommand = \"backlog\"\nargs = [\"serve\"]\n"; string(got) != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestAddPutsTheClosingBraceOnItsOwnLine(t *testing.T) {
	f := jsonServers{container: "mcpServers", entry: commandEntry}
	got, _, err := f.add([]byte("{\n  \"mcpServers\": {\n    \"a\": {\"command\": \"x\"} }\n}\n"), Backlog(), false)
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"mcpServers\": {\n    \"a\": {\"command\": \"x\"},\n    \"backlog\": {\n      \"command\": \"backlog\",\n      \"args\": [\"serve\"]\n    }\n  }\n}\n"
	if string(got) != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestAddQuotesWhatItWrites(t *testing.T) {
	srv := Server{Name: `we"ird <name>`, Command: `C:\Program Files\backlog.exe`, Args: []string{"serve", "--data", "a b\tc"}}
	got, _, err := jsonServers{container: "mcpServers", entry: commandEntry}.add(nil, srv, false)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		MCPServers map[string]struct {
			Command string
			Args    []string
		}
	}
	if err := json.Unmarshal(got, &doc); err != nil {
		t.Fatalf("%v:\n%s", err, got)
	}
	if e := doc.MCPServers[srv.Name]; e.Command != srv.Command || !reflect.DeepEqual(e.Args, srv.Args) {
		t.Errorf("read back %+v from:\n%s", doc, got)
	}
	got, _, err = tomlServers{}.add(nil, srv, false)
	if err != nil {
		t.Fatalf("%v", err)
	}
	servers, err := tomlServerTable(got)
	if same, _ := sameServer(servers[srv.Name], srv); err != nil || !same {
		t.Errorf("read back %v (%v) from:\n%s", servers, err, got)
	}
}

// FuzzParseJSONC: the parser never panics, reads every document
// encoding/json reads as encoding/json does, and refuses what it refuses
// with a position.
func FuzzParseJSONC(f *testing.F) {
	for _, s := range []string{`{}`, `{"a": [1, {"b": "c"}]}`, "// x\n{\"a\": 1,}", `{"a": "\ud83d\ude00"}`, `[1e5, -0.5, true]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		n, err := parseJSONC(src)
		if !json.Valid(src) {
			if err != nil && !strings.HasPrefix(err.Error(), "line ") {
				t.Errorf("an error without a position: %v", err)
			}
			return
		}
		if err != nil {
			t.Fatalf("encoding/json reads %q, the parser says %v", src, err)
		}
		var want any
		if err := json.Unmarshal(src, &want); err != nil {
			t.Fatal(err)
		}
		if got := plain(n); !reflect.DeepEqual(got, want) {
			t.Errorf("%q: got %#v, want %#v", src, got, want)
		}
	})
}

// FuzzAdd: whatever JSONC file an agent has, adding the server either
// refuses with a sentence or gives a file that parses, holds the server,
// keeps every other value, and takes a second add as no change.
func FuzzAdd(f *testing.F) {
	for _, s := range []string{"", `{}`, `{"mcpServers": {}}`, "{\n  // c\n  \"mcpServers\": {\"a\": {\"command\": \"x\"},},\n}", `{"x":1}`, "{\r\n\t\"mcpServers\": {\r\n\t}\r\n}"} {
		f.Add([]byte(s))
	}
	format := jsonServers{container: "mcpServers", entry: stdioEntry}
	f.Fuzz(func(t *testing.T, src []byte) {
		got, res, err := format.add(src, Backlog(), false)
		if err != nil {
			return
		}
		root, err := parseJSONC(got)
		if err != nil || root == nil {
			t.Fatalf("the result does not parse (%v):\n%s\nfrom:\n%s", err, got, src)
		}
		servers := root.lookup("mcpServers")
		if servers == nil || servers.value.kind != kindObject || servers.value.lookup("backlog") == nil {
			t.Fatalf("no server in:\n%s", got)
		}
		if same, _ := sameServer(servers.value.lookup("backlog").value.value(), Backlog()); !same {
			t.Fatalf("not our server in:\n%s", got)
		}
		if old, _ := parseJSONC(src); old != nil && res == Added {
			before := old.value().(map[string]any)
			after := root.value().(map[string]any)
			if s, ok := after["mcpServers"].(map[string]any); ok {
				delete(s, "backlog")
				if len(s) == 0 && before["mcpServers"] == nil {
					delete(after, "mcpServers")
				}
			}
			if !reflect.DeepEqual(before, after) {
				t.Fatalf("other values changed:\n%s\nto:\n%s", src, got)
			}
		}
		again, res, err := format.add(got, Backlog(), false)
		if err != nil || res != Unchanged || !bytes.Equal(again, got) {
			t.Fatalf("a second add changed something (%d, %v)", res, err)
		}
	})
}
