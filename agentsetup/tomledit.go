package agentsetup

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"

	backlog "github.com/agent-backlog/backlog"
)

// tomlServers is Codex's config.toml: one [mcp_servers.NAME] table per
// server. A new server's table goes at the end of the file, which leaves
// every other line, comments included, as it was; the result is read back
// before it is written, so that a file whose mcp_servers cannot take
// another table (an inline table) is refused rather than broken.
type tomlServers struct{}

func (tomlServers) add(src []byte, srv Server, force bool) ([]byte, Result, error) {
	servers, err := tomlServerTable(src)
	if err != nil {
		return nil, 0, err
	}
	out, res := []byte(nil), Added
	if existing, ok := servers[srv.Name]; ok {
		same, what := sameServer(existing, srv)
		switch {
		case same:
			return src, Unchanged, nil
		case !force:
			return nil, 0, backlog.Conflictf("it has a %q server already, which %s: left as it is (--force replaces it)", srv.Name, what)
		}
		if out, err = replaceTable(src, srv); err != nil {
			return nil, 0, err
		}
		res = Replaced
	} else {
		out = appendTable(src, srv)
	}
	after, err := tomlServerTable(out)
	if same, _ := sameServer(after[srv.Name], srv); err != nil || !same {
		return nil, 0, backlog.Invalidf("its mcp_servers is written in a way init cannot extend (such as an inline table): add [mcp_servers.%s] by hand", tomlKey(srv.Name))
	}
	return out, res, nil
}

// tomlServerTable decodes src and returns its mcp_servers table (empty
// when there is none).
func tomlServerTable(src []byte) (map[string]any, error) {
	doc := map[string]any{}
	if err := toml.Unmarshal(src, &doc); err != nil {
		return nil, backlog.Invalidf("it is not valid TOML (%s)", tomlError(err))
	}
	v, ok := doc["mcp_servers"]
	if !ok {
		return map[string]any{}, nil
	}
	servers, ok := v.(map[string]any)
	if !ok {
		return nil, backlog.Invalidf("its mcp_servers is not a table")
	}
	return servers, nil
}

// tomlError is a decoding error with its line and column.
func tomlError(err error) string {
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, col := de.Position()
		return fmt.Sprintf("line %d, column %d: %s", line, col, de.Error())
	}
	return err.Error()
}

// appendTable adds srv's table at the end of src, after a blank line.
func appendTable(src []byte, srv Server) []byte {
	e := newEditor(src)
	text := ""
	if len(src) > 0 && !bytes.HasSuffix(src, []byte("\n")) {
		text = "\n"
	}
	if len(bytes.TrimSpace(src)) > 0 && !bytes.HasSuffix(append(bytes.TrimRight(src, " \t\r"), text...), []byte("\n\n")) {
		text += "\n"
	}
	text += "[mcp_servers." + tomlKey(srv.Name) + "]\n" + tomlBody(srv)
	e.edits = append(e.edits, edit{len(src), len(src), text})
	return e.apply()
}

// replaceTable puts srv's command and args in place of every key of its
// [mcp_servers.NAME] table; comments and sub-tables stay.
func replaceTable(src []byte, srv Server) ([]byte, error) {
	e := newEditor(src)
	want := []string{"mcp_servers", srv.Name}
	var p unstable.Parser
	p.Reset(src)
	var table []string
	body := -1 // where the new keys go: after the header's line, or where the first old key was
	first := true
	for p.NextExpression() {
		expr := p.Expression()
		switch expr.Kind {
		case unstable.Table, unstable.ArrayTable:
			table = keyOf(expr)
			if expr.Kind == unstable.Table && slices.Equal(table, want) {
				last := lastKeyPart(expr)
				body = e.lineEnd(int(last.Raw.Offset + last.Raw.Length))
			}
		case unstable.KeyValue:
			if slices.Equal(table, want) {
				start := int(expr.Raw.Offset)
				from := start
				if e.aloneOnLine(start) {
					from = e.lineStart(start)
				}
				if first && body >= 0 {
					body, first = from, false
				}
				e.edits = append(e.edits, edit{from, e.lineEnd(start + int(expr.Raw.Length)), ""})
			}
		}
	}
	if p.Error() != nil || body < 0 {
		return nil, backlog.Invalidf("it defines the %q server otherwise than as a [mcp_servers.%s] table: replace it by hand", srv.Name, tomlKey(srv.Name))
	}
	text := tomlBody(srv)
	if body == len(src) && !bytes.HasSuffix(src, []byte("\n")) {
		text = "\n" + text
	}
	e.edits = append(e.edits, edit{body, body, text})
	return e.apply(), nil
}

// keyOf is the dotted key of a table header, decoded.
func keyOf(n *unstable.Node) []string {
	var parts []string
	it := n.Key()
	for it.Next() {
		parts = append(parts, string(it.Node().Data))
	}
	return parts
}

// lastKeyPart is the last part of a table header's key.
func lastKeyPart(n *unstable.Node) *unstable.Node {
	var last *unstable.Node
	it := n.Key()
	for it.Next() {
		last = it.Node()
	}
	return last
}

// lineEnd is the offset after the newline that ends off's line (the end of
// the file on its last line).
func (e *editor) lineEnd(off int) int {
	if i := bytes.IndexByte(e.src[off:], '\n'); i >= 0 {
		return off + i + 1
	}
	return len(e.src)
}

// tomlBody is the keys of srv's table, one a line.
func tomlBody(srv Server) string {
	text := "command = " + tomlString(srv.Command) + "\n"
	if len(srv.Args) > 0 {
		q := make([]string, len(srv.Args))
		for i, a := range srv.Args {
			q[i] = tomlString(a)
		}
		text += "args = [" + strings.Join(q, ", ") + "]\n"
	}
	return text
}

// tomlKey is a key part, bare when TOML allows it, else quoted.
func tomlKey(k string) string {
	if k == "" || strings.IndexFunc(k, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_' || r == '-')
	}) >= 0 {
		return tomlString(k)
	}
	return k
}

// tomlString is s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
