// Package filtertest generates random tasks and random filters from a
// grammar of every term of the filter language, for the property tests
// that compare stores' pushed-down queries with the pure evaluator and
// stores with each other.
package filtertest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	backlog "github.com/agent-backlog/backlog"
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

// randomTasks builds n tasks with every field varied around the clock.
// RandomTasks builds n tasks with every field varied around now: statuses,
// hierarchical projects, tags, Unicode text, dates, waits, dependencies
// (some on tasks that do not exist), annotations and UDAs of every type.
func RandomTasks(r *rand.Rand, n int, now time.Time) []*backlog.Task {
	clock := now
	uuids := make([]string, n+3) // the last three never exist: purged dependencies
	for i := range uuids {
		uuids[i] = fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", r.Uint32(), r.IntN(1<<16), r.IntN(1<<12), r.IntN(1<<12), r.Int64N(1<<48))
	}
	date := func(p float64) time.Time {
		if r.Float64() > p {
			return time.Time{}
		}
		switch r.IntN(6) {
		case 0: // a midnight, UTC or local
			d := time.Date(2026, 3, 4+r.IntN(20)-10, 0, 0, 0, 0, time.UTC)
			if r.IntN(2) == 0 {
				d = time.Date(2026, 3, 4+r.IntN(20)-10, 0, 0, 0, 0, LocalZone)
			}
			return d
		case 1: // the clock's second, give or take one
			return clock.Add(time.Duration(r.IntN(3)-1) * time.Second)
		case 2: // far away
			return clock.AddDate(r.IntN(3)-1, r.IntN(12), 0)
		}
		return clock.Add(time.Duration(r.Int64N(int64(80*24*time.Hour))) - 40*24*time.Hour).Truncate(time.Second)
	}
	text := func(nw int) string {
		ws := make([]string, nw)
		for i := range ws {
			ws[i] = words[r.IntN(len(words))]
		}
		return strings.Join(ws, " ")
	}
	tasks := make([]*backlog.Task, n)
	for i := range tasks {
		t := &backlog.Task{
			ID:          int64(i + 1),
			UUID:        uuids[i],
			Description: text(1 + r.IntN(5)),
			Project:     projects[r.IntN(len(projects))],
			Priority:    []backlog.Priority{"", "", "L", "M", "H"}[r.IntN(5)],
			Due:         date(0.5), Scheduled: date(0.2), Wait: date(0.2), Until: date(0.1),
			Entry: date(0.95), Modified: date(0.7), Start: date(0.2), End: date(0.2),
			Agent:  agents[r.IntN(len(agents))],
			HasDoc: r.IntN(5) == 0,
		}
		if i%40 == 39 {
			t.ID = 0 // a task without an id
		}
		switch x := r.IntN(20); {
		case x < 12:
			t.Status = backlog.StatusPending
		case x < 16:
			t.Status = backlog.StatusCompleted
		case x < 18:
			t.Status = backlog.StatusDeleted
		default:
			t.Status = backlog.StatusRecurring
			t.Recur = "weekly"
			if t.Due.IsZero() {
				t.Due = clock
			}
		}
		if r.IntN(6) == 0 {
			t.Parent = uuids[r.IntN(n)]
		}
		for _, tag := range tagPool {
			if r.IntN(6) == 0 {
				t.Tags = append(t.Tags, tag)
			}
		}
		for k := r.IntN(4) - 1; k > 0; k-- {
			t.Annotations = append(t.Annotations, backlog.Annotation{Entry: date(1), Description: text(1 + r.IntN(4))})
		}
		for k := r.IntN(5) - 2; k > 0; k-- {
			d := uuids[r.IntN(len(uuids))]
			if d != t.UUID && !slices.Contains(t.Depends, d) {
				t.Depends = append(t.Depends, d)
			}
		}
		extra := map[string]any{}
		if r.IntN(3) == 0 {
			extra["estimate"] = []float64{0, 1, 2.5, 3, -1, 1e21, 0.1}[r.IntN(7)]
		}
		if r.IntN(3) == 0 {
			extra["owner"] = []string{"ana", "Ana", "bob", "anabel", "", "ü"}[r.IntN(6)]
		}
		if r.IntN(3) == 0 {
			extra["billable"] = r.IntN(2) == 0
		}
		if r.IntN(3) == 0 {
			extra["size"] = []any{"small", "large", 3.0, 10.0, true}[r.IntN(5)]
		}
		if len(extra) > 0 {
			t.Extra = extra
		}
		tasks[i] = t
	}
	return tasks
}

