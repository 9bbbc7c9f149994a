package filter

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/when"
)

// Options carry what parsing needs to know beyond the text.
type Options struct {
	// Now is the clock for date values; its Location is the local zone.
	Now time.Time
	// UDAs are the user-defined attributes present on some task, with the
	// JSON types they hold. Any other unknown attribute name is an error.
	UDAs map[string]UDAKind
}

// Error is a parse error: a sentence and the byte offset it refers to.
type Error struct {
	Pos int // -1 when the error is about the filter as a whole
	Msg string
}

func (e *Error) Error() string {
	if e.Pos < 0 {
		return e.Msg
	}
	return e.Msg + " at " + strconv.Itoa(e.Pos)
}

// Unwrap makes every parse error a backlog.ErrInvalid.
func (e *Error) Unwrap() error { return backlog.ErrInvalid }

// maxDepth bounds nesting, so that no input can exhaust the stack.
const maxDepth = 100

// MaxBytes is the longest filter accepted, in bytes. Real filters are a few
// dozen bytes; the bound keeps what one request can make a store and the
// evaluator do small.
const MaxBytes = 65536

// MaxTerms is the most terms a filter may hold. Each tag, attribute, word,
// phrase and regex is a term, and so is each id, range and UUID of a list
// (1,3,5-7 is three). Evaluation costs grow with terms times tasks; the
// bound keeps that product small.
const MaxTerms = 2000

// Parse parses a filter. An empty (or all white space) filter gives a nil
// Expr, which matches every task. A filter longer than MaxBytes or with more
// than MaxTerms terms is refused.
func Parse(src string, opts Options) (Expr, error) {
	if len(src) > MaxBytes {
		return nil, &Error{Pos: -1, Msg: fmt.Sprintf("filter is %d bytes, more than the %d allowed", len(src), MaxBytes)}
	}
	p := &parser{opts: opts}
	p.sc.Init(src)
	p.next()
	if p.tok == EOF {
		return nil, nil
	}
	e, err := p.parseXor()
	if err != nil {
		return nil, err
	}
	if p.tok != EOF {
		return nil, p.unexpected()
	}
	if p.terms > MaxTerms {
		return nil, p.tooManyTerms()
	}
	return e, nil
}

type parser struct {
	sc    Scanner
	opts  Options
	pos   int
	tok   Token
	lit   string
	depth int
	terms int // terms scanned so far, the current token's included
}

func (p *parser) next() {
	p.pos, p.tok, p.lit = p.sc.Scan()
	switch p.tok {
	case ID:
		p.terms += strings.Count(p.lit, ",") + 1
	case TAG, ATTR, UUID, WORD, STRING, REGEX:
		p.terms++
	}
}

// tooManyTerms counts the terms of the rest of the filter, without parsing
// them, and refuses the filter.
func (p *parser) tooManyTerms() error {
	for p.tok != EOF {
		p.next()
	}
	return &Error{Pos: -1, Msg: fmt.Sprintf("filter has %d terms, more than the %d allowed", p.terms, MaxTerms)}
}

func (p *parser) errorf(pos int, format string, args ...any) error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) unexpected() error {
	switch p.tok {
	case ILLEGAL:
		return p.errorf(p.pos, "%s", p.lit)
	case EOF:
		return p.errorf(p.pos, "unexpected end of filter")
	}
	return p.errorf(p.pos, "unexpected %s", quote(p.lit))
}

// parseXor parses the loosest level: terms joined by xor.
func (p *parser) parseXor() (Expr, error) {
	return p.parseBinary(XOR, p.parseOr)
}

func (p *parser) parseOr() (Expr, error) {
	return p.parseBinary(OR, p.parseAnd)
}

// parseBinary parses operands joined by op, left-associative.
func (p *parser) parseBinary(op Token, operand func() (Expr, error)) (Expr, error) {
	x, err := operand()
	if err != nil {
		return nil, err
	}
	for p.tok == op {
		pos := p.pos
		p.next()
		y, err := operand()
		if err != nil {
			return nil, err
		}
		x = &BinaryExpr{X: x, OpPos: pos, Op: op, Y: y}
	}
	return x, nil
}

// parseAnd parses terms joined by "and" or by nothing at all.
func (p *parser) parseAnd() (Expr, error) {
	x, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for p.tok == AND || p.tok.startsTerm() {
		pos, implicit := p.pos, p.tok != AND
		if !implicit {
			p.next()
		}
		y, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		x = &BinaryExpr{X: x, OpPos: pos, Op: AND, Implicit: implicit, Y: y}
	}
	return x, nil
}

func (p *parser) parseUnary() (Expr, error) {
	if p.tok != NOT {
		return p.parsePrimary()
	}
	if p.depth++; p.depth > maxDepth {
		return nil, p.errorf(p.pos, "filter nests more than %d levels deep", maxDepth)
	}
	defer func() { p.depth-- }()
	pos, bang := p.pos, p.lit == "!"
	p.next()
	x, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	return &NotExpr{NotPos: pos, Bang: bang, X: x}, nil
}

