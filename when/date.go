package when

import (
	"fmt"
	"strings"
	"time"
)

// Parse resolves a date expression relative to now; now.Location() is the
// zone of named and local dates. The forms are listed in the package
// documentation; an ordinal such as "31st" is clamped to the last day of a
// shorter month.
func Parse(s string, now time.Time) (time.Time, error) {
	return ParseRef(s, now, nil)
}

// ParseRef is Parse with attribute references: in "due+2d" the base "due" is
// looked up with ref, which receives the name as written. An unknown name, or
// any name when ref is nil, is an error like any other unknown word.
//
// The result is in now's location, except that an ISO date with an explicit
// zone keeps that zone and later/someday are in UTC; date arithmetic steps the
// calendar of that same location.
func ParseRef(s string, now time.Time, ref func(name string) (time.Time, bool)) (time.Time, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return time.Time{}, &parseError{kind: "date", why: whyEmpty}
	}
	ls := asciiLower(in)
	t, why, ok := parseBase(in, ls, now, ref)
	if ok {
		return t, nil
	}

	// Otherwise the input may be a base followed by +duration and -duration
	// steps. Bases such as ISO dates and offsets contain signs too, so every
	// sign is tried as the end of the base, rightmost (the longest base)
	// first. The scan stops at the first step that is not a duration, since
	// every shorter base leaves that step in its tail as well.
	var baseWhy, stepWhy string
	end := len(ls)
	for i := len(ls) - 1; i > 0; i-- {
		if c := ls[i]; c != '+' && c != '-' {
			continue
		}
		if _, w, ok := parseUnsignedDuration(ls[i+1 : end]); !ok {
			stepWhy = w
			break
		}
		end = i
		base, w, ok := parseBase(in[:i], ls[:i], now, ref)
		if ok {
			return applySteps(base, ls[i:]), nil
		}
		if baseWhy == "" {
			baseWhy = w
		}
	}
	// Prefer the reason the whole input failed, then the base's, then a step's.
	if why == "" {
		why = baseWhy
	}
	if why == "" {
		why = stepWhy
	}
	return time.Time{}, &parseError{kind: "date", input: in, why: why}
}

// applySteps applies steps such as "+1m-1d", already validated, left to right.
func applySteps(t time.Time, steps string) time.Time {
	for steps != "" {
		next := strings.IndexAny(steps[1:], "+-") + 1
		if next == 0 {
			next = len(steps)
		}
		d, _, _ := parseUnsignedDuration(steps[1:next])
		if steps[0] == '-' {
			d = d.Neg()
		}
		t = d.AddTo(t)
		steps = steps[next:]
	}
	return t
}

// parseBase parses a date without arithmetic: in is the trimmed input and s
// its lowercase form. It reports ok false with an empty why when s matches no
// form, and with a reason when s has a form's shape but an impossible value.
func parseBase(in, s string, now time.Time, ref func(string) (time.Time, bool)) (t time.Time, why string, ok bool) {
	switch c := s[0]; {
	case isLetter(c):
		if t, ok := namedDate(s, now); ok {
			return t, "", true
		}
		if t, ok := weekdayDate(s, now); ok {
			return t, "", true
		}
		if t, ok := monthDate(s, now); ok {
			return t, "", true
		}
	case isDigit(c):
		if t, why, ok = ordinalDate(s, now); ok || why != "" {
			return t, why, ok
		}
		if t, why, ok = clockDate(s, now); ok || why != "" {
			return t, why, ok
		}
		if t, why, ok = isoDate(s, now.Location()); ok || why != "" {
			return t, why, ok
		}
	}
	if d, why, ok := parseDuration(s); ok {
		return d.AddTo(now), "", true
	} else if why != "" {
		return time.Time{}, why, false
	}
	if ref != nil && isName(in) {
		if t, ok := ref(in); ok {
			return t.In(now.Location()), "", true
		}
	}
	return time.Time{}, "", false
}

// isName reports whether s can be an attribute name: an ASCII letter followed
// by letters, digits and underscores.
func isName(s string) bool {
	if s == "" || !isLetter(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isLetter(c) && !isDigit(c) && c != '_' {
			return false
		}
	}
	return true
}

