package board

import (
	"bytes"
	"html/template"
	"sync"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Docs are rendered by goldmark, whose output is what keeps a doc from
// reaching into the page, without a sanitiser after it:
//
//   - raw HTML, a block or inline, is a node this package renders as
//     nothing (goldmark itself would write a comment in its place);
//   - every text and every attribute value goldmark writes is escaped, and
//     link and image URLs are percent-encoded, so no character of the doc
//     ends an attribute or opens a tag;
//   - a URL is kept only when it is relative or its scheme is http, https
//     or (for a link) mailto; any other link shows as its text, any other
//     image as its alt text (goldmark alone drops only javascript:,
//     vbscript:, file: and data: but for some images);
//   - there are no attribute or heading-id extensions, so a doc sets no
//     attribute of its own.
//
// TestDocsRenderInert holds this to the attacks a sanitiser is there for,
// and the board's Content-Security-Policy (no inline script, no inline
// style) stands behind it.
//
// GitHub's additions (tables, task-list checkboxes, strikethrough, bare
// links) are written here, small, rather than taken from goldmark/extension,
// whose package-level regular expressions and tables every backlog process
// would build at start-up, a hook included. Everything here is built the
// first time a doc is rendered.
var markdown = sync.OnceValue(func() goldmark.Markdown {
	return goldmark.New(
		goldmark.WithParserOptions(
			parser.WithInlineParsers(
				util.Prioritized(checkboxParser{}, 0), // before links: "[ ]" is not a link
				util.Prioritized(strikeParser{}, 500),
				util.Prioritized(bareLinkParser{}, 999),
			),
			parser.WithParagraphTransformers(util.Prioritized(tableTransformer{}, 200)),
			parser.WithASTTransformers(util.Prioritized(linkPolicy{}, 0)),
		),
		goldmark.WithRendererOptions(renderer.WithNodeRenderers(util.Prioritized(extraRenderer{}, 500))),
	)
})

// renderMarkdown turns a doc into HTML that is safe to put in a page.
func renderMarkdown(src string) template.HTML {
	var b bytes.Buffer
	if err := markdown().Convert([]byte(src), &b); err != nil {
		return template.HTML("<pre>" + template.HTMLEscapeString(src) + "</pre>") // #nosec: escaped
	}
	return template.HTML(b.String()) // #nosec: see markdown
}

// ---- Task-list checkboxes: "- [ ] todo", "- [x] done".

type checkboxParser struct{}

func (checkboxParser) Trigger() []byte { return []byte{'['} }

// Parse takes "[ ]", "[x]" or "[X]" at the very start of a list item's
// first line.
func (checkboxParser) Parse(parent ast.Node, block text.Reader, _ parser.Context) ast.Node {
	item := parent.Parent()
	if item == nil || item.FirstChild() != parent || parent.HasChildren() || item.Kind() != ast.KindListItem {
		return nil
	}
	line, _ := block.PeekLine()
	if len(line) < 3 || line[0] != '[' || line[2] != ']' {
		return nil
	}
	mark := line[1]
	if mark != ' ' && mark != '\t' && mark != 'x' && mark != 'X' {
		return nil
	}
	n := 3
	for n < len(line) && (line[n] == ' ' || line[n] == '\t') {
		n++
	}
	block.Advance(n)
	return extast.NewTaskCheckBox(mark == 'x' || mark == 'X')
}

func (checkboxParser) CloseBlock(ast.Node, parser.Context) {}

// ---- Strikethrough: "~~gone~~" or "~gone~".

type strikeParser struct{}

func (strikeParser) Trigger() []byte { return []byte{'~'} }

func (strikeParser) Parse(_ ast.Node, block text.Reader, pc parser.Context) ast.Node {
	before := block.PrecendingCharacter()
	line, seg := block.PeekLine()
	d := parser.ScanDelimiter(line, before, 1, strikeDelimiter{})
	if d == nil || d.OriginalLength > 2 || before == '~' {
		return nil // three or more tildes are text
	}
	d.Segment = seg.WithStop(seg.Start + d.OriginalLength)
	block.Advance(d.OriginalLength)
	pc.PushDelimiter(d)
	return d
}

func (strikeParser) CloseBlock(ast.Node, parser.Context) {}

type strikeDelimiter struct{}

func (strikeDelimiter) IsDelimiter(b byte) bool { return b == '~' }

func (strikeDelimiter) CanOpenCloser(opener, closer *parser.Delimiter) bool {
	return opener.Char == closer.Char
}

func (strikeDelimiter) OnMatch(int) ast.Node { return extast.NewStrikethrough() }

// ---- Bare links: "https://example.com/a", "www.example.com", "me@example.com".

type bareLinkParser struct{}

// Trigger: ' ' stands for any space and for the start of a line; the
// others are what may come right before a link in emphasis or brackets.
func (bareLinkParser) Trigger() []byte { return []byte{' ', '*', '_', '~', '('} }

func (bareLinkParser) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	if pc.IsInLinkLabel() {
		return nil
	}
	line, seg := block.PeekLine()
	lead := 0
	switch line[0] {
	case ' ', '\t', '*', '_', '~', '(':
		lead = 1
	}
	rest := line[lead:]
	kind, proto, n := ast.AutoLinkURL, []byte(nil), 0
	switch {
	case bytes.HasPrefix(rest, []byte("http://")), bytes.HasPrefix(rest, []byte("https://")):
		n = scanWebLink(rest, bytes.IndexByte(rest, ':')+3)
	case bytes.HasPrefix(rest, []byte("www.")):
		n, proto = scanWebLink(rest, 0), []byte("http")
	default:
		kind, n = ast.AutoLinkEmail, scanEmail(rest)
	}
	if n <= 0 {
		return nil
	}
	if lead > 0 {
		ast.MergeOrAppendTextSegment(parent, seg.WithStop(seg.Start+lead))
	}
	block.Advance(lead + n)
	link := ast.NewAutoLink(kind, ast.NewTextSegment(text.NewSegment(seg.Start+lead, seg.Start+lead+n)))
	link.Protocol = proto
	return link
}

