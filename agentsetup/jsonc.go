package agentsetup

import (
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// The agents' JSON files are read as JSONC, the dialect VS Code, Cursor and
// Gemini CLI accept: JSON plus // and /* */ comments and trailing commas.
// The parser keeps every value's byte offsets, so that an edit can insert
// text at the right place and leave the rest of the file as it was, its
// comments, order and indentation included, instead of re-marshalling it.

// kind is the kind of a JSON value.
type kind int

const (
	kindObject kind = iota
	kindArray
	kindString
	kindNumber
	kindLiteral // true, false or null
)

// node is one JSON value and where it lies in the file: src[start:end].
type node struct {
	kind       kind
	start, end int
	members    []*member // an object's, in file order
	elems      []*node   // an array's
	text       string    // a string's decoded value, a number's or literal's source
}

// member is one "key": value pair of an object.
type member struct {
	key      string
	keyStart int
	value    *node
	comma    int // the offset of the comma after the value, -1 when there is none
}

// lookup returns the member named key, the last one when a key repeats (as
// JavaScript's JSON.parse keeps the last), or nil.
func (n *node) lookup(key string) *member {
	for i := len(n.members) - 1; i >= 0; i-- {
		if n.members[i].key == key {
			return n.members[i]
		}
	}
	return nil
}

// value returns the node as plain Go values: map[string]any, []any,
// string, json-style numbers as strings, bool and nil.
func (n *node) value() any {
	switch n.kind {
	case kindObject:
		m := make(map[string]any, len(n.members))
		for _, mb := range n.members {
			m[mb.key] = mb.value.value()
		}
		return m
	case kindArray:
		a := make([]any, len(n.elems))
		for i, e := range n.elems {
			a[i] = e.value()
		}
		return a
	case kindLiteral:
		switch n.text {
		case "true":
			return true
		case "false":
			return false
		}
		return nil
	}
	return n.text
}

// token kinds of the scanner.
type token int

const (
	tokEOF token = iota
	tokLBrace
	tokRBrace
	tokLBracket
	tokRBracket
	tokColon
	tokComma
	tokString
	tokNumber
	tokLiteral
)

var tokenNames = [...]string{
	tokEOF: "end of file", tokLBrace: `"{"`, tokRBrace: `"}"`, tokLBracket: `"["`, tokRBracket: `"]"`,
	tokColon: `":"`, tokComma: `","`, tokString: "a string", tokNumber: "a number", tokLiteral: "a literal",
}

// maxDepth bounds the nesting the parser follows, so that a hostile file
// cannot exhaust the stack.
const maxDepth = 1000

// syntaxError is a JSONC error at a line and column (both from 1, the
// column in bytes).
type syntaxError struct {
	line, col int
	msg       string
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.line, e.col, e.msg)
}

// scanner splits JSONC into tokens, skipping white space and comments.
type scanner struct {
	src []byte
	off int
}

// next returns the next token, its start and end offsets and, for a
// string, its decoded value.
func (s *scanner) next() (tok token, start, end int, lit string, err error) {
	if err := s.skip(); err != nil {
		return tokEOF, s.off, s.off, "", err
	}
	start = s.off
	if s.off >= len(s.src) {
		return tokEOF, start, start, "", nil
	}
	c := s.src[s.off]
	if t := punctuation(c); t != tokEOF {
		s.off++
		return t, start, s.off, "", nil
	}
	switch {
	case c == '"':
		lit, err = s.scanString()
		return tokString, start, s.off, lit, err
	case c == '-' || isDigit(c):
		return tokNumber, start, s.off, "", s.scanNumber()
	case isLetter(c):
		for s.off < len(s.src) && isLetter(s.src[s.off]) {
			s.off++
		}
		word := string(s.src[start:s.off])
		if word != "true" && word != "false" && word != "null" {
			return tokEOF, start, s.off, "", s.errorAt(start, fmt.Sprintf("unexpected word %q", word))
		}
		return tokLiteral, start, s.off, word, nil
	}
	r, _ := utf8.DecodeRune(s.src[s.off:])
	return tokEOF, start, start, "", s.errorAt(start, fmt.Sprintf("unexpected character %q", r))
}

