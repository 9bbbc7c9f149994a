package sqlstore

// The SQL compiler: a filter.Expr becomes a WHERE condition over `tasks t`.
//
// A translation is either exact (its rows are exactly the evaluator's) or a
// superset (it may let through rows the evaluator rejects, never the other
// way round). Select always runs the evaluator over the rows SQL returns, so
// a superset costs only speed; Count uses count(*) only for an exact whole.
// A term with no translation becomes TRUE, a superset. Negation turns a
// superset into a subset, so NOT and XOR over an inexact operand become TRUE
// as a whole.
//
// What a filter may cost the database is bounded, whatever its length:
// plain tags under "or" (and negated ones under "and") are one test, and
// the forms whose cost grows faster than their number are counted against
// the dialect's Limits. Past a bound a term is left to the evaluator (a tag
// past Limits.Probes takes the set form instead).
//
// Values travel as ? parameters in textual order; only fixed ASCII
// literals ('pending', 'H', ...) are written into the SQL. Text compares
// bytewise (SQLite's TEXT, PostgreSQL's "C" collation), as Go does.
//
// The translation of each term is one function here; what the two
// databases write differently is a method of the Dialect. The term
// structure is kept such that a count could be answered from tallies, and a
// text search is one call of Dialect.TextSearch.

import (
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
)

// Where is a compiled filter: a condition over `tasks t` with ?
// placeholders, and whether it selects exactly what the evaluator does.
type Where struct {
	SQL   string
	Args  []any
	Exact bool
}

// Compile translates e, evaluated at now, into a WHERE condition.
func Compile(d Dialect, e filter.Expr, now time.Time) Where {
	c := newCompiler(d, now)
	if e == nil {
		return Where{SQL: c.fTrue.sql, Exact: true}
	}
	f := c.expr(e)
	if over(f.height, c.lim.Height) || over(len(f.args), c.lim.Args) {
		f = c.fUnknown
	}
	return Where{SQL: f.sql, Args: f.args, Exact: f.exact}
}

// EffectiveStatus is the task's status as the evaluator sees it at now
// (pending with a wait date after now is waiting), as a value.
func EffectiveStatus(d Dialect, now time.Time) Frag {
	return newCompiler(d, now).effStatus()
}

// PrefixOf: the column starts with p, as a range an index can serve.
func PrefixOf(d Dialect, column string, p string) Where {
	f := newCompiler(d, time.Time{}).prefixOf(Column(column), p)
	return Where{SQL: f.sql, Args: f.args, Exact: f.exact}
}

// over reports n past a bound (0: none).
func over(n, bound int) bool { return bound > 0 && n > bound }

// compiler holds the clock, the dialect and what the filter has spent of
// its limits.
type compiler struct {
	d                            Dialect
	tr                           Traits
	lim                          *Limits
	now                          time.Time
	fTrue, fFalse, fUnknown      Frag
	params, probes, scans, subqs int // spent of the limits
}

func newCompiler(d Dialect, now time.Time) *compiler {
	c := &compiler{d: d, tr: d.Traits(), now: now}
	c.lim = &c.tr.Limits
	c.fTrue = Frag{sql: c.tr.True, exact: true, konst: 1, height: 1}
	c.fFalse = Frag{sql: c.tr.False, exact: true, konst: -1, height: 1}
	c.fUnknown = Frag{sql: c.tr.True, exact: false, konst: 1, height: 1} // no translation: a superset
	return c
}

// and joins fragments with AND, as a balanced tree.
func (c *compiler) and(fs ...Frag) Frag { return c.join("AND", fs) }

// or joins fragments with OR, as a balanced tree.
func (c *compiler) or(fs ...Frag) Frag { return c.join("OR", fs) }