func (p *parser) parsePrimary() (Expr, error) {
	if p.terms > MaxTerms {
		return nil, p.tooManyTerms()
	}
	pos, lit := p.pos, p.lit
	switch p.tok {
	case LPAREN:
		if p.depth++; p.depth > maxDepth {
			return nil, p.errorf(pos, "filter nests more than %d levels deep", maxDepth)
		}
		defer func() { p.depth-- }()
		p.next()
		if p.tok == RPAREN {
			return nil, p.errorf(p.pos, "empty parentheses")
		}
		x, err := p.parseXor()
		if err != nil {
			return nil, err
		}
		if p.tok != RPAREN {
			if p.tok == EOF {
				return nil, p.errorf(pos, "unclosed \"(\"")
			}
			return nil, p.unexpected()
		}
		p.next()
		return &ParenExpr{Lparen: pos, X: x}, nil
	case TAG:
		p.next()
		name := lit[1:]
		return &TagExpr{TagPos: pos, Include: lit[0] == '+', Name: name, Virtual: backlog.IsVirtualTag(name)}, nil
	case ATTR:
		p.next()
		return p.attr(pos, lit)
	case ID, UUID:
		// A run of ids, ranges and UUIDs is one list: any of them.
		e := &IDExpr{IDPos: pos}
		for p.tok == ID || p.tok == UUID {
			if p.terms > MaxTerms {
				return nil, p.tooManyTerms()
			}
			if p.tok == UUID {
				e.UUIDs = append(e.UUIDs, p.lit)
				p.next()
				continue
			}
			rs, err := parseRanges(p.lit)
			if err != nil {
				return nil, p.errorf(p.pos, "%s", err.Error())
			}
			e.Ranges = append(e.Ranges, rs...)
			p.next()
		}
		return e, nil
	case WORD:
		p.next()
		return &WordExpr{WordPos: pos, Text: lit}, nil
	case STRING:
		p.next()
		if lit == "" {
			return nil, p.errorf(pos, "empty quoted phrase")
		}
		return &WordExpr{WordPos: pos, Text: lit, Quoted: true}, nil
	case REGEX:
		p.next()
		if lit == "" {
			return nil, p.errorf(pos, "empty regex \"//\"")
		}
		re, err := regexp.Compile(lit)
		if err != nil {
			return nil, p.errorf(pos, "invalid regex %s: %s", quote(lit), regexCause(err))
		}
		return &RegexExpr{RegexPos: pos, Pattern: lit, Re: re}, nil
	}
	return nil, p.unexpected()
}

// parseRanges reads 1,3,5-7. A reversed range 7-5 means 5..7.
func parseRanges(lit string) ([]IDRange, error) {
	var rs []IDRange
	for _, part := range strings.Split(lit, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseInt(lo, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("malformed id %q", part)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseInt(hi, 10, 64); err != nil {
				return nil, fmt.Errorf("malformed id range %q", part)
			}
		}
		if a > b {
			a, b = b, a
		}
		rs = append(rs, IDRange{Lo: a, Hi: b})
	}
	return rs, nil
}

// attr reads an attribute term: resolves the name, the modifier, and the
// value for the attribute's kind.
func (p *parser) attr(pos int, lit string) (Expr, error) {
	rawName, modText, value := splitAttr(lit)
	name, kind, err := p.resolveName(rawName)
	if err != nil {
		return nil, p.errorf(pos, "%s in %s", err.Error(), quote(lit))
	}
	e := &AttrExpr{NamePos: pos, Name: name, ModText: modText, Value: value, Kind: kind}
	if modText != "" {
		m, ok := modifiers[modText]
		if !ok {
			return nil, p.errorf(pos, "unknown modifier %s in %s", quote(modText), quote(lit))
		}
		e.Mod = m
	}
	if err := readValue(e, p.opts); err != nil {
		return nil, p.errorf(pos, "%s in %s", err.Error(), quote(lit))
	}
	return e, nil
}

// resolveName finds the attribute a name (or unique prefix of one) means.
func (p *parser) resolveName(name string) (string, Kind, error) {
	if k, ok := builtins[name]; ok {
		return name, k, nil
	}
	if k, ok := p.opts.UDAs[name]; ok {
		return name, udaKind(k), nil
	}
	var matches []string
	for _, n := range builtinNames {
		if strings.HasPrefix(n, name) {
			matches = append(matches, n)
		}
	}
	for n := range p.opts.UDAs {
		if strings.HasPrefix(n, name) {
			matches = append(matches, n)
		}
	}
	switch len(matches) {
	case 0:
		return "", 0, fmt.Errorf("unknown attribute %s (quote the term to search for it as text)", quote(name))
	case 1:
		if k, ok := builtins[matches[0]]; ok {
			return matches[0], k, nil
		}
		return matches[0], udaKind(p.opts.UDAs[matches[0]]), nil
	}
	slices.Sort(matches)
	return "", 0, fmt.Errorf("ambiguous attribute %s: it could be %s", quote(name), strings.Join(matches, ", "))
}

