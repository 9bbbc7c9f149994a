package filter

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Expr is a node of a parsed filter. Every node prints back, with String, to
// filter text that parses to the same tree.
type Expr interface {
	// Pos is the byte offset of the node's first character in the source.
	Pos() int
	String() string
	exprNode()
}

// BinaryExpr is X and Y, X or Y, or X xor Y.
type BinaryExpr struct {
	X        Expr
	OpPos    int   // offset of the operator; for an implicit and, of Y
	Op       Token // AND, OR or XOR
	Implicit bool  // an "and" that was not written: two adjacent terms
	Y        Expr
}

// NotExpr is "not X" or "!X".
type NotExpr struct {
	NotPos int
	Bang   bool // written "!"
	X      Expr
}

// ParenExpr is a parenthesised expression.
type ParenExpr struct {
	Lparen int
	X      Expr
}

// AttrExpr is name[.modifier]:value, with the value already read for the
// attribute's kind, so that evaluating it never fails.
type AttrExpr struct {
	NamePos int
	Name    string   // the full attribute name, never an abbreviation
	Mod     Modifier // ModNone when no modifier was written
	ModText string   // the modifier as written (is, equals, ...), "" for none
	Value   string   // as written, unquoted
	Kind    Kind     // what the attribute holds

	Time   time.Time      // KindDate: the instant the value names
	Num    float64        // KindNumber, and numeric UDAs
	NumOK  bool           // Num holds the value
	Bool   bool           // KindBool
	Ranges []IDRange      // id:1,3,5-7 and depends:1,2
	UUIDs  []string       // depends: and uuid references among the values
	Re     *regexp.Regexp // regex and word modifiers
}

// TagExpr is +tag or -tag, for an ordinary or a virtual tag.
type TagExpr struct {
	TagPos  int
	Include bool // + rather than -
	Name    string
	Virtual bool // Name is a virtual tag
}

// IDExpr is a run of adjacent id and UUID terms, which is one OR-ed group,
// as in Taskwarrior: 1 3 5-7 a1b2c3d4 selects any of those tasks.
type IDExpr struct {
	IDPos  int
	Ranges []IDRange // ids and id ranges
	UUIDs  []string  // full UUIDs and prefixes of at least 8 hex digits, lower case
}

// IDRange is an inclusive range of ids; a single id has Lo == Hi.
type IDRange struct{ Lo, Hi int64 }

// WordExpr is a bare word or a quoted phrase, searched for in the
// description and the annotations.
type WordExpr struct {
	WordPos int
	Text    string
	Quoted  bool
}

// RegexExpr is /pattern/, matched against the description and annotations.
type RegexExpr struct {
	RegexPos int
	Pattern  string
	Re       *regexp.Regexp
}

func (e *BinaryExpr) Pos() int { return e.X.Pos() }
func (e *NotExpr) Pos() int    { return e.NotPos }
func (e *ParenExpr) Pos() int  { return e.Lparen }
func (e *AttrExpr) Pos() int   { return e.NamePos }
func (e *TagExpr) Pos() int    { return e.TagPos }
func (e *IDExpr) Pos() int     { return e.IDPos }
func (e *WordExpr) Pos() int   { return e.WordPos }
func (e *RegexExpr) Pos() int  { return e.RegexPos }

func (*BinaryExpr) exprNode() {}
func (*NotExpr) exprNode()    {}
func (*ParenExpr) exprNode()  {}
func (*AttrExpr) exprNode()   {}
func (*TagExpr) exprNode()    {}
func (*IDExpr) exprNode()     {}
func (*WordExpr) exprNode()   {}
func (*RegexExpr) exprNode()  {}

// precedence of an operator, loosest first; terms bind tightest.
func precedence(e Expr) int {
	if b, ok := e.(*BinaryExpr); ok {
		switch b.Op {
		case XOR:
			return 1
		case OR:
			return 2
		}
		return 3
	}
	return 5
}

