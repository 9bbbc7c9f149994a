package filter

import "sort"

// Kind is what an attribute holds, which decides how its value is read and
// what each modifier means for it.
type Kind int

// The kinds of attribute.
const (
	KindString   Kind = iota // agent, recur, parent, uuid, string UDAs
	KindText                 // description: its searching modifiers also look at annotations
	KindStatus               // status: exact and case-insensitive, waiting derived
	KindProject              // project: hierarchical plain match
	KindPriority             // priority: '' < L < M < H
	KindDate                 // due, scheduled, wait, until, entry, modified, start, end
	KindNumber               // id, urgency, numeric UDAs
	KindBool                 // has_doc, boolean UDAs
	KindList                 // tags, depends
	KindUDA                  // a UDA holding values of several JSON types
)

// builtins maps each attribute of the filter language to its kind.
var builtins = map[string]Kind{
	"id": KindNumber, "uuid": KindString, "description": KindText, "status": KindStatus,
	"project": KindProject, "priority": KindPriority, "tags": KindList,
	"due": KindDate, "scheduled": KindDate, "wait": KindDate, "until": KindDate,
	"entry": KindDate, "modified": KindDate, "start": KindDate, "end": KindDate,
	"recur": KindString, "parent": KindString, "depends": KindList, "agent": KindString,
	"urgency": KindNumber, "has_doc": KindBool, "lease_until": KindDate, "source": KindString,
}

// builtinNames is builtins' keys, sorted, for prefix lookups and messages.
var builtinNames = func() []string {
	names := make([]string, 0, len(builtins))
	for n := range builtins {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}()

// UDAKind tells the parser what JSON types a user-defined attribute holds
// across the tasks of a backlog.
type UDAKind int

// The UDA kinds a store reports.
const (
	UDAString UDAKind = iota
	UDANumber
	UDABool
	UDAMixed // several types on different tasks: each task's value is compared by its own type
)

// Modifier is an attribute modifier, after aliases are resolved.
type Modifier int

// The modifiers. Aliases (equals, under, below, over, above, contains, left,
// right) resolve to the first name of their row.
const (
	ModNone Modifier = iota
	ModIs
	ModIsnt
	ModNot
	ModBefore
	ModAfter
	ModBy
	ModNoneOf // .none: the attribute is empty or absent
	ModAny
	ModHas
	ModHasnt
	ModStartsWith
	ModEndsWith
	ModWord
	ModNoWord
	ModRegex
)

var modifiers = map[string]Modifier{
	"is": ModIs, "equals": ModIs, "isnt": ModIsnt, "not": ModNot,
	"before": ModBefore, "under": ModBefore, "below": ModBefore,
	"after": ModAfter, "over": ModAfter, "above": ModAfter, "by": ModBy,
	"none": ModNoneOf, "any": ModAny, "has": ModHas, "contains": ModHas, "hasnt": ModHasnt,
	"startswith": ModStartsWith, "left": ModStartsWith, "endswith": ModEndsWith, "right": ModEndsWith,
	"word": ModWord, "noword": ModNoWord, "regex": ModRegex,
}

// negates reports whether the modifier is a negating form, which also
// matches tasks that lack the attribute.
func (m Modifier) negates() bool {
	switch m {
	case ModIsnt, ModNot, ModHasnt, ModNoWord:
		return true
	}
	return false
}

// searches reports whether the modifier searches text, so that on
// description it also looks at the annotations.
func (m Modifier) searches() bool {
	switch m {
	case ModHas, ModHasnt, ModWord, ModNoWord, ModRegex:
		return true
	}
	return false
}

// compares reports whether the modifier orders values.
func (m Modifier) compares() bool { return m == ModBefore || m == ModAfter || m == ModBy }

// statusTag reports a status virtual tag, which (like status:, id and
// UUID terms) turns off the implicit status:pending of a list. LATEST
// selects regardless of status too, so it counts.
func statusTag(name string) bool {
	v, _ := LookupVirtual(name)
	return v.Kind == StatusIs || v.Kind == Latest
}
