package systemtest

// The filter grammar of sqlite/where_test.go, copied: test files of
// another package cannot be imported.

import (
	"math/rand/v2"
	"strings"
)

var words = []string{
	"fix", "Fix", "login", "LOGIN", "page", "crash", "the", "a", "ab", "api", "deploy", "docs",
	"naïve", "NAÏVE", "Straße", "STRASSE", "strasse", "ǅemal", "ǆemal", "\u212aelvin", "kelvin",
	"ſtop", "STOP", "İstanbul", "istanbul", "Σίσυφος", "ΣΊΣΥΦΟΣ", "日本語", "🚀", "x", "éé", "ÉÉ",
	"log-in", "re:fix", `"q"`, "o'neil", "50%", "a_b", "end.",
}

var projects = []string{"", "", "web", "web.ui", "web.ui.forms", "web-app", "webapp", "ops", "ops.db", "Web", "é", "é.x", "w"}

var tagPool = []string{"bug", "ux", "bugfix", "Bug", "ünï", "doc", "a", "URGENT", "x-y", "k8s"}

var agents = []string{"", "", "backend", "frontend", "back", "Backend", "ana@host", "ümit"}

// filterGen writes random filter text from a grammar of every term kind.
type filterGen struct {
	r     *rand.Rand
	uuids []string
	depth int
}

