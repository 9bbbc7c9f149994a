package when

import (
	"math"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// Duration is a calendar-aware span: months and days step the calendar, with
// month-end clamping, while Clock is an exact span of time.
type Duration struct {
	Months   int           // years and quarters are stored as months (1y = 12, 1q = 3)
	Days     int           // weeks are stored as days (1w = 7)
	Clock    time.Duration // hours, minutes, seconds
	Weekdays bool          // the "weekdays" recurrence pattern (Monday-Friday); as a span it is one day
}

// Amounts are capped near ten thousand years so that no arithmetic on a parsed
// duration can overflow an int, and every result stays a meaningful date.
const (
	maxMonths = 12 * 10000
	maxDays   = 366 * 10000
)

const (
	whyTooLarge = "the amount is too large"
	whyFraction = "only seconds, minutes and hours can be fractional"
)

// A unit is one of a named unit: exactly one of its fields is set.
type unit struct {
	months int
	days   int
	clock  time.Duration
}

var units = map[string]unit{
	"s": {clock: time.Second}, "sec": {clock: time.Second}, "secs": {clock: time.Second},
	"second": {clock: time.Second}, "seconds": {clock: time.Second},
	"min": {clock: time.Minute}, "mins": {clock: time.Minute},
	"minute": {clock: time.Minute}, "minutes": {clock: time.Minute},
	"h": {clock: time.Hour}, "hr": {clock: time.Hour}, "hrs": {clock: time.Hour},
	"hour": {clock: time.Hour}, "hours": {clock: time.Hour},
	"d": {days: 1}, "day": {days: 1}, "days": {days: 1},
	"w": {days: 7}, "wk": {days: 7}, "wks": {days: 7}, "week": {days: 7}, "weeks": {days: 7},
	"m": {months: 1}, "mo": {months: 1}, "mos": {months: 1}, "mon": {months: 1},
	"mth": {months: 1}, "mths": {months: 1}, "month": {months: 1}, "months": {months: 1},
	"q": {months: 3}, "qtr": {months: 3}, "qtrs": {months: 3},
	"quarter": {months: 3}, "quarters": {months: 3},
	"y": {months: 12}, "yr": {months: 12}, "yrs": {months: 12},
	"year": {months: 12}, "years": {months: 12},
}

var durationWords = map[string]Duration{
	"daily":      {Days: 1},
	"weekly":     {Days: 7},
	"biweekly":   {Days: 14},
	"fortnight":  {Days: 14},
	"monthly":    {Months: 1},
	"bimonthly":  {Months: 2},
	"quarterly":  {Months: 3},
	"semiannual": {Months: 6},
	"yearly":     {Months: 12},
	"annual":     {Months: 12},
	"biannual":   {Months: 24},
	"weekdays":   {Days: 1, Weekdays: true},
}

// ParseDuration parses a duration such as "3d", "-2h", "1.5h", "week",
// "monthly", "weekdays" or "P1Y2M3DT4H5M6S". The unit "m" is a month; a
// minute is "min".
func ParseDuration(s string) (Duration, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return Duration{}, &parseError{kind: "duration", why: whyEmpty}
	}
	d, why, ok := parseDuration(asciiLower(in))
	if !ok {
		return Duration{}, &parseError{kind: "duration", input: in, why: why}
	}
	return d, nil
}

// parseDuration parses a trimmed, lowercased duration with an optional sign.
// It returns ok false with an empty why when s is not a duration at all, and
// with a reason when s looks like one but is invalid; date parsing relies on
// that difference to pick the most useful error.
func parseDuration(s string) (d Duration, why string, ok bool) {
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	d, why, ok = parseUnsignedDuration(s)
	if ok && neg {
		d = d.Neg()
	}
	return d, why, ok
}

