package mods

import (
	"slices"
	"strings"

	backlog "github.com/agent-backlog/backlog"
)

// Mode says which words a modification may hold besides edits.
type Mode int

const (
	// EditsOnly refuses plain words: every word must be +tag, -tag or
	// name:value (task_add's extra, which has its own description).
	EditsOnly Mode = iota
	// Described reads plain words as the description (modify, duplicate).
	Described
	// NewTask reads a new task's words (add, log): as Described, except
	// that -word is text, since a new task has no tag to remove.
	NewTask
)

// Error is a modification that cannot be read: one sentence, and the word
// it is about.
type Error struct {
	Word int   // index of the word among the words read (for an unterminated quote, of the word it is in)
	Pos  int   // byte offset of the word, or of the quote, in the source (for Parse, the words joined by single spaces)
	Err  error // the sentence, as an ErrInvalid error
}

func (e *Error) Error() string { return e.Err.Error() }

// Unwrap returns the sentence's error, so that errors.Is(err,
// backlog.ErrInvalid) holds.
func (e *Error) Unwrap() error { return e.Err }

// Parse reads modification words. Every word is an edit or, when the mode
// allows, text; none is ignored, except empty words. The first word that
// cannot be read is the error.
func Parse(words []string, mode Mode) (*Mods, error) {
	ws := make([]word, len(words))
	pos := 0
	for i, w := range words {
		ws[i] = word{w, pos}
		pos += len(w) + 1
	}
	return parse(ws, mode)
}

// ParseString reads a modification written as one string, split by
// SplitWords; errors give byte offsets in src.
func ParseString(src string, mode Mode) (*Mods, error) {
	ws, err := splitWords(src)
	if err != nil {
		return nil, err
	}
	return parse(ws, mode)
}

// parser holds what a rule needs of the words read before it.
type parser struct {
	mode Mode
	desc *Attr // the last description: attribute
	text bool  // whether a word of text was read
}

func parse(words []word, mode Mode) (*Mods, error) {
	p := &parser{mode: mode}
	m := &Mods{Edits: make([]Edit, 0, len(words))}
	descWord := 0
	for i, w := range words {
		if w.text == "" {
			continue
		}
		e, err := p.edit(w)
		if err != nil {
			return nil, &Error{Word: i, Pos: w.pos, Err: err}
		}
		if a, ok := e.(*Attr); ok && !a.UDA && a.Name == "description" {
			p.desc, descWord = a, i
		}
		m.Edits = append(m.Edits, e)
	}
	if p.text && p.desc != nil && p.desc.Value != "" {
		return nil, &Error{Word: descWord, Pos: p.desc.NamePos,
			Err: backlog.Invalidf("the description is given twice: as words and as description:%s", p.desc.Value)}
	}
	return m, nil
}

// edit reads one word.
func (p *parser) edit(w word) (Edit, error) {
	tok, name, value := Scan(w.text, p.mode == NewTask)
	switch tok {
	case TAG:
		if err := backlog.ValidateTag(name); err != nil {
			return nil, err
		}
		return &Tag{TagPos: w.pos, Remove: w.text[0] == '-', Name: name}, nil
	case ATTR:
		return p.attr(w.pos, name, value)
	}
	if p.mode == EditsOnly {
		return nil, backlog.Invalidf("%q is not a modification: use +tag, -tag or name:value", w.text)
	}
	p.text = true
	return &Text{TextPos: w.pos, Text: w.text}, nil
}

// attr reads name:value: a built-in attribute by its name or a unique
// prefix, else a UDA.
func (p *parser) attr(pos int, name, value string) (Edit, error) {
	full, err := resolve(name)
	switch {
	case err != nil:
		return nil, err
	case full == "":
		return &Attr{NamePos: pos, Name: name, Value: value, UDA: true}, nil
	case !settable(full):
		return nil, backlog.Invalidf("%s cannot be set by a modification%s", full, howToSet(full))
	}
	a := &Attr{NamePos: pos, Name: full, Value: value}
	if full == "tags" || full == "depends" {
		a.List = ParseListEdit(SplitList(value))
	}
	return a, nil
}

// resolve finds the built-in attribute a name or unique prefix means; ""
// when it is none, which makes it a UDA.
func resolve(name string) (string, error) {
	if backlog.IsAttribute(name) {
		return name, nil
	}
	if len(name) < 3 {
		return "", nil // too short to be an abbreviation: a UDA
	}
	var matches []string
	for _, a := range backlog.Attributes() { // a copy, but only names that are no attribute's get here
		if strings.HasPrefix(a, name) {
			matches = append(matches, a)
		}
	}
	switch len(matches) {
	case 0:
		return "", nil
	case 1:
		return matches[0], nil
	}
	slices.Sort(matches)
	return "", backlog.Invalidf("ambiguous attribute %q: it could be %s", name, joinWords(matches))
}

// settable reports whether a modification may set a built-in attribute;
// the others are computed or changed by their own commands.
func settable(attr string) bool {
	switch attr {
	case "description", "project", "priority", "due", "scheduled", "wait", "until", "recur", "agent", "tags", "depends":
		return true
	}
	return false
}

// howToSet says which command changes an attribute a modification cannot.
func howToSet(attr string) string {
	switch attr {
	case "status":
		return " (use done, delete, or undo)"
	case "start":
		return " (use start and stop)"
	case "end":
		return " (use done or delete)"
	case "annotations":
		return " (use annotate and denotate)"
	case "has_doc":
		return " (write or delete the doc)"
	}
	return ""
}

// joinWords joins names as a sentence does: a, b and c.
func joinWords(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}