// namedDate resolves now, today, yesterday, tomorrow, later, someday and the
// start and end family: "so" or "eo", then "n" (next) or "p" (previous) or
// nothing, then d, w, ww, m, q or y.
func namedDate(s string, now time.Time) (time.Time, bool) {
	switch s {
	case "now":
		return now, true
	case "today":
		return period(now, "d", 0, false), true
	case "yesterday":
		return period(now, "d", -1, false), true
	case "tomorrow":
		return period(now, "d", 1, false), true
	case "later", "someday":
		return Someday, true
	}
	if len(s) < 3 || s[1] != 'o' || s[0] != 's' && s[0] != 'e' {
		return time.Time{}, false
	}
	end, rest, k := s[0] == 'e', s[2:], 0
	switch rest[0] {
	case 'n':
		rest, k = rest[1:], 1
	case 'p':
		rest, k = rest[1:], -1
	}
	switch rest {
	case "d", "w", "ww", "m", "q", "y":
		return period(now, rest, k, end), true
	}
	return time.Time{}, false
}

// period returns the start (00:00 of its first day) or the end (23:59:59 of
// its last day) of the period of the given unit that contains now, moved by k
// periods. Days past a month's end are left to time.Date to normalize.
func period(now time.Time, unit string, k int, end bool) time.Time {
	loc := now.Location()
	y, m, d := now.Date()
	var first, last time.Time
	switch unit {
	case "d":
		first = time.Date(y, m, d+k, 0, 0, 0, 0, loc)
		last = time.Date(y, m, d+k, 23, 59, 59, 0, loc)
	case "w", "ww":
		monday := d - (int(now.Weekday())+6)%7 + 7*k
		first = time.Date(y, m, monday, 0, 0, 0, 0, loc)
		days := 6 // through Sunday
		if unit == "ww" {
			days = 4 // through Friday
		}
		last = time.Date(y, m, monday+days, 23, 59, 59, 0, loc)
	case "m":
		first = time.Date(y, m+time.Month(k), 1, 0, 0, 0, 0, loc)
		last = time.Date(y, m+time.Month(k)+1, 0, 23, 59, 59, 0, loc) // day 0 is the previous month's last
	case "q":
		q := (m-1)/3*3 + 1 + time.Month(3*k)
		first = time.Date(y, q, 1, 0, 0, 0, 0, loc)
		last = time.Date(y, q+3, 0, 23, 59, 59, 0, loc)
	case "y":
		first = time.Date(y+k, time.January, 1, 0, 0, 0, 0, loc)
		last = time.Date(y+k, time.December, 31, 23, 59, 59, 0, loc)
	}
	if end {
		return last
	}
	return first
}

// weekdayNames is indexed by time.Weekday.
var weekdayNames = [7]string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

// weekdayDate resolves a weekday name or a prefix of at least three letters
// to the next such day, never today.
func weekdayDate(s string, now time.Time) (time.Time, bool) {
	if len(s) < 3 {
		return time.Time{}, false
	}
	for wd, name := range weekdayNames {
		if strings.HasPrefix(name, s) {
			ahead := (wd - int(now.Weekday()) + 7) % 7
			if ahead == 0 {
				ahead = 7
			}
			y, m, d := now.Date()
			return time.Date(y, m, d+ahead, 0, 0, 0, 0, now.Location()), true
		}
	}
	return time.Time{}, false
}

var monthNames = [12]string{"january", "february", "march", "april", "may", "june",
	"july", "august", "september", "october", "november", "december"}

// monthDate resolves a month name or a prefix of at least three letters to
// the 1st of the next such month, never the current one.
func monthDate(s string, now time.Time) (time.Time, bool) {
	if len(s) < 3 {
		return time.Time{}, false
	}
	for i, name := range monthNames {
		if strings.HasPrefix(name, s) {
			y, m, _ := now.Date()
			ahead := (i + 1 - int(m) + 12) % 12
			if ahead == 0 {
				ahead = 12
			}
			return time.Date(y, m+time.Month(ahead), 1, 0, 0, 0, 0, now.Location()), true
		}
	}
	return time.Time{}, false
}