func (bareLinkParser) CloseBlock(ast.Node, parser.Context) {}

// scanWebLink returns the length of the link at the start of s, whose
// domain starts at from, or 0: a domain of two or more labels (no
// underscore in the last two), an optional port, then anything up to a
// space or "<", less the punctuation that ends a sentence around it.
func scanWebLink(s []byte, from int) int {
	end := from
	for end < len(s) && (isAlnum(s[end]) || s[end] == '-' || s[end] == '_' || s[end] == '.') {
		end++
	}
	if !validDomain(bytes.TrimRight(s[from:end], ".")) {
		return 0
	}
	for end < len(s) && s[end] != ' ' && s[end] != '\t' && s[end] != '\n' && s[end] != '\r' && s[end] != '<' {
		end++
	}
	return trimLinkEnd(s[:end])
}

// validDomain: labels of letters, digits, "-" and "_", at least two, none
// empty, and no "_" in the last two.
func validDomain(d []byte) bool {
	labels := bytes.Split(d, []byte("."))
	if len(labels) < 2 {
		return false
	}
	for i, l := range labels {
		if len(l) == 0 || i >= len(labels)-2 && bytes.IndexByte(l, '_') >= 0 {
			return false
		}
	}
	return true
}

// trimLinkEnd drops from the end of a link what is more likely the
// sentence's: ?!.,:*_~ , a ")" without its "(", an entity such as "&amp;".
func trimLinkEnd(s []byte) int {
	open, closed := bytes.Count(s, []byte("(")), bytes.Count(s, []byte(")"))
	i := len(s)
	for i > 0 {
		switch c := s[i-1]; {
		case bytes.IndexByte([]byte("?!.,:*_~"), c) >= 0:
			i--
		case c == ')' && closed > open:
			closed--
			i--
		case c == ';':
			j := i - 2
			for j >= 0 && isAlnum(s[j]) {
				j--
			}
			if j < 0 || j == i-2 || s[j] != '&' {
				return i
			}
			i = j
		default:
			return i
		}
	}
	return i
}

