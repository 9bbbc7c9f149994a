package postgres

// The SQL compiler: a filter.Expr becomes a WHERE condition over `tasks t`,
// a port of the SQLite store's (sqlite/where.go) with the same rules.
//
// A translation is either exact (its rows are exactly the evaluator's) or a
// superset (it may let through rows the evaluator rejects, never the other
// way round). Select always runs the evaluator over the rows SQL returns, so
// a superset costs only speed; Count uses count(*) only for an exact whole.
// A term with no translation becomes TRUE, a superset. Negation turns a
// superset into a subset, so NOT and XOR over an inexact operand become TRUE
// as a whole.
//
// What a filter may cost PostgreSQL is bounded, whatever its length: plain
// tags under "or" (and negated ones under "and") are one test of the tags
// array, and parameters and subqueries, whose planning cost grows faster
// than their number, are counted against maxParams and maxSubqueries. Past
// a bound a term is left to the evaluator.
//
// Every fragment is a boolean expression that is never NULL (nullable
// columns are tested with IS NOT NULL first), so that NOT and XOR (as <>)
// are safe. Values travel as parameters, written ? while compiling and
// numbered by bind; $1 is the backlog. Text compares bytewise: the columns
// are COLLATE "C", and values computed from JSON are given that collation.
//
// What differs from SQLite: text search is `search LIKE '%needle%'`, served
// by a pg_trgm GIN index; tags are a text[] column (GIN indexed: &&) rather
// than a table; dependencies have a table, task_deps, as in SQLite; UDAs
// are jsonb;
// the ASCII test is octet_length(x) = length(x). Values PostgreSQL cannot
// take as text (a NUL, invalid UTF-8) make their term untranslated.

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
)

// frag is a translated piece of WHERE condition.
type frag struct {
	sql    string
	args   []any
	exact  bool // selects exactly what the evaluator selects; else a superset
	konst  int8 // +1: always true, -1: always false, 0: depends on the row
	height int  // expression tree height
}

var (
	fTrue    = frag{sql: "TRUE", exact: true, konst: 1, height: 1}
	fFalse   = frag{sql: "FALSE", exact: true, konst: -1, height: 1}
	fUnknown = frag{sql: "TRUE", exact: false, konst: 1, height: 1} // no translation: a superset
)

// maxHeight keeps generated expressions well inside PostgreSQL's stack
// (max_stack_depth): past it, the filter is left to Go.
const maxHeight = 400

// maxArgs keeps statements inside the protocol's 65535 parameters.
const maxArgs = 30000

// maxParams bounds the parameters a compiled filter holds, and with them
// its clauses: PostgreSQL's planner takes time that grows faster than their
// number (800 "and"-ed project: terms took 7 s to plan). Past the bound a
// term is left to the evaluator (TRUE).
const maxParams = 400

// maxSubqueries bounds the subqueries a compiled filter holds. Their cost
// grows faster than their number: PostgreSQL plans "and"-ed IN subqueries
// as joins, and 2,000 of them (depends:1 depends:2 ...) planned for over
// ten minutes; a thousand that test each element of a task's tags
// (tags.startswith:x) took 3 s on 2,000 tasks. Past the bound a term is
// left to the evaluator.
const maxSubqueries = 16

// sqlf builds a fragment from a template: each %s takes the next part, which
// must be a frag (its SQL and args are spliced in), each ? the next part as a
// parameter value. The result is exact.
func sqlf(format string, parts ...any) frag {
	var b strings.Builder
	var args []any
	h := 0
	i := 0
	for j := 0; j < len(format); j++ {
		switch {
		case format[j] == '%' && j+1 < len(format) && format[j+1] == 's':
			f := parts[i].(frag)
			i++
			b.WriteString(f.sql)
			args = append(args, f.args...)
			h = max(h, f.height)
			j++
		case format[j] == '?':
			b.WriteByte('?')
			args = append(args, parts[i])
			i++
		default:
			b.WriteByte(format[j])
		}
	}
	if i != len(parts) {
		panic("postgres: sqlf: wrong number of parts for " + format)
	}
	return frag{sql: b.String(), args: args, exact: true, height: h + 2}
}

// column is a bare column expression.
func column(name string) frag { return frag{sql: name, exact: true, height: 1} }

// inexact marks f as a superset.
func inexact(f frag) frag {
	f.exact = false
	return f
}

// and joins fragments with AND, as a balanced tree.
func and(fs ...frag) frag { return join("AND", fs) }

