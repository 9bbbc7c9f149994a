package filter

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Token is the kind of a lexical token of the filter language.
type Token int

// The tokens.
const (
	ILLEGAL Token = iota // a malformed term; the literal is the error sentence
	EOF
	LPAREN // (
	RPAREN // )
	AND    // and
	OR     // or
	XOR    // xor
	NOT    // not, or ! (the literal tells which)
	TAG    // +tag or -tag; the literal keeps the sign
	ATTR   // name[.modifier]:value; the literal is the raw term
	ID     // 12, 1,3,5-7
	UUID   // a full UUID or a prefix of at least 8 hex digits
	WORD   // a bare search word
	STRING // a quoted phrase; the literal is the unquoted text
	REGEX  // /pattern/; the literal is the pattern
)

var tokenNames = [...]string{
	ILLEGAL: "ILLEGAL", EOF: "end of filter", LPAREN: "(", RPAREN: ")",
	AND: "and", OR: "or", XOR: "xor", NOT: "not", TAG: "tag", ATTR: "attribute",
	ID: "id", UUID: "uuid", WORD: "word", STRING: "phrase", REGEX: "regex",
}

func (t Token) String() string {
	if int(t) < len(tokenNames) {
		return tokenNames[t]
	}
	return "token(" + string(rune('0'+t)) + ")"
}

// startsTerm reports whether a token can begin a term, which is what makes
// two adjacent terms an implicit "and".
func (t Token) startsTerm() bool {
	switch t {
	case LPAREN, NOT, TAG, ATTR, ID, UUID, WORD, STRING, REGEX:
		return true
	}
	return false
}

// Scanner splits a filter into tokens. Terms are separated by white space;
// parentheses may touch their contents.
type Scanner struct {
	src string
	off int
}

// Init prepares s to scan src from the beginning.
func (s *Scanner) Init(src string) {
	s.src = src
	s.off = 0
}

// Scan returns the next token, its byte offset in the source and its literal.
// A token holding a byte that no filter can mean (a NUL, another control
// character, invalid UTF-8) is ILLEGAL, positioned at that byte.
func (s *Scanner) Scan() (pos int, tok Token, lit string) {
	pos, tok, lit = s.scan()
	if at, msg := unmeant(s.src[pos:s.off]); at >= 0 {
		return pos + at, ILLEGAL, msg
	}
	return pos, tok, lit
}

// unmeant finds the first character of text that cannot be meant in a
// filter and says what it is: a NUL byte, a control character other than
// the white space that separates terms, or a byte that is not UTF-8. It
// returns -1 when there is none. (A NUL would also end the text early in
// SQL: SQLite reads a string parameter only up to it.)
func unmeant(text string) (int, string) {
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			switch {
			case c == 0:
				return i, "filter contains a NUL byte"
			case (c < ' ' || c == 0x7f) && !unicode.IsSpace(rune(c)):
				return i, fmt.Sprintf("filter contains the control character U+%04X", c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return i, "filter is not valid UTF-8"
		case unicode.IsControl(r) && !unicode.IsSpace(r):
			return i, fmt.Sprintf("filter contains the control character U+%04X", r)
		}
		i += size
	}
	return -1, ""
}

// scan returns the next token, whatever its characters.
func (s *Scanner) scan() (pos int, tok Token, lit string) {
	for s.off < len(s.src) {
		r, size := utf8.DecodeRuneInString(s.src[s.off:])
		if !unicode.IsSpace(r) {
			break
		}
		s.off += size
	}
	pos = s.off
	if s.off >= len(s.src) {
		return pos, EOF, ""
	}
	switch c := s.src[s.off]; c {
	case '(':
		s.off++
		return pos, LPAREN, "("
	case ')':
		s.off++
		return pos, RPAREN, ")"
	case '!':
		s.off++
		return pos, NOT, "!"
	case '"', '\'':
		text, ok := s.quoted()
		if !ok {
			return pos, ILLEGAL, "unterminated quoted phrase"
		}
		if !s.atTermEnd() {
			return pos, ILLEGAL, "a quoted phrase must be followed by a space or \")\""
		}
		return pos, STRING, text
	case '/':
		return s.regex(pos)
	case '+', '-':
		s.off++
		name := s.bare()
		if name == "" {
			return pos, ILLEGAL, "expected a tag name after " + quote(string(c))
		}
		return pos, TAG, string(c) + name
	}
	if n := attrPrefix(s.src[s.off:]); n > 0 {
		s.off += n
		if s.off < len(s.src) && (s.src[s.off] == '"' || s.src[s.off] == '\'') {
			if _, ok := s.quoted(); !ok {
				return pos, ILLEGAL, "unterminated quoted value in " + quote(s.src[pos:])
			}
			if !s.atTermEnd() {
				return pos, ILLEGAL, "a quoted value must be followed by a space or \")\""
			}
		} else {
			s.bare()
		}
		return pos, ATTR, s.src[pos:s.off]
	}
	word := s.bare()
	if word == "" { // a stray ")" is scanned above; nothing else is empty
		s.off++
		return pos, ILLEGAL, "unexpected " + quote(s.src[pos:s.off])
	}
	switch word {
	case "and", "AND":
		return pos, AND, word
	case "or", "OR":
		return pos, OR, word
	case "xor", "XOR":
		return pos, XOR, word
	case "not", "NOT":
		return pos, NOT, word
	}
	if isIDList(word) {
		return pos, ID, word
	}
	if isUUIDPrefix(word) {
		return pos, UUID, strings.ToLower(word)
	}
	if word[0] >= '0' && word[0] <= '9' && strings.Trim(word, "0123456789,-") == "" {
		return pos, ILLEGAL, "malformed id list " + quote(word)
	}
	return pos, WORD, word
}

