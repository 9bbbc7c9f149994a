package agentsetup

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"

	backlog "github.com/agent-backlog/backlog"
)

// jsonServers is how a JSON file holds MCP servers: an object under the
// top-level key container ("mcpServers", or VS Code's "servers"), one
// member per server, whose value entry makes.
type jsonServers struct {
	container string
	entry     func(Server) object
}

// object is a JSON object to write, its fields in the order written.
type object []field

// field is one key of an object and its value: a string, a []string or an
// object.
type field struct {
	key   string
	value any
}

// add puts srv under the container, editing src in place: the text around
// the insertion (comments, order, indentation, line endings) stays as it
// was, and the new lines follow the indentation of their neighbours.
func (f jsonServers) add(src []byte, srv Server, force bool) ([]byte, Result, error) {
	root, err := parseJSONC(src)
	if err != nil {
		return nil, 0, backlog.Invalidf("it is not valid JSON (%v)", err)
	}
	entry := f.entry(srv)
	e := newEditor(src)
	if root == nil {
		return e.appendValue(object{{f.container, object{{srv.Name, entry}}}}), Added, nil
	}
	if root.kind != kindObject {
		return nil, 0, backlog.Invalidf("its top level is not a JSON object")
	}
	servers := root.lookup(f.container)
	if servers == nil {
		e.insert(root, root, field{f.container, object{{srv.Name, entry}}})
		return e.apply(), Added, nil
	}
	if servers.value.kind != kindObject {
		return nil, 0, backlog.Invalidf("its %q is not an object", f.container)
	}
	mine := servers.value.lookup(srv.Name)
	if mine == nil {
		e.insert(root, servers.value, field{srv.Name, entry})
		return e.apply(), Added, nil
	}
	same, what := sameServer(mine.value.value(), srv)
	switch {
	case same:
		return src, Unchanged, nil
	case !force:
		return nil, 0, backlog.Conflictf("it has a %q server already, which %s: left as it is (--force replaces it)", srv.Name, what)
	}
	e.replace(root, servers.value, mine, entry)
	return e.apply(), Replaced, nil
}

// sameServer says whether an existing entry starts srv over stdio (its
// other settings, such as env, are the user's), and if not, what it does,
// for the sentence that refuses to replace it.
func sameServer(v any, srv Server) (bool, string) {
	m, ok := v.(map[string]any)
	if !ok {
		return false, "is not an object"
	}
	for _, k := range []string{"url", "serverUrl", "httpUrl"} {
		if u, ok := m[k].(string); ok {
			return false, "points at " + u
		}
	}
	if t, ok := m["type"]; ok && t != "stdio" {
		return false, "is not a stdio server"
	}
	cmd, _ := m["command"].(string)
	var args []string
	switch a := m["args"].(type) {
	case nil:
	case []any:
		for _, x := range a {
			s, ok := x.(string)
			if !ok {
				return false, "has arguments that are not strings"
			}
			args = append(args, s)
		}
	default:
		return false, "has arguments that are not a list"
	}
	if cmd == srv.Command && slices.Equal(args, srv.Args) {
		return true, ""
	}
	return false, "runs " + strings.TrimSpace(cmd+" "+strings.Join(args, " "))
}

// editor collects replacements of byte ranges of src and applies them at
// once.
type editor struct {
	src     []byte
	edits   []edit
	newline string // "\r\n" in a file written with them
	unit    string // one level of indentation
}

type edit struct {
	start, end int
	text       string
}

func newEditor(src []byte) *editor {
	e := &editor{src: src, newline: "\n", unit: "  "}
	if bytes.Contains(src, []byte("\r\n")) {
		e.newline = "\r\n"
	}
	return e
}

// apply returns src with the edits made, the new text's line ends those
// of the file.
func (e *editor) apply() []byte {
	// By start; at one offset an insertion goes before a replacement.
	slices.SortStableFunc(e.edits, func(a, b edit) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return (a.end - a.start) - (b.end - b.start)
	})
	var out bytes.Buffer
	last := 0
	for _, ed := range e.edits {
		out.Write(e.src[last:ed.start])
		out.WriteString(strings.ReplaceAll(ed.text, "\n", e.newline))
		last = ed.end
	}
	out.Write(e.src[last:])
	return out.Bytes()
}

// appendValue writes v after whatever the file holds (nothing, or only
// comments), as a fresh file would have it.
func (e *editor) appendValue(v object) []byte {
	text := render(v, "", e.unit, false, true) + "\n"
	if len(bytes.TrimSpace(e.src)) > 0 && !bytes.HasSuffix(e.src, []byte("\n")) {
		text = "\n" + text
	}
	e.edits = append(e.edits, edit{len(e.src), len(e.src), text})
	return e.apply()
}