func parseUnsignedDuration(s string) (Duration, string, bool) {
	if s == "" {
		return Duration{}, "", false
	}
	if isLetter(s[0]) {
		if d, ok := durationWords[s]; ok {
			return d, "", true
		}
	}
	if s[0] == 'p' {
		return parseISODuration(s[1:])
	}
	i := 0
	for i < len(s) && (isDigit(s[i]) || s[i] == '.') {
		i++
	}
	u, ok := units[s[i:]]
	if !ok {
		return Duration{}, "", false
	}
	if i == 0 {
		// A unit alone means one of it, but a lone letter such as "d" or
		// "m" is too cryptic to be read as a date, so it is refused.
		if len(s) < 2 {
			return Duration{}, "", false
		}
		return u.times(amount{whole: 1})
	}
	a, why, ok := parseAmount(s[:i])
	if !ok {
		return Duration{}, why, false
	}
	return u.times(a)
}

// An amount is the decimal number whole + frac/10^digits.
type amount struct {
	whole  uint64
	frac   uint64
	digits int // digits in frac; zero when there was no decimal point
}

var pow10 = [...]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
	1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

// parseAmount reads a non-negative decimal such as "3" or "1.25". A whole
// part beyond 18 digits is refused here, before it can wrap a uint64;
// fraction digits beyond 18 are dropped, as they are worth less than a
// nanosecond of any unit.
func parseAmount(s string) (amount, string, bool) {
	whole, frac, dot := s, "", false
	if k := strings.IndexByte(s, '.'); k >= 0 {
		whole, frac, dot = s[:k], s[k+1:], true
		if frac == "" {
			return amount{}, "", false
		}
	}
	if whole == "" || !allDigits(whole) || !allDigits(frac) {
		return amount{}, "", false
	}
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > 18 {
		return amount{}, whyTooLarge, false
	}
	var a amount
	a.whole = atou(whole)
	if dot {
		if len(frac) > 18 {
			frac = frac[:18]
		}
		a.frac, a.digits = atou(frac), len(frac)
	}
	return a, "", true
}

