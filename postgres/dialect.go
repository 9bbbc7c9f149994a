package postgres

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store/sqlstore"
)

// dialect is PostgreSQL's: see sqlstore.Dialect for what each method
// answers. Text columns are COLLATE "C", so that text compares bytewise as
// in Go (and in SQLite); values computed from JSON are given that collation.
type dialect struct{}

var _ sqlstore.Dialect = dialect{}

// traits are PostgreSQL's (sqlstore.Traits): booleans are a type; a
// database holds the backlogs of many namespaces, each a row of backlogs,
// and every table has its column; a parameter compared with a CASE or a
// JSON value needs a type; text must be valid UTF-8 without NUL; tags and
// dependencies are text[] (the GIN index on tags answers &&); LIMIT NULL
// is none.
var traits = sqlstore.Traits{
	Name: "postgres", Title: "PostgreSQL", True: "TRUE", False: "FALSE",
	Namespace: "backlog", Typed: true, StrictText: true, Arrays: true,
	Limits: sqlstore.Limits{
		Height: 400,   // well inside PostgreSQL's stack (max_stack_depth)
		Args:   30000, // inside the protocol's 65535 parameters
		Params: maxParams, Subqueries: maxSubqueries,
	},
}

// Traits implements sqlstore.Dialect.
func (dialect) Traits() sqlstore.Traits { return traits }

// number numbers the ? placeholders of q from $first. (No ? appears in the
// store's SQL but as a placeholder.)
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

const (
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
