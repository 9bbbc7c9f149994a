package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store"
)

// The property test: for random tasks and thousands of random filters,
// Select returns exactly the tasks the pure evaluator matches, Count agrees,
// and the pushed-down SQL alone returns a superset (exactly the set when the
// compiler says it is exact).

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
func randomTasks(r *rand.Rand, n int) []*backlog.Task {
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
				d = time.Date(2026, 3, 4+r.IntN(20)-10, 0, 0, 0, 0, localZone)
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

// localZone is a zone for calendar tags in another place than UTC.
var localZone = time.FixedZone("UTC-5", -5*3600)

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
		return u[:1+g.r.IntN(36)]
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

func TestSelectMatchesEvaluator(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	seed := uint64(1)
	if v := os.Getenv("BACKLOG_SQLITE_SEED"); v != "" {
		seed, _ = strconv.ParseUint(v, 10, 64)
	}
	r := rand.New(rand.NewPCG(seed, 2))
	tasks := randomTasks(r, 300)
	write(t, s, func(tx store.Tx) error {
		for _, task := range tasks {
			if err := tx.Insert(ctx, task); err != nil {
				return err
			}
		}
		return nil
	})
	// Then change some: statuses, dependencies, tags and texts move, and a
	// few tasks go for good, so that the index rows must follow.
	other := randomTasks(r, 300)
	write(t, s, func(tx store.Tx) error {
		for i := 0; i < 80; i++ {
			task := tasks[r.IntN(len(tasks))].Clone()
			o := other[r.IntN(len(other))]
			switch r.IntN(4) {
			case 0:
				task.Status, task.Wait, task.Recur = o.Status, o.Wait, o.Recur
				if task.Status == backlog.StatusRecurring && task.Due.IsZero() {
					task.Due = clock
				}
			case 1:
				task.Depends = nil
				for k := r.IntN(3); k > 0; k-- {
					if d := tasks[r.IntN(len(tasks))].UUID; d != task.UUID && !slices.Contains(task.Depends, d) {
						task.Depends = append(task.Depends, d)
					}
				}
			case 2:
				task.Tags, task.Extra, task.Project = o.Tags, o.Extra, o.Project
			case 3:
				task.Description, task.Annotations = o.Description, o.Annotations
			}
			if err := tx.Update(ctx, task); err != nil {
				return err
			}
		}
		for i := 0; i < 10; i++ {
			u := tasks[r.IntN(len(tasks))].UUID
			if _, err := tx.TaskByUUID(ctx, u); err == nil {
				if err := tx.Purge(ctx, u); err != nil {
					return err
				}
			}
		}
		return nil
	})
	var all []*backlog.Task
	var udas map[string]filter.UDAKind
	read(t, s, func(tx store.Tx) error {
		var err error
		if all, err = tx.Select(ctx, store.Query{Now: clock}); err != nil {
			return err
		}
		udas, err = tx.UDAs(ctx)
		return err
	})
	if len(all) < len(tasks)-10 {
		t.Fatalf("loaded %d tasks of %d", len(all), len(tasks))
	}
	index := backlog.NewIndex(all)
	uuids := make([]string, len(tasks))
	for i, task := range tasks {
		uuids[i] = task.UUID
	}
	g := &filterGen{r: r, uuids: uuids}
	cases := 2500
	if testing.Short() {
		cases = 500
	}
	nows := []time.Time{clock, clock.Add(500 * time.Millisecond), clock.In(localZone), clock.Add(-17 * time.Hour).In(localZone)}
	valid, exact, nonEmpty := 0, 0, 0
	for i := 0; valid < cases && i < 20*cases; i++ {
		src := g.expr()
		now := nows[i%len(nows)]
		e, err := filter.Parse(src, filter.Options{Now: now, UDAs: udas})
		if err != nil {
			continue
		}
		if i%3 == 0 {
			e = filter.DefaultScope(e)
		}
		valid++
		match := filter.Compile(e, filter.Env{Now: now, Graph: index})
		var want []string
		for _, task := range all {
			if match(task) {
				want = append(want, task.UUID)
			}
		}
		if len(want) > 0 {
			nonEmpty++
		}
		q := store.Query{Filter: e, Now: now}
		w := compileWhere(e, now)
		if w.exact {
			exact++
		}
		err = s.Read(ctx, func(tx store.Tx) error {
			got, err := tx.Select(ctx, q)
			if err != nil {
				return err
			}
			var gotUUIDs []string
			for _, task := range got {
				gotUUIDs = append(gotUUIDs, task.UUID)
			}
			if !slices.Equal(want, gotUUIDs) {
				t.Errorf("filter %q (now %v): Select gives %d tasks, the evaluator %d\nmissing %v\nextra %v",
					e, now, len(gotUUIDs), len(want), diffIDs(all, want, gotUUIDs), diffIDs(all, gotUUIDs, want))
			}
			n, err := tx.Count(ctx, q)
			if err != nil {
				return err
			}
			if n != len(want) {
				t.Errorf("filter %q (now %v): Count = %d, want %d (exact SQL: %v)\nSQL: %s %v", e, now, n, len(want), w.exact, w.sql, w.args)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("filter %q: %v\nSQL: %s %v", e, err, w.sql, w.args)
		}
		// The SQL alone: a superset, or the very set when exact.
		sqlSet := map[string]bool{}
		rows, err := s.db.QueryContext(ctx, "SELECT t.uuid FROM tasks t WHERE "+w.sql, w.args...)
		if err != nil {
			t.Fatalf("filter %q: %v\nSQL: %s", e, err, w.sql)
		}
		for rows.Next() {
			var u string
			rows.Scan(&u)
			sqlSet[u] = true
		}
		rows.Close()
		for _, u := range want {
			if !sqlSet[u] {
				t.Errorf("filter %q (now %v): SQL misses task %s, which matches\nSQL: %s %v", e, now, idOf(all, u), w.sql, w.args)
			}
		}
		if w.exact && len(sqlSet) != len(want) {
			t.Errorf("filter %q (now %v): SQL said exact but returns %d tasks, want %d\nSQL: %s %v", e, now, len(sqlSet), len(want), w.sql, w.args)
		}
		if t.Failed() {
			t.FailNow()
		}
	}
	t.Logf("%d filters (%d exact in SQL, %d matching some task)", valid, exact, nonEmpty)
	if valid < cases {
		t.Errorf("only %d valid filters generated", valid)
	}
}

func idOf(all []*backlog.Task, uuid string) string {
	for _, t := range all {
		if t.UUID == uuid {
			b, _ := t.MarshalJSON()
			return strconv.FormatInt(t.ID, 10) + " " + string(b)
		}
	}
	return uuid
}

// diffIDs lists the ids of a that are not in b.
func diffIDs(all []*backlog.Task, a, b []string) []string {
	var out []string
	for _, u := range a {
		if !slices.Contains(b, u) {
			out = append(out, idOf(all, u))
		}
	}
	return out
}

// TestWhereExactness pins what the compiler translates exactly.
func TestWhereExactness(t *testing.T) {
	udas := map[string]filter.UDAKind{"estimate": filter.UDANumber, "owner": filter.UDAString, "size": filter.UDAMixed}
	for src, want := range map[string]bool{
		"status:pending project:web +bug":        true,
		"+READY -BLOCKED +BLOCKING +LATEST":      true,
		"+TODAY or +OVERDUE or +WEEK":            true,
		"login":                                  true,
		"lo":                                     true,
		"description.has:naïve":                  true,
		"desc.startswith:fix desc.endswith:page": true,
		"depends:1,2 tags:a,b":                   true,
		"owner:ana owner.before:b estimate.any:": true,
		"1,3-5 deadbeef":                         true,
		"not (+a xor +b)":                        true,
		"/regex/":                                false,
		"urgency.over:3":                         false,
		"estimate.over:3":                        false,
		"size:3":                                 false,
		"project.has:web":                        false,
		"desc.word:fix":                          false,
		"not desc.word:fix":                      false,
		"+a xor desc.word:fix":                   false,
		"+a /x/":                                 false,
		"+a or /x/":                              false,
	} {
		e, err := filter.Parse(src, filter.Options{Now: clock, UDAs: udas})
		if err != nil {
			t.Fatal(err)
		}
		w := compileWhere(e, clock)
		if w.exact != want {
			t.Errorf("%q: exact = %v, want %v\nSQL: %s", src, w.exact, want, w.sql)
		}
	}
	// A long filter stays within SQLite's limits.
	src := strings.Repeat("+a or ", 3000) + "+b"
	e, err := filter.Parse(src, filter.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	s := openTest(t)
	read(t, s, func(tx store.Tx) error {
		_, err := tx.Count(context.Background(), store.Query{Filter: e, Now: clock})
		return err
	})
	src = strings.Repeat("(", 99) + "+a" + strings.Repeat(" or not +b)", 99)
	e, err = filter.Parse(src, filter.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	read(t, s, func(tx store.Tx) error {
		_, err := tx.Count(context.Background(), store.Query{Filter: e, Now: clock})
		return err
	})
}

// TestTextSearchNeedles searches for needles that the trigram index and
// the FTS5 query syntax could get wrong: spaces, tabs, quotes, operators.
func TestTextSearchNeedles(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	descs := []string{"a   b", "x\ty\tz", "tab\t\tdouble", "quote \"q\" end", "emoji 🚀🚀🚀 here", "ǅǅǅ", "a-b-c", "*star* (paren) {brace}", "NEAR(a b)", "a OR b AND c"}
	write(t, s, func(tx store.Tx) error {
		for i, d := range descs {
			if err := tx.Insert(ctx, &backlog.Task{ID: int64(i + 1), UUID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), Description: d, Status: "pending"}); err != nil {
				return err
			}
		}
		return nil
	})
	read(t, s, func(tx store.Tx) error {
		for _, q := range []string{`"   "`, `"a  "`, "\"\t\t\"", "\"y\tz\"", `"\"q\""`, `"🚀🚀🚀"`, `"ǆǆ"`, `"ǆǆǆ"`, `"-b-"`, `"*st"`, `"(paren)"`, `"near(a"`, `"or b and"`, `"{brace}"`} {
			if n := countOf(t, tx, q+" status.any:"); n != 1 {
				t.Errorf("%s: %d", q, n)
			}
		}
		return nil
	})
}