// atou converts at most 19 decimal digits, which cannot overflow a uint64.
func atou(s string) uint64 {
	var v uint64
	for i := 0; i < len(s); i++ {
		v = v*10 + uint64(s[i]-'0')
	}
	return v
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// times returns a of unit u, refusing fractions of calendar units (half a
// month has no meaning) and amounts beyond the caps.
func (u unit) times(a amount) (Duration, string, bool) {
	if u.clock == 0 {
		if a.digits > 0 {
			return Duration{}, whyFraction, false
		}
		if u.months != 0 {
			if a.whole > uint64(maxMonths/u.months) {
				return Duration{}, whyTooLarge, false
			}
			return Duration{Months: int(a.whole) * u.months}, "", true
		}
		if a.whole > uint64(maxDays/u.days) {
			return Duration{}, whyTooLarge, false
		}
		return Duration{Days: int(a.whole) * u.days}, "", true
	}
	ns := uint64(u.clock)
	if a.whole > math.MaxInt64/ns {
		return Duration{}, whyTooLarge, false
	}
	c := a.whole * ns
	if a.digits > 0 {
		// frac < 10^digits, so the quotient is below ns and the 128-bit
		// division cannot overflow.
		hi, lo := bits.Mul64(a.frac, ns)
		q, _ := bits.Div64(hi, lo, pow10[a.digits])
		c += q
		if c > math.MaxInt64 {
			return Duration{}, whyTooLarge, false
		}
	}
	return Duration{Clock: time.Duration(c)}, "", true
}

// parseISODuration parses what follows the "P" of an ISO 8601 duration:
// [nY][nM][nW][nD][T[nH][nM][nS]], at least one component, each designator at
// most once and in that order. Only the time components may be fractional.
// As an extension each number may carry its own sign, which is how String
// writes a duration whose fields have mixed signs.
func parseISODuration(s string) (Duration, string, bool) {
	const dateDesignators, timeDesignators = "ymwd", "hms"
	var d Duration
	designators := dateDesignators
	inTime, any, anyTime := false, false, false
	for s != "" {
		if s[0] == 't' {
			if inTime {
				return Duration{}, "", false
			}
			inTime, designators = true, timeDesignators
			s = s[1:]
			continue
		}
		neg := false
		if s[0] == '+' || s[0] == '-' {
			neg = s[0] == '-'
			s = s[1:]
		}
		j := 0
		for j < len(s) && (isDigit(s[j]) || s[j] == '.') {
			j++
		}
		if j == 0 || j == len(s) {
			return Duration{}, "", false
		}
		k := strings.IndexByte(designators, s[j])
		if k < 0 {
			return Duration{}, "", false
		}
		u := isoUnit(inTime, s[j])
		designators = designators[k+1:]
		a, why, ok := parseAmount(s[:j])
		if !ok {
			return Duration{}, why, false
		}
		part, why, ok := u.times(a)
		if !ok {
			return Duration{}, why, false
		}
		if neg {
			part = part.Neg()
		}
		if d, ok = d.plus(part); !ok {
			return Duration{}, whyTooLarge, false
		}
		any, anyTime = true, anyTime || inTime
		s = s[j+1:]
	}
	if !any || inTime && !anyTime {
		return Duration{}, "", false
	}
	return d, "", true
}

func isoUnit(inTime bool, designator byte) unit {
	if inTime {
		switch designator {
		case 'h':
			return unit{clock: time.Hour}
		case 'm':
			return unit{clock: time.Minute}
		}
		return unit{clock: time.Second}
	}
	switch designator {
	case 'y':
		return unit{months: 12}
	case 'm':
		return unit{months: 1}
	case 'w':
		return unit{days: 7}
	}
	return unit{days: 1}
}

// plus adds e to d field by field, reporting false when a field leaves its
// cap or the clock overflows.
func (d Duration) plus(e Duration) (Duration, bool) {
	d.Months += e.Months
	d.Days += e.Days
	if d.Months > maxMonths || d.Months < -maxMonths || d.Days > maxDays || d.Days < -maxDays {
		return d, false
	}
	c, ok := addClock(d.Clock, e.Clock)
	d.Clock = c
	return d, ok
}

// addClock adds two clock spans, reporting false on overflow.
func addClock(a, b time.Duration) (time.Duration, bool) {
	c := a + b
	if (b > 0 && c < a) || (b < 0 && c > a) {
		return 0, false
	}
	return c, true
}

// AddTo returns t plus d, stepping the calendar in t's location: months
// first, clamping the day to the end of a shorter month (31 January plus one
// month is 28 or 29 February), then days, then the exact clock. With
// Weekdays set, Days counts weekdays, so Friday plus "weekdays" is Monday.
func (d Duration) AddTo(t time.Time) time.Time {
	if d.Months != 0 {
		y, m, day := t.Date()
		months := int(m) - 1 + d.Months
		y += floorDiv(months, 12)
		m = time.Month(months - floorDiv(months, 12)*12 + 1)
		day = min(day, daysIn(y, m))
		hh, mm, ss := t.Clock()
		t = time.Date(y, m, day, hh, mm, ss, t.Nanosecond(), t.Location())
	}
	if d.Weekdays {
		t = addWeekdays(t, d.Days)
	} else if d.Days != 0 {
		t = addDays(t, d.Days)
	}
	return t.Add(d.Clock)
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// addDays steps n calendar days, keeping the wall-clock time, so that a day
// across a daylight-saving change is still a day.
func addDays(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	hh, mm, ss := t.Clock()
	return time.Date(y, m, d+n, hh, mm, ss, t.Nanosecond(), t.Location())
}

// addWeekdays steps n weekdays (Monday to Friday) forward, or back when n is
// negative, keeping the wall-clock time.
func addWeekdays(t time.Time, n int) time.Time {
	if n == 0 {
		return t
	}
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	// Counting from a weekend day is the same as counting from the weekday
	// just behind it in the direction of travel, and from a weekday whole
	// weeks of five weekdays are seven days.
	switch wd := t.Weekday(); {
	case wd == time.Saturday && step > 0:
		t = addDays(t, -1)
	case wd == time.Sunday && step > 0:
		t = addDays(t, -2)
	case wd == time.Saturday && step < 0:
		t = addDays(t, 2)
	case wd == time.Sunday && step < 0:
		t = addDays(t, 1)
	}
	t = addDays(t, step*7*(n/5))
	for range n % 5 {
		t = addDays(t, step)
		for t.Weekday() == time.Saturday || t.Weekday() == time.Sunday {
			t = addDays(t, step)
		}
	}
	return t
}

// Neg returns the duration with every field negated; Weekdays is kept.
func (d Duration) Neg() Duration {
	return Duration{Months: -d.Months, Days: -d.Days, Clock: -d.Clock, Weekdays: d.Weekdays}
}

// IsZero reports whether d is the zero span, such as "0d".
func (d Duration) IsZero() bool {
	return d == Duration{}
}

// Approx returns a rough length of d for ordering and printing, counting a
// year as 365 days and a remaining month as 30 days; it saturates instead of
// overflowing.
func (d Duration) Approx() time.Duration {
	const day = 24 * time.Hour
	a := mulSat(d.Months/12, 365*day)
	a = addSat(a, mulSat(d.Months%12, 30*day))
	a = addSat(a, mulSat(d.Days, day))
	return addSat(a, d.Clock)
}

func mulSat(n int, u time.Duration) time.Duration {
	m := uint64(n)
	if n < 0 {
		m = -m
	}
	hi, lo := bits.Mul64(m, uint64(u))
	if hi != 0 || lo > math.MaxInt64 {
		if n < 0 {
			return math.MinInt64
		}
		return math.MaxInt64
	}
	if n < 0 {
		return -time.Duration(lo)
	}
	return time.Duration(lo)
}

func addSat(a, b time.Duration) time.Duration {
	if c, ok := addClock(a, b); ok {
		return c
	}
	if b > 0 {
		return math.MaxInt64
	}
	return math.MinInt64
}

// String returns d in ISO 8601 form, such as "P1Y2M3DT4H5M6.5S", "-P1D" or
// "PT0S", which ParseDuration reads back to the same value. A Weekdays
// duration is "weekdays" or "-weekdays"; fields of mixed signs are written
// with a sign on each number.
func (d Duration) String() string {
	if d.Weekdays {
		if d.Days < 0 {
			return "-weekdays"
		}
		return "weekdays"
	}
	if d.IsZero() {
		return "PT0S"
	}
	var buf [64]byte
	b := buf[:0]
	if d.Months <= 0 && d.Days <= 0 && d.Clock <= 0 {
		b = append(b, '-')
		d = d.Neg()
	}
	b = append(b, 'P')
	if y := d.Months / 12; y != 0 {
		b = strconv.AppendInt(b, int64(y), 10)
		b = append(b, 'Y')
	}
	if m := d.Months % 12; m != 0 {
		b = strconv.AppendInt(b, int64(m), 10)
		b = append(b, 'M')
	}
	if d.Days != 0 {
		b = strconv.AppendInt(b, int64(d.Days), 10)
		b = append(b, 'D')
	}
	if d.Clock != 0 {
		b = append(b, 'T')
		// Work on the magnitude as a uint64, which also holds the
		// magnitude of math.MinInt64.
		sign := ""
		u := uint64(d.Clock)
		if d.Clock < 0 {
			sign, u = "-", -u
		}
		h := u / uint64(time.Hour)
		u -= h * uint64(time.Hour)
		m := u / uint64(time.Minute)
		u -= m * uint64(time.Minute)
		sec, ns := u/uint64(time.Second), u%uint64(time.Second)
		if h != 0 {
			b = append(b, sign...)
			b = strconv.AppendUint(b, h, 10)
			b = append(b, 'H')
		}
		if m != 0 {
			b = append(b, sign...)
			b = strconv.AppendUint(b, m, 10)
			b = append(b, 'M')
		}
		if sec != 0 || ns != 0 {
			b = append(b, sign...)
			b = strconv.AppendUint(b, sec, 10)
			if ns != 0 {
				frac := strconv.AppendUint(nil, ns+uint64(time.Second), 10)[1:]
				b = append(b, '.')
				b = append(b, strings.TrimRight(string(frac), "0")...)
			}
			b = append(b, 'S')
		}
	}
	return string(b)
}