// or joins fragments with OR, as a balanced tree.
func or(fs ...frag) frag { return join("OR", fs) }

func join(op string, fs []frag) frag {
	absorb, neutral := int8(-1), int8(1) // AND: false absorbs, true is neutral
	if op == "OR" {
		absorb, neutral = 1, -1
	}
	exact := true
	var keep []frag
	for _, f := range fs {
		exact = exact && f.exact
		switch f.konst {
		case absorb:
			if op == "OR" && !f.exact {
				return fUnknown // TRUE, but only as a superset
			}
			return f // AND with FALSE: exactly FALSE; OR with exact TRUE: exactly TRUE
		case neutral:
			continue
		}
		keep = append(keep, f)
	}
	if len(keep) == 0 {
		if op == "AND" {
			return frag{sql: "TRUE", exact: exact, konst: 1, height: 1}
		}
		return fFalse
	}
	f := balance(op, keep)
	f.exact = exact
	return f
}

// xor joins exact fragments with XOR, as a balanced tree of <>; over a
// superset it can only say TRUE.
func xor(fs ...frag) frag {
	odd := false // an odd number of operands is always true
	var keep []frag
	for _, f := range fs {
		switch {
		case !f.exact:
			return fUnknown
		case f.konst > 0:
			odd = !odd
		case f.konst == 0:
			keep = append(keep, f)
		}
	}
	f := fFalse
	if len(keep) > 0 {
		f = balance("<>", keep)
		f.exact = true
	}
	if odd {
		return not(f)
	}
	return f
}

// balance joins fs pairwise so that long chains stay shallow.
func balance(op string, fs []frag) frag {
	if len(fs) == 1 {
		return fs[0]
	}
	mid := len(fs) / 2
	x, y := balance(op, fs[:mid]), balance(op, fs[mid:])
	f := sqlf("((%s) "+op+" (%s))", x, y)
	f.exact = x.exact && y.exact
	return f
}

// not negates f; over a superset it can only say TRUE.
func not(f frag) frag {
	switch {
	case !f.exact:
		return fUnknown
	case f.konst != 0:
		if f.konst > 0 {
			return fFalse
		}
		return fTrue
	}
	return sqlf("NOT (%s)", f)
}

// where is a compiled filter.
type where struct {
	sql   string
	args  []any
	exact bool
}

// compileWhere translates e, evaluated at now, into a WHERE condition with
// ? placeholders (see bind).
func compileWhere(e filter.Expr, now time.Time) where {
	if e == nil {
		return where{sql: "TRUE", exact: true}
	}
	c := newCompiler(now)
	f := c.expr(e)
	if f.height > maxHeight || len(f.args) > maxArgs {
		f = fUnknown
	}
	return where{sql: f.sql, args: f.args, exact: f.exact}
}

// bind numbers the ? placeholders of a compiled condition from $first.
// (No ? appears in the compiler's SQL but as a placeholder.)
func bind(w any, first int) where {
	var out where
	switch v := w.(type) {
	case where:
		out = v
	case frag:
		out = where{sql: v.sql, args: v.args, exact: v.exact}
	}
	if !strings.Contains(out.sql, "?") {
		return out
	}
	var b strings.Builder
	b.Grow(len(out.sql) + len(out.args)*3)
	n := first
	for i := 0; i < len(out.sql); i++ {
		if out.sql[i] == '?' {
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			n++
			continue
		}
		b.WriteByte(out.sql[i])
	}
	out.sql = b.String()
	return out
}

// compiler holds the clock and the calendar bounds, computed as the
// evaluator computes them (filter/eval.go, newCompiler).
type compiler struct {
	now                                time.Time
	params, subqueries                 int // spent of maxParams and maxSubqueries
	today, tomorrow, yesterday, dueEnd time.Time
	week, nextWeek                     time.Time
	month, nextMonth                   time.Time
	quarter, nextQuarter               time.Time
	year, nextYear                     time.Time
}