func (g *filterGen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

var modifierNames = []string{
	"", "", "", "is", "equals", "isnt", "not", "before", "under", "below", "after", "over", "above",
	"by", "none", "any", "has", "contains", "hasnt", "startswith", "left", "endswith", "right",
	"word", "noword", "regex",
}

var virtualNames = []string{
	"PENDING", "COMPLETED", "DELETED", "WAITING", "RECURRING", "ACTIVE", "BLOCKED", "UNBLOCKED",
	"BLOCKING", "READY", "OVERDUE", "DUE", "TODAY", "DUETODAY", "YESTERDAY", "TOMORROW", "WEEK",
	"MONTH", "QUARTER", "YEAR", "ANNOTATED", "TAGGED", "PROJECT", "PRIORITY", "SCHEDULED", "UNTIL",
	"TEMPLATE", "PARENT", "INSTANCE", "CHILD", "CLAIMED", "DOC", "UDA", "LATEST",
}

func (g *filterGen) value(attr, mod string) string {
	if mod == "none" || mod == "any" {
		return ""
	}
	if g.r.IntN(12) == 0 {
		return ""
	}
	switch attr {
	case "due", "scheduled", "wait", "until", "entry", "modified", "start", "end":
		return g.pick("today", "tomorrow", "yesterday", "now", "eow", "sow", "eom", "som", "soy",
			"2026-03-04", "2026-03-05T10:00", "2026-03-04T15:30:00Z", "2026-03-04T15:30:01Z", "now+3d",
			"now-1w", "monday", "3d", "eod", "someday", "2026-02-27T00:00:00-05:00", "15:30", "soq")
	case "id":
		return g.pick("1", "3", "10", "2.5", "1-5", "1,3,7", "7-2", "0", "250", "-1", "1e2")
	case "urgency", "estimate":
		return g.pick("1", "2.5", "0", "-1", "5", "1e21", "0.1", "3")
	case "has_doc", "billable":
		return g.pick("yes", "no", "true", "false", "YES")
	case "status":
		return g.pick("pending", "Pending", "waiting", "completed", "deleted", "recurring", "p")
	case "priority":
		return g.pick("H", "M", "L", "h", "", "m")
	case "project":
		return g.pick("web", "web.ui", "web-app", "we", "Web", "é", "ops.db", "w", "WEB", "ui", "app", ".")
	case "tags":
		return g.pick("bug", "ux,doc", "bug,", "Bug", "BU", "fix", "ünï", "k8s", "x-y", "b")
	case "depends":
		if g.r.IntN(2) == 0 {
			return g.pick("1", "2,3", "5-40", "0")
		}
		u := g.uuids[g.r.IntN(len(g.uuids))]
		return u[:8+g.r.IntN(29)]
	case "uuid", "parent":
		u := g.uuids[g.r.IntN(len(g.uuids))]
		// At least 8 digits: the differential test compares runs whose
		// random UUIDs differ, and a shorter prefix matches by chance.
		return u[:8+g.r.IntN(29)]
	case "agent", "owner":
		return g.pick("back", "backend", "Back", "ana", "ANA", "end", "host", "ü", "Ü", "a", "bel")
	case "size":
		return g.pick("small", "3", "10", "true", "s", "LARGE", "2.5")
	case "recur":
		return g.pick("weekly", "week", "W", "ly")
	}
	// description
	return g.word()
}

func (g *filterGen) word() string {
	switch g.r.IntN(6) {
	case 0: // a piece of a word, in another case
		w := words[g.r.IntN(len(words))]
		runes := []rune(w)
		i := g.r.IntN(len(runes))
		j := i + 1 + g.r.IntN(len(runes)-i)
		return strings.ToUpper(string(runes[i:j]))
	case 1:
		return g.pick("fix the", "crash a", "ǆ", "ss", "SS", "k", "K", "i̇", "é", "日本", "ΣΊ", "ς")
	}
	return words[g.r.IntN(len(words))]
}

func quote(s string) string {
	if s == "" {
		return ""
	}
	if strings.ContainsAny(s, " \"'()") || s == "and" || s == "or" || s == "xor" || s == "not" {
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
	}
	return s
}

func (g *filterGen) term() string {
	switch g.r.IntN(14) {
	case 0, 1:
		return g.pick("+", "-") + g.pick(tagPool...)
	case 2, 3:
		return g.pick("+", "-") + g.pick(virtualNames...)
	case 4:
		return g.pick("1", "3", "1,4-6", "7-2", "12 13", "0", "100-300")
	case 5:
		u := g.uuids[g.r.IntN(len(g.uuids))]
		return u[:8+g.r.IntN(29)]
	case 6:
		w := g.word()
		if strings.ContainsAny(w, " \"'()") || g.r.IntN(3) == 0 {
			return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(w) + `"`
		}
		if w == "and" || w == "or" || w == "xor" || w == "not" || strings.ContainsAny(w, ":+-/!") {
			return `"` + w + `"`
		}
		return w
	case 7:
		return g.pick("/^Fix/", "/(?i)login/", "/ß/", "/a.b/", "/^$/")
	}
	attr := g.pick("due", "scheduled", "wait", "until", "entry", "modified", "start", "end",
		"id", "urgency", "has_doc", "status", "status", "priority", "project", "project", "tags", "depends",
		"uuid", "parent", "agent", "recur", "description", "description", "estimate", "owner",
		"billable", "size", "pro", "desc", "stat")
	mod := g.pick(modifierNames...)
	name := attr
	if mod != "" {
		name += "." + mod
	}
	full := map[string]string{"pro": "project", "desc": "description", "stat": "status"}[attr]
	if full == "" {
		full = attr
	}
	v := g.value(full, mod)
	if mod == "regex" {
		v = g.pick("^web", "ui$", "(?i)BACK", "a|b", "[0-9]", "^$", "é")
	}
	return name + ":" + quote(v)
}

func (g *filterGen) expr() string {
	g.depth++
	defer func() { g.depth-- }()
	if g.depth > 4 {
		return g.term()
	}
	switch g.r.IntN(10) {
	case 0:
		return g.expr() + " or " + g.expr()
	case 1:
		return g.expr() + " xor " + g.expr()
	case 2:
		return g.pick("not ", "!") + g.term()
	case 3:
		return g.pick("not ", "!", "") + "(" + g.expr() + ")"
	case 4:
		return g.expr() + " and " + g.expr()
	case 5, 6:
		return g.expr() + " " + g.expr()
	}
	return g.term()
}
