package filter

import (
	"time"

	backlog "github.com/agent-backlog/backlog"
)

// Virtual is what a virtual tag selects, as data: one of a few kinds of
// test, with its parameter. The evaluator (eval.go) and the stores' SQL
// compiler (store/sqlstore) both translate it, so that the meaning of each
// virtual tag is written once, in the table of LookupVirtual.
type Virtual struct {
	Kind VirtualKind
	// Status is the effective status of a StatusIs tag.
	Status backlog.Status
	// Field is the attribute a FieldSet or LiveFieldSet tag wants set (not
	// empty): an attribute name, or "annotations", "extra" for the
	// user-defined attributes, "has_doc" for the doc.
	Field string
	// Span is the calendar span of a DueIn tag.
	Span Span
}

// VirtualKind is the kind of test a virtual tag makes.
type VirtualKind uint8

// The kinds of virtual tag. Live means pending (waiting included).
const (
	StatusIs     VirtualKind = iota + 1 // the effective status is Status
	FieldSet                            // Field is set
	LiveFieldSet                        // live, and Field is set
	DueIn                               // live, and due within Span
	Overdue                             // live, and due before now
	Blocked                             // live, and depends on a live task
	Unblocked                           // not Blocked
	Blocking                            // live, and a live task depends on it
	Ready                               // pending (not waiting), not blocked, scheduled by now if at all
	Latest                              // has the highest id of any task
)

// NeedsGraph reports whether the test asks about other tasks.
func (k VirtualKind) NeedsGraph() bool {
	return k == Blocked || k == Unblocked || k == Blocking || k == Ready || k == Latest
}

// Span is a calendar span around now, in now's zone: see Bounds.
type Span uint8

// The spans of the due virtual tags.
const (
	SpanDue       Span = iota // today and the six days after it
	SpanToday                 // today
	SpanYesterday             // yesterday
	SpanTomorrow              // tomorrow
	SpanWeek                  // this week, from Monday
	SpanMonth                 // this month
	SpanQuarter               // this quarter
	SpanYear                  // this year
)

// Bounds is the span at now: [from, to), both midnights in now's zone.
func (s Span) Bounds(now time.Time) (from, to time.Time) {
	y, m, d := now.Date()
	loc := now.Location()
	today := time.Date(y, m, d, 0, 0, 0, 0, loc)
	switch s {
	case SpanDue:
		return today, today.AddDate(0, 0, 7)
	case SpanToday:
		return today, today.AddDate(0, 0, 1)
	case SpanYesterday:
		return today.AddDate(0, 0, -1), today
	case SpanTomorrow:
		return today.AddDate(0, 0, 1), today.AddDate(0, 0, 2)
	case SpanWeek:
		from = today.AddDate(0, 0, -((int(now.Weekday()) + 6) % 7))
		return from, from.AddDate(0, 0, 7)
	case SpanMonth:
		from = time.Date(y, m, 1, 0, 0, 0, 0, loc)
		return from, from.AddDate(0, 1, 0)
	case SpanQuarter:
		from = time.Date(y, (m-1)/3*3+1, 1, 0, 0, 0, 0, loc)
		return from, from.AddDate(0, 3, 0)
	}
	from = time.Date(y, 1, 1, 0, 0, 0, 0, loc)
	return from, from.AddDate(1, 0, 0)
}

// virtuals is the table of the virtual tags' meanings (backlog.VirtualTags
// lists their names). It is static data: nothing is built at start-up.
var virtuals = [...]struct {
	name string
	v    Virtual
}{
	{"PENDING", Virtual{Kind: StatusIs, Status: backlog.StatusPending}},
	{"COMPLETED", Virtual{Kind: StatusIs, Status: backlog.StatusCompleted}},
	{"DELETED", Virtual{Kind: StatusIs, Status: backlog.StatusDeleted}},
	{"WAITING", Virtual{Kind: StatusIs, Status: backlog.StatusWaiting}},
	{"RECURRING", Virtual{Kind: StatusIs, Status: backlog.StatusRecurring}},
	{"TEMPLATE", Virtual{Kind: StatusIs, Status: backlog.StatusRecurring}},
	{"PARENT", Virtual{Kind: StatusIs, Status: backlog.StatusRecurring}},
	{"ACTIVE", Virtual{Kind: LiveFieldSet, Field: "start"}},
	{"CLAIMED", Virtual{Kind: LiveFieldSet, Field: "agent"}},
	{"BLOCKED", Virtual{Kind: Blocked}},
	{"UNBLOCKED", Virtual{Kind: Unblocked}},
	{"BLOCKING", Virtual{Kind: Blocking}},
	{"READY", Virtual{Kind: Ready}},
	{"LATEST", Virtual{Kind: Latest}},
	{"OVERDUE", Virtual{Kind: Overdue}},
	{"DUE", Virtual{Kind: DueIn, Span: SpanDue}},
	{"TODAY", Virtual{Kind: DueIn, Span: SpanToday}},
	{"DUETODAY", Virtual{Kind: DueIn, Span: SpanToday}},
	{"YESTERDAY", Virtual{Kind: DueIn, Span: SpanYesterday}},
	{"TOMORROW", Virtual{Kind: DueIn, Span: SpanTomorrow}},
	{"WEEK", Virtual{Kind: DueIn, Span: SpanWeek}},
	{"MONTH", Virtual{Kind: DueIn, Span: SpanMonth}},
	{"QUARTER", Virtual{Kind: DueIn, Span: SpanQuarter}},
	{"YEAR", Virtual{Kind: DueIn, Span: SpanYear}},
	{"ANNOTATED", Virtual{Kind: FieldSet, Field: "annotations"}},
	{"TAGGED", Virtual{Kind: FieldSet, Field: "tags"}},
	{"PROJECT", Virtual{Kind: FieldSet, Field: "project"}},
	{"PRIORITY", Virtual{Kind: FieldSet, Field: "priority"}},
	{"SCHEDULED", Virtual{Kind: FieldSet, Field: "scheduled"}},
	{"UNTIL", Virtual{Kind: FieldSet, Field: "until"}},
	{"INSTANCE", Virtual{Kind: FieldSet, Field: "parent"}},
	{"CHILD", Virtual{Kind: FieldSet, Field: "parent"}},
	{"DOC", Virtual{Kind: FieldSet, Field: "has_doc"}},
	{"UDA", Virtual{Kind: FieldSet, Field: "extra"}},
}

// LookupVirtual is the meaning of the virtual tag name (exact case); ok is
// false for a name that is none.
func LookupVirtual(name string) (v Virtual, ok bool) {
	for i := range virtuals {
		if virtuals[i].name == name {
			return virtuals[i].v, true
		}
	}
	return Virtual{}, false
}