func (c *compiler) join(op string, fs []Frag) Frag {
	absorb, neutral := int8(-1), int8(1) // AND: false absorbs, true is neutral
	if op == "OR" {
		absorb, neutral = 1, -1
	}
	exact := true
	var keep []Frag
	for _, f := range fs {
		exact = exact && f.exact
		switch f.konst {
		case absorb:
			if op == "OR" && !f.exact {
				return c.fUnknown // TRUE, but only as a superset
			}
			return f // AND with FALSE: exactly FALSE; OR with exact TRUE: exactly TRUE
		case neutral:
			continue
		}
		keep = append(keep, f)
	}
	if len(keep) == 0 {
		if op == "AND" {
			return Frag{sql: c.fTrue.sql, exact: exact, konst: 1, height: 1}
		}
		return c.fFalse
	}
	f := balance(op, keep)
	f.exact = exact
	return f
}

// xor joins exact fragments with XOR, as a balanced tree of <> (truth
// values compare as booleans); over a superset it can only say TRUE.
func (c *compiler) xor(fs ...Frag) Frag {
	odd := false // an odd number of operands is always true
	var keep []Frag
	for _, f := range fs {
		switch {
		case !f.exact:
			return c.fUnknown
		case f.konst > 0:
			odd = !odd
		case f.konst == 0:
			keep = append(keep, f)
		}
	}
	f := c.fFalse
	if len(keep) > 0 {
		f = balance("<>", keep)
		f.exact = true
	}
	if odd {
		return c.not(f)
	}
	return f
}

// balance joins fs pairwise so that long chains stay shallow.
func balance(op string, fs []Frag) Frag {
	if len(fs) == 1 {
		return fs[0]
	}
	mid := len(fs) / 2
	x, y := balance(op, fs[:mid]), balance(op, fs[mid:])
	f := Sqlf("((%s) "+op+" (%s))", x, y)
	f.exact = x.exact && y.exact
	return f
}

// not negates f; over a superset it can only say TRUE.
func (c *compiler) not(f Frag) Frag {
	switch {
	case !f.exact:
		return c.fUnknown
	case f.konst > 0:
		return c.fFalse
	case f.konst < 0:
		return c.fTrue
	}
	return Sqlf("NOT (%s)", f)
}

func (c *compiler) expr(e filter.Expr) Frag {
	switch n := e.(type) {
	case *filter.BinaryExpr:
		fs := c.operands(filter.Operands(n, n.Op), n.Op)
		switch n.Op {
		case filter.OR:
			return c.or(fs...)
		case filter.XOR:
			return c.xor(fs...)
		}
		return c.and(fs...)
	case *filter.NotExpr:
		return c.not(c.expr(n.X))
	case *filter.ParenExpr:
		return c.expr(n.X)
	}
	return c.budget(c.term(e))
}

// operands compiles the operands of a chain of op. The plain tags of an
// "or" (+a or +b) become one test, and those of an "and" (-a -b) its
// negation, however many there are.
func (c *compiler) operands(xs []filter.Expr, op filter.Token) []Frag {
	var tags []string
	fs := make([]Frag, 0, len(xs))
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
			f = c.not(f)
		}
		fs = append(fs, f)
	}
	return fs
}

// budget charges a term's placeholders to the filter's Limits.Params, and
// leaves to the evaluator a term with a value the database cannot take.
func (c *compiler) budget(f Frag) Frag {
	if over(c.params+f.params, c.lim.Params) || !c.storable(f.args) {
		return c.fUnknown
	}
	c.params += f.params
	return f
}

// storable reports whether the database takes every text value of args.
func (c *compiler) storable(args []any) bool {
	for _, a := range args {
		switch v := a.(type) {
		case string:
			if !c.tr.Storable(v) {
				return false
			}
		case []string:
			for _, s := range v {
				if !c.tr.Storable(s) {
					return false
				}
			}
		}
	}
	return true
}

// subquery charges a subquery to the filter's Limits.Subqueries.
func (c *compiler) subquery(f Frag) Frag {
	if c.subqs++; over(c.subqs, c.lim.Subqueries) {
		return c.fUnknown
	}
	return f
}

// term translates a leaf of the filter.
func (c *compiler) term(e filter.Expr) Frag {
	switch n := e.(type) {
	case *filter.TagExpr:
		var f Frag
		if n.Virtual {
			f = c.virtual(n.Name)
		} else {
			f = c.hasTag(n.Name)
		}
		if !n.Include {
			return c.not(f)
		}
		return f
	case *filter.IDExpr:
		return c.refs(n)
	case *filter.WordExpr:
		return c.textHas(filter.Fold(n.Text))
	case *filter.AttrExpr:
		return c.attr(n)
	}
	return c.fUnknown // a regular expression, among others
}