func udaKind(k UDAKind) Kind {
	switch k {
	case UDANumber:
		return KindNumber
	case UDABool:
		return KindBool
	case UDAMixed:
		return KindUDA
	}
	return KindString
}

// readValue checks the modifier against the attribute's kind and reads the
// value into e's typed fields. Every failure is a sentence naming the value.
func readValue(e *AttrExpr, opts Options) error {
	m, v := e.Mod, e.Value
	switch {
	case m == ModNoneOf || m == ModAny:
		if v != "" {
			return fmt.Errorf("%s takes no value, got %s", quote(e.Name+"."+e.ModText+":"), quote(v))
		}
		return nil
	case v == "":
		if m == ModNone || m == ModIs || m == ModIsnt || m == ModNot {
			return nil // presence: name: and name.is: mean none; isnt and not mean any
		}
		return fmt.Errorf("%s needs a value", quote(e.Name+"."+e.ModText+":"))
	}
	notFor := func() error {
		return fmt.Errorf("modifier %s does not apply to %s", quote(e.ModText), kindNoun(e.Kind))
	}
	switch e.Kind {
	case KindDate:
		if m.searches() || m == ModStartsWith || m == ModEndsWith {
			return notFor()
		}
		t, err := when.Parse(v, opts.Now)
		if err != nil {
			return dateError(v, err)
		}
		e.Time = t
		return nil
	case KindNumber:
		if m.searches() || m == ModStartsWith || m == ModEndsWith {
			return notFor()
		}
		if e.Name == "id" && !m.compares() && isIDList(v) {
			rs, err := parseRanges(v)
			if err != nil {
				return err
			}
			e.Ranges = rs
			return nil
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f != f {
			return fmt.Errorf("cannot read %s as a number for %s", quote(v), e.Name)
		}
		e.Num, e.NumOK = f, true
		return nil
	case KindBool:
		if m != ModNone && m != ModIs && m != ModIsnt && m != ModNot {
			return notFor()
		}
		switch strings.ToLower(v) {
		case "yes", "true":
			e.Bool = true
		case "no", "false":
		default:
			return fmt.Errorf("%s must be yes, no, true or false, got %s", e.Name, quote(v))
		}
		return nil
	case KindStatus:
		if m == ModNone || m == ModIs || m == ModIsnt || m == ModNot {
			st, err := backlog.ParseStatus(v)
			if err != nil {
				return err
			}
			e.Value = string(st)
		}
	case KindPriority:
		if m == ModNone || m == ModIs || m == ModIsnt || m == ModNot || m.compares() {
			pr, err := backlog.ParsePriority(v)
			if err != nil {
				return err
			}
			e.Value = string(pr)
		}
	case KindList:
		if m.compares() {
			return notFor()
		}
		if e.Name == "depends" && (m == ModNone || m == ModIs || m == ModIsnt || m == ModNot || m == ModHas || m == ModHasnt) {
			for _, ref := range strings.Split(v, ",") {
				switch {
				case isIDList(ref):
					rs, err := parseRanges(ref)
					if err != nil {
						return err
					}
					e.Ranges = append(e.Ranges, rs...)
				case isUUIDPrefix(ref):
					e.UUIDs = append(e.UUIDs, strings.ToLower(ref))
				default:
					return fmt.Errorf("depends takes ids or UUIDs, got %s", quote(ref))
				}
			}
		}
	case KindUDA:
		if f, err := strconv.ParseFloat(v, 64); err == nil && f == f {
			e.Num, e.NumOK = f, true
		}
	case KindString:
		if e.Name == "uuid" || e.Name == "parent" {
			e.Value = strings.ToLower(v)
		}
	}
	switch m {
	case ModRegex:
		re, err := regexp.Compile(v)
		if err != nil {
			return fmt.Errorf("invalid regex %s: %s", quote(v), regexCause(err))
		}
		e.Re = re
	case ModWord, ModNoWord:
		e.Re = regexp.MustCompile(`(?i)\b` + regexp.QuoteMeta(v) + `\b`)
	}
	return nil
}

// kindNoun names what a kind of attribute holds, for messages.
func kindNoun(k Kind) string {
	switch k {
	case KindDate:
		return "dates"
	case KindNumber:
		return "numbers"
	case KindBool:
		return "true/false values"
	case KindList:
		return "lists"
	}
	return "text"
}

// dateError words a date that cannot be read, keeping the parser's reason.
func dateError(v string, err error) error {
	msg := err.Error()
	if !errors.Is(err, when.ErrInvalid) || msg == "" {
		return fmt.Errorf("cannot parse date %s", quote(v))
	}
	return errors.New(msg)
}

// regexCause is the interesting part of a regexp error.
func regexCause(err error) string {
	var se *syntax.Error
	if errors.As(err, &se) {
		return se.Code.String()
	}
	msg := err.Error()
	if i := strings.Index(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return msg
}
