// Package when parses the date and duration expressions of the task manager:
// ISO 8601 dates, named dates such as "eom" or "friday", times of day,
// durations such as "3d" or "P1M", and arithmetic such as "due+2d".
//
// Nothing here reads the system clock. Every date is resolved against a now
// supplied by the caller, and now.Location() is the zone of named and local
// dates. Words are case-insensitive, and weeks start on Monday.
//
// The date forms are:
//
//   - ISO 8601 dates and times: 2026-03-01 (local midnight), 2026-03-01T14:30,
//     2026-03-01T14:30:00.5, 2026-03-01T14:30:00Z, 2026-03-01T14:30:00+02:00
//     (or +0200 or +02), and the basic forms 20260301, 20260301T1430 and
//     20260301T143000Z.
//   - now; today and sod (00:00); eod (23:59:59); yesterday and tomorrow.
//   - The start ("so") and end ("eo") of the current, next ("n") or previous
//     ("p") day (d), week (w), work week (ww, Monday to Friday), month (m),
//     quarter (q) or year (y): sow, eonw, sopm, eoq, sony and so on. A start
//     is 00:00 of its first day and an end is 23:59:59 of its last day.
//   - later and someday: Someday.
//   - A weekday name or a prefix of at least three letters (fri, thurs): the
//     next such day at 00:00, a week ahead when today is that day.
//   - A month name or a prefix of at least three letters (jan, sept): the 1st
//     of the next such month at 00:00, a year ahead when now is in that month.
//   - An ordinal from 1st to 31st: that day of the current month at 00:00 if
//     that is strictly later than now, else that day of the next month. A day
//     the month lacks is clamped to the month's last day, so 31st in April is
//     30 April.
//   - A time of day (8am, 8:30pm, 12am, 14:30, 14:30:15): today at that time
//     if that is strictly later than now, else tomorrow at that time.
//   - A duration (3d, -2h, P1D, weekly): now plus the duration.
//   - Any of the above followed by one or more +duration or -duration steps,
//     applied left to right: eod-1h, today+1m-1d, 2026-01-31+1m.
//
// ParseRef also accepts attribute names such as "due" as the base of a date.
//
// Local times are built from wall-clock fields with time.Date, so "tomorrow"
// is midnight even across a daylight-saving change; a wall-clock time that a
// transition skips is normalized as time.Date does.
package when

import (
	"errors"
	"fmt"
	"time"
)

// ErrInvalid is wrapped by every error the package returns, so that callers
// can test for a parse failure with errors.Is(err, when.ErrInvalid).
var ErrInvalid = errors.New("invalid date or duration")

// Someday is the date of "later" and "someday", a far future used for tasks
// without a real date. It is a variable only because Go has no constant
// times; never assign to it.
var Someday = time.Date(9999, 12, 30, 0, 0, 0, 0, time.UTC)

// Format prints an instant the one way the product prints dates: in UTC, as
// "2006-01-02T15:04:05Z".
func Format(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

// A parseError is a failure to parse one input. Its message is one sentence
// that quotes the input and, when known, says what is wrong with it.
type parseError struct {
	kind  string // "date" or "duration"
	input string
	why   string
}

func (e *parseError) Error() string {
	if e.why == "" {
		return fmt.Sprintf("cannot parse %s %q", e.kind, e.input)
	}
	return fmt.Sprintf("cannot parse %s %q: %s", e.kind, e.input, e.why)
}

func (e *parseError) Unwrap() error { return ErrInvalid }

const whyEmpty = "the expression is empty"

// asciiLower lowers ASCII letters only. It returns s itself when there is
// nothing to lower, so the usual lowercase input costs no allocation, and it
// leaves other runes alone so that no Unicode case folding (such as the Kelvin
// sign becoming "k") can turn a strange input into a keyword.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; 'A' <= c && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// digitsAt reads exactly n decimal digits at s[i:].
func digitsAt(s string, i, n int) (int, bool) {
	if i < 0 || i+n > len(s) {
		return 0, false
	}
	v := 0
	for _, c := range []byte(s[i : i+n]) {
		if !isDigit(c) {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func isLeap(year int) bool {
	return year%4 == 0 && (year%100 != 0 || year%400 == 0)
}

// daysIn reports the number of days in month m of year.
func daysIn(year int, m time.Month) int {
	switch m {
	case time.February:
		if isLeap(year) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}