// scanEmail returns the length of the address at the start of s, or 0:
// letters, digits and ".+-_" before the "@", a domain with a "." after
// it, a final "." left to the sentence.
func scanEmail(s []byte) int {
	i := 0
	for i < len(s) && (isAlnum(s[i]) || bytes.IndexByte([]byte(".+-_"), s[i]) >= 0) {
		i++
	}
	if i == 0 || i >= len(s) || s[i] != '@' {
		return 0
	}
	at := i
	i++
	for i < len(s) && (isAlnum(s[i]) || s[i] == '-' || s[i] == '_' || s[i] == '.') {
		i++
	}
	if s[i-1] == '.' {
		i--
	}
	if i <= at+1 || bytes.IndexByte(s[at+1:i], '.') < 0 || s[i-1] == '-' || s[i-1] == '_' {
		return 0
	}
	return i
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// ---- Tables: a header row, a delimiter row ("|---|:-:|"), body rows.

type tableTransformer struct{}

// Transform turns the lines of a paragraph from a header row followed by
// a delimiter row with as many cells into a table; the lines before the
// header stay a paragraph.
func (tableTransformer) Transform(p *ast.Paragraph, reader text.Reader, _ parser.Context) {
	src := reader.Source()
	lines := p.Lines()
	for i := 1; i < lines.Len(); i++ {
		seg := lines.At(i)
		cols := delimiterRow(seg.Value(src))
		if cols == 0 {
			continue
		}
		header := tableRow(lines.At(i-1), cols, true, src)
		if header == nil {
			return
		}
		table := extast.NewTable()
		table.Alignments = make([]extast.Alignment, cols)
		for j := range table.Alignments {
			table.Alignments[j] = extast.AlignNone
		}
		table.AppendChild(table, extast.NewTableHeader(header))
		for j := i + 1; j < lines.Len(); j++ {
			table.AppendChild(table, tableRow(lines.At(j), cols, false, src))
		}
		parent := p.Parent()
		parent.InsertAfter(parent, p, table)
		lines.SetSliced(0, i-1)
		if lines.Len() == 0 {
			parent.RemoveChild(parent, p)
			return
		}
		last := lines.At(lines.Len() - 1)
		last.Stop-- // the paragraph no longer ends with a newline
		lines.Set(lines.Len()-1, last)
		return
	}
}

// delimiterRow returns the number of cells of a delimiter row, or 0 when
// the line is not one: cells of "-" (one at least), each perhaps with ":"
// at either end, between "|".
func delimiterRow(line []byte) int {
	cells := splitRow(bytes.TrimSpace(line))
	for _, c := range cells {
		c = bytes.TrimSpace(c)
		c = bytes.TrimPrefix(c, []byte(":"))
		c = bytes.TrimSuffix(c, []byte(":"))
		if len(c) == 0 || len(bytes.Trim(c, "-")) != 0 {
			return 0
		}
	}
	if len(cells) == 1 && bytes.IndexByte(line, '|') < 0 {
		return 0 // "---" alone is a rule or a heading's underline, not a table
	}
	return len(cells)
}

// tableRow makes a row of cols cells from a line, padded with empty cells
// or cut; a header row must have exactly cols cells, else nil.
func tableRow(line text.Segment, cols int, header bool, src []byte) *extast.TableRow {
	line = line.TrimLeftSpace(src)
	line = line.TrimRightSpace(src)
	value := line.Value(src)
	cells := splitRow(value)
	if header && len(cells) != cols {
		return nil
	}
	row := extast.NewTableRow(nil)
	for i, c := range cells {
		if i == cols {
			break
		}
		start := line.Start + cellOffset(value, c)
		cell := extast.NewTableCell()
		cell.Alignment = extast.AlignNone
		seg := text.NewSegment(start, start+len(c))
		seg = seg.TrimLeftSpace(src)
		cell.Lines().Append(seg.TrimRightSpace(src))
		row.AppendChild(row, cell)
	}
	for i := len(cells); i < cols; i++ {
		c := extast.NewTableCell()
		c.Alignment = extast.AlignNone
		row.AppendChild(row, c)
	}
	return row
}

// splitRow cuts a row at each "|" that is not escaped, leaving out one
// leading and one trailing "|"; the cells are slices of line.
func splitRow(line []byte) [][]byte {
	if len(line) > 0 && line[0] == '|' {
		line = line[1:]
	}
	if n := len(line); n > 0 && line[n-1] == '|' && (n < 2 || line[n-2] != '\\') {
		line = line[:n-1]
	}
	var cells [][]byte
	start := 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++ // an escaped character, "\|" among them
		case '|':
			cells = append(cells, line[start:i])
			start = i + 1
		}
	}
	return append(cells, line[start:])
}

// cellOffset is where cell, a slice of row, starts in it.
func cellOffset(row, cell []byte) int {
	if len(cell) == 0 {
		return 0
	}
	return cap(row) - cap(cell)
}

// ---- The link policy, and "\|" inside code in a table cell.

type linkPolicy struct{}

