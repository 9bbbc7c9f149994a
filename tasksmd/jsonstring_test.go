package tasksmd

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// quoteRuneByRune is writeJSONString as first written, one rune at a
// time: the fast version must give exactly its bytes.
func quoteRuneByRune(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte("0123456789abcdef"[r>>4])
			b.WriteByte("0123456789abcdef"[r&15])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

var jsonStringCases = []struct{ name, in string }{
	{"an empty string", ""},
	{"plain ASCII", "Fix the login crash"},
	{"quotes and backslashes", `say "hi" \ there`},
	{"control characters", "a\nb\rc\td\be\ff\x00g\x1f"},
	{"multi-byte runes", "café — 日本 😀"},
	{"an invalid byte between text", "ab\xffcd"},
	{"a truncated rune at the end", "ab\xe2\x82"},
	{"U+FFFD written out", "x\uFFFDy"},
	{"line and paragraph separators", "a\u2028b\u2029c"},
}

func TestWriteJSONStringCopiesRunsLikeTheRuneByRuneVersion(t *testing.T) {
	for _, c := range jsonStringCases {
		t.Run(c.name+" is quoted as before", func(t *testing.T) {
			var b strings.Builder
			writeJSONString(&b, c.in)
			if want := quoteRuneByRune(c.in); b.String() != want {
				t.Errorf("got %q, want %q", b.String(), want)
			}
		})
	}
}

func FuzzWriteJSONString(f *testing.F) {
	for _, c := range jsonStringCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var b strings.Builder
		writeJSONString(&b, s)
		if want := quoteRuneByRune(s); b.String() != want {
			t.Fatalf("got %q, want %q", b.String(), want)
		}
		if !utf8.ValidString(b.String()) {
			t.Fatalf("output %q is not UTF-8", b.String())
		}
	})
}
