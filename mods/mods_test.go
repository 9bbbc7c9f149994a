package mods

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	backlog "github.com/agent-backlog/backlog"
)

// sameEdits compares edits, ignoring positions.
var sameEdits = cmp.Options{
	cmpopts.IgnoreFields(Tag{}, "TagPos"),
	cmpopts.IgnoreFields(Attr{}, "NamePos"),
	cmpopts.IgnoreFields(Text{}, "TextPos"),
}

func TestParseReadsEachKindOfWord(t *testing.T) {
	tests := []struct {
		name  string
		words []string
		mode  Mode
		want  []Edit
	}{
		{"tags are added and removed", []string{"+bug", "-ux"}, EditsOnly,
			[]Edit{&Tag{Name: "bug"}, &Tag{Remove: true, Name: "ux"}}},
		{"abbreviations are resolved to the attribute", []string{"pro:web", "sch:friday"}, EditsOnly,
			[]Edit{&Attr{Name: "project", Value: "web"}, &Attr{Name: "scheduled", Value: "friday"}}},
		{"two letters are a UDA, not an abbreviation", []string{"re:auth"}, EditsOnly,
			[]Edit{&Attr{Name: "re", Value: "auth", UDA: true}}},
		{"a list attribute holds its edit", []string{"depends:+3,-4", "tags:"}, EditsOnly,
			[]Edit{&Attr{Name: "depends", Value: "+3,-4", List: &ListEdit{Add: []string{"3"}, Remove: []string{"4"}}},
				&Attr{Name: "tags", Value: "", List: &ListEdit{Replace: true}}}},
		{"plain words are text, in order", []string{"Fix", "+cli", "the", "login"}, Described,
			[]Edit{&Text{Text: "Fix"}, &Tag{Name: "cli"}, &Text{Text: "the"}, &Text{Text: "login"}}},
		{"a word with spaces is text", []string{"note: call bob"}, Described,
			[]Edit{&Text{Text: "note: call bob"}}},
		{"a URL is text", []string{"http://x.org"}, Described,
			[]Edit{&Text{Text: "http://x.org"}}},
		{"a new task's -word is text", []string{"Fix", "the", "-v", "flag"}, NewTask,
			[]Edit{&Text{Text: "Fix"}, &Text{Text: "the"}, &Text{Text: "-v"}, &Text{Text: "flag"}}},
		{"empty words are skipped", []string{"", "+a", ""}, EditsOnly,
			[]Edit{&Tag{Name: "a"}}},
		{"a lone sign is text", []string{"+", "-"}, Described,
			[]Edit{&Text{Text: "+"}, &Text{Text: "-"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse(tt.words, tt.mode)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, m.Edits, sameEdits); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseErrorsSayWhichWord(t *testing.T) {
	tests := []struct {
		name      string
		src       string
		mode      Mode
		msg       string
		word, pos int
	}{
		{"a bare word where only edits may be", "+a oops", EditsOnly,
			`"oops" is not a modification: use +tag, -tag or name:value`, 1, 3},
		{"an ambiguous abbreviation", "dep:x  sta:x", EditsOnly,
			`ambiguous attribute "sta": it could be start and status`, 1, 7},
		{"a computed attribute", "status:completed", EditsOnly,
			`status cannot be set by a modification (use done, delete, or undo)`, 0, 0},
		{"a virtual tag", "x +READY", Described,
			`"READY" is a virtual tag, computed from the task; it cannot be set`, 1, 2},
		{"a tag that cannot be one", `"+a,b"`, Described,
			`tag "a,b" contains ',', which a tag cannot hold`, 0, 0},
		{"the description twice, pointing at the attribute", "words description:other more", Described,
			`the description is given twice: as words and as description:other`, 1, 6},
		{"an unterminated quote, pointing at the quote", `+a due:"fri`, EditsOnly,
			`unterminated quote in "+a due:\"fri"`, 1, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseString(tt.src, tt.mode)
			var e *Error
			if !errors.As(err, &e) || err.Error() != tt.msg {
				t.Fatalf("ParseString(%q): %v, want %q", tt.src, err, tt.msg)
			}
			if e.Word != tt.word || e.Pos != tt.pos {
				t.Errorf("error at word %d, byte %d; want word %d, byte %d", e.Word, e.Pos, tt.word, tt.pos)
			}
			if !errors.Is(err, backlog.ErrInvalid) {
				t.Errorf("%v is not ErrInvalid", err)
			}
		})
	}
	t.Run("words given one by one count offsets as if joined by spaces", func(t *testing.T) {
		_, err := Parse([]string{"+a", "", "pri:H", "oops"}, EditsOnly)
		var e *Error
		if !errors.As(err, &e) || e.Word != 3 || e.Pos != 10 {
			t.Errorf("Parse: %#v", err)
		}
	})
}

func TestSplitWordsKeepsQuotedStretches(t *testing.T) {
	got, err := SplitWords(`+a project:x description:"two words" 'it''s' ""`)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"+a", "project:x", "description:two words", "its", ""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := SplitWords(`a "b`); err == nil || err.Error() != `unterminated quote in "a \"b"` {
		t.Errorf("unterminated quote: %v", err)
	}
}

func TestQuoteReadsBackAsOneWord(t *testing.T) {
	for _, w := range []string{"plain", "", "two words", `it's`, `say "hi"`, `'"'`, `"`, `''`, "tab\there", "nbsp\u00a0x"} {
		got, err := SplitWords(Quote(w))
		if err != nil || len(got) != 1 || got[0] != w {
			t.Errorf("SplitWords(Quote(%q)) = %q (%q), %v", w, got, Quote(w), err)
		}
	}
	if got := Quote("+bug"); got != "+bug" {
		t.Errorf("Quote(+bug) = %q: a word that needs no quotes keeps none", got)
	}
}

func TestPrintedModsParseToTheSameEdits(t *testing.T) {
	for src, printed := range map[string]string{
		`Fix the login +bug -ux pro:web due:friday est:3 "note: call bob" tags:a,b +c depends:+3`: `Fix the login +bug -ux project:web due:friday est:3 "note: call bob" tags:a,b +c depends:+3`,
		`"it's" 'say "hi"' description: owner:ana`:                                                `"it's" "say "'"hi"' description: owner:ana`,
	} {
		m, err := ParseString(src, Described)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseString(m.String(), Described)
		if err != nil {
			t.Fatalf("%q printed as %q: %v", src, m.String(), err)
		}
		if diff := cmp.Diff(m, again, sameEdits); diff != "" {
			t.Errorf("%q printed as %q reads otherwise (-first +again):\n%s", src, m.String(), diff)
		}
		if m.String() != printed {
			t.Errorf("%q printed as %q, want %q", src, m.String(), printed)
		}
	}
}