func newCompiler(now time.Time) *compiler {
	y, m, d := now.Date()
	loc := now.Location()
	c := &compiler{now: now}
	c.today = time.Date(y, m, d, 0, 0, 0, 0, loc)
	c.tomorrow = c.today.AddDate(0, 0, 1)
	c.yesterday = c.today.AddDate(0, 0, -1)
	c.dueEnd = c.today.AddDate(0, 0, 7)
	c.week = c.today.AddDate(0, 0, -((int(now.Weekday()) + 6) % 7))
	c.nextWeek = c.week.AddDate(0, 0, 7)
	c.month = time.Date(y, m, 1, 0, 0, 0, 0, loc)
	c.nextMonth = c.month.AddDate(0, 1, 0)
	c.quarter = time.Date(y, (m-1)/3*3+1, 1, 0, 0, 0, 0, loc)
	c.nextQuarter = c.quarter.AddDate(0, 3, 0)
	c.year = time.Date(y, 1, 1, 0, 0, 0, 0, loc)
	c.nextYear = c.year.AddDate(1, 0, 0)
	return c
}

func (c *compiler) expr(e filter.Expr) frag {
	switch n := e.(type) {
	case *filter.BinaryExpr:
		fs := c.operands(filter.Operands(n, n.Op), n.Op)
		switch n.Op {
		case filter.OR:
			return or(fs...)
		case filter.XOR:
			return xor(fs...)
		}
		return and(fs...)
	case *filter.NotExpr:
		return not(c.expr(n.X))
	case *filter.ParenExpr:
		return c.expr(n.X)
	}
	return c.budget(textSafe(c.term(e)))
}

// budget charges a term's parameters to the filter's maxParams; past the
// bound the term is left to the evaluator.
func (c *compiler) budget(f frag) frag {
	if c.params+len(f.args) > maxParams {
		return fUnknown
	}
	c.params += len(f.args)
	return f
}

// operands compiles the operands of a chain of op. The plain tags of an
// "or" (+a or +b) become one test of the tags array, and those of an "and"
// (-a -b) its negation, however many there are.
func (c *compiler) operands(xs []filter.Expr, op filter.Token) []frag {
	var tags []string
	fs := make([]frag, 0, len(xs))
	for _, x := range xs {
		if t, ok := x.(*filter.TagExpr); ok && !t.Virtual && op != filter.XOR && t.Include == (op == filter.OR) {
			tags = append(tags, t.Name)
			continue
		}
		fs = append(fs, c.expr(x))
	}
	if len(tags) > 0 {
		f := c.budget(textSafe(hasTag(tags...)))
		if op == filter.AND {
			f = not(f)
		}
		fs = append(fs, f)
	}
	return fs
}

// term translates a leaf of the filter.
func (c *compiler) term(e filter.Expr) frag {
	switch n := e.(type) {
	case *filter.TagExpr:
		var f frag
		if n.Virtual {
			f = c.virtual(n.Name)
		} else {
			f = hasTag(n.Name)
		}
		if !n.Include {
			return not(f)
		}
		return f
	case *filter.IDExpr:
		return refs(n)
	case *filter.WordExpr:
		return textHas(filter.Fold(n.Text))
	case *filter.RegexExpr:
		return fUnknown
	case *filter.AttrExpr:
		return c.attr(n)
	}
	return fUnknown
}

// subquery charges a subquery to the filter's maxSubqueries; past the
// bound the term is left to the evaluator.
func (c *compiler) subquery(f frag) frag {
	if c.subqueries++; c.subqueries > maxSubqueries {
		return fUnknown
	}
	return f
}

// textSafe leaves a term untranslated when one of its values cannot travel
// as PostgreSQL text: a NUL or invalid UTF-8 (the evaluator decides).
func textSafe(f frag) frag {
	for _, a := range f.args {
		var ok bool
		switch v := a.(type) {
		case string:
			ok = storableText(v)
		case []string:
			ok = true
			for _, s := range v {
				ok = ok && storableText(s)
			}
		default:
			ok = true
		}
		if !ok {
			return fUnknown
		}
	}
	return f
}

// chain flattens a run of the same operator (through parentheses) into its
// operands, so that long filters become balanced SQL.
func (c *compiler) chain(e filter.Expr, op filter.Token, out []frag) []frag {
	for {
		p, ok := e.(*filter.ParenExpr)
		if !ok {
			break
		}
		e = p.X
	}
	if b, ok := e.(*filter.BinaryExpr); ok && b.Op == op {
		out = c.chain(b.X, op, out)
		return c.chain(b.Y, op, out)
	}
	return append(out, c.expr(e))
}

// ---- Status, time and the task graph.

// unixFloor and unixCeil bound an instant by whole seconds: a stored date d
// (whole seconds) is before v iff d < unixCeil(v), after v iff
// d > unixFloor(v).
func unixFloor(v time.Time) int64 { return v.Unix() }

