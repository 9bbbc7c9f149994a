package sqlite

import (
	"strings"
	"unicode/utf8"

	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store/sqlstore"
)

// dialect is SQLite's: see sqlstore.Dialect for what each method answers.
type dialect struct{}

// Traits implements sqlstore.Dialect: booleans are the integers 1 and 0; a
// file holds one backlog; TEXT holds any bytes and compares bytewise; there
// are no arrays, so a list is JSON text (and the rows of task_tags and
// task_deps, which the store writes beside it); a negative LIMIT is none.
func (dialect) Traits() sqlstore.Traits {
	return sqlstore.Traits{Name: "sqlite", Title: "SQLite", True: "1", False: "0", NoLimit: -1,
		Limits: sqlstore.Limits{
			Height: 600,   // well inside SQLITE_MAX_EXPR_DEPTH
			Args:   30000, // inside SQLITE_MAX_VARIABLE_NUMBER
			Params: maxParams, Probes: maxCorrelated, Scans: maxScans,
			Keys: 500, // a statement's IN list of source keys
		}}
}

const (
	// maxParams bounds the placeholders a compiled filter holds outside IN
	// lists. SQLite computes each such value once per statement, and looks
	// for an equal one among those it already holds before keeping it, so
	// that preparing a statement costs the square of their number: 4,000
	// took a second.
	maxParams = 400
	// maxCorrelated bounds the correlated subqueries (EXISTS probes of one
	// task's tags) a compiled filter holds: SQLite's cursor handling makes
	// each cost more the more there are (on 2,000 tasks, 300 OR-ed tags
	// took 1.4 s and 1,000 took 12 s). Past the bound a tag is tested by
	// the uncorrelated IN form, computed once per statement, as exact.
	maxCorrelated = 8
	// maxScans bounds the subqueries that test every element of a list
	// (every tag row, every dependency row: tags.startswith:x), each a pass
	// over that table whatever the rest of the filter selects. The
	// evaluator tests the elements of the tasks it is given far faster.
	maxScans = 16
)

// OneOf implements sqlstore.Dialect with an IN list, which SQLite reads
// into one lookup table.
func (dialect) OneOf(x sqlstore.Frag, vals any) sqlstore.Frag {
	if ids, ok := vals.([]int64); ok {
		return sqlstore.InList(x, ids)
	}
	return sqlstore.InList(x, vals.([]string))
}

// HasTag implements sqlstore.Dialect over the rows of task_tags, SQLite
// having no arrays. A probe is a correlated lookup of the (task_id, tag)
// key: the other terms pick the rows, and no temporary list of every tagged
// task is built (a third of the table for a common tag).
func (dialect) HasTag(names []string, probe bool) sqlstore.Frag {
	if probe {
		return sqlstore.Sqlf("EXISTS (SELECT 1 FROM task_tags g WHERE g.task_id = t.tid AND g.tag = ?)", names[0])
	}
	return sqlstore.Sqlf("t.tid IN (SELECT task_id FROM task_tags WHERE %s)", sqlstore.InList(sqlstore.Column("tag"), names))
}

// AnyElem implements sqlstore.Dialect over the rows of task_tags or
// task_deps.
func (dialect) AnyElem(list string, test func(v sqlstore.Frag) sqlstore.Frag) sqlstore.Frag {
	elems := "SELECT task_id, tag AS v FROM task_tags"
	if list == "depends" {
		elems = "SELECT task_id, dep_uuid AS v FROM task_deps"
	}
	return sqlstore.Sqlf("t.tid IN (SELECT task_id FROM ("+elems+") WHERE (%s))", test(sqlstore.Column("v")))
}

// DependsOn implements sqlstore.Dialect.
func (dialect) DependsOn(cond sqlstore.Frag) sqlstore.Frag {
	return sqlstore.Sqlf("t.tid IN (SELECT d.task_id FROM task_deps d WHERE %s)", cond)
}

// Graph implements sqlstore.Dialect. task_deps knows whether both ends are
// live, so that each test is one small set, computed once.
func (dialect) Graph(k filter.VirtualKind) sqlstore.Frag {
	switch k {
	case filter.Blocked:
		return sqlstore.Column(`(t.status = 'pending' AND t.tid IN (SELECT task_id FROM task_deps WHERE dep_live = 1))`)
	case filter.Blocking:
		return sqlstore.Column(`(t.status = 'pending' AND t.uuid IN (SELECT dep_uuid FROM task_deps WHERE owner_live = 1))`)
	}
	return sqlstore.Column("(t.id > 0 AND t.id = (SELECT IFNULL(MAX(id), 0) FROM tasks WHERE id > 0))")
}

