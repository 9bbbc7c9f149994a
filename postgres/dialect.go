package postgres

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store/sqlcodec"
	"github.com/agent-backlog/backlog/store/sqlstore"
)

// dialect is PostgreSQL's: see sqlstore.Dialect for what each method
// answers. Text columns are COLLATE "C", so that text compares bytewise as
// in Go (and in SQLite); values computed from JSON are given that collation.
type dialect struct{}

var _ sqlstore.Dialect = dialect{}

// compileWhere translates a filter into PostgreSQL's WHERE condition, with
// ? placeholders (see bind).
func compileWhere(e filter.Expr, now time.Time) sqlstore.Where {
	return sqlstore.Compile(dialect{}, e, now)
}

// bind numbers the ? placeholders of a compiled condition from $first.
// (No ? appears in the compiler's SQL but as a placeholder.)
func bind(w sqlstore.Where, first int) sqlstore.Where {
	w.SQL = number(w.SQL, first)
	return w
}

// number numbers the ? placeholders of q from $first.
func number(q string, first int) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := first
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			n++
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// The limits of a compiled filter (sqlstore.Limits).
const (
	// maxHeight keeps generated expressions well inside PostgreSQL's
	// stack (max_stack_depth).
	maxHeight = 400
	// maxArgs keeps statements inside the protocol's 65535 parameters.
	maxArgs = 30000
	// maxParams bounds the parameters a compiled filter holds, and with
	// them its clauses: PostgreSQL's planner takes time that grows faster
	// than their number (800 "and"-ed project: terms took 7 s to plan).
	maxParams = 400
	// maxSubqueries bounds the subqueries a compiled filter holds. Their
	// cost grows faster than their number: PostgreSQL plans "and"-ed IN
	// subqueries as joins, and 2,000 of them (depends:1 depends:2 ...)
	// planned for over ten minutes; a thousand that test each element of a
	// task's tags (tags.startswith:x) took 3 s on 2,000 tasks.
	maxSubqueries = 16
)

// Name implements sqlstore.Dialect.
func (dialect) Name() string { return "postgres" }

// Bool implements sqlstore.Dialect: PostgreSQL has a boolean type, and a
// condition must be one.
func (dialect) Bool(b bool) string {
	if b {
		return "TRUE"
	}
	return "FALSE"
}

// Limits implements sqlstore.Dialect. Tags are one array test, whatever
// their number, so probes and passes need no bound of their own: every
// subquery counts against maxSubqueries.
func (dialect) Limits() sqlstore.Limits {
	return sqlstore.Limits{Height: maxHeight, Args: maxArgs, Params: maxParams, Subqueries: maxSubqueries}
}

// Param implements sqlstore.Dialect: a parameter compared with an
// expression of unknown type (a CASE, a JSON value) needs a type.
func (dialect) Param(typ string) string { return "?::" + typ }

// Storable implements sqlstore.Dialect: PostgreSQL's text takes neither a
// NUL nor invalid UTF-8.
func (dialect) Storable(s string) bool { return storableText(s) }

// storableText reports whether s can travel as a text parameter.
func storableText(s string) bool {
	return strings.IndexByte(s, 0) < 0 && sqlcodec.ValidText(s) == s
}