// ordinalSuffix returns the English ordinal suffix of n: 1st, 2nd, 3rd, 4th,
// 11th, 12th, 13th, 21st and so on.
func ordinalSuffix(n int) string {
	if n%100 >= 11 && n%100 <= 13 {
		return "th"
	}
	switch n % 10 {
	case 1:
		return "st"
	case 2:
		return "nd"
	case 3:
		return "rd"
	}
	return "th"
}

// ordinalDate resolves "1st" to "31st": that day of this month if it is
// strictly later than now, else of the next month, clamped to the month's
// last day.
func ordinalDate(s string, now time.Time) (time.Time, string, bool) {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if len(s)-i != 2 {
		return time.Time{}, "", false
	}
	suffix := s[i:]
	switch suffix {
	case "st", "nd", "rd", "th":
	default:
		return time.Time{}, "", false
	}
	if i > 2 {
		return time.Time{}, fmt.Sprintf("no month has a day %s", s[:i]), false
	}
	n, _ := digitsAt(s, 0, i)
	if n < 1 || n > 31 {
		return time.Time{}, fmt.Sprintf("no month has a day %d", n), false
	}
	if want := ordinalSuffix(n); suffix != want {
		return time.Time{}, fmt.Sprintf("the ordinal of %d is written %d%s", n, n, want), false
	}
	y, m, _ := now.Date()
	t := time.Date(y, m, min(n, daysIn(y, m)), 0, 0, 0, 0, now.Location())
	if !t.After(now) {
		if m == time.December {
			y, m = y+1, time.January
		} else {
			m++
		}
		t = time.Date(y, m, min(n, daysIn(y, m)), 0, 0, 0, 0, now.Location())
	}
	return t, "", true
}

// clockDate resolves a time of day, H[H][:MM[:SS]] with an optional am or pm
// (at least one of the colon and the suffix is required, so that a bare
// number is not a time), to the next such moment strictly later than now.
func clockDate(s string, now time.Time) (time.Time, string, bool) {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	if n == 0 || n > 2 {
		return time.Time{}, "", false
	}
	hour, _ := digitsAt(s, 0, n)
	rest := s[n:]
	minute, sec, colon := 0, 0, false
	if rest != "" && rest[0] == ':' {
		var ok bool
		if minute, ok = digitsAt(rest, 1, 2); !ok {
			return time.Time{}, "", false
		}
		rest, colon = rest[3:], true
		if rest != "" && rest[0] == ':' {
			if sec, ok = digitsAt(rest, 1, 2); !ok {
				return time.Time{}, "", false
			}
			rest = rest[3:]
		}
	}
	switch rest {
	case "am", "pm":
		if hour < 1 || hour > 12 {
			return time.Time{}, fmt.Sprintf("hour %d is out of range for am and pm", hour), false
		}
		hour %= 12 // 12am is midnight and 12pm is noon
		if rest == "pm" {
			hour += 12
		}
	case "":
		if !colon {
			return time.Time{}, "", false
		}
		if hour > 23 {
			return time.Time{}, fmt.Sprintf("hour %d is out of range", hour), false
		}
	default:
		return time.Time{}, "", false
	}
	if why := clockRange(hour, minute, sec); why != "" {
		return time.Time{}, why, false
	}
	y, m, d := now.Date()
	t := time.Date(y, m, d, hour, minute, sec, 0, now.Location())
	if !t.After(now) {
		t = time.Date(y, m, d+1, hour, minute, sec, 0, now.Location())
	}
	return t, "", true
}

func clockRange(hour, minute, sec int) string {
	switch {
	case hour > 23:
		return fmt.Sprintf("hour %d is out of range", hour)
	case minute > 59:
		return fmt.Sprintf("minute %d is out of range", minute)
	case sec > 59:
		return fmt.Sprintf("second %d is out of range", sec)
	}
	return ""
}