// skip passes white space, comments and a byte order mark at the start.
func (s *scanner) skip() error {
	if s.off == 0 && len(s.src) >= 3 && string(s.src[:3]) == "\uFEFF" {
		s.off = 3
	}
	for s.off < len(s.src) {
		switch c := s.src[s.off]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			s.off++
		case c == '/' && s.off+1 < len(s.src) && s.src[s.off+1] == '/':
			for s.off < len(s.src) && s.src[s.off] != '\n' {
				s.off++
			}
		case c == '/' && s.off+1 < len(s.src) && s.src[s.off+1] == '*':
			start := s.off
			s.off += 2
			for {
				if s.off+1 >= len(s.src) {
					s.off = len(s.src)
					return s.errorAt(start, "a /* comment is not closed")
				}
				if s.src[s.off] == '*' && s.src[s.off+1] == '/' {
					s.off += 2
					break
				}
				s.off++
			}
		default:
			return nil
		}
	}
	return nil
}

// scanString reads a string at s.off and returns its decoded value.
func (s *scanner) scanString() (string, error) {
	start := s.off
	s.off++ // the opening quote
	var out []byte
	for {
		if s.off >= len(s.src) {
			return "", s.errorAt(start, "a string is not closed")
		}
		c := s.src[s.off]
		switch {
		case c == '"':
			s.off++
			return string(out), nil
		case c < 0x20:
			return "", s.errorAt(s.off, "a control character inside a string")
		case c == '\\':
			r, err := s.scanEscape()
			if err != nil {
				return "", err
			}
			out = utf8.AppendRune(out, r)
		default:
			// A byte that is not UTF-8 reads as U+FFFD, as the agents (which
			// read their files as UTF-8 text) and encoding/json read it; the
			// file keeps it as it is.
			r, size := utf8.DecodeRune(s.src[s.off:])
			out = utf8.AppendRune(out, r)
			s.off += size
		}
	}
}

// scanEscape reads one backslash escape, joining a UTF-16 surrogate pair.
func (s *scanner) scanEscape() (rune, error) {
	start := s.off
	if s.off+1 >= len(s.src) {
		return 0, s.errorAt(start, "a string is not closed")
	}
	c := s.src[s.off+1]
	s.off += 2
	if r := simpleEscape(c); r >= 0 {
		return r, nil
	}
	if c != 'u' {
		return 0, s.errorAt(start, fmt.Sprintf("unknown escape \\%c", c))
	}
	r, err := s.hex4(start)
	if err != nil {
		return 0, err
	}
	if utf16.IsSurrogate(r) && s.off+1 < len(s.src) && s.src[s.off] == '\\' && s.src[s.off+1] == 'u' {
		save := s.off
		s.off += 2
		if r2, err := s.hex4(save); err == nil {
			if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
				return pair, nil
			}
		}
		s.off = save
	}
	if utf16.IsSurrogate(r) {
		return utf8.RuneError, nil // as encoding/json reads a lone surrogate
	}
	return r, nil
}

// hex4 reads the four hex digits of a \u escape that began at start.
func (s *scanner) hex4(start int) (rune, error) {
	if s.off+4 > len(s.src) {
		return 0, s.errorAt(start, `a \u escape needs four hex digits`)
	}
	v, err := strconv.ParseUint(string(s.src[s.off:s.off+4]), 16, 32)
	if err != nil {
		return 0, s.errorAt(start, `a \u escape needs four hex digits`)
	}
	s.off += 4
	return rune(v), nil
}

// scanNumber reads a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) scanNumber() error {
	start := s.off
	digits := func() int {
		n := 0
		for s.off < len(s.src) && isDigit(s.src[s.off]) {
			s.off++
			n++
		}
		return n
	}
	bad := func() error { return s.errorAt(start, fmt.Sprintf("bad number %q", s.src[start:s.off])) }
	if s.src[s.off] == '-' {
		s.off++
	}
	switch {
	case s.off < len(s.src) && s.src[s.off] == '0':
		s.off++
	case digits() == 0:
		return bad()
	}
	if s.off < len(s.src) && s.src[s.off] == '.' {
		s.off++
		if digits() == 0 {
			return bad()
		}
	}
	if s.off < len(s.src) && (s.src[s.off] == 'e' || s.src[s.off] == 'E') {
		s.off++
		if s.off < len(s.src) && (s.src[s.off] == '+' || s.src[s.off] == '-') {
			s.off++
		}
		if digits() == 0 {
			return bad()
		}
	}
	if s.off < len(s.src) && (isLetter(s.src[s.off]) || isDigit(s.src[s.off]) || s.src[s.off] == '.') {
		s.off++
		return bad()
	}
	return nil
}