// LiveWith implements sqlstore.Dialect: the few tasks at work are read as
// ranges of the indexes on (status, start_at) and (status, agent). The
// subqueries name the index: on its own the planner prefers the status
// index, reading every pending task, and it does not split
// "+ACTIVE or +CLAIMED" into two ranges.
func (dialect) LiveWith(column string) (sqlstore.Frag, bool) {
	switch column {
	case "start":
		return sqlstore.Column(`t.tid IN (SELECT tid FROM tasks INDEXED BY tasks_status_start WHERE status = 'pending' AND start_at IS NOT NULL)`), true
	case "agent":
		return sqlstore.Column(`t.tid IN (SELECT tid FROM tasks INDEXED BY tasks_status_agent WHERE status = 'pending' AND agent != '')`), true
	}
	return sqlstore.Frag{}, false
}

// Lower implements sqlstore.Dialect: SQLite's lower folds ASCII alone.
func (dialect) Lower(x sqlstore.Frag) sqlstore.Frag { return sqlstore.Sqlf("lower(%s)", x) }

// Contains implements sqlstore.Dialect.
func (dialect) Contains(x sqlstore.Frag, s string) sqlstore.Frag {
	return sqlstore.Sqlf("instr(%s, ?) > 0", x, s)
}

// HasPrefix implements sqlstore.Dialect: SQLite has no starts_with.
func (dialect) HasPrefix(x sqlstore.Frag, s string) sqlstore.Frag {
	return sqlstore.Sqlf("substr(%s, 1, ?) = ?", x, runes(s), s)
}

// HasSuffix implements sqlstore.Dialect: a negative start counts from the
// end.
func (dialect) HasSuffix(x sqlstore.Frag, s string) sqlstore.Frag {
	return sqlstore.Sqlf("substr(%s, ?) = ?", x, -runes(s), s)
}

// TextSearch implements sqlstore.Dialect with the trigram FTS5 table
// task_fts over tasks.search: the needle is one phrase.
func (dialect) TextSearch(s string) sqlstore.Frag {
	phrase := `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	return sqlstore.Sqlf("t.tid IN (SELECT rowid FROM task_fts WHERE task_fts MATCH ?)", phrase)
}

// FoldedDescription implements sqlstore.Dialect: SQLite has no split_part.
func (dialect) FoldedDescription() sqlstore.Frag {
	return sqlstore.Column("substr(t.search, 1, instr(t.search || char(10), char(10)) - 1)")
}

// UDA implements sqlstore.Dialect with SQLite's JSON functions over the
// text of t.extra, which name a value by a path and its type as integer,
// real, true, false or text.
func (dialect) UDA(name string, test sqlstore.UDATest) sqlstore.Frag {
	path := `$."` + name + `"`
	typ := sqlstore.Sqlf("IFNULL(json_type(t.extra, ?), '')", path)
	switch test {
	case sqlstore.UDAIsNumber:
		return sqlstore.Sqlf("%s IN ('integer', 'real')", typ)
	case sqlstore.UDAIsBool:
		return sqlstore.Sqlf("%s IN ('true', 'false')", typ)
	case sqlstore.UDAIsTrue:
		return sqlstore.Sqlf("%s = 'true'", typ)
	}
	return sqlstore.Sqlf("(CASE json_type(t.extra, ?) WHEN 'text' THEN json_extract(t.extra, ?) ELSE '' END)", path, path)
}

// TagCountsSQL implements sqlstore.Dialect from the rows of task_tags.
func (dialect) TagCountsSQL() string {
	return `SELECT g.tag, count(*) FROM task_tags g JOIN tasks t ON t.tid = g.task_id
		WHERE t.status IN ('pending', 'recurring')
		GROUP BY g.tag ORDER BY g.tag`
}

// DependentsSQL implements sqlstore.Dialect.
func (dialect) DependentsSQL() string { return dependentsSQL }

// dependentsSQL selects the live tasks that depend on a UUID. NOT INDEXED:
// the few are found by row id from task_deps; left to itself the planner
// reads every pending task through the status index instead.
const dependentsSQL = "SELECT " + sqlstore.TaskColumns + ` FROM tasks t NOT INDEXED
	WHERE t.status = 'pending' AND t.tid IN (SELECT task_id FROM task_deps WHERE dep_uuid = ?)
	ORDER BY t.id, t.uuid`

// runes is the length of s in characters, as SQLite's substr counts.
func runes(s string) int { return utf8.RuneCountInString(s) }