// ---- Status, time and the task graph.

// UnixFloor and UnixCeil bound an instant by whole seconds: a stored date d
// (whole seconds) is before v iff d < UnixCeil(v), after v iff
// d > UnixFloor(v).
func UnixFloor(v time.Time) int64 { return v.Unix() }

// UnixCeil: see UnixFloor.
func UnixCeil(v time.Time) int64 {
	if v.Nanosecond() > 0 {
		return v.Unix() + 1
	}
	return v.Unix()
}

// effPending is the effective status pending: not waiting.
func (c *compiler) effPending() Frag {
	return Sqlf("(t.status = 'pending' AND (t.wait_at IS NULL OR t.wait_at <= ?))", UnixFloor(c.now))
}

// effWaiting is the derived status waiting: a range of the index on
// (status, wait_at).
func (c *compiler) effWaiting() Frag {
	return Sqlf("((t.status = 'pending' AND t.wait_at IS NOT NULL AND t.wait_at > ?) OR t.status = 'waiting')", UnixFloor(c.now))
}

// effStatus is the effective status as a value.
func (c *compiler) effStatus() Frag {
	return Sqlf("(CASE WHEN t.status = 'pending' AND t.wait_at > ? THEN 'waiting' ELSE t.status END)", UnixFloor(c.now))
}

// statusIs is the effective status equal to v, with index-friendly forms.
func (c *compiler) statusIs(v string) Frag {
	switch backlog.Status(v) {
	case backlog.StatusPending:
		return c.effPending()
	case backlog.StatusWaiting:
		return c.effWaiting()
	}
	return Sqlf("t.status = ?", v)
}

// dueIn: live and due in [from, to). The index on (status, due_at) answers
// it, and +OVERDUE, from the range alone.
func dueIn(from, to time.Time) Frag {
	return Sqlf("(t.status = 'pending' AND t.due_at IS NOT NULL AND t.due_at >= ? AND t.due_at < ?)",
		UnixCeil(from), UnixCeil(to))
}

// virtual translates a virtual tag from its meaning (filter.LookupVirtual).
func (c *compiler) virtual(name string) Frag {
	v, ok := filter.LookupVirtual(name)
	if !ok {
		return c.fUnknown
	}
	switch v.Kind {
	case filter.StatusIs:
		return c.statusIs(string(v.Status))
	case filter.FieldSet:
		return c.fieldSet(v.Field)
	case filter.LiveFieldSet:
		if f, ok := c.d.LiveWith(v.Field); ok {
			return f
		}
		return Column("(t.status = 'pending' AND " + c.fieldSet(v.Field).sql + ")")
	case filter.DueIn:
		return dueIn(v.Span.Bounds(c.now))
	case filter.Overdue:
		return Sqlf("(t.status = 'pending' AND t.due_at IS NOT NULL AND t.due_at < ?)", UnixCeil(c.now))
	case filter.Unblocked:
		return c.not(c.subquery(c.d.Graph(filter.Blocked)))
	case filter.Ready:
		return c.and(c.effPending(), c.not(c.subquery(c.d.Graph(filter.Blocked))),
			Sqlf("(t.scheduled_at IS NULL OR t.scheduled_at <= ?)", UnixFloor(c.now)))
	}
	return c.subquery(c.d.Graph(v.Kind)) // Blocked, Blocking, Latest
}

// fieldSet: the task's field is set (not empty).
func (c *compiler) fieldSet(field string) Frag {
	switch field {
	case "annotations", "tags", "extra":
		return Column("t." + field + " IS NOT NULL")
	case "has_doc":
		return c.flag("t.has_doc")
	}
	if col, ok := dateColumns[field]; ok {
		return Column(col + " IS NOT NULL")
	}
	return Column("t." + field + " <> ''")
}