// bare scans the rest of a term: up to white space, or up to a ")" that
// closes no "(" opened inside the term, so that "(project:web)" and
// "desc.regex:a(b)c" both read as a person means them. A quote inside a term
// is an ordinary character; a backslash protects the next character from
// the parenthesis count.
func (s *Scanner) bare() string {
	start, depth := s.off, 0
	for s.off < len(s.src) {
		r, size := utf8.DecodeRuneInString(s.src[s.off:])
		switch {
		case unicode.IsSpace(r):
			return s.src[start:s.off]
		case r == '(':
			depth++
		case r == ')':
			if depth == 0 {
				return s.src[start:s.off]
			}
			depth--
		case r == '\\' && s.off+1 < len(s.src):
			_, next := utf8.DecodeRuneInString(s.src[s.off+1:])
			s.off += size + next
			continue
		}
		s.off += size
	}
	return s.src[start:s.off]
}

// quoted scans a phrase in double or single quotes. Inside, a backslash
// escapes the quote character and itself; any other backslash is literal.
func (s *Scanner) quoted() (string, bool) {
	q := s.src[s.off]
	s.off++
	var b strings.Builder
	for s.off < len(s.src) {
		c := s.src[s.off]
		switch {
		case c == q:
			s.off++
			return b.String(), true
		case c == '\\' && s.off+1 < len(s.src) && (s.src[s.off+1] == q || s.src[s.off+1] == '\\'):
			b.WriteByte(s.src[s.off+1])
			s.off += 2
		default:
			b.WriteByte(c)
			s.off++
		}
	}
	return "", false
}

// regex scans /pattern/. A slash inside the pattern is written \/.
func (s *Scanner) regex(pos int) (int, Token, string) {
	s.off++
	start := s.off
	for s.off < len(s.src) {
		switch s.src[s.off] {
		case '\\':
			s.off += 2
			continue
		case '/':
			pat := s.src[start:s.off]
			s.off++
			if !s.atTermEnd() {
				return pos, ILLEGAL, "a regex must be followed by a space or \")\""
			}
			return pos, REGEX, pat
		}
		s.off++
	}
	s.off = len(s.src)
	return pos, ILLEGAL, "unterminated regex (a slash inside it is written \\/)"
}

func (s *Scanner) atTermEnd() bool {
	if s.off >= len(s.src) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(s.src[s.off:])
	return r == ')' || unicode.IsSpace(r)
}

// attrPrefix returns the length of the "name:" or "name.modifier:" that
// begins an attribute term (colon included), or 0.
func attrPrefix(src string) int {
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == ':':
			if i == 0 || src[i-1] == '.' {
				return 0
			}
			return i + 1
		case c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		case c == '.' && i > 0 && src[i-1] != '.':
		default:
			return 0
		}
	}
	return 0
}

// splitAttr splits the raw literal of an ATTR token into its name, its
// modifier ("" when none) and its value, with quotes removed.
func splitAttr(lit string) (name, mod, value string) {
	n := attrPrefix(lit)
	name, mod, _ = strings.Cut(lit[:n-1], ".")
	value = lit[n:]
	if value != "" && (value[0] == '"' || value[0] == '\'') {
		var s Scanner
		s.Init(value)
		value, _ = s.quoted()
	}
	return name, mod, value
}

// isIDList reports whether word is a list of ids and ranges: 1,3,5-7.
func isIDList(word string) bool {
	for _, part := range strings.Split(word, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		if !allDigits(lo) || isRange && !allDigits(hi) {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	if s == "" || len(s) > 18 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// uuidShape is the canonical UUID layout: x for a hex digit.
const uuidShape = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"

// isUUIDPrefix reports whether word is a UUID or a prefix of one of at least
// eight hex digits. Digits alone are always an id, never a UUID prefix.
func isUUIDPrefix(word string) bool {
	if len(word) < 8 || len(word) > len(uuidShape) {
		return false
	}
	for i := 0; i < len(word); i++ {
		c := word[i]
		if uuidShape[i] == '-' {
			if c != '-' {
				return false
			}
			continue
		}
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return word[len(word)-1] != '-'
}

// quote writes s in double quotes for messages.
func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }

// quoteValue writes a value so that the scanner reads it back unchanged:
// bare when it can be, otherwise in double quotes with " and \ escaped.
func quoteValue(v string) string {
	if v != "" && bareSafe(v) {
		return v
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`
}

// bareSafe reports whether v, written unquoted as an attribute value, scans
// back as exactly v.
func bareSafe(v string) bool {
	if v[0] == '"' || v[0] == '\'' {
		return false
	}
	var s Scanner
	s.Init(v)
	return s.bare() == v
}
