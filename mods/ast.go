package mods

import "strings"

// Mods is a modification as written: its edits, in the order of the words.
// Order matters where two edits touch one field: a later name:value wins,
// and +tag or -tag after tags: edits the list tags: set.
type Mods struct {
	Edits []Edit
}

// Edit is one word of a modification: *Tag, *Attr or *Text.
type Edit interface {
	// Pos is the byte offset of the edit's word in the source.
	Pos() int
	// String is the word as it prints back; it parses to the same edit.
	String() string
	edit()
}

// A Tag adds a tag (+name) or removes one (-name).
type Tag struct {
	TagPos int
	Remove bool
	Name   string // without the sign; a valid tag (backlog.ValidateTag)
}

// An Attr sets an attribute (name:value); an empty value clears it.
type Attr struct {
	NamePos int
	Name    string    // the built-in attribute's full name (pro: is "project"), or the UDA's name as written
	Value   string    // as written
	UDA     bool      // Name is a user-defined attribute's
	List    *ListEdit // for tags and depends, Value read as a list edit
}

// A Text is a word of the description.
type Text struct {
	TextPos int
	Text    string
}

func (e *Tag) Pos() int  { return e.TagPos }
func (e *Attr) Pos() int { return e.NamePos }
func (e *Text) Pos() int { return e.TextPos }

func (e *Tag) String() string {
	if e.Remove {
		return "-" + e.Name
	}
	return "+" + e.Name
}

func (e *Attr) String() string { return e.Name + ":" + e.Value }
func (e *Text) String() string { return e.Text }

func (*Tag) edit()  {}
func (*Attr) edit() {}
func (*Text) edit() {}

// Words prints the edits back, one word each, for Parse.
func (m *Mods) Words() []string {
	out := make([]string, len(m.Edits))
	for i, e := range m.Edits {
		out[i] = e.String()
	}
	return out
}

// String prints the edits back as one string, quoted where a word needs it,
// for ParseString (and the MCP extra argument).
func (m *Mods) String() string {
	var b strings.Builder
	for i, e := range m.Edits {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(Quote(e.String()))
	}
	return b.String()
}
