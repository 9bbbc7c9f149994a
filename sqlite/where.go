package sqlite

// The SQL compiler: a filter.Expr becomes a WHERE clause over `tasks t`.
//
// A translation is either exact (its rows are exactly the evaluator's) or a
// superset (it may let through rows the evaluator rejects, never the other
// way round). Select always runs the evaluator over the rows SQL returns, so
// a superset costs only speed; Count uses COUNT(*) only for an exact whole.
// A term with no translation becomes TRUE, a superset. Negation turns a
// superset into a subset, so NOT and XOR over an inexact operand become TRUE
// as a whole.
//
// What a filter may cost SQLite is bounded, whatever its length: plain tags
// under "or" (and negated ones under "and") are one subquery, and the forms
// whose cost grows faster than their number (correlated subqueries,
// placeholders, passes over the tags) are counted against maxCorrelated,
// maxParams and maxScans. Past a bound a term is left to the evaluator (a
// tag past maxCorrelated takes the uncorrelated form instead).
//
// Every fragment is a 0/1 expression that is never NULL (nullable columns
// are tested with IS NOT NULL first), so that NOT and XOR (as <>) are safe.
// Values travel as `?` parameters in textual order; only fixed ASCII
// literals ('pending', 'H', ...) are written into the SQL. A PostgreSQL twin
// follows the same structure: it changes the placeholders ($n), the text
// search (pg_trgm instead of FTS5), the JSON functions, and the ASCII test.

import (
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
)

// frag is a translated piece of WHERE clause.
type frag struct {
	sql    string
	args   []any
	exact  bool // selects exactly what the evaluator selects; else a superset
	konst  int8 // +1: always true, -1: always false, 0: depends on the row
	height int  // expression tree height, bounded below SQLite's 1000
	params int  // ? placeholders outside IN lists: see maxParams
}

var (
	fTrue    = frag{sql: "1", exact: true, konst: 1, height: 1}
	fFalse   = frag{sql: "0", exact: true, konst: -1, height: 1}
	fUnknown = frag{sql: "1", exact: false, konst: 1, height: 1} // no translation: a superset
)

// maxHeight keeps generated expressions well inside SQLITE_MAX_EXPR_DEPTH.
const maxHeight = 600

// maxArgs keeps generated statements inside SQLITE_MAX_VARIABLE_NUMBER.
const maxArgs = 30000

// maxParams bounds the placeholders a compiled filter holds outside IN
// lists. SQLite computes each such value once per statement, and looks for
// an equal one among those it already holds before keeping it, so that
// preparing a statement costs the square of their number: 4,000 took a
// second. Past the bound a term is left to the evaluator (TRUE).
const maxParams = 400

// maxCorrelated bounds the correlated subqueries (EXISTS probes of one
// task's tags) a compiled filter holds: SQLite's cursor handling makes each
// cost more the more there are (on 2,000 tasks, 300 OR-ed tags took 1.4 s
// and 1,000 took 12 s). Past the bound a tag is tested by the uncorrelated
// IN form, computed once per statement, which is as exact.
const maxCorrelated = 8

// maxScans bounds the subqueries that test every element of a list (every
// tag row, every dependency row: tags.startswith:x), each a pass over that
// table whatever the rest of the filter selects. Past the bound a term is
// left to the evaluator, which tests the elements of the tasks it is given
// far faster than SQL does.
const maxScans = 16

// sqlf builds a fragment from a template: each %s takes the next part, which
// must be a frag (its SQL and args are spliced in), each ? the next part as a
// parameter value. The result is exact.
func sqlf(format string, parts ...any) frag {
	var b strings.Builder
	var args []any
	h, params := 0, 0
	i := 0
	for j := 0; j < len(format); j++ {
		switch {
		case format[j] == '%' && j+1 < len(format) && format[j+1] == 's':
			f := parts[i].(frag)
			i++
			b.WriteString(f.sql)
			args = append(args, f.args...)
			h = max(h, f.height)
			params += f.params
			j++
		case format[j] == '?':
			b.WriteByte('?')
			args = append(args, parts[i])
			params++
			i++
		default:
			b.WriteByte(format[j])
		}
	}
	if i != len(parts) {
		panic("sqlite: sqlf: wrong number of parts for " + format)
	}
	return frag{sql: b.String(), args: args, exact: true, height: h + 2, params: params}
}