func (e *BinaryExpr) String() string { return printed(e) }
func (e *NotExpr) String() string    { return printed(e) }
func (e *ParenExpr) String() string  { return printed(e) }

// printed writes a tree into one buffer, so that printing stays linear in
// the filter's length: a long chain of "or", concatenated level by level,
// would copy its left side once per term.
func printed(e Expr) string {
	var b strings.Builder
	writeExpr(&b, e)
	return b.String()
}

// writeExpr writes e to b. A child that the tree (built by hand rather than
// parsed) binds looser than its parent would goes in parentheses.
func writeExpr(b *strings.Builder, e Expr) {
	switch n := e.(type) {
	case *BinaryExpr:
		p := precedence(n)
		operand := func(x Expr, right bool) {
			if q := precedence(x); q < p || right && q == p {
				printParen(b, x)
			} else {
				writeExpr(b, x)
			}
		}
		operand(n.X, false)
		if n.Implicit {
			b.WriteByte(' ')
		} else {
			b.WriteString(" " + n.Op.String() + " ")
		}
		operand(n.Y, true)
	case *NotExpr:
		if n.Bang {
			b.WriteByte('!')
		} else {
			b.WriteString("not ")
		}
		if _, ok := n.X.(*BinaryExpr); ok {
			printParen(b, n.X)
		} else {
			writeExpr(b, n.X)
		}
	case *ParenExpr:
		printParen(b, n.X)
	default:
		b.WriteString(e.String())
	}
}

// printParen writes inner in parentheses, with a space before the ")" when
// the last term of inner would otherwise read it as its own (a word with an
// unbalanced "(", such as "f(").
func printParen(b *strings.Builder, inner Expr) {
	b.WriteByte('(')
	start := b.Len()
	writeExpr(b, inner)
	text := b.String()[start:]
	var s Scanner
	s.Init(text + ")")
	lastPos, lastTok := -1, EOF
	for {
		pos, tok, _ := s.Scan()
		if tok == EOF {
			break
		}
		lastPos, lastTok = pos, tok
	}
	if lastTok != RPAREN || lastPos != len(text) {
		b.WriteByte(' ')
	}
	b.WriteByte(')')
}

func (e *AttrExpr) String() string {
	name := e.Name
	if e.ModText != "" {
		name += "." + e.ModText
	}
	if e.Value == "" {
		return name + ":"
	}
	return name + ":" + quoteValue(e.Value)
}

func (e *TagExpr) String() string {
	if e.Include {
		return "+" + e.Name
	}
	return "-" + e.Name
}

// String writes the ids and ranges as one comma-separated list, then the
// UUIDs, each its own word: adjacent, they read back as the same group.
func (e *IDExpr) String() string {
	var b strings.Builder
	b.WriteString(formatRanges(e.Ranges))
	for _, u := range e.UUIDs {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(u)
	}
	return b.String()
}

func formatRanges(rs []IDRange) string {
	var b strings.Builder
	for i, r := range rs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(r.Lo, 10))
		if r.Hi != r.Lo {
			b.WriteByte('-')
			b.WriteString(strconv.FormatInt(r.Hi, 10))
		}
	}
	return b.String()
}

func (e *WordExpr) String() string {
	if e.Quoted {
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(e.Text) + `"`
	}
	return e.Text
}

func (e *RegexExpr) String() string { return "/" + e.Pattern + "/" }

// Walk calls fn for e and every node below it, depth first, until fn
// returns false for a node (its children are then skipped).
func Walk(e Expr, fn func(Expr) bool) {
	if e == nil || !fn(e) {
		return
	}
	switch n := e.(type) {
	case *BinaryExpr:
		Walk(n.X, fn)
		Walk(n.Y, fn)
	case *NotExpr:
		Walk(n.X, fn)
	case *ParenExpr:
		Walk(n.X, fn)
	}
}