// Transform keeps links and images whose URL has a scheme the board
// allows and marks links rel="nofollow"; the rest become their text. In
// a table cell it also takes the backslash out of "\|" inside code, as
// GitHub does (elsewhere the parser already does).
func (linkPolicy) Transform(doc *ast.Document, reader text.Reader, _ parser.Context) {
	src := reader.Source()
	var unwrap []ast.Node
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Link: // checked as goldmark writes it, entities resolved
			if !allowedURL(util.URLEscape(n.Destination, true), false) {
				unwrap = append(unwrap, n)
			} else {
				n.SetAttributeString("rel", []byte("nofollow"))
			}
		case *ast.Image:
			if !allowedURL(util.URLEscape(n.Destination, true), true) {
				unwrap = append(unwrap, n)
			}
		case *ast.AutoLink:
			url := util.URLEscape(n.URL(src), false)
			if n.AutoLinkType == ast.AutoLinkEmail && !bytes.HasPrefix(bytes.ToLower(url), []byte("mailto:")) {
				url = append([]byte("mailto:"), url...)
			}
			if !allowedURL(url, false) {
				unwrap = append(unwrap, n)
			} else {
				n.SetAttributeString("rel", []byte("nofollow"))
			}
		case *ast.CodeSpan:
			if n.Parent() != nil && n.Parent().Kind() == extast.KindTableCell {
				unescapePipes(n, src)
			}
		}
		return ast.WalkContinue, nil
	})
	for _, n := range unwrap {
		parent := n.Parent()
		if a, ok := n.(*ast.AutoLink); ok {
			parent.ReplaceChild(parent, a, ast.NewString(a.Label(src)))
			continue
		}
		for c := n.FirstChild(); c != nil; {
			next := c.NextSibling()
			parent.InsertBefore(parent, n, c)
			c = next
		}
		parent.RemoveChild(parent, n)
	}
}

// allowedURL: relative, or http, https, and for a link mailto. A ":"
// before any "/", "?" or "#" starts a scheme, whatever characters come
// before it.
func allowedURL(url []byte, image bool) bool {
	colon := bytes.IndexByte(url, ':')
	if colon < 0 {
		return true
	}
	if cut := bytes.IndexAny(url[:colon], "/?#"); cut >= 0 {
		return true
	}
	switch string(bytes.ToLower(url[:colon])) {
	case "http", "https":
		return true
	case "mailto":
		return !image
	}
	return false
}

// unescapePipes splits the text of a code span around each "\|" so that
// only the "|" is written.
func unescapePipes(code *ast.CodeSpan, src []byte) {
	for c := code.FirstChild(); c != nil; {
		next := c.NextSibling()
		t, ok := c.(*ast.Text)
		if !ok {
			c = next
			continue
		}
		seg := t.Segment
		for i := seg.Start; i+1 < seg.Stop; i++ {
			if src[i] == '\\' && src[i+1] == '|' {
				before := ast.NewRawTextSegment(seg.WithStop(i))
				code.InsertBefore(code, t, before)
				seg = seg.WithStart(i + 1)
			}
		}
		if seg != t.Segment {
			code.ReplaceChild(code, t, ast.NewRawTextSegment(seg))
		}
		c = next
	}
}

// ---- Rendering.

type extraRenderer struct{}

func (extraRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindRawHTML, nothing)
	reg.Register(ast.KindHTMLBlock, nothing)
	reg.Register(extast.KindTaskCheckBox, func(w util.BufWriter, _ []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			if n.(*extast.TaskCheckBox).IsChecked {
				_, _ = w.WriteString(`<input checked="" disabled="" type="checkbox"> `)
			} else {
				_, _ = w.WriteString(`<input disabled="" type="checkbox"> `)
			}
		}
		return ast.WalkContinue, nil
	})
	reg.Register(extast.KindStrikethrough, tag("del", ""))
	reg.Register(extast.KindTable, tag("table", "\n"))
	reg.Register(extast.KindTableHeader, func(w util.BufWriter, _ []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			_, _ = w.WriteString("<thead>\n<tr>\n")
		} else {
			_, _ = w.WriteString("</tr>\n</thead>\n")
			if n.NextSibling() != nil {
				_, _ = w.WriteString("<tbody>\n")
			}
		}
		return ast.WalkContinue, nil
	})
	reg.Register(extast.KindTableRow, func(w util.BufWriter, _ []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			_, _ = w.WriteString("<tr>\n")
		} else {
			_, _ = w.WriteString("</tr>\n")
			if n.NextSibling() == nil {
				_, _ = w.WriteString("</tbody>\n")
			}
		}
		return ast.WalkContinue, nil
	})
	reg.Register(extast.KindTableCell, func(w util.BufWriter, _ []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		name := "td"
		if n.Parent() != nil && n.Parent().Kind() == extast.KindTableHeader {
			name = "th"
		}
		if entering {
			_, _ = w.WriteString("<" + name + ">")
		} else {
			_, _ = w.WriteString("</" + name + ">\n")
		}
		return ast.WalkContinue, nil
	})
}

// nothing renders a node as nothing, its children included.
func nothing(util.BufWriter, []byte, ast.Node, bool) (ast.WalkStatus, error) {
	return ast.WalkSkipChildren, nil
}

// tag renders a node as an element around its children, then after.
func tag(name, after string) renderer.NodeRendererFunc {
	return func(w util.BufWriter, _ []byte, _ ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			_, _ = w.WriteString("<" + name + ">" + after)
		} else {
			_, _ = w.WriteString("</" + name + ">" + after)
		}
		return ast.WalkContinue, nil
	}
}