func unixCeil(v time.Time) int64 {
	if v.Nanosecond() > 0 {
		return v.Unix() + 1
	}
	return v.Unix()
}

// effPending is the effective status pending: not waiting.
func (c *compiler) effPending() frag {
	return sqlf("(t.status = 'pending' AND (t.wait_at IS NULL OR t.wait_at <= ?))", unixFloor(c.now))
}

// effWaiting is the derived status waiting.
func (c *compiler) effWaiting() frag {
	return sqlf("((t.status = 'pending' AND t.wait_at IS NOT NULL AND t.wait_at > ?) OR t.status = 'waiting')", unixFloor(c.now))
}

// effStatus is the effective status as a value.
func (c *compiler) effStatus() frag {
	return sqlf(`(CASE WHEN t.status = 'pending' AND t.wait_at > ? THEN 'waiting' ELSE t.status END)`, unixFloor(c.now))
}

// statusIs is the effective status equal to v, with index-friendly forms.
func (c *compiler) statusIs(v string) frag {
	switch backlog.Status(v) {
	case backlog.StatusPending:
		return c.effPending()
	case backlog.StatusWaiting:
		return c.effWaiting()
	}
	return sqlf("t.status = ?", v)
}

// blocked: live and depends on a live task. task_deps knows whether the
// task depended on is live, so the subquery is one small set, computed once.
var blocked = column(`(t.status = 'pending' AND t.tid IN (SELECT task_tid FROM task_deps WHERE backlog = $1 AND dep_live))`)

// blocking: live and a live task depends on it.
var blocking = column(`(t.status = 'pending' AND t.uuid IN (SELECT dep_uuid FROM task_deps WHERE backlog = $1 AND owner_live))`)

// dueIn: live and due in [from, to).
func dueIn(from, to time.Time) frag {
	return sqlf("(t.status = 'pending' AND t.due_at IS NOT NULL AND t.due_at >= ? AND t.due_at < ?)",
		unixCeil(from), unixCeil(to))
}

func (c *compiler) virtual(name string) frag {
	switch name {
	case "PENDING":
		return c.effPending()
	case "COMPLETED":
		return c.statusIs("completed")
	case "DELETED":
		return c.statusIs("deleted")
	case "WAITING":
		return c.effWaiting()
	case "RECURRING", "TEMPLATE", "PARENT":
		return c.statusIs("recurring")
	case "ACTIVE":
		return column("(t.status = 'pending' AND t.start_at IS NOT NULL)")
	case "BLOCKED":
		return c.subquery(blocked)
	case "UNBLOCKED":
		return not(c.subquery(blocked))
	case "BLOCKING":
		return c.subquery(blocking)
	case "READY":
		return and(c.effPending(), not(c.subquery(blocked)),
			sqlf("(t.scheduled_at IS NULL OR t.scheduled_at <= ?)", unixFloor(c.now)))
	case "OVERDUE":
		return sqlf("(t.status = 'pending' AND t.due_at IS NOT NULL AND t.due_at < ?)", unixCeil(c.now))
	case "DUE":
		return dueIn(c.today, c.dueEnd)
	case "TODAY", "DUETODAY":
		return dueIn(c.today, c.tomorrow)
	case "YESTERDAY":
		return dueIn(c.yesterday, c.today)
	case "TOMORROW":
		return dueIn(c.tomorrow, c.tomorrow.AddDate(0, 0, 1))
	case "WEEK":
		return dueIn(c.week, c.nextWeek)
	case "MONTH":
		return dueIn(c.month, c.nextMonth)
	case "QUARTER":
		return dueIn(c.quarter, c.nextQuarter)
	case "YEAR":
		return dueIn(c.year, c.nextYear)
	case "ANNOTATED":
		return column("t.annotations IS NOT NULL")
	case "TAGGED":
		return column("t.tags IS NOT NULL")
	case "PROJECT":
		return column("t.project <> ''")
	case "PRIORITY":
		return column("t.priority <> ''")
	case "SCHEDULED":
		return column("t.scheduled_at IS NOT NULL")
	case "UNTIL":
		return column("t.until_at IS NOT NULL")
	case "INSTANCE", "CHILD":
		return column("t.parent <> ''")
	case "CLAIMED":
		return column("(t.status = 'pending' AND t.agent <> '')")
	case "DOC":
		return column("t.has_doc")
	case "UDA":
		return column("t.extra IS NOT NULL")
	case "LATEST":
		return c.subquery(column("(t.id > 0 AND t.id = (SELECT coalesce(max(id), 0) FROM tasks WHERE backlog = $1 AND id > 0))"))
	}
	return fUnknown
}