// Successor implements sqlstore.Dialect: in code point (= byte) order, and
// valid UTF-8, which PostgreSQL's text must be (a byte increment as
// SQLite's does would make invalid text).
func (dialect) Successor(p string) (string, bool) {
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

// OneOf implements sqlstore.Dialect with one array parameter: one value
// to plan, whatever the number of elements.
func (dialect) OneOf(x sqlstore.Frag, vals any) sqlstore.Frag {
	if _, ok := vals.([]int64); ok {
		return sqlstore.Sqlf("%s = ANY(?::bigint[])", x, vals)
	}
	return sqlstore.Sqlf("%s = ANY(?::text[])", x, vals)
}

// HasTag implements sqlstore.Dialect over the text[] column of tags, whose
// GIN index answers &&: one test for any number of tags, probe or not.
func (dialect) HasTag(names []string, _ bool) sqlstore.Frag {
	return sqlstore.Sqlf("(t.tags IS NOT NULL AND t.tags && ?::text[])", names)
}

// AnyElem implements sqlstore.Dialect over the task's own array.
func (dialect) AnyElem(list string, test func(v sqlstore.Frag) sqlstore.Frag) sqlstore.Frag {
	return sqlstore.Sqlf("EXISTS (SELECT 1 FROM unnest(t."+list+") AS e(v) WHERE (%s))", test(sqlstore.Column("e.v")))
}

// DependsOn implements sqlstore.Dialect: the backlog's rows of task_deps,
// as every statement names its backlog ($1).
func (dialect) DependsOn(cond sqlstore.Frag) sqlstore.Frag {
	return sqlstore.Sqlf("t.tid IN (SELECT d.task_tid FROM task_deps d WHERE d.backlog = $1 AND %s)", cond)
}

// Graph implements sqlstore.Dialect. task_deps knows whether both ends are
// live, so that each test is one small set, computed once.
func (dialect) Graph(k filter.VirtualKind) sqlstore.Frag {
	switch k {
	case filter.Blocked:
		return sqlstore.Column(`(t.status = 'pending' AND t.tid IN (SELECT task_tid FROM task_deps WHERE backlog = $1 AND dep_live))`)
	case filter.Blocking:
		return sqlstore.Column(`(t.status = 'pending' AND t.uuid IN (SELECT dep_uuid FROM task_deps WHERE backlog = $1 AND owner_live))`)
	}
	return sqlstore.Column("(t.id > 0 AND t.id = (SELECT coalesce(max(id), 0) FROM tasks WHERE backlog = $1 AND id > 0))")
}

// LiveWith implements sqlstore.Dialect: the planner finds the plain form's
// ranges of the status index itself.
func (dialect) LiveWith(string) (sqlstore.Frag, bool) { return sqlstore.Frag{}, false }

// Lower implements sqlstore.Dialect: lower in the "C" collation folds ASCII
// letters alone, as SQLite's does.
func (dialect) Lower(x sqlstore.Frag) sqlstore.Frag { return sqlstore.Sqlf(`lower(%s COLLATE "C")`, x) }

// Contains implements sqlstore.Dialect.
func (dialect) Contains(x sqlstore.Frag, s string) sqlstore.Frag {
	return sqlstore.Sqlf("strpos(%s, ?::text) > 0", x, s)
}

// HasPrefix implements sqlstore.Dialect.
func (dialect) HasPrefix(x sqlstore.Frag, s string) sqlstore.Frag {
	return sqlstore.Sqlf("starts_with(%s, ?::text)", x, s)
}

// HasSuffix implements sqlstore.Dialect.
func (dialect) HasSuffix(x sqlstore.Frag, s string) sqlstore.Frag {
	return sqlstore.Sqlf("right(%s, ?) = ?::text", x, utf8.RuneCountInString(s), s)
}

// TextSearch implements sqlstore.Dialect: LIKE '%needle%' is served by the
// pg_trgm GIN index on tasks.search.
func (dialect) TextSearch(s string) sqlstore.Frag {
	like := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
	return sqlstore.Sqlf("t.search LIKE ?::text", "%"+like+"%")
}

// FoldedDescription implements sqlstore.Dialect.
func (dialect) FoldedDescription() sqlstore.Frag {
	return sqlstore.Column("split_part(t.search, chr(10), 1)")
}

// UDA implements sqlstore.Dialect over the jsonb column t.extra, whose
// values are typed string, number or boolean.
func (dialect) UDA(name string, test sqlstore.UDATest) sqlstore.Frag {
	typ := sqlstore.Sqlf("coalesce(jsonb_typeof(t.extra -> ?::text), '')", name)
	switch test {
	case sqlstore.UDAIsNumber:
		return sqlstore.Sqlf("%s = 'number'", typ)
	case sqlstore.UDAIsBool:
		return sqlstore.Sqlf("%s = 'boolean'", typ)
	case sqlstore.UDAIsTrue:
		return sqlstore.Sqlf("coalesce((t.extra -> ?::text) = 'true'::jsonb, FALSE)", name)
	}
	return sqlstore.Sqlf(`((CASE WHEN jsonb_typeof(t.extra -> ?::text) = 'string' THEN t.extra ->> ?::text ELSE '' END) COLLATE "C")`,
		name, name)
}

// CompareID implements sqlstore.Dialect: a bigint and a float8 parameter
// compare only once both are float8.
func (dialect) CompareID(op string, v float64) sqlstore.Frag {
	return sqlstore.Sqlf("t.id::float8 "+op+" ?::float8", v)
}

// Namespace implements sqlstore.Dialect: a database holds the backlogs of
// many namespaces, each a row of backlogs, and every table has its column.
func (dialect) Namespace() (string, string) { return "backlog", "$1" }

// Limit implements sqlstore.Dialect: LIMIT NULL is none.
func (dialect) Limit(limit int) any {
	if limit <= 0 {
		return nil
	}
	return int64(limit)
}

// Text implements sqlstore.Dialect: PostgreSQL's text must be valid UTF-8,
// so invalid bytes are stored as encoding/json reads them back.
func (dialect) Text(s string) string { return sqlcodec.ValidText(s) }

// CheckText implements sqlstore.Dialect: PostgreSQL's text cannot hold the
// NUL character.
func (dialect) CheckText(s, what string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return backlog.Invalidf("PostgreSQL cannot store the NUL character (U+0000), found in %s", what)
	}
	return nil
}

// List implements sqlstore.Dialect: a text[], which the GIN index on tags
// serves.
func (dialect) List(vs []string) any { return textList(vs) }

// ListDest implements sqlstore.Dialect: pgx reads a text[] itself.
func (dialect) ListDest(p *[]string) any { return p }

// TagCountsSQL implements sqlstore.Dialect from the arrays of tags.
func (dialect) TagCountsSQL() string {
	return `SELECT g.tag, count(DISTINCT t.tid) FROM tasks t CROSS JOIN LATERAL unnest(t.tags) AS g(tag)
		WHERE t.backlog = $1 AND t.status IN ('pending', 'recurring') AND t.tags IS NOT NULL
		GROUP BY g.tag ORDER BY g.tag COLLATE "C"`
}

// DependentsSQL implements sqlstore.Dialect.
func (dialect) DependentsSQL() string {
	return "SELECT " + sqlstore.TaskColumns + ` FROM tasks t
		WHERE t.backlog = $1 AND t.status = 'pending'
			AND t.tid IN (SELECT task_tid FROM task_deps WHERE backlog = $1 AND dep_uuid = ?)
		ORDER BY t.id, t.uuid`
}
