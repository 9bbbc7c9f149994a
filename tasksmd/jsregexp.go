package tasksmd

import (
	"github.com/agent-backlog/backlog/internal/lazyre"
	"regexp"
	"strings"
)

// jsSpace is JavaScript's `\s`: ASCII white space, the Unicode space
// separators, the line terminators and the byte order mark.
const jsSpace = `[\t\n\x{0b}\f\r \x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}\x{feff}]`

// jsDot is JavaScript's `.` without the s flag: anything but a line
// terminator. Go's `.` would also match "\r", which would make CRLF lines
// parse where the reference parses nothing.
const jsDot = `[^\n\r\x{2028}\x{2029}]`

// jsRegexp compiles a pattern written with `\s` and `.` in their JavaScript
// meaning, on first use (see lazyre). Only the plain forms are rewritten
// (never inside a class), which is all the patterns of this package use.
func jsRegexp(pattern string) func() *regexp.Regexp {
	var b strings.Builder
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch {
		case c == '\\' && i+1 < len(pattern):
			if pattern[i+1] == 's' {
				b.WriteString(jsSpace)
			} else {
				b.WriteByte(c)
				b.WriteByte(pattern[i+1])
			}
			i++
		case c == '.':
			b.WriteString(jsDot)
		default:
			b.WriteByte(c)
		}
	}
	return lazyre.New(b.String())
}

// isJSSpace reports whether r is white space for JavaScript's trim().
func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\n', 0x0b, '\f', '\r', ' ', 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

// jsTrim is JavaScript's String.prototype.trim.
func jsTrim(s string) string { return strings.TrimFunc(s, isJSSpace) }

// The patterns of the format, as TASKSMD.md gives them.
var (
	reHeading      = jsRegexp(`^##\s+P([0-3])$`)
	reTask         = jsRegexp(`^-\s+\[\s?\]\s+(.+)$`)
	reClaim        = jsRegexp(`\((@[\w-]+(?:\s*-\s*in progress)?)\)\s*$`)
	reIndented     = jsRegexp(`^\s{2,}`)
	reMetadata     = jsRegexp(`^\s+-\s+\*\*(.+?)\*\*:\s*(.+)$`)
	reContinuation = jsRegexp(`^\s{4,}(.+)$`)
	reSubtask      = jsRegexp(`^\s+-\s+\[.\]\s+(.+)$`)
	reStartsSpace  = jsRegexp(`^\s`)
	rePolicy       = jsRegexp(`(?i)policy\s*:\s*(.+)`)
	rePolicyEnd    = jsRegexp(`\s*-->$`)
	reKebab        = lazyre.New(`^[a-z0-9]+(-[a-z0-9]+)*$`)
)

// leadingSpaces counts the JavaScript white space runes that start s; the
// parser and linter test it before trying a pattern, which keeps a
// 5,000-task tree well under a millisecond per file.
func leadingSpaces(s string) int {
	n := 0
	for _, r := range s {
		if !isJSSpace(r) {
			break
		}
		n++
	}
	return n
}

// containsFoldASCII reports whether s contains the lower-case ASCII word w,
// ignoring ASCII case.
func containsFoldASCII(s, w string) bool {
	for i := 0; i+len(w) <= len(s); i++ {
		j := 0
		for j < len(w) && s[i+j]|0x20 == w[j] {
			j++
		}
		if j == len(w) {
			return true
		}
	}
	return false
}