// ---- Tags, ids, UUIDs and text.

// hasTag: the task carries one of the ordinary tags (GIN: tags && ...).
func hasTag(names ...string) frag {
	return sqlf("(t.tags IS NOT NULL AND t.tags && ?::text[])", slices.Compact(slices.Sorted(slices.Values(names))))
}

// refs: the task's id is in one of the ranges or its UUID starts with one
// of the prefixes (a run of ids and UUIDs is one list). Whole UUIDs are one
// array.
func refs(n *filter.IDExpr) frag {
	fs := []frag{idRanges("t.id", n.Ranges)}
	var whole []string
	for _, u := range n.UUIDs {
		if len(u) == len("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx") {
			whole = append(whole, u)
			continue
		}
		fs = append(fs, prefixOf(column("t.uuid"), u))
	}
	if len(whole) > 0 {
		fs = append(fs, sqlf("t.uuid = ANY(?::text[])", whole))
	}
	return or(fs...)
}

// idRanges: the id column is in one of the ranges. Positive ranges say
// id > 0 too, which lets PostgreSQL use the partial index on ids; single
// ids are one array.
func idRanges(id string, rs []filter.IDRange) frag {
	x := column(id)
	fs := make([]frag, 0, len(rs))
	var single []int64
	for _, r := range rs {
		switch {
		case r.Lo == r.Hi && r.Lo > 0:
			single = append(single, r.Lo)
		case r.Lo > 0:
			fs = append(fs, sqlf("(%s > 0 AND %s BETWEEN ? AND ?)", x, x, r.Lo, r.Hi))
		default:
			fs = append(fs, sqlf("%s BETWEEN ? AND ?", x, r.Lo, r.Hi))
		}
	}
	switch len(single) {
	case 0:
	case 1:
		fs = append(fs, sqlf("(%s > 0 AND %s = ?)", x, x, single[0]))
	default:
		fs = append(fs, sqlf("(%s > 0 AND %s = ANY(?::bigint[]))", x, x, single))
	}
	return or(fs...)
}

// successor is the least valid UTF-8 string greater than every string with
// the prefix p, in code point (= byte) order; ok is false when there is none.
// Byte increments as SQLite's store does would make invalid text.
func successor(p string) (string, bool) {
	rs := []rune(p)
	for i := len(rs) - 1; i >= 0; i-- {
		r := rs[i] + 1
		if r == 0xD800 {
			r = 0xE000 // past the surrogates, which UTF-8 cannot hold
		}
		if r <= utf8.MaxRune {
			rs[i] = r
			return string(rs[:i+1]), true
		}
	}
	return "", false
}

// prefixOf: x starts with p, case-sensitively, as a range that a "C" index
// can serve.
func prefixOf(x frag, p string) frag {
	if p == "" {
		return fTrue
	}
	if !utf8.ValidString(p) {
		return fUnknown
	}
	if next, ok := successor(p); ok {
		return sqlf("(%s >= ? AND %s < ?)", x, p, x, next)
	}
	return inexact(sqlf("%s >= ?", x, p))
}

// foldedTest applies a test to lower(x) where that is exactly filter.Fold,
// on ASCII values (one byte per character), and lets every other non-empty
// value through: a superset.
func foldedTest(x, test frag) frag {
	return inexact(sqlf("(%s <> '' AND CASE WHEN octet_length(%s) = length(%s) THEN %s ELSE TRUE END)", x, x, x, test))
}

// lowerASCII is lower(x) in the "C" collation: ASCII letters only.
func lowerASCII(x frag) frag { return sqlf(`lower(%s COLLATE "C")`, x) }

// foldedHas: x is non-empty and contains the folded needle (superset).
func foldedHas(x frag, fv string) frag {
	return foldedTest(x, sqlf("strpos(%s, ?::text) > 0", lowerASCII(x), fv))
}

// foldedPrefix: x is non-empty and starts with the folded prefix (superset).
func foldedPrefix(x frag, fv string) frag {
	return foldedTest(x, sqlf("starts_with(%s, ?::text)", lowerASCII(x), fv))
}