// LocalZone is a zone for calendar tags in another place than UTC.
// LocalZone is a zone west of UTC for evaluating filters at other clocks.
var LocalZone = time.FixedZone("UTC-5", -5*3600)

// Gen writes random filter text from a grammar of every term kind.
type Gen struct {
	R     *rand.Rand
	UUIDs []string // UUIDs of the tasks, for uuid, parent and depends terms
	// MinPrefix is the shortest UUID prefix a term uses (default 1). Runs
	// whose tasks have different random UUIDs need 8, or a short prefix
	// matches by chance.
	MinPrefix int
	depth     int
}

func (g *Gen) pick(xs ...string) string { return xs[g.R.IntN(len(xs))] }

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

func (g *Gen) value(attr, mod string) string {
	if mod == "none" || mod == "any" {
		return ""
	}
	if g.R.IntN(12) == 0 {
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
		if g.R.IntN(2) == 0 {
			return g.pick("1", "2,3", "5-40", "0")
		}
		u := g.UUIDs[g.R.IntN(len(g.UUIDs))]
		return u[:8+g.R.IntN(29)]
	case "uuid", "parent":
		u := g.UUIDs[g.R.IntN(len(g.UUIDs))]
		lo := max(g.MinPrefix, 1)
		return u[:lo+g.R.IntN(37-lo)]
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

func (g *Gen) word() string {
	switch g.R.IntN(6) {
	case 0: // a piece of a word, in another case
		w := words[g.R.IntN(len(words))]
		runes := []rune(w)
		i := g.R.IntN(len(runes))
		j := i + 1 + g.R.IntN(len(runes)-i)
		return strings.ToUpper(string(runes[i:j]))
	case 1:
		return g.pick("fix the", "crash a", "ǆ", "ss", "SS", "k", "K", "i̇", "é", "日本", "ΣΊ", "ς")
	}
	return words[g.R.IntN(len(words))]
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

func (g *Gen) term() string {
	switch g.R.IntN(14) {
	case 0, 1:
		return g.pick("+", "-") + g.pick(tagPool...)
	case 2, 3:
		return g.pick("+", "-") + g.pick(virtualNames...)
	case 4:
		return g.pick("1", "3", "1,4-6", "7-2", "12 13", "0", "100-300")
	case 5:
		// A run of UUIDs and ids, which is one list.
		refs := make([]string, 1+g.R.IntN(3))
		for i := range refs {
			if g.R.IntN(4) == 0 {
				refs[i] = g.pick("1", "3", "4-6", "12", "250")
				continue
			}
			u := g.UUIDs[g.R.IntN(len(g.UUIDs))]
			refs[i] = u[:8+g.R.IntN(29)]
		}
		return strings.Join(refs, " ")
	case 6:
		w := g.word()
		if strings.ContainsAny(w, " \"'()") || g.R.IntN(3) == 0 {
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

// Expr returns a random filter.
func (g *Gen) Expr() string {
	g.depth++
	defer func() { g.depth-- }()
	if g.depth > 4 {
		return g.term()
	}
	switch g.R.IntN(11) {
	case 10:
		return g.chain()
	case 0:
		return g.Expr() + " or " + g.Expr()
	case 1:
		return g.Expr() + " xor " + g.Expr()
	case 2:
		return g.pick("not ", "!") + g.term()
	case 3:
		return g.pick("not ", "!", "") + "(" + g.Expr() + ")"
	case 4:
		return g.Expr() + " and " + g.Expr()
	case 5, 6:
		return g.Expr() + " " + g.Expr()
	}
	return g.term()
}

// chain writes a long run of terms under one operator, as a client writes
// when it selects many tags or tasks at once; plain tags are frequent, so
// that stores meet the forms they merge.
func (g *Gen) chain() string {
	op := g.pick(" or ", " ", " and ", " xor ")
	terms := make([]string, 5+g.R.IntN(30))
	for i := range terms {
		if g.R.IntN(3) == 0 {
			terms[i] = g.term()
		} else {
			terms[i] = g.pick("+", "+", "-") + g.pick(tagPool...)
		}
	}
	return "(" + strings.Join(terms, op) + ")"
}

// TermKinds names the kinds of term Terms writes: one for each way a store
// can translate a term.
var TermKinds = []string{
	"tag", "-tag", "virtual", "project", "word", "phrase", "regex", "id", "uuid", "due",
	"tags.startswith", "depends", "description.has", "agent", "uuid:",
}

// Terms writes n distinct terms of one kind, as a client that selects many
// things at once would: +t0 +t1 ..., project:p0 project:p1 ...
func Terms(kind string, n int) []string {
	virtual := []string{"+READY", "+BLOCKED", "+ACTIVE", "+CLAIMED", "+OVERDUE", "-WAITING", "+TODAY", "+LATEST"}
	out := make([]string, n)
	for i := range out {
		switch kind {
		case "tag":
			out[i] = fmt.Sprintf("+t%d", i)
		case "-tag":
			out[i] = fmt.Sprintf("-t%d", i)
		case "virtual":
			out[i] = virtual[i%len(virtual)]
		case "project":
			out[i] = fmt.Sprintf("project:p%d", i)
		case "word":
			out[i] = fmt.Sprintf("word%d", i)
		case "phrase":
			out[i] = fmt.Sprintf(`"a phrase %d"`, i)
		case "regex":
			out[i] = fmt.Sprintf("/re%d$/", i)
		case "id":
			out[i] = fmt.Sprint(i + 1)
		case "uuid":
			out[i] = fmt.Sprintf("a%07x", i)
		case "due":
			out[i] = fmt.Sprintf("due.before:now+%dh", i)
		case "tags.startswith":
			out[i] = fmt.Sprintf("tags.startswith:t%d", i)
		case "depends":
			out[i] = fmt.Sprintf("depends:%d", i+1)
		case "description.has":
			out[i] = fmt.Sprintf("description.has:ord%d", i)
		case "agent":
			out[i] = fmt.Sprintf("agent:a%d", i)
		case "uuid:":
			out[i] = fmt.Sprintf("uuid:a%07x", i)
		default:
			panic("filtertest: no term kind " + kind)
		}
	}
	return out
}

// Long writes a filter of n distinct terms joined by op ("or", "and",
// "xor"), taking the kinds of TermKinds in turn: the worst a store meets
// within the filter language's bounds.
func Long(op string, n int) string {
	per := make([][]string, len(TermKinds))
	for k, kind := range TermKinds {
		per[k] = Terms(kind, n/len(TermKinds)+1)
	}
	terms := make([]string, n)
	for i := range terms {
		terms[i] = per[i%len(per)][i/len(per)]
	}
	return strings.Join(terms, " "+op+" ")
}

// TermTasks are n tasks that the terms of Terms meet: tags t0, t1, ...,
// projects p0 to p6, words word0, word2, ..., ids from 1, UUIDs a0000000,
// a0000003, ..., due dates around now, agents a0 to a3, and dependencies.
func TermTasks(n int, now time.Time) []*backlog.Task {
	ts := make([]*backlog.Task, n)
	for i := range ts {
		ts[i] = &backlog.Task{
			ID: int64(i + 1), UUID: fmt.Sprintf("a%07x-0000-4000-8000-%012x", i*3, i),
			Description: fmt.Sprintf("word%d and a phrase %d, re%d", i*2, i, i),
			Status:      backlog.StatusPending, Project: fmt.Sprintf("p%d", i%7),
			Tags:  []string{fmt.Sprintf("t%d", i), fmt.Sprintf("t%d", i*5+1)},
			Due:   now.Add(time.Duration(i-3) * time.Hour).Truncate(time.Second),
			Entry: now.Add(-time.Hour).Truncate(time.Second), Agent: fmt.Sprintf("a%d", i%4),
		}
		if i > 0 {
			ts[i].Depends = []string{ts[i/2].UUID}
		}
	}
	return ts
}
