package mdview

import (
	"bytes"
	"html"
	"strings"
	"testing"
	"unicode"

	backlog "github.com/agent-backlog/backlog"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// gfm renders markdown as GitHub does, near enough: CommonMark with tables,
// strikethrough and task lists.
var gfm = goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.TaskList))

// checkRendersLiterally renders the page of one ready task with the
// description and checks that a markdown renderer shows one list item
// whose text is the description as typed (control characters as spaces,
// no trailing space).
func checkRendersLiterally(t *testing.T, desc string) {
	t.Helper()
	page := render(t, []*backlog.Task{task(1, desc, nil)}, Options{Now: now})
	var out bytes.Buffer
	if err := gfm.Convert([]byte(page), &out); err != nil {
		t.Fatal(err)
	}
	typed := strings.TrimRight(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, desc), " ")
	want := "<h2>Ready (1)</h2>\n<ul>\n<li><input disabled=\"\" type=\"checkbox\"> <strong>1</strong> " +
		html.EscapeString(typed) + "</li>\n</ul>\n"
	// Compared unescaped: renderers differ in which characters they write
	// as entities, and a literal "&amp;" typed still differs from "&".
	got := out.String()
	if html.UnescapeString(got) != html.UnescapeString(want) {
		t.Errorf("description %q\npage:\n%s\nrenders as:\n%s\nwant:\n%s", desc, page, got, want)
	}
}

func TestARendererShowsTheDescriptionAsTyped(t *testing.T) {
	for _, desc := range []string{
		"**bold** _it_ `code` [x](http://e.com) ![i](i.png)",
		"a | b | c",
		"<script>alert(1)</script> <!-- c --> <http://e.com>",
		"&amp; &copy; &#65;",
		"~~old~~ $x$",
		`C:\temp\ # not a heading > not a quote - 1. ---`,
		"ends with a backslash \\",
		"[ ] [x] [link]: http://e.com",
		"tab\there",
		"*a **b*** _c __d___",
	} {
		checkRendersLiterally(t, desc)
	}
}

func FuzzARendererShowsTheDescriptionAsTyped(f *testing.F) {
	f.Add("**a** | `b` <c> \\ &amp; ~~d~~")
	f.Fuzz(func(t *testing.T, desc string) {
		if backlog.ValidateDescription(desc) != nil || strings.TrimFunc(desc, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) == "" {
			return
		}
		checkRendersLiterally(t, desc)
	})
}