// flag: the flag column is set.
func (c *compiler) flag(column string) Frag {
	return Column(column + " = " + c.tr.True)
}

// ---- Tags, ids, UUIDs and text.

// hasTag: the task carries one of the ordinary tags. A lone tag is a probe
// of the task's tags (the other terms pick the rows), while there are
// probes left.
func (c *compiler) hasTag(names ...string) Frag {
	names = slices.Compact(slices.Sorted(slices.Values(names)))
	probe := len(names) == 1 && (c.lim.Probes == 0 || c.probes < c.lim.Probes)
	if probe {
		c.probes++
	}
	return c.d.HasTag(names, probe)
}

// uuidLen is the length of a whole UUID.
const uuidLen = len("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx")

// refs: the task's id is in one of the ranges or its UUID starts with one
// of the prefixes (a run of ids and UUIDs is one list). Whole UUIDs are one
// list.
func (c *compiler) refs(n *filter.IDExpr) Frag {
	fs := []Frag{c.idRanges("t.id", n.Ranges)}
	var whole []string
	for _, u := range n.UUIDs {
		if len(u) == uuidLen {
			whole = append(whole, u)
			continue
		}
		fs = append(fs, c.prefixOf(Column("t.uuid"), u))
	}
	if len(whole) > 0 {
		fs = append(fs, c.d.OneOf(Column("t.uuid"), whole))
	}
	return c.or(fs...)
}

// idRanges: the id column is in one of the ranges. Positive ranges say
// id > 0 too, which lets the database use the partial index on ids.
func (c *compiler) idRanges(id string, rs []filter.IDRange) Frag {
	x := Column(id)
	fs := make([]Frag, 0, len(rs))
	var single []int64
	for _, r := range rs {
		switch {
		case r.Lo == r.Hi && r.Lo > 0:
			single = append(single, r.Lo)
		case r.Lo > 0:
			fs = append(fs, Sqlf("(%s > 0 AND %s BETWEEN ? AND ?)", x, x, r.Lo, r.Hi))
		default:
			fs = append(fs, Sqlf("%s BETWEEN ? AND ?", x, r.Lo, r.Hi))
		}
	}
	switch len(single) {
	case 0:
	case 1:
		fs = append(fs, Sqlf("(%s > 0 AND %s = ?)", x, x, single[0]))
	default:
		fs = append(fs, Sqlf("(%s > 0 AND %s)", x, c.d.OneOf(x, single)))
	}
	return c.or(fs...)
}

// prefixOf: x starts with p, case-sensitively, as a range that an index can
// serve.
func (c *compiler) prefixOf(x Frag, p string) Frag {
	switch {
	case p == "":
		return c.fTrue
	case !c.tr.Storable(p):
		return c.fUnknown
	}
	if next, ok := c.tr.successor(p); ok {
		return Sqlf("(%s >= ? AND %s < ?)", x, p, x, next)
	}
	return inexact(Sqlf("%s >= ?", x, p))
}

// foldedTest applies a test to the lower-cased x where that is exactly
// filter.Fold, on ASCII values (as many characters as bytes: in SQLite a
// NUL, where length stops, counts as not ASCII too), and lets every other
// non-empty value through: a superset.
func (c *compiler) foldedTest(x, test Frag) Frag {
	return inexact(Sqlf("(%s <> '' AND CASE WHEN length(%s) = octet_length(%s) THEN %s ELSE "+c.fTrue.sql+" END)", x, x, x, test))
}

// foldedHas: x is non-empty and contains the folded needle (superset).
func (c *compiler) foldedHas(x Frag, fv string) Frag {
	return c.foldedTest(x, c.d.Contains(c.d.Lower(x), fv))
}

// foldedPrefix: x is non-empty and starts with the folded prefix (superset).
func (c *compiler) foldedPrefix(x Frag, fv string) Frag {
	return c.foldedTest(x, c.d.HasPrefix(c.d.Lower(x), fv))
}

// foldedSuffix: x is non-empty and ends with the folded suffix (superset).
func (c *compiler) foldedSuffix(x Frag, fv string) Frag {
	return c.foldedTest(x, Sqlf("(length(%s) >= ? AND %s)", x, utf8.RuneCountInString(fv), c.d.HasSuffix(c.d.Lower(x), fv)))
}