// foldedSuffix: x is non-empty and ends with the folded suffix (superset).
func foldedSuffix(x frag, fv string) frag {
	return foldedTest(x, sqlf("(length(%s) >= ? AND right(%s, ?) = ?::text)",
		x, utf8.RuneCountInString(fv), lowerASCII(x), utf8.RuneCountInString(fv), fv))
}

// likeEscape escapes LIKE's wildcards (and its escape, \) in s.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// textHas: the description or an annotation contains the folded needle. The
// folded text is tasks.search: LIKE '%needle%' is served by its trigram
// index; shorter needles, which trigrams cannot find, scan with strpos.
func textHas(fv string) frag {
	switch {
	case fv == "":
		return fTrue
	case strings.Contains(fv, "\n"):
		// The needle could span two texts of the search column.
		return inexact(sqlf("strpos(t.search, ?::text) > 0", fv))
	case utf8.RuneCountInString(fv) < 3:
		return sqlf("strpos(t.search, ?::text) > 0", fv)
	}
	return sqlf("t.search LIKE ?::text", "%"+likeEscape(fv)+"%")
}

// foldedDescription is the folded description: the search text up to its
// first newline.
var foldedDescription = column("split_part(t.search, chr(10), 1)")

// descPrefix: the description is non-empty and starts with the folded
// prefix, read from the search text.
func descPrefix(fv string) frag {
	if strings.Contains(fv, "\n") {
		return fUnknown
	}
	return sqlf("(t.description <> '' AND starts_with(t.search, ?::text))", fv)
}

// descSuffix: the description is non-empty and ends with the folded suffix.
// (It takes the description to end at the search text's first newline,
// which holds for every valid description: one line.)
func descSuffix(fv string) frag {
	if strings.Contains(fv, "\n") {
		return fUnknown
	}
	n := utf8.RuneCountInString(fv)
	return sqlf("(t.description <> '' AND length(%s) >= ? AND right(%s, ?) = ?::text)",
		foldedDescription, n, foldedDescription, n, fv)
}

// ---- Attributes.

func (c *compiler) attr(e *filter.AttrExpr) frag {
	switch e.Kind {
	case filter.KindDate:
		return c.date(e)
	case filter.KindNumber:
		return c.number(e)
	case filter.KindBool:
		return c.boolean(e)
	case filter.KindList:
		return c.list(e)
	case filter.KindUDA:
		return fUnknown // each task's value compared by its own type: left to Go
	}
	x, ok := c.stringValue(e)
	if !ok {
		return fUnknown
	}
	return c.str(e, x)
}

// dateColumns maps date attributes to columns.
var dateColumns = map[string]string{
	"due": "t.due_at", "scheduled": "t.scheduled_at", "wait": "t.wait_at", "until": "t.until_at",
	"entry": "t.entry_at", "modified": "t.modified_at", "start": "t.start_at", "end": "t.end_at",
	"lease_until": "t.lease_until_at",
}

func (c *compiler) date(e *filter.AttrExpr) frag {
	col, ok := dateColumns[e.Name]
	if !ok {
		return fUnknown
	}
	x := column(col)
	absent := sqlf("%s IS NULL", x)
	if e.Value == "" {
		switch e.Mod {
		case filter.ModIsnt, filter.ModNot, filter.ModAny:
			return not(absent)
		}
		return absent
	}
	v := e.Time
	from := time.Date(v.Year(), v.Month(), v.Day(), 0, 0, 0, 0, v.Location())
	to := from.AddDate(0, 0, 1)
	sameDay := sqlf("(%s IS NOT NULL AND %s >= ? AND %s < ?)", x, x, unixCeil(from), x, unixCeil(to))
	is := fFalse // a stored date is whole seconds
	if v.Nanosecond() == 0 {
		is = sqlf("(%s IS NOT NULL AND %s = ?)", x, x, v.Unix())
	}
	switch e.Mod {
	case filter.ModIs:
		return is
	case filter.ModIsnt:
		return not(is)
	case filter.ModNot:
		return not(sameDay)
	case filter.ModBefore:
		return sqlf("(%s IS NOT NULL AND %s < ?)", x, x, unixCeil(v))
	case filter.ModAfter:
		return sqlf("(%s IS NOT NULL AND %s > ?)", x, x, unixFloor(v))
	case filter.ModBy:
		return sqlf("(%s IS NOT NULL AND %s <= ?)", x, x, unixFloor(v))
	case filter.ModNoneOf:
		return absent
	case filter.ModAny:
		return not(absent)
	}
	return sameDay
}

