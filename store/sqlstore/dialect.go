package sqlstore

import (
	"strings"
	"unicode/utf8"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store/sqlcodec"
)

// Dialect is what differs between the SQL databases behind the stores:
// SQLite (sqlite/) and PostgreSQL (postgres/). Everything else, the
// translation of filters and the store's statements, is written once in
// this package against it: its Traits, and the SQL of the few tests that
// each database writes its own way. Each implementation's doc comments say
// why its database wants its form.
//
// Fragments are written with ? placeholders; a store whose database
// numbers them ($1, $2, ...) does so when it runs a statement.
type Dialect interface {
	// Traits are the facts about the database that are values.
	Traits() Traits
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
	// LiveWith: the task is live and its field (start, agent) is set, for
	// ACTIVE and CLAIMED; ok false asks for the plain form.
	LiveWith(field string) (f Frag, ok bool)
	// Lower is x in lower case, for ASCII letters alone.
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

// Traits are the facts about a database that are values rather than SQL.
type Traits struct {
	// Name names the database in the store's errors ("sqlite"), Title in
	// sentences ("SQLite").
	Name, Title string
	// True and False are the truth literals, and the values of a flag
	// column (has_doc).
	True, False string
	// Namespace is the column of every table that names the backlog, where
	// a database holds many: the store binds the backlog as $1, before the
	// ? of each statement. It is "" where a database holds one.
	Namespace string
	// NoLimit is the value of LIMIT ? that sets none.
	NoLimit any
	// Typed: a parameter compared with an expression whose type the
	// database does not infer (a CASE, a JSON value, a float against an
	// integer) is cast to its type.
	Typed bool
	// StrictText: text must be valid UTF-8 without NUL characters; else
	// text is any bytes. Invalid bytes are then written as encoding/json
	// reads them back (sqlcodec.ValidText), a NUL is refused, and a filter
	// term with such a value is left to the evaluator.
	StrictText bool
	// Arrays: the list columns (tags, depends) are text arrays; else they
	// are JSON text.
	Arrays bool
	Limits
}

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
	Keys       int // source keys looked up by one statement (OneOf)
}

// param is a placeholder for a value of the SQL type typ, cast where the
// database wants it.
func (tr *Traits) param(typ string) string {
	if tr.Typed {
		return "?::" + typ
	}
	return "?"
}

// cast is x cast to typ where the database wants it.
func (tr *Traits) cast(x, typ string) string {
	if tr.Typed {
		return x + "::" + typ
	}
	return x
}

// Limit is the value of LIMIT ? for limit, where limit <= 0 is none.
func (tr *Traits) Limit(limit int) any {
	if limit <= 0 {
		return tr.NoLimit
	}
	return int64(limit)
}

// Storable reports whether the database takes s as a text value as it is.
func (tr *Traits) Storable(s string) bool {
	return !tr.StrictText || strings.IndexByte(s, 0) < 0 && utf8.ValidString(s)
}

// Text is the value a text column is given for s.
func (tr *Traits) Text(s string) string {
	if tr.StrictText {
		return sqlcodec.ValidText(s)
	}
	return s
}

// CheckText fails, with one sentence naming what s is, for text the
// database cannot store.
func (tr *Traits) CheckText(s, what string) error {
	if tr.StrictText && strings.IndexByte(s, 0) >= 0 {
		return backlog.Invalidf("%s cannot store the NUL character (U+0000), found in %s", tr.Title, what)
	}
	return nil
}

// successor is the least text greater than every text that starts with p,
// in the columns' bytewise order; ok is false when there is none. Where
// text is any bytes it is a byte increment; where it must be valid UTF-8,
// a code point increment (the same order).
func (tr *Traits) successor(p string) (string, bool) {
	if !tr.StrictText {
		b := []byte(p)
		for i := len(b) - 1; i >= 0; i-- {
			if b[i] < 0xFF {
				b[i]++
				return string(b[:i+1]), true
			}
		}
		return "", false
	}
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
