package sqlstore

import (
	"slices"
	"strings"
)

// Frag is a translated piece of a WHERE condition: a 0/1 (SQLite) or
// boolean (PostgreSQL) expression that is never NULL, so that NOT and XOR
// (as <>) are safe, with its ? parameters in textual order.
type Frag struct {
	sql    string
	args   []any
	exact  bool // selects exactly what the evaluator selects; else a superset
	konst  int8 // +1: always true, -1: always false, 0: depends on the row
	height int  // expression tree height: see Limits.Height
	params int  // ? placeholders outside IN lists: see Limits.Params
}

// SQL is the fragment's text.
func (f Frag) SQL() string { return f.sql }

// Args are the values of its ? placeholders.
func (f Frag) Args() []any { return f.args }

// Sqlf builds a fragment from a template: each %s takes the next part,
// which must be a Frag (its SQL and args are spliced in), each ? the next
// part as a parameter value. The result is exact.
func Sqlf(format string, parts ...any) Frag {
	var b strings.Builder
	var args []any
	h, params := 0, 0
	i := 0
	for j := 0; j < len(format); j++ {
		switch {
		case format[j] == '%' && j+1 < len(format) && format[j+1] == 's':
			f := parts[i].(Frag)
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
		panic("sqlstore: Sqlf: wrong number of parts for " + format)
	}
	return Frag{sql: b.String(), args: args, exact: true, height: h + 2, params: params}
}

// Column is a bare expression without parameters: a column, or a fixed
// condition.
func Column(sql string) Frag { return Frag{sql: sql, exact: true, height: 1} }

// InList: x is one of the values, as x IN (?, ...). SQLite reads the
// values of an IN list into one lookup table, so that they cost little
// whatever their number and do not count against Limits.Params.
func InList[T any](x Frag, vals []T) Frag {
	if len(vals) == 1 {
		return Sqlf("%s = ?", x, vals[0])
	}
	args := slices.Clip(slices.Clone(x.args))
	for _, v := range vals {
		args = append(args, v)
	}
	return Frag{sql: x.sql + " IN (?" + strings.Repeat(", ?", len(vals)-1) + ")", args: args,
		exact: true, height: x.height + 2, params: x.params}
}

// inexact marks f as a superset.
func inexact(f Frag) Frag {
	f.exact = false
	return f
}