// udaTypeOf is the JSON type of a UDA's value in t.extra, never NULL: ”,
// 'string', 'number', 'boolean'.
func udaTypeOf(name string) frag {
	return sqlf("coalesce(jsonb_typeof(t.extra -> ?::text), '')", name)
}

func (c *compiler) number(e *filter.AttrExpr) frag {
	var present frag
	switch e.Name {
	case "id":
		present = fTrue
	case "urgency":
		return fUnknown // computed in Go, with the graph
	default:
		if !backlog.IsUDAName(e.Name) {
			return fUnknown
		}
		present = sqlf("%s = 'number'", udaTypeOf(e.Name))
	}
	if e.Value == "" || e.Mod == filter.ModNoneOf || e.Mod == filter.ModAny {
		switch e.Mod {
		case filter.ModIsnt, filter.ModNot, filter.ModAny:
			return present
		}
		return not(present)
	}
	if e.Name != "id" {
		// jsonb numbers are decimals; Go compares float64: leave it to Go.
		return fUnknown
	}
	var eq frag
	switch {
	case e.Ranges != nil:
		eq = idRanges("t.id", e.Ranges)
	case e.Num == math.Trunc(e.Num) && math.Abs(e.Num) < 1<<62:
		eq = sqlf("t.id = ?", int64(e.Num))
	default:
		eq = fFalse // no id equals a fraction
	}
	switch e.Mod {
	case filter.ModIsnt, filter.ModNot:
		return not(eq)
	case filter.ModBefore:
		return sqlf("t.id::float8 < ?::float8", e.Num)
	case filter.ModAfter:
		return sqlf("t.id::float8 > ?::float8", e.Num)
	case filter.ModBy:
		return sqlf("t.id::float8 <= ?::float8", e.Num)
	}
	return eq
}

func (c *compiler) boolean(e *filter.AttrExpr) frag {
	var present, isTrue frag
	if e.Name == "has_doc" {
		present = column("t.has_doc")
		isTrue = present
	} else {
		if !backlog.IsUDAName(e.Name) {
			return fUnknown
		}
		present = sqlf("%s = 'boolean'", udaTypeOf(e.Name))
		isTrue = sqlf("coalesce((t.extra -> ?::text) = 'true'::jsonb, FALSE)", e.Name)
	}
	if e.Value == "" || e.Mod == filter.ModNoneOf || e.Mod == filter.ModAny {
		switch e.Mod {
		case filter.ModIsnt, filter.ModNot, filter.ModAny:
			return present
		}
		return not(present)
	}
	eq := isTrue
	if !e.Bool {
		eq = not(isTrue)
	}
	if e.Mod == filter.ModIsnt || e.Mod == filter.ModNot {
		return not(eq)
	}
	return eq
}

// stringColumns maps string attributes to columns; status is derived.
var stringColumns = map[string]string{
	"uuid": "t.uuid", "description": "t.description", "project": "t.project",
	"priority": "t.priority", "recur": "t.recur", "parent": "t.parent", "agent": "t.agent",
	"source": "t.source_type",
}

// stringValue is the attribute's value as the evaluator reads it: "" when
// absent, never NULL, compared bytewise.
func (c *compiler) stringValue(e *filter.AttrExpr) (frag, bool) {
	if e.Name == "status" {
		return c.effStatus(), true
	}
	if col, ok := stringColumns[e.Name]; ok {
		return column(col), true
	}
	if !backlog.IsUDAName(e.Name) {
		return frag{}, false
	}
	return sqlf(`((CASE WHEN jsonb_typeof(t.extra -> ?::text) = 'string' THEN t.extra ->> ?::text ELSE '' END) COLLATE "C")`,
		e.Name, e.Name), true
}

// priorityRank orders priorities as backlog.Priority.Rank does.
func priorityRank(x frag) frag {
	return sqlf("(CASE %s WHEN 'H' THEN 3 WHEN 'M' THEN 2 WHEN 'L' THEN 1 ELSE 0 END)", x)
}