// inList: x is one of the values. SQLite reads the values of an IN list
// into one lookup table, so that they cost little whatever their number and
// do not count against maxParams.
func inList[T any](x frag, vals []T) frag {
	if len(vals) == 1 {
		return sqlf("%s = ?", x, vals[0])
	}
	args := slices.Clip(slices.Clone(x.args))
	for _, v := range vals {
		args = append(args, v)
	}
	return frag{sql: x.sql + " IN (?" + strings.Repeat(", ?", len(vals)-1) + ")", args: args,
		exact: true, height: x.height + 2, params: x.params}
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
			return frag{sql: "1", exact: exact, konst: 1, height: 1}
		}
		return fFalse
	}
	f := balance(op, keep)
	f.exact = exact
	return f
}

// xor joins exact fragments with XOR, as a balanced tree of <> (0/1 values
// compare as booleans); over a superset it can only say TRUE.
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

// compileWhere translates e, evaluated at now, into a WHERE condition.
func compileWhere(e filter.Expr, now time.Time) where {
	if e == nil {
		return where{sql: "1", exact: true}
	}
	c := newCompiler(now)
	f := c.expr(e)
	if f.height > maxHeight || len(f.args) > maxArgs {
		f = fUnknown
	}
	return where{sql: f.sql, args: f.args, exact: f.exact}
}

// compiler holds the clock and the calendar bounds, computed as the
// evaluator computes them (filter/eval.go, newCompiler).
type compiler struct {
	now                                time.Time
	params, correlated, scans          int // spent of maxParams, maxCorrelated and maxScans
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
	return c.budget(c.term(e))
}

// operands compiles the operands of a chain of op. The plain tags of an
// "or" (+a or +b) become one IN subquery, and those of an "and" (-a -b) one
// NOT IN, however many there are.
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
		f := c.budget(c.hasTag(tags...))
		if op == filter.AND {
			f = not(f)
		}
		fs = append(fs, f)
	}
	return fs
}

// budget charges a term's placeholders to the filter's maxParams; past the
// bound the term is left to the evaluator.
func (c *compiler) budget(f frag) frag {
	if c.params+f.params > maxParams {
		return fUnknown
	}
	c.params += f.params
	return f
}