// textHas: the description or an annotation contains the folded needle.
// The folded text is tasks.search, indexed for Dialect.TextSearch; shorter
// needles, which a trigram index cannot find, scan it.
func (c *compiler) textHas(fv string) Frag {
	search := Column("t.search")
	switch {
	case fv == "":
		return c.fTrue
	case strings.Contains(fv, "\n"):
		// The needle could span two texts of the search column.
		return inexact(c.d.Contains(search, fv))
	case utf8.RuneCountInString(fv) < 3:
		return c.d.Contains(search, fv)
	}
	return c.d.TextSearch(fv)
}

// descPrefix: the description is non-empty and starts with the folded
// prefix, read from the search text.
func (c *compiler) descPrefix(fv string) Frag {
	if strings.Contains(fv, "\n") {
		return c.fUnknown
	}
	return Sqlf("(t.description <> '' AND %s)", c.d.HasPrefix(Column("t.search"), fv))
}

// descSuffix: the description is non-empty and ends with the folded suffix.
// (It takes the description to end at the search text's first newline,
// which holds for every valid description: one line.)
func (c *compiler) descSuffix(fv string) Frag {
	if strings.Contains(fv, "\n") {
		return c.fUnknown
	}
	desc := c.d.FoldedDescription()
	return Sqlf("(t.description <> '' AND length(%s) >= ? AND %s)", desc, utf8.RuneCountInString(fv), c.d.HasSuffix(desc, fv))
}

// ---- Attributes.

func (c *compiler) attr(e *filter.AttrExpr) Frag {
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
		return c.fUnknown // each task's value compared by its own type: left to Go
	}
	x, ok := c.stringValue(e)
	if !ok {
		return c.fUnknown
	}
	return c.str(e, x)
}

// dateColumns maps date attributes to columns.
var dateColumns = map[string]string{
	"due": "t.due_at", "scheduled": "t.scheduled_at", "wait": "t.wait_at", "until": "t.until_at",
	"entry": "t.entry_at", "modified": "t.modified_at", "start": "t.start_at", "end": "t.end_at",
	"lease_until": "t.lease_until_at",
}

func (c *compiler) date(e *filter.AttrExpr) Frag {
	col, ok := dateColumns[e.Name]
	if !ok {
		return c.fUnknown
	}
	x := Column(col)
	absent := Sqlf("%s IS NULL", x)
	if e.Value == "" {
		switch e.Mod {
		case filter.ModIsnt, filter.ModNot, filter.ModAny:
			return c.not(absent)
		}
		return absent
	}
	v := e.Time
	from := time.Date(v.Year(), v.Month(), v.Day(), 0, 0, 0, 0, v.Location())
	to := from.AddDate(0, 0, 1)
	sameDay := Sqlf("(%s IS NOT NULL AND %s >= ? AND %s < ?)", x, x, UnixCeil(from), x, UnixCeil(to))
	is := c.fFalse // a stored date is whole seconds
	if v.Nanosecond() == 0 {
		is = Sqlf("(%s IS NOT NULL AND %s = ?)", x, x, v.Unix())
	}
	switch e.Mod {
	case filter.ModIs:
		return is
	case filter.ModIsnt:
		return c.not(is)
	case filter.ModNot:
		return c.not(sameDay)
	case filter.ModBefore:
		return Sqlf("(%s IS NOT NULL AND %s < ?)", x, x, UnixCeil(v))
	case filter.ModAfter:
		return Sqlf("(%s IS NOT NULL AND %s > ?)", x, x, UnixFloor(v))
	case filter.ModBy:
		return Sqlf("(%s IS NOT NULL AND %s <= ?)", x, x, UnixFloor(v))
	case filter.ModNoneOf:
		return absent
	case filter.ModAny:
		return c.not(absent)
	}
	return sameDay
}

