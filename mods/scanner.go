package mods

import (
	"strings"
	"unicode"

	backlog "github.com/agent-backlog/backlog"
)

// Token is the kind of a modification word.
type Token int

// The tokens.
const (
	TEXT Token = iota // a word of the description
	TAG               // +tag or -tag
	ATTR              // name:value
)

var tokenNames = [...]string{TEXT: "text", TAG: "tag", ATTR: "attribute"}

func (t Token) String() string {
	if t >= 0 && int(t) < len(tokenNames) {
		return tokenNames[t]
	}
	return "token(" + string(rune('0'+t)) + ")"
}

// Scan tells the kind of a word and splits it: for a TAG, name is the tag
// without its sign; for an ATTR, name and value are the two sides of the
// first colon. In a new task's words (fresh) a -word is TEXT, since a new
// task has no tag to remove ("Fix the -v flag").
//
// A word with white space in it was quoted as one, so it is TEXT whatever
// it holds; so is a name:value whose name cannot be an attribute's
// ("é:x", "12:30") and a URL (a value starting with //, as in http://x.org).
func Scan(word string, fresh bool) (tok Token, name, value string) {
	switch {
	case strings.ContainsFunc(word, unicode.IsSpace):
		return TEXT, "", ""
	case len(word) > 1 && (word[0] == '+' || word[0] == '-' && !fresh):
		return TAG, word[1:], ""
	}
	i := strings.IndexByte(word, ':')
	if i <= 0 || !backlog.IsUDAName(word[:i]) || strings.HasPrefix(word[i+1:], "//") {
		return TEXT, "", ""
	}
	return ATTR, word[:i], word[i+1:]
}

// A word is a word of the source and the byte offset it starts at (its
// opening quote, when it starts with one).
type word struct {
	text string
	pos  int
}

// SplitWords splits a modification string into words at white space,
// keeping "double" or 'single' quoted stretches together, quotes removed. A
// quoted stretch may be empty, which makes an empty word, and stretches that
// touch make one word:
//
//	+a description:"two words" 'it''s' ""
//
// is +a, "description:two words", "its" and "".
func SplitWords(s string) ([]string, error) {
	ws, err := splitWords(s)
	if err != nil || len(ws) == 0 {
		return nil, err
	}
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.text
	}
	return out, nil
}

func splitWords(s string) ([]word, error) {
	var words []word
	var b strings.Builder
	var quote rune // the open quote, or 0
	quoteAt, start := 0, -1
	for i, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			b.WriteRune(r)
		case r == '"' || r == '\'':
			quote, quoteAt = r, i
			if start < 0 {
				start = i
			}
		case unicode.IsSpace(r):
			if start >= 0 {
				words = append(words, word{b.String(), start})
				b.Reset()
				start = -1
			}
		default:
			b.WriteRune(r)
			if start < 0 {
				start = i
			}
		}
	}
	if quote != 0 {
		return nil, &Error{Word: len(words), Pos: quoteAt, Err: backlog.Invalidf("unterminated quote in %q", s)}
	}
	if start >= 0 {
		words = append(words, word{b.String(), start})
	}
	return words, nil
}

// Quote writes a word so that SplitWords reads it back as one: as it is
// when it has no white space or quote and is not empty, else in quotes.
// Each stretch is quoted with the quote it does not hold, and SplitWords
// joins stretches that touch: it's "x" becomes "it's "'"x"'.
func Quote(w string) string {
	if w != "" && !strings.ContainsFunc(w, needsQuote) {
		return w
	}
	var b strings.Builder
	q := byte('"')
	if w != "" && w[0] == '"' {
		q = '\''
	}
	b.WriteByte(q)
	for i := 0; i < len(w); i++ {
		if w[i] == q {
			b.WriteByte(q)
			q ^= '"' ^ '\''
			b.WriteByte(q)
		}
		b.WriteByte(w[i])
	}
	b.WriteByte(q)
	return b.String()
}

func needsQuote(r rune) bool { return unicode.IsSpace(r) || r == '"' || r == '\'' }