// str mirrors the evaluator's string matching (filter/eval.go, str).
func (c *compiler) str(e *filter.AttrExpr, x frag) frag {
	v := e.Value
	present := sqlf("%s <> ''", x)
	var plain frag
	switch {
	case v == "":
		plain = not(present)
	case e.Kind == filter.KindProject:
		// v itself, or below it: [v, v+"/") holds both, and v+"." starts
		// the sub-projects ('/' follows '.').
		plain = sqlf("(%s >= ?::text AND %s < ?::text AND (%s = ?::text OR %s >= ?::text))", x, v, x, v+"/", x, v, x, v+".")
	case e.Kind == filter.KindStatus:
		plain = c.statusIs(v)
	case e.Kind == filter.KindPriority:
		plain = sqlf("%s = ?::text", x, v)
	default:
		plain = prefixOf(x, v)
	}
	is := sqlf("%s = ?::text", x, v)
	if e.Kind == filter.KindStatus {
		is = c.statusIs(v)
	}
	cmp := func(op string) frag {
		if e.Kind == filter.KindPriority {
			return sqlf("%s "+op+" ?::int", priorityRank(x), backlog.Priority(v).Rank())
		}
		return sqlf("(%s <> '' AND %s "+op+" ?::text)", x, x, v)
	}
	fv := filter.Fold(v)
	has := func() frag {
		if e.Kind == filter.KindText {
			return textHas(fv)
		}
		return foldedHas(x, fv)
	}
	switch e.Mod {
	case filter.ModIs:
		return is
	case filter.ModIsnt:
		return not(is)
	case filter.ModNot:
		return not(plain)
	case filter.ModBefore:
		return cmp("<")
	case filter.ModAfter:
		return cmp(">")
	case filter.ModBy:
		return cmp("<=")
	case filter.ModNoneOf:
		return not(present)
	case filter.ModAny:
		return present
	case filter.ModHas:
		return has()
	case filter.ModHasnt:
		return not(has())
	case filter.ModStartsWith:
		if e.Kind == filter.KindText {
			return descPrefix(fv)
		}
		return foldedPrefix(x, fv)
	case filter.ModEndsWith:
		if e.Kind == filter.KindText {
			return descSuffix(fv)
		}
		return foldedSuffix(x, fv)
	case filter.ModWord:
		// A whole-word, case-insensitive match is also a folded substring
		// match (Go's (?i) folding orbits agree with filter.Fold).
		return inexact(has())
	case filter.ModNoWord, filter.ModRegex:
		return fUnknown
	}
	return plain
}

// list mirrors the evaluator's tags and depends matching (filter/eval.go, list).
func (c *compiler) list(e *filter.AttrExpr) frag {
	var present, member frag
	var elems string // the list column, whose elements are tested as v
	if e.Name == "tags" {
		present = column("t.tags IS NOT NULL")
		member = hasTag(strings.Split(e.Value, ",")...)
		elems = "t.tags"
	} else {
		present = column("t.depends IS NOT NULL")
		var fs []frag
		for _, u := range e.UUIDs {
			fs = append(fs, prefixOf(column("d.dep_uuid"), u))
		}
		var ms []frag
		if len(fs) > 0 {
			f := sqlf("t.tid IN (SELECT d.task_tid FROM task_deps d WHERE d.backlog = $1 AND (%s))", or(fs...))
			f.exact = or(fs...).exact
			ms = append(ms, c.subquery(f))
		}
		if e.Ranges != nil {
			ids := idRanges("d.dep_id", e.Ranges)
			ms = append(ms, c.subquery(sqlf("t.tid IN (SELECT d.task_tid FROM task_deps d WHERE d.backlog = $1 AND d.dep_id > 0 AND (%s))", ids)))
		}
		member = or(ms...)
		elems = "t.depends"
	}
	if e.Value == "" {
		switch e.Mod {
		case filter.ModIsnt, filter.ModNot, filter.ModAny:
			return present
		}
		return not(present)
	}
	anyElem := func(test frag) frag {
		f := sqlf("EXISTS (SELECT 1 FROM unnest("+elems+") AS e(v) WHERE (%s))", test)
		f.exact = test.exact
		return c.subquery(f)
	}
	v := column("e.v")
	fv := filter.Fold(e.Value)
	switch e.Mod {
	case filter.ModIsnt, filter.ModNot, filter.ModHasnt:
		return not(member)
	case filter.ModStartsWith:
		return anyElem(foldedPrefix(v, fv))
	case filter.ModEndsWith:
		return anyElem(foldedSuffix(v, fv))
	case filter.ModWord:
		return anyElem(inexact(foldedHas(v, fv)))
	case filter.ModNoWord, filter.ModRegex:
		return fUnknown
	}
	return member
}