// isoDate parses an ISO 8601 date with an optional time and zone, in the
// extended (2026-03-01T14:30:00+02:00) or basic (20260301T143000+0200) form.
// A time without a zone is in loc. The whole syntax is checked before any
// range, so that a malformed input reports no reason and date arithmetic
// can still try a shorter base.
func isoDate(s string, loc *time.Location) (time.Time, string, bool) {
	// Field offsets of YYYY-MM-DD and of YYYYMMDD.
	extended := len(s) >= 10 && s[4] == '-' && s[7] == '-'
	mpos, dpos, pos := 4, 6, 8
	if extended {
		mpos, dpos, pos = 5, 8, 10
	}
	year, ok1 := digitsAt(s, 0, 4)
	month, ok2 := digitsAt(s, mpos, 2)
	day, ok3 := digitsAt(s, dpos, 2)
	if !ok1 || !ok2 || !ok3 {
		return time.Time{}, "", false
	}

	hour, minute, sec, nsec := 0, 0, 0, 0
	zone := loc
	if pos < len(s) {
		if s[pos] != 't' {
			return time.Time{}, "", false
		}
		t, ok := parseISOTime(s[pos+1:], extended)
		if !ok {
			return time.Time{}, "", false
		}
		hour, minute, sec, nsec = t.hour, t.minute, t.sec, t.nsec
		if t.zoned {
			if t.offset == 0 {
				zone = time.UTC
			} else {
				zone = time.FixedZone("", t.offset)
			}
		}
		if t.why != "" {
			return time.Time{}, t.why, false
		}
	}

	m := time.Month(month)
	if month < 1 || month > 12 {
		return time.Time{}, fmt.Sprintf("month %d does not exist", month), false
	}
	if n := daysIn(year, m); day < 1 || day > n {
		if day < 1 {
			return time.Time{}, "day 0 does not exist", false
		}
		return time.Time{}, fmt.Sprintf("%s %04d has %d days", m, year, n), false
	}
	if why := clockRange(hour, minute, sec); why != "" {
		return time.Time{}, why, false
	}
	return time.Date(year, m, day, hour, minute, sec, nsec, zone), "", true
}

// An isoTime is the time and zone part of an ISO date.
type isoTime struct {
	hour, minute, sec, nsec int
	zoned                   bool   // a Z or an offset was given
	offset                  int    // seconds east of UTC
	why                     string // an out-of-range offset
}

// parseISOTime parses all of s as hh:mm[:ss[.fff]] (or hhmm[ss[.fff]] when
// not extended) followed by an optional zone, Z or ±hh[[:]mm].
func parseISOTime(s string, extended bool) (isoTime, bool) {
	var t isoTime
	var ok bool
	pos := 0
	if t.hour, ok = digitsAt(s, pos, 2); !ok {
		return t, false
	}
	pos += 2
	if extended {
		if pos >= len(s) || s[pos] != ':' {
			return t, false
		}
		pos++
	}
	if t.minute, ok = digitsAt(s, pos, 2); !ok {
		return t, false
	}
	pos += 2
	seconds := false
	if extended && pos < len(s) && s[pos] == ':' {
		if t.sec, ok = digitsAt(s, pos+1, 2); !ok {
			return t, false
		}
		pos, seconds = pos+3, true
	} else if !extended && pos < len(s) && isDigit(s[pos]) {
		if t.sec, ok = digitsAt(s, pos, 2); !ok {
			return t, false
		}
		pos, seconds = pos+2, true
	}
	if seconds && pos < len(s) && s[pos] == '.' {
		pos++
		start := pos
		for pos < len(s) && isDigit(s[pos]) {
			if pos-start < 9 {
				t.nsec = t.nsec*10 + int(s[pos]-'0')
			}
			pos++
		}
		if pos == start {
			return t, false
		}
		for i := pos - start; i < 9; i++ {
			t.nsec *= 10
		}
	}
	if pos == len(s) {
		return t, true
	}
	switch s[pos] {
	case 'z':
		t.zoned = true
		pos++
	case '+', '-':
		start, sign := pos, 1
		if s[pos] == '-' {
			sign = -1
		}
		oh, ok := digitsAt(s, pos+1, 2)
		if !ok {
			return t, false
		}
		pos += 3
		om := 0
		if pos < len(s) {
			if s[pos] == ':' {
				pos++
			}
			if om, ok = digitsAt(s, pos, 2); !ok {
				return t, false
			}
			pos += 2
		}
		if oh > 23 || om > 59 {
			t.why = fmt.Sprintf("offset %s is out of range", s[start:pos])
		}
		t.zoned, t.offset = true, sign*(oh*3600+om*60)
	}
	return t, pos == len(s)
}