// presence answers the terms that ask only whether an attribute is set
// (an empty value, .none and .any); ok is false for the others.
func (c *compiler) presence(e *filter.AttrExpr, present Frag) (f Frag, ok bool) {
	if e.Value != "" && e.Mod != filter.ModNoneOf && e.Mod != filter.ModAny {
		return Frag{}, false
	}
	switch e.Mod {
	case filter.ModIsnt, filter.ModNot, filter.ModAny:
		return present, true
	}
	return c.not(present), true
}

func (c *compiler) number(e *filter.AttrExpr) Frag {
	present := c.fTrue
	switch {
	case e.Name == "urgency":
		return c.fUnknown // computed in Go, with the graph
	case e.Name != "id" && !backlog.IsUDAName(e.Name):
		return c.fUnknown
	case e.Name != "id":
		present = c.d.UDA(e.Name, UDAIsNumber)
	}
	if f, ok := c.presence(e, present); ok {
		return f
	}
	if e.Name != "id" {
		// Each database reads JSON numbers its own way (SQLite's parser,
		// PostgreSQL's decimals); Go compares float64: leave it to Go.
		return c.fUnknown
	}
	var eq Frag
	switch {
	case e.Ranges != nil:
		eq = c.idRanges("t.id", e.Ranges)
	case e.Num == math.Trunc(e.Num) && math.Abs(e.Num) < 1<<62:
		eq = Sqlf("t.id = ?", int64(e.Num))
	default:
		eq = c.fFalse // no id equals a fraction
	}
	// An id compares with a fraction as a number (cast where the database
	// compares a bigint only with a bigint).
	cmp := func(op string) Frag {
		return Sqlf(c.tr.cast("t.id", "float8")+" "+op+" "+c.tr.param("float8"), e.Num)
	}
	switch e.Mod {
	case filter.ModIsnt, filter.ModNot:
		return c.not(eq)
	case filter.ModBefore:
		return cmp("<")
	case filter.ModAfter:
		return cmp(">")
	case filter.ModBy:
		return cmp("<=")
	}
	return eq
}

