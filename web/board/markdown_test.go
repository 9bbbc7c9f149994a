package board

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// attacks are docs that try to put script, or an attribute of their own,
// into the page: raw HTML, scripted URLs spelled every way the markdown
// and HTML parsers decode, attribute breakouts, and the same inside each
// construct the board adds to CommonMark.
var attacks = []string{
	"<script>alert(1)</script>",
	"hi <script>alert(1)</script> <img src=x onerror=alert(1)>",
	"<a href=\"javascript:x\">a</a> <iframe src=x></iframe> <svg><script>alert(1)</script></svg> <style>*{}</style>",
	"<div onmouseover=alert(1)>\n\n*x*\n\n</div>",
	"<!-- x --> <?php x ?> <![CDATA[x]]> <x:y onclick=alert(1)>",
	"[x](javascript:alert(1)) [y](JAVASCRIPT:alert(1)) [z](  javascript:alert(1))",
	"[x](javascript&colon;alert(1)) [y](&#106;avascript:alert(1)) [z](java&#x73;cript:alert(1)) [w](javascript&#58;alert(1))",
	"[x](javascript\\:alert(1)) [y](<javascript:alert(1)>) [z](java\tscript:alert(1)) [w](<java\tscript:alert(1)>)",
	"[x](javascript&#0000058alert(1)) [y](&#x6A&#x61vascript:alert(1))",
	"[x](vbscript:msgbox(1)) [y](file:///etc/passwd) [z](data:text/html,<script>alert(1)</script>) [w](livescript:x)",
	"![x](javascript:alert(1)) ![y](data:image/svg+xml,<svg/onload=alert(1)>) ![z](data:text/html;base64,PHNjcmlwdD4=)",
	"<javascript:alert(1)> <vbscript:x> <data:text/html,x>",
	"[ref] ![img]\n\n[ref]: javascript:alert(1) \"t\"\n[img]: javascript:alert(1)",
	"[x](http://a \"t\\\" onmouseover=alert(1) x=\\\"\") ![a\" onerror=\"alert(1)](x.png) ![b' onerror='alert(1)](y.png)",
	"[x](https://a.b/\"onmouseover=alert(1)) [y](https://a.b/'><script>alert(1)</script>) [z](https://a.b/\x00)",
	"https://a.b/\"><script>alert(1)</script> www.a.b\"onclick=alert(1) www.a.b/'onclick='alert(1) x@a.b\"onclick=alert(1)",
	"# h {onclick=alert(1)}\n\n## h2 {#id .cls onclick=alert(1)}",
	"```\"><script>alert(1)</script>\ncode\n```\n\n```js onclick=alert(1)\nx\n```",
	"&lt;script&gt;alert(1)&lt;/script&gt; &#60;script&#62; &#x3C;img src=x onerror=alert(1)&#x3E;",
	"- [x] <script>alert(1)</script>\n- [ ] [x](javascript:alert(1))\n- [\"] x",
	"| <script>alert(1)</script> | [x](javascript:alert(1)) |\n|---|---|\n| `<b>` | ~~<img src=x onerror=alert(1)>~~ |",
	"~~[x](javascript:alert(1))~~ *<script>x</script>* **[y](vbscript:x)**",
	"<http://a.b/\"onclick=alert(1)> <mailto:x@a.b?body=\"><script>>",
	"[x](http://a.b) [y](//evil.example) [z](/local) ![i](https://a.b/i.png) [m](mailto:x@a.b)",
}

// TestDocsRenderInert renders each attack and reads the result as a
// browser would (an HTML parser): no element or attribute beyond those
// the renderer writes, no event handler or style, and no URL but
// relative, http, https or (a link) mailto.
func TestDocsRenderInert(t *testing.T) {
	for _, doc := range attacks {
		checkInert(t, doc)
	}
}

// FuzzDocsRenderInert holds any doc to the same rules (go test runs the
// attacks; go test -fuzz FuzzDocsRenderInert looks for more).
func FuzzDocsRenderInert(f *testing.F) {
	for _, doc := range attacks {
		f.Add(doc)
	}
	f.Fuzz(func(t *testing.T, doc string) { checkInert(t, doc) })
}

// allowedTags are the elements the renderer writes, with the attributes
// each may carry.
var allowedTags = map[string][]string{
	"html": nil, "head": nil, "body": nil,
	"p": nil, "h1": nil, "h2": nil, "h3": nil, "h4": nil, "h5": nil, "h6": nil,
	"ul": nil, "ol": {"start"}, "li": nil, "blockquote": nil, "hr": nil, "br": nil, "pre": nil,
	"code": {"class"}, "em": nil, "strong": nil, "del": nil,
	"a": {"href", "title", "rel"}, "img": {"src", "alt", "title"},
	"input": {"type", "checked", "disabled"},
	"table": nil, "thead": nil, "tbody": nil, "tr": nil, "th": nil, "td": nil,
}