// term translates a leaf of the filter.
func (c *compiler) term(e filter.Expr) frag {
	switch n := e.(type) {
	case *filter.TagExpr:
		var f frag
		if n.Virtual {
			f = c.virtual(n.Name)
		} else {
			f = c.hasTag(n.Name)
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
	// A range of the index on (status, wait_at).
	return sqlf("((t.status = 'pending' AND t.wait_at IS NOT NULL AND t.wait_at > ?) OR t.status = 'waiting')", unixFloor(c.now))
}

// effStatus is the effective status as a value.
func (c *compiler) effStatus() frag {
	return sqlf("(CASE WHEN t.status = 'pending' AND t.wait_at > ? THEN 'waiting' ELSE t.status END)", unixFloor(c.now))
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
var blocked = column(`(t.status = 'pending' AND t.tid IN (SELECT task_id FROM task_deps WHERE dep_live = 1))`)

// blocking: live and a live task depends on it.
var blocking = column(`(t.status = 'pending' AND t.uuid IN (SELECT dep_uuid FROM task_deps WHERE owner_live = 1))`)

// active and claimed: the few tasks at work, read as ranges of the indexes
// on (status, start_at) and (status, agent) (agent > ” is agent != ” for
// text, in a form an index can use). The subqueries name the index: on
// its own the planner prefers the status index, reading every pending
// task, and it does not split "+ACTIVE or +CLAIMED" into two ranges.
var (
	active  = column(`t.tid IN (SELECT tid FROM tasks INDEXED BY tasks_status_start WHERE status = 'pending' AND start_at IS NOT NULL)`)
	claimed = column(`t.tid IN (SELECT tid FROM tasks INDEXED BY tasks_status_agent WHERE status = 'pending' AND agent != '')`)
)

// dueIn: live and due in [from, to).
// The index on (status, due_at) answers it, and +OVERDUE, from the range
// alone.
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
		return active
	case "BLOCKED":
		return blocked
	case "UNBLOCKED":
		return not(blocked)
	case "BLOCKING":
		return blocking
	case "READY":
		return and(c.effPending(), not(blocked),
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
		return column("t.project != ''")
	case "PRIORITY":
		return column("t.priority != ''")
	case "SCHEDULED":
		return column("t.scheduled_at IS NOT NULL")
	case "UNTIL":
		return column("t.until_at IS NOT NULL")
	case "INSTANCE", "CHILD":
		return column("t.parent != ''")
	case "CLAIMED":
		return claimed
	case "DOC":
		return column("t.has_doc != 0")
	case "UDA":
		return column("t.extra IS NOT NULL")
	case "LATEST":
		return column("(t.id > 0 AND t.id = (SELECT IFNULL(MAX(id), 0) FROM tasks WHERE id > 0))")
	}
	return fUnknown
}

// ---- Tags, ids, UUIDs and text.

// hasTag: the task carries one of the ordinary tags.
func (c *compiler) hasTag(names ...string) frag {
	names = slices.Compact(slices.Sorted(slices.Values(names)))
	if len(names) == 1 && c.correlated < maxCorrelated {
		c.correlated++
		// A correlated probe of the (task_id, tag) key: the other terms
		// pick the rows, and no temporary list of every tagged task is
		// built (a third of the table for a common tag).
		return sqlf("EXISTS (SELECT 1 FROM task_tags g WHERE g.task_id = t.tid AND g.tag = ?)", names[0])
	}
	return sqlf("t.tid IN (SELECT task_id FROM task_tags WHERE %s)", inList(column("tag"), names))
}

// refs: the task's id is in one of the ranges or its UUID starts with one
// of the prefixes (a run of ids and UUIDs is one list). Whole UUIDs are one
// IN list.
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
		fs = append(fs, inList(column("t.uuid"), whole))
	}
	return or(fs...)
}

// idRanges: the id column is in one of the ranges. Positive ranges say
// id > 0 too, which lets SQLite use the partial index on ids.
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
	if len(single) > 0 {
		fs = append(fs, sqlf("(%s > 0 AND %s)", x, inList(x, single)))
	}
	return or(fs...)
}