func (c *compiler) boolean(e *filter.AttrExpr) Frag {
	var present, isTrue Frag
	switch {
	case e.Name == "has_doc":
		present = c.flag("t.has_doc")
		isTrue = present
	case !backlog.IsUDAName(e.Name):
		return c.fUnknown
	default:
		present = c.d.UDA(e.Name, UDAIsBool)
		isTrue = c.d.UDA(e.Name, UDAIsTrue)
	}
	if f, ok := c.presence(e, present); ok {
		return f
	}
	eq := isTrue
	if !e.Bool {
		eq = c.not(isTrue)
	}
	if e.Mod == filter.ModIsnt || e.Mod == filter.ModNot {
		return c.not(eq)
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
func (c *compiler) stringValue(e *filter.AttrExpr) (Frag, bool) {
	if e.Name == "status" {
		return c.effStatus(), true
	}
	if col, ok := stringColumns[e.Name]; ok {
		return Column(col), true
	}
	if !backlog.IsUDAName(e.Name) {
		return Frag{}, false
	}
	return c.d.UDA(e.Name, UDAText), true
}

// priorityRank orders priorities as backlog.Priority.Rank does.
func priorityRank(x Frag) Frag {
	return Sqlf("(CASE %s WHEN 'H' THEN 3 WHEN 'M' THEN 2 WHEN 'L' THEN 1 ELSE 0 END)", x)
}

// str mirrors the evaluator's string matching (filter/eval.go, str).
func (c *compiler) str(e *filter.AttrExpr, x Frag) Frag {
	v := e.Value
	text := c.tr.param("text")
	present := Sqlf("%s <> ''", x)
	var plain Frag
	switch {
	case v == "":
		plain = c.not(present)
	case e.Kind == filter.KindProject:
		// v itself, or below it: [v, v+"/") holds both, and v+"." starts
		// the sub-projects ('/' follows '.').
		plain = Sqlf("(%s >= "+text+" AND %s < "+text+" AND (%s = "+text+" OR %s >= "+text+"))", x, v, x, v+"/", x, v, x, v+".")
	case e.Kind == filter.KindStatus:
		plain = c.statusIs(v)
	case e.Kind == filter.KindPriority:
		plain = Sqlf("%s = "+text, x, v)
	default:
		plain = c.prefixOf(x, v)
	}
	is := Sqlf("%s = "+text, x, v)
	if e.Kind == filter.KindStatus {
		is = c.statusIs(v)
	}
	cmp := func(op string) Frag {
		if e.Kind == filter.KindPriority {
			return Sqlf("%s "+op+" "+c.tr.param("int"), priorityRank(x), backlog.Priority(v).Rank())
		}
		return Sqlf("(%s <> '' AND %s "+op+" "+text+")", x, x, v)
	}
	fv := filter.Fold(v)
	has := func() Frag {
		if e.Kind == filter.KindText {
			return c.textHas(fv)
		}
		return c.foldedHas(x, fv)
	}
	switch e.Mod {
	case filter.ModIs:
		return is
	case filter.ModIsnt:
		return c.not(is)
	case filter.ModNot:
		return c.not(plain)
	case filter.ModBefore:
		return cmp("<")
	case filter.ModAfter:
		return cmp(">")
	case filter.ModBy:
		return cmp("<=")
	case filter.ModNoneOf:
		return c.not(present)
	case filter.ModAny:
		return present
	case filter.ModHas:
		return has()
	case filter.ModHasnt:
		return c.not(has())
	case filter.ModStartsWith:
		if e.Kind == filter.KindText {
			return c.descPrefix(fv)
		}
		return c.foldedPrefix(x, fv)
	case filter.ModEndsWith:
		if e.Kind == filter.KindText {
			return c.descSuffix(fv)
		}
		return c.foldedSuffix(x, fv)
	case filter.ModWord:
		// A whole-word, case-insensitive match is also a folded substring
		// match (Go's (?i) folding orbits agree with filter.Fold).
		return inexact(has())
	case filter.ModNoWord, filter.ModRegex:
		return c.fUnknown
	}
	return plain
}

// list mirrors the evaluator's tags and depends matching (filter/eval.go, list).
func (c *compiler) list(e *filter.AttrExpr) Frag {
	var present, member Frag
	if e.Name == "tags" {
		present = Column("t.tags IS NOT NULL")
		member = c.hasTag(strings.Split(e.Value, ",")...)
	} else {
		present = Column("t.depends IS NOT NULL")
		var fs []Frag
		for _, u := range e.UUIDs {
			fs = append(fs, c.prefixOf(Column("d.dep_uuid"), u))
		}
		var ms []Frag
		if len(fs) > 0 {
			prefixes := c.or(fs...)
			f := c.d.DependsOn(Sqlf("(%s)", prefixes))
			f.exact = prefixes.exact
			ms = append(ms, c.subquery(f))
		}
		if e.Ranges != nil {
			ids := c.idRanges("d.dep_id", e.Ranges)
			ms = append(ms, c.subquery(c.d.DependsOn(Sqlf("d.dep_id > 0 AND (%s)", ids))))
		}
		member = c.or(ms...)
	}
	if e.Value == "" {
		switch e.Mod {
		case filter.ModIsnt, filter.ModNot, filter.ModAny:
			return present
		}
		return c.not(present)
	}
	anyElem := func(build func(v Frag) Frag) Frag {
		if c.scans++; over(c.scans, c.lim.Scans) {
			return c.fUnknown
		}
		var test Frag
		f := c.d.AnyElem(e.Name, func(v Frag) Frag { test = build(v); return test })
		f.exact = test.exact
		return c.subquery(f)
	}
	fv := filter.Fold(e.Value)
	switch e.Mod {
	case filter.ModIsnt, filter.ModNot, filter.ModHasnt:
		return c.not(member)
	case filter.ModStartsWith:
		return anyElem(func(v Frag) Frag { return c.foldedPrefix(v, fv) })
	case filter.ModEndsWith:
		return anyElem(func(v Frag) Frag { return c.foldedSuffix(v, fv) })
	case filter.ModWord:
		return anyElem(func(v Frag) Frag { return inexact(c.foldedHas(v, fv)) })
	case filter.ModNoWord, filter.ModRegex:
		return c.fUnknown
	}
	return member
}