func checkInert(t *testing.T, doc string) {
	t.Helper()
	out := string(renderMarkdown(doc))
	root, err := html.Parse(strings.NewReader("<!doctype html><html><body>" + out))
	if err != nil {
		t.Fatalf("%q renders as HTML that does not parse: %v", doc, err)
	}
	for n := range root.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		attrs, ok := allowedTags[n.Data]
		if !ok {
			t.Errorf("%q renders a <%s> element:\n%s", doc, n.Data, out)
			continue
		}
		for _, a := range n.Attr {
			switch {
			case a.Namespace != "" || !contains(attrs, a.Key):
				t.Errorf("%q renders <%s %s=%q>:\n%s", doc, n.Data, a.Key, a.Val, out)
			case a.Key == "href" || a.Key == "src":
				if !inertURL(a.Val, n.Data == "a") {
					t.Errorf("%q renders <%s %s=%q>:\n%s", doc, n.Data, a.Key, a.Val, out)
				}
			case a.Key == "type" && a.Val != "checkbox", a.Key == "rel" && a.Val != "nofollow",
				a.Key == "class" && (!strings.HasPrefix(a.Val, "language-") || strings.ContainsAny(a.Val, " \t\n")):
				t.Errorf("%q renders <%s %s=%q>:\n%s", doc, n.Data, a.Key, a.Val, out)
			}
		}
	}
}

// inertURL: relative, or with the scheme http, https, or mailto for a link,
// as a browser reads the attribute (after it drops tabs and newlines and
// leading spaces and control characters).
func inertURL(u string, link bool) bool {
	u = strings.TrimLeft(u, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
	u = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(u)
	colon := strings.IndexByte(u, ':')
	if colon < 0 || strings.ContainsAny(u[:colon], "/?#") {
		return true
	}
	switch strings.ToLower(u[:colon]) {
	case "http", "https":
		return true
	case "mailto":
		return link
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestDocsKeepWhatTheyMean checks what the board adds to CommonMark, and
// that a link or image the policy refuses still shows its words.
func TestDocsKeepWhatTheyMean(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"a table", "| a | b |\n|:--|--:|\n| 1 | 2 |\n| 3 |", "<table>\n<thead>\n<tr>\n<th>a</th>\n<th>b</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>1</td>\n<td>2</td>\n</tr>\n<tr>\n<td>3</td>\n<td></td>\n</tr>\n</tbody>\n</table>\n"},
		{"a table after a paragraph, with escaped pipes", "para\n| x \\| y | `a\\|b` |\n|---|---|", "<p>para</p>\n<table>\n<thead>\n<tr>\n<th>x | y</th>\n<th><code>a|b</code></th>\n</tr>\n</thead>\n</table>\n"},
		{"a header without as many cells as the delimiter row is no table", "| a |\n|---|---|", "<p>| a |\n|---|---|</p>\n"},
		{"task lists", "- [x] done\n- [ ] todo\n- not [ ] one", "<ul>\n<li><input checked=\"\" disabled=\"\" type=\"checkbox\"> done</li>\n<li><input disabled=\"\" type=\"checkbox\"> todo</li>\n<li>not [ ] one</li>\n</ul>\n"},
		{"strikethrough", "~~gone~~ ~one~ ~~~three~~~", "<p><del>gone</del> <del>one</del> ~~~three~~~</p>\n"},
		{"bare links", "see https://a.example/x_(y), www.b.example. and me@c.example.", `<p>see <a href="https://a.example/x_(y)" rel="nofollow">https://a.example/x_(y)</a>, <a href="http://www.b.example" rel="nofollow">www.b.example</a>. and <a href="mailto:me@c.example" rel="nofollow">me@c.example</a>.</p>` + "\n"},
		{"no bare link without a dot in the domain", "https://localhost and www.", "<p>https://localhost and www.</p>\n"},
		{"a refused link keeps its words", "[read me](javascript:alert(1))", "<p>read me</p>\n"},
		{"a refused image keeps its alt text", "![a chart](data:image/png;base64,AAAA)", "<p>a chart</p>\n"},
		{"raw HTML leaves no trace", "a <b>b</b>\n\n<div>\nc\n</div>", "<p>a b</p>\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(renderMarkdown(tt.doc)); got != tt.want {
				t.Errorf("%q renders\n%s\nwant\n%s", tt.doc, got, tt.want)
			}
		})
	}
}