// insert adds f as the last member of the object obj (root is the file's
// top-level object), on lines of its own when obj spans lines, inline
// when it is written on one.
func (e *editor) insert(root, obj *node, f field) {
	e.unit = e.indentUnit(root)
	closing := obj.end - 1
	spaced := e.spaced(root)
	if !e.multiline(root, obj) {
		text := renderMember(f, "", e.unit, true, spaced)
		if len(obj.members) == 0 {
			e.edits = append(e.edits, edit{obj.start + 1, obj.start + 1, text})
			return
		}
		last := obj.members[len(obj.members)-1]
		sep := ","
		if spaced {
			sep = ", "
		}
		if last.comma >= 0 {
			e.edits = append(e.edits, edit{last.comma + 1, last.comma + 1, sep[1:] + text + ","})
			return
		}
		e.edits = append(e.edits, edit{last.value.end, last.value.end, sep + text})
		return
	}
	indent := e.memberIndent(obj)
	text := indent + renderMember(f, indent, e.unit, false, spaced)
	if len(obj.members) > 0 {
		last := obj.members[len(obj.members)-1]
		if last.comma < 0 {
			e.edits = append(e.edits, edit{last.value.end, last.value.end, ","})
		} else {
			text += "," // the file ends its members with commas: so does ours
		}
	}
	if e.aloneOnLine(closing) {
		at := e.lineStart(closing)
		e.edits = append(e.edits, edit{at, at, text + "\n"})
		return
	}
	// The closing brace follows something on its line: ours goes on lines
	// between them, and the brace on a line of its own.
	from := closing
	for from > obj.start+1 && (e.src[from-1] == ' ' || e.src[from-1] == '\t') {
		from--
	}
	e.edits = append(e.edits, edit{from, closing, "\n" + text + "\n" + e.indentOf(obj.start)})
}

// replace puts value in place of the value of member m of obj.
func (e *editor) replace(root, obj *node, m *member, value object) {
	e.unit = e.indentUnit(root)
	compact := !e.multiline(root, obj)
	text := render(value, e.indentOf(m.keyStart), e.unit, compact, e.spaced(root))
	e.edits = append(e.edits, edit{m.value.start, m.value.end, text})
}

// multiline says whether obj is laid out over several lines; an empty {}
// takes the layout of the file's top-level object.
func (e *editor) multiline(root, obj *node) bool {
	if bytes.IndexByte(e.src[obj.start:obj.end], '\n') >= 0 {
		return true
	}
	if len(obj.members) == 0 {
		return obj == root || bytes.IndexByte(e.src[root.start:root.end], '\n') >= 0
	}
	return false
}

// spaced says whether the file puts a space after its colons, as written
// by hand and by most tools, rather than minified.
func (e *editor) spaced(root *node) bool {
	if len(root.members) == 0 {
		return true
	}
	m := root.members[0]
	return bytes.IndexAny(e.src[m.keyStart:m.value.start], " \t\n") >= 0
}

// indentUnit is one level of the file's indentation: how far the first
// member of the top-level object sits in from its brace's line, or two
// spaces.
func (e *editor) indentUnit(root *node) string {
	if len(root.members) == 0 || !e.aloneOnLine(root.members[0].keyStart) {
		return "  "
	}
	outer, inner := e.indentOf(root.start), e.indentOf(root.members[0].keyStart)
	if unit, ok := strings.CutPrefix(inner, outer); ok && unit != "" {
		return unit
	}
	return "  "
}

// memberIndent is the indentation of obj's members: that of its first
// member when it starts its line, else one unit in from obj's line.
func (e *editor) memberIndent(obj *node) string {
	if len(obj.members) > 0 && e.aloneOnLine(obj.members[0].keyStart) {
		return e.indentOf(obj.members[0].keyStart)
	}
	return e.indentOf(obj.start) + e.unit
}

// lineStart is the offset of the start of off's line.
func (e *editor) lineStart(off int) int {
	return bytes.LastIndexByte(e.src[:off], '\n') + 1
}

// indentOf is the white space that starts off's line.
func (e *editor) indentOf(off int) string {
	start := e.lineStart(off)
	end := start
	for end < len(e.src) && (e.src[end] == ' ' || e.src[end] == '\t') {
		end++
	}
	return string(e.src[start:end])
}

// aloneOnLine says whether only white space precedes off on its line.
func (e *editor) aloneOnLine(off int) bool {
	return len(bytes.Trim(e.src[e.lineStart(off):off], " \t")) == 0
}

// render writes v (a string, a []string or an object) as JSON: an object
// over lines indented from indent by unit, or on one line when compact;
// a list of strings always on one line.
func render(v any, indent, unit string, compact, spaced bool) string {
	comma := ","
	if spaced {
		comma = ", "
	}
	switch v := v.(type) {
	case string:
		return quote(v)
	case []string:
		q := make([]string, len(v))
		for i, s := range v {
			q[i] = quote(s)
		}
		return "[" + strings.Join(q, comma) + "]"
	case object:
		if len(v) == 0 {
			return "{}"
		}
		var b strings.Builder
		b.WriteString("{")
		for i, f := range v {
			switch {
			case compact && i > 0:
				b.WriteString(comma)
			case !compact && i > 0:
				b.WriteString(",\n" + indent + unit)
			case !compact:
				b.WriteString("\n" + indent + unit)
			}
			b.WriteString(renderMember(f, indent+unit, unit, compact, spaced))
		}
		if !compact {
			b.WriteString("\n" + indent)
		}
		b.WriteString("}")
		return b.String()
	}
	panic("agentsetup: render of an unexpected type")
}

// renderMember writes one "key": value pair whose line is indented by
// indent.
func renderMember(f field, indent, unit string, compact, spaced bool) string {
	colon := ":"
	if spaced {
		colon = ": "
	}
	return quote(f.key) + colon + render(f.value, indent, unit, compact, spaced)
}

// quote is s as a JSON string, with <, > and & as they are.
func quote(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}