// successor is the least string greater than every string with the prefix
// p, bytewise; ok is false when there is none (p is all 0xFF bytes).
func successor(p string) (string, bool) {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xFF {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

// prefixOf: x starts with p, case-sensitively, as a range that an index can
// serve (SQLite compares TEXT bytewise, as Go does).
func prefixOf(x frag, p string) frag {
	if p == "" {
		return fTrue
	}
	if next, ok := successor(p); ok {
		return sqlf("(%s >= ? AND %s < ?)", x, p, x, next)
	}
	return inexact(sqlf("%s >= ?", x, p))
}

// foldedTest applies a test to lower(x) where that is exactly filter.Fold,
// on ASCII values, and lets every other non-empty value through: a superset.
// A value is ASCII when it has as many characters as bytes (length stops
// at a NUL, so a NUL also counts as not ASCII).
func foldedTest(x, test frag) frag {
	return inexact(sqlf("(%s != '' AND CASE WHEN length(%s) = octet_length(%s) THEN %s ELSE 1 END)", x, x, x, test))
}

// foldedHas: x is non-empty and contains the folded needle (superset).
func foldedHas(x frag, fv string) frag {
	return foldedTest(x, sqlf("instr(lower(%s), ?) > 0", x, fv))
}

// foldedPrefix: x is non-empty and starts with the folded prefix (superset).
func foldedPrefix(x frag, fv string) frag {
	return foldedTest(x, sqlf("substr(lower(%s), 1, ?) = ?", x, len(fv), fv))
}

// foldedSuffix: x is non-empty and ends with the folded suffix (superset).
func foldedSuffix(x frag, fv string) frag {
	return foldedTest(x, sqlf("(length(%s) >= ? AND substr(lower(%s), ?) = ?)", x, len(fv), x, -len(fv), fv))
}

// textHas: the description or an annotation contains the folded needle. The
// folded text is tasks.search, indexed by trigrams; shorter needles, which
// trigrams cannot find, scan it with instr.
func textHas(fv string) frag {
	switch {
	case fv == "":
		return fTrue
	case strings.Contains(fv, "\n"):
		// The needle could span two texts of the search column.
		return inexact(sqlf("instr(t.search, ?) > 0", fv))
	case utf8.RuneCountInString(fv) < 3:
		return sqlf("instr(t.search, ?) > 0", fv)
	}
	phrase := `"` + strings.ReplaceAll(fv, `"`, `""`) + `"`
	return sqlf("t.tid IN (SELECT rowid FROM task_fts WHERE task_fts MATCH ?)", phrase)
}

// foldedDescription is the folded description: the search text up to its
// first newline.
var foldedDescription = column("substr(t.search, 1, instr(t.search || char(10), char(10)) - 1)")

// descPrefix: the description is non-empty and starts with the folded
// prefix, read from the search text.
func descPrefix(fv string) frag {
	if strings.Contains(fv, "\n") {
		return fUnknown
	}
	return sqlf("(t.description != '' AND substr(t.search, 1, ?) = ?)", utf8.RuneCountInString(fv), fv)
}

// descSuffix: the description is non-empty and ends with the folded suffix.
// (It takes the description to end at the search text's first newline,
// which holds for every valid description: one line.)
func descSuffix(fv string) frag {
	if strings.Contains(fv, "\n") {
		return fUnknown
	}
	n := utf8.RuneCountInString(fv)
	return sqlf("(t.description != '' AND length(%s) >= ? AND substr(%s, ?) = ?)",
		foldedDescription, n, foldedDescription, -n, fv)
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

// udaPath is the JSON path of a UDA in t.extra; ok is false for a name that
// cannot be written in a path.
func udaPath(name string) (string, bool) {
	return `$."` + name + `"`, backlog.IsUDAName(name)
}

// sqlcodec.UDAType is the JSON type of a UDA's value, never NULL.
func udaTypeOf(path string) frag {
	return sqlf("IFNULL(json_type(t.extra, ?), '')", path)
}

func (c *compiler) number(e *filter.AttrExpr) frag {
	var present frag
	switch e.Name {
	case "id":
		present = fTrue
	case "urgency":
		return fUnknown // computed in Go, with the graph
	default:
		path, ok := udaPath(e.Name)
		if !ok {
			return fUnknown
		}
		present = sqlf("%s IN ('integer', 'real')", udaTypeOf(path))
	}
	if e.Value == "" || e.Mod == filter.ModNoneOf || e.Mod == filter.ModAny {
		switch e.Mod {
		case filter.ModIsnt, filter.ModNot, filter.ModAny:
			return present
		}
		return not(present)
	}
	if e.Name != "id" {
		// Numbers round-trip through SQLite's own JSON number parser; leave
		// their comparison to Go.
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
		return sqlf("t.id < ?", e.Num)
	case filter.ModAfter:
		return sqlf("t.id > ?", e.Num)
	case filter.ModBy:
		return sqlf("t.id <= ?", e.Num)
	}
	return eq
}

func (c *compiler) boolean(e *filter.AttrExpr) frag {
	var present, isTrue frag
	if e.Name == "has_doc" {
		present = column("t.has_doc != 0")
		isTrue = present
	} else {
		path, ok := udaPath(e.Name)
		if !ok {
			return fUnknown
		}
		present = sqlf("%s IN ('true', 'false')", udaTypeOf(path))
		isTrue = sqlf("%s = 'true'", udaTypeOf(path))
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
// absent, never NULL.
func (c *compiler) stringValue(e *filter.AttrExpr) (frag, bool) {
	if e.Name == "status" {
		return c.effStatus(), true
	}
	if col, ok := stringColumns[e.Name]; ok {
		return column(col), true
	}
	path, ok := udaPath(e.Name)
	if !ok {
		return frag{}, false
	}
	return sqlf("(CASE json_type(t.extra, ?) WHEN 'text' THEN json_extract(t.extra, ?) ELSE '' END)", path, path), true
}

// priorityRank orders priorities as backlog.Priority.Rank does.
func priorityRank(x frag) frag {
	return sqlf("(CASE %s WHEN 'H' THEN 3 WHEN 'M' THEN 2 WHEN 'L' THEN 1 ELSE 0 END)", x)
}

// str mirrors the evaluator's string matching (filter/eval.go, str).
func (c *compiler) str(e *filter.AttrExpr, x frag) frag {
	v := e.Value
	present := sqlf("%s != ''", x)
	var plain frag
	switch {
	case v == "":
		plain = not(present)
	case e.Kind == filter.KindProject:
		// v itself, or below it: [v, v+"/") holds both, and v+"." starts
		// the sub-projects ('/' follows '.').
		plain = sqlf("(%s >= ? AND %s < ? AND (%s = ? OR %s >= ?))", x, v, x, v+"/", x, v, x, v+".")
	case e.Kind == filter.KindStatus:
		plain = c.statusIs(v)
	case e.Kind == filter.KindPriority:
		plain = sqlf("%s = ?", x, v)
	default:
		plain = prefixOf(x, v)
	}
	is := sqlf("%s = ?", x, v)
	if e.Kind == filter.KindStatus {
		is = c.statusIs(v)
	}
	cmp := func(op string) frag {
		if e.Kind == filter.KindPriority {
			return sqlf("%s "+op+" ?", priorityRank(x), backlog.Priority(v).Rank())
		}
		return sqlf("(%s != '' AND %s "+op+" ?)", x, x, v)
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
	var elems string // a subquery of (task_id, value) rows: the elements
	if e.Name == "tags" {
		present = column("t.tags IS NOT NULL")
		member = c.hasTag(strings.Split(e.Value, ",")...)
		elems = "SELECT task_id, tag AS v FROM task_tags"
	} else {
		present = column("t.depends IS NOT NULL")
		var fs []frag
		for _, u := range e.UUIDs {
			fs = append(fs, prefixOf(column("d.dep_uuid"), u))
		}
		var ms []frag
		if len(fs) > 0 {
			ms = append(ms, sqlf("t.tid IN (SELECT d.task_id FROM task_deps d WHERE (%s))", or(fs...)))
		}
		if e.Ranges != nil {
			ids := idRanges("d.dep_id", e.Ranges)
			ms = append(ms, sqlf("t.tid IN (SELECT d.task_id FROM task_deps d WHERE d.dep_id > 0 AND (%s))", ids))
		}
		member = or(ms...)
		elems = "SELECT task_id, dep_uuid AS v FROM task_deps"
	}
	if e.Value == "" {
		switch e.Mod {
		case filter.ModIsnt, filter.ModNot, filter.ModAny:
			return present
		}
		return not(present)
	}
	anyElem := func(test frag) frag {
		if c.scans++; c.scans > maxScans {
			return fUnknown
		}
		f := sqlf("t.tid IN (SELECT task_id FROM ("+elems+") WHERE (%s))", test)
		f.exact = test.exact
		return f
	}
	v := column("v")
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
