package mods

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	backlog "github.com/agent-backlog/backlog"
)

var fuzzSeeds = []string{
	"", "+bug", "-bug", "+bug -ux project:web due:friday priority:H myuda:3",
	"Fix the login +bug pri:H", "Fix the -v flag", "pro:web sch:eow", "re:auth", "sta:x", "dep:x",
	"status:completed", "end:now", "+READY", "tags:a,b +c -a", "tags: +x", "depends:+3,-4",
	"depends:1,2 depends:", `description:"two words"`, `'it''s' ""`, `a "b`, `"unterminated`,
	"words description:other", "description:x description: words", "http://x.org see",
	"est:3 ok:true ver:1.10 gone:", "+a,b", "+", "-", "++a", "--a", ":x", "a:", "é:x",
	"x:y:z", "\u00a0+a", "+a\x00", "\xff", "'\"' \"'\"", "due:2026-03-01T14:30:00Z",
	"pri:H pri:L project:a project:", "agent:bob recur:weekly wait:3d until:eoy",
}

func FuzzParseMods(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		words, err := SplitWords(src)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Pos < 0 || e.Pos >= len(src) || src[e.Pos] != '"' && src[e.Pos] != '\'' {
				t.Fatalf("SplitWords(%q): %#v is not an error at an opening quote", src, err)
			}
			checkError(t, src, err, len(src)) // no more words than bytes
			return
		}
		for _, mode := range []Mode{EditsOnly, Described, NewTask} {
			m, err := ParseString(src, mode)
			if err != nil {
				checkError(t, src, err, len(words))
				continue
			}
			fromWords, err := Parse(words, mode)
			if err != nil {
				t.Fatalf("ParseString(%q) reads, but Parse of its words fails: %v", src, err)
			}
			if diff := cmp.Diff(m, fromWords, sameEdits); diff != "" {
				t.Fatalf("ParseString(%q) and Parse of its words differ (-string +words):\n%s", src, diff)
			}
			last := -1
			for _, e := range m.Edits {
				if e.Pos() <= last || e.Pos() >= len(src) {
					t.Fatalf("ParseString(%q): edit %q at %d, after one at %d", src, e, e.Pos(), last)
				}
				last = e.Pos()
			}
			checkPrintsBack(t, src, m, mode)
		}
	})
}

// checkError checks that err is one sentence about a word of src.
func checkError(t *testing.T, src string, err error, words int) {
	t.Helper()
	var e *Error
	switch {
	case !errors.As(err, &e):
		t.Fatalf("%q: error %v has no position", src, err)
	case e.Pos < 0 || e.Pos >= len(src) || e.Word < 0 || e.Word >= words:
		t.Fatalf("%q: error %q at word %d, byte %d, outside the input", src, err, e.Word, e.Pos)
	case !errors.Is(err, backlog.ErrInvalid):
		t.Fatalf("%q: error %v is not ErrInvalid", src, err)
	case err.Error() == "" || strings.ContainsAny(err.Error(), "\n\r"):
		t.Fatalf("%q: error %q is not one line", src, err)
	}
}

// checkPrintsBack checks that m prints to words and to a string that read
// back as the same edits, and that printing is stable.
func checkPrintsBack(t *testing.T, src string, m *Mods, mode Mode) {
	t.Helper()
	printed := m.String()
	again, err := ParseString(printed, mode)
	if err != nil {
		t.Fatalf("ParseString(%q) reads, but its print %q does not: %v", src, printed, err)
	}
	if diff := cmp.Diff(m, again, sameEdits); diff != "" {
		t.Fatalf("ParseString(%q) printed as %q reads otherwise (-first +again):\n%s", src, printed, diff)
	}
	if twice := again.String(); twice != printed {
		t.Fatalf("printing is not stable: %q then %q", printed, twice)
	}
	fromWords, err := Parse(m.Words(), mode)
	if err != nil {
		t.Fatalf("ParseString(%q) reads, but its words %q do not: %v", src, m.Words(), err)
	}
	if diff := cmp.Diff(m, fromWords, sameEdits); diff != "" {
		t.Fatalf("ParseString(%q) as words %q reads otherwise (-first +again):\n%s", src, m.Words(), diff)
	}
}
