package board

import (
	"bytes"
	"html/template"
	"regexp"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// markdown renders docs: GitHub Flavored Markdown, raw HTML left out
// (goldmark's default without html.WithUnsafe).
var markdown = goldmark.New(goldmark.WithExtensions(extension.GFM))

// sanitizer cleans what markdown made once more, in case a renderer's
// bug or a crafted link lets something through: the user-content policy,
// plus the disabled checkboxes of task lists.
var sanitizer = func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowAttrs("type").Matching(regexp.MustCompile(`^checkbox$`)).OnElements("input")
	p.AllowAttrs("checked", "disabled").OnElements("input")
	return p
}()

// renderMarkdown turns a doc into HTML that is safe to put in a page.
func renderMarkdown(src string) template.HTML {
	var b bytes.Buffer
	if err := markdown.Convert([]byte(src), &b); err != nil {
		return template.HTML("<pre>" + template.HTMLEscapeString(src) + "</pre>")
	}
	return template.HTML(sanitizer.SanitizeBytes(b.Bytes())) // #nosec: sanitised above
}
