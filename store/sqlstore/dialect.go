package sqlstore

import "github.com/agent-backlog/backlog/filter"

// Dialect is what differs between the SQL databases behind the stores:
// SQLite (sqlite/) and PostgreSQL (postgres/). Everything else, the
// translation of filters and the store's statements, is written once in
// this package against it. Each implementation's doc comments say why its
// database wants its own form.
//
// Fragments are written with ? placeholders; a dialect whose database
// numbers them ($1, $2, ...) does so when it runs a statement.
type Dialect interface {
	// Name names the database in the store's error messages: "sqlite".
	Name() string
	// Bool is the literal of a truth value, and the value of a flag
	// column: 1 and 0 where booleans are integers, TRUE and FALSE where
	// they are a type.
	Bool(b bool) string
	// Limits bound what a compiled filter may cost the database.
	Limits() Limits
	// Param is a placeholder for a value of the SQL type typ ("text",
	// "int", "float8"), cast where the database cannot infer the type
	// from the context.
	Param(typ string) string
	// Storable reports whether the database can take s as a text value: a
	// term whose values it cannot take is left to the evaluator.
	Storable(s string) bool
	// Successor is the least text value greater than every value that
	// starts with p, in the columns' order; ok is false when there is
	// none. A prefix becomes a range an index can serve.
	Successor(p string) (next string, ok bool)
	// OneOf: x is one of vals, a []string or []int64.
	OneOf(x Frag, vals any) Frag
	// HasTag: the task carries one of the ordinary tags. probe asks for a
	// test of one tag that follows the task rather than a set computed once
	// (the compiler allows Limits.Probes of them).
	HasTag(names []string, probe bool) Frag
	// AnyElem: some element of the task's list ("tags" or "depends")
	// passes test, which is given the element as a value.
	AnyElem(list string, test func(v Frag) Frag) Frag
	// DependsOn: the task has a row of task_deps d that passes cond.
	DependsOn(cond Frag) Frag
	// Graph is the test of a virtual tag about other tasks: Blocked,
	// Blocking or Latest (the compiler makes Unblocked and Ready of them).
	Graph(k filter.VirtualKind) Frag
	// LiveWith: the task is live and its column is set (ACTIVE, CLAIMED);
	// ok false asks for the plain form.
	LiveWith(column string) (f Frag, ok bool)
	// Lower is x in lower case, for ASCII letters.
	Lower(x Frag) Frag
	// Contains: x contains s.
	Contains(x Frag, s string) Frag
	// HasPrefix: x starts with s.
	HasPrefix(x Frag, s string) Frag
	// HasSuffix: x ends with s, given that x is at least as long as s.
	HasSuffix(x Frag, s string) Frag
	// TextSearch: the task's folded search text (tasks.search) contains
	// s, a needle of three characters or more, through the text index.
	TextSearch(s string) Frag
	// FoldedDescription is the first line of the search text: the folded
	// description.
	FoldedDescription() Frag
	// UDA reads the user-defined attribute name from t.extra.
	UDA(name string, test UDATest) Frag
	// CompareID: the task's id compares by op (<, >, <=) with v.
	CompareID(op string, v float64) Frag

	// Namespace names the store's backlog where a database holds many: the
	// column every table has, and the placeholder of its value ($1) that
	// the store binds before the ? of each statement. Both are empty where
	// a database holds one backlog.
	Namespace() (column, value string)
	// Limit is the value of LIMIT ? for limit, where limit <= 0 is none.
	Limit(limit int) any
	// Text is the value a text column is given for s.
	Text(s string) string
	// CheckText fails, with one sentence naming what s is, for text the
	// database cannot store.
	CheckText(s, what string) error
	// List is the value of a list column (tags, depends) for vs: NULL when
	// empty.
	List(vs []string) any
	// ListDest is the Scan destination that reads a list column into p.
	ListDest(p *[]string) any
	// TagCountsSQL counts the live and recurring tasks of each tag, by tag:
	// rows of the tag and the count.
	TagCountsSQL() string
	// DependentsSQL selects (TaskColumns) the live tasks that depend on the
	// UUID ?, by id and UUID.
	DependentsSQL() string
}

// UDATest is what Dialect.UDA asks of a user-defined attribute.
type UDATest uint8

// The tests of a user-defined attribute.
const (
	UDAIsNumber UDATest = iota // its value is a number
	UDAIsBool                  // its value is true or false
	UDAIsTrue                  // its value is true
	UDAText                    // its value when it is text, else ” (a value, not a test)
)

// Limits bound what a compiled filter may cost a database, whatever its
// length. Past a bound a term is left to the evaluator (TRUE); each
// dialect's values say what its database meets. 0 means no bound.
type Limits struct {
	Height     int // the expression tree's height (a deeper one is left to Go whole)
	Args       int // the statement's parameters (likewise)
	Params     int // parameters outside IN lists, term by term
	Probes     int // HasTag probes; past it a tag takes the set form
	Scans      int // AnyElem passes over every element of a list
	Subqueries int // subqueries of any kind
	List       int // values of one IN list of a statement (Dialect.OneOf)
}