// errorAt is a syntax error at byte offset off.
func (s *scanner) errorAt(off int, msg string) error {
	line, col := position(s.src, off)
	return &syntaxError{line: line, col: col, msg: msg}
}

// position turns a byte offset into a line and a column, both from 1.
func position(src []byte, off int) (line, col int) {
	line, col = 1, 1
	for _, c := range src[:min(off, len(src))] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

// punctuation is the token of a one-byte token, tokEOF for any other byte.
func punctuation(c byte) token {
	switch c {
	case '{':
		return tokLBrace
	case '}':
		return tokRBrace
	case '[':
		return tokLBracket
	case ']':
		return tokRBracket
	case ':':
		return tokColon
	case ',':
		return tokComma
	}
	return tokEOF
}

// simpleEscape is the rune of a one-letter escape (\n), -1 for any other.
func simpleEscape(c byte) rune {
	switch c {
	case '"', '\\', '/':
		return rune(c)
	case 'b':
		return '\b'
	case 'f':
		return '\f'
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	}
	return -1
}

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// parser reads JSONC by recursive descent, one method per rule.
type parser struct {
	sc    scanner
	tok   token
	start int
	end   int
	lit   string
	depth int
}

// parseJSONC parses src. An input holding nothing but white space and
// comments gives a nil node and no error: a file that says nothing yet.
func parseJSONC(src []byte) (*node, error) {
	p := &parser{sc: scanner{src: src}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok == tokEOF {
		return nil, nil
	}
	n, err := p.parseValue()
	if err != nil {
		return nil, err
	}
	if p.tok != tokEOF {
		return nil, p.unexpected("the end of the file")
	}
	return n, nil
}

func (p *parser) advance() error {
	var err error
	p.tok, p.start, p.end, p.lit, err = p.sc.next()
	return err
}

func (p *parser) unexpected(want string) error {
	return p.sc.errorAt(p.start, fmt.Sprintf("expected %s, found %s", want, tokenNames[p.tok]))
}

// parseValue reads any value at the current token.
func (p *parser) parseValue() (*node, error) {
	switch p.tok {
	case tokLBrace:
		return p.parseObject()
	case tokLBracket:
		return p.parseArray()
	case tokString, tokNumber, tokLiteral:
		n := &node{start: p.start, end: p.end, text: p.lit}
		switch p.tok {
		case tokString:
			n.kind = kindString
		case tokNumber:
			n.kind, n.text = kindNumber, string(p.sc.src[p.start:p.end])
		default:
			n.kind = kindLiteral
		}
		return n, p.advance()
	}
	return nil, p.unexpected("a value")
}

// parseObject reads { "key": value, ... } with an optional trailing comma.
func (p *parser) parseObject() (*node, error) {
	if p.depth++; p.depth > maxDepth {
		return nil, p.sc.errorAt(p.start, "nested too deeply")
	}
	defer func() { p.depth-- }()
	n := &node{kind: kindObject, start: p.start}
	if err := p.advance(); err != nil {
		return nil, err
	}
	for p.tok != tokRBrace {
		if p.tok != tokString {
			return nil, p.unexpected(`a key in quotes or "}"`)
		}
		m := &member{key: p.lit, keyStart: p.start, comma: -1}
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.tok != tokColon {
			return nil, p.unexpected(`":"`)
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		v, err := p.parseValue()
		if err != nil {
			return nil, err
		}
		m.value = v
		n.members = append(n.members, m)
		if p.tok != tokComma {
			if p.tok != tokRBrace {
				return nil, p.unexpected(`"," or "}"`)
			}
			break
		}
		m.comma = p.start
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	n.end = p.end
	return n, p.advance()
}

// parseArray reads [ value, ... ] with an optional trailing comma.
func (p *parser) parseArray() (*node, error) {
	if p.depth++; p.depth > maxDepth {
		return nil, p.sc.errorAt(p.start, "nested too deeply")
	}
	defer func() { p.depth-- }()
	n := &node{kind: kindArray, start: p.start}
	if err := p.advance(); err != nil {
		return nil, err
	}
	for p.tok != tokRBracket {
		v, err := p.parseValue()
		if err != nil {
			return nil, err
		}
		n.elems = append(n.elems, v)
		if p.tok != tokComma {
			if p.tok != tokRBracket {
				return nil, p.unexpected(`"," or "]"`)
			}
			break
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	n.end = p.end
	return n, p.advance()
}
