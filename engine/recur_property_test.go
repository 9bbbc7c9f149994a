package engine

// Property tests of the recurrence generator. A seeded random source draws
// hundreds of series (every unit and word, random multiples, template dues
// on month ends and leap days, in zones with and without daylight saving,
// with and without until, wait and scheduled) and drives each through the
// engine over a memstore, finishing instances early, on time, late and very
// late (years), by done and by delete, with an occasional undo. After every
// command the whole series is checked against an oracle written here from
// TOOLS.md, independently of nextDue and of when.Duration:
//
//   - never two instances due at the same date;
//   - never an instance due after until;
//   - never more than one pending (or waiting) instance, and exactly one
//     while the series has not ended;
//   - every instance is due at one of the template's period dates (the
//     template's due plus k periods, counted from the template's due);
//   - instances (by id) are due at strictly increasing dates;
//   - the instance created by done or delete is due at the first period date
//     after the later of the old due and now (none when that is after until);
//   - every instance keeps the template's wait and scheduled offsets.
//
// BACKLOG_RECUR_SEED picks another seed, BACKLOG_RECUR_SERIES another count,
// BACKLOG_RECUR_REPORT how many breaks are reported in full.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"
	_ "time/tzdata" // the zones below, whatever the machine has

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/store/memstore"
)

// period is a recurrence pattern as the oracle sees it: the text given to
// recur, and what it means, written out by the generator that made it.
type propPeriod struct {
	text     string
	months   int
	days     int
	clock    time.Duration
	weekdays bool
}

// approx is a rough length, to scale random completion times.
func (p propPeriod) approx() time.Duration {
	if p.weekdays {
		return 24 * time.Hour
	}
	return time.Duration(p.months)*30*24*time.Hour + time.Duration(p.days)*24*time.Hour + p.clock
}

// propRandomPeriod draws a pattern: a unit with a random multiple, a word, or
// an ISO 8601 duration.
func propRandomPeriod(r *rand.Rand) propPeriod {
	type unit struct {
		names        []string
		months, days int
		clock        time.Duration
		maxN         int
	}
	units := []unit{
		{[]string{"d", "day", "days"}, 0, 1, 0, 45},
		{[]string{"w", "wk", "wks", "week", "weeks"}, 0, 7, 0, 10},
		{[]string{"m", "mo", "mon", "mth", "month", "months"}, 1, 0, 0, 14},
		{[]string{"q", "qtr", "quarter", "quarters"}, 3, 0, 0, 5},
		{[]string{"y", "yr", "year", "years"}, 12, 0, 0, 3},
		{[]string{"h", "hr", "hour", "hours"}, 0, 0, time.Hour, 72},
		{[]string{"min", "mins", "minutes"}, 0, 0, time.Minute, 600},
	}
	words := []propPeriod{
		{text: "daily", days: 1}, {text: "weekly", days: 7}, {text: "biweekly", days: 14},
		{text: "fortnight", days: 14}, {text: "monthly", months: 1}, {text: "bimonthly", months: 2},
		{text: "quarterly", months: 3}, {text: "semiannual", months: 6}, {text: "yearly", months: 12},
		{text: "annual", months: 12}, {text: "biannual", months: 24}, {text: "weekdays", weekdays: true},
	}
	switch k := r.IntN(10); {
	case k < 4:
		w := words[r.IntN(len(words))]
		if r.IntN(4) == 0 {
			w.text = propCapitalise(w.text)
		}
		return w
	case k < 8:
		u := units[r.IntN(len(units))]
		n := 1 + r.IntN(u.maxN)
		name := u.names[r.IntN(len(u.names))]
		text := strconv.Itoa(n) + name
		if n == 1 && len(name) > 1 && r.IntN(2) == 0 {
			text = name // a unit alone is one of it
		}
		return propPeriod{text: text, months: n * u.months, days: n * u.days, clock: time.Duration(n) * u.clock}
	default:
		var p propPeriod
		p.text = "P"
		if r.IntN(2) == 0 {
			p.months = 1 + r.IntN(13)
			if p.months%12 == 0 && r.IntN(2) == 0 {
				p.text += strconv.Itoa(p.months/12) + "Y"
			} else {
				p.text += strconv.Itoa(p.months) + "M"
			}
		}
		if p.months == 0 || r.IntN(3) == 0 {
			if r.IntN(2) == 0 {
				w := 1 + r.IntN(4)
				p.days = 7 * w
				p.text += strconv.Itoa(w) + "W"
			} else {
				p.days = 1 + r.IntN(20)
				p.text += strconv.Itoa(p.days) + "D"
			}
		}
		if r.IntN(4) == 0 {
			h := 1 + r.IntN(23)
			p.clock = time.Duration(h) * time.Hour
			p.text += "T" + strconv.Itoa(h) + "H"
		}
		return p
	}
}

func propCapitalise(s string) string {
	return string(s[0]-'a'+'A') + s[1:]
}

// oracle knows a series' period dates: anchor (the template's due, in the
// zone) plus k periods, months first (clamped to the month's end), then
// calendar days at the same wall-clock time, then the exact clock; for
// weekdays, the anchor and then every Monday to Friday after it at the
// anchor's wall-clock time.
type propOracle struct {
	p      propPeriod
	anchor time.Time
}

func propAddMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	hh, mm, ss := t.Clock()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := time.Date(first.Year(), first.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
	return time.Date(first.Year(), first.Month(), min(d, last), hh, mm, ss, 0, t.Location())
}

// at is the k-th period date (not for weekdays).
func (o propOracle) at(k int) time.Time {
	t := o.anchor
	if o.p.months != 0 {
		t = propAddMonths(t, k*o.p.months)
	}
	if o.p.days != 0 {
		y, m, d := t.Date()
		hh, mm, ss := t.Clock()
		t = time.Date(y, m, d+k*o.p.days, hh, mm, ss, 0, t.Location())
	}
	return t.Add(time.Duration(k) * o.p.clock)
}

// wallClockOn is the anchor's wall-clock time on the calendar day of d.
func (o propOracle) wallClockOn(y int, m time.Month, d int) time.Time {
	hh, mm, ss := o.anchor.Clock()
	return time.Date(y, m, d, hh, mm, ss, 0, o.anchor.Location())
}

func propIsWeekday(y int, m time.Month, d int) bool {
	wd := time.Date(y, m, d, 12, 0, 0, 0, time.UTC).Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// firstAfter is the first period date strictly after t.
func (o propOracle) firstAfter(t time.Time) time.Time {
	if o.anchor.After(t) {
		return o.anchor
	}
	if o.p.weekdays {
		ay, am, ad := o.anchor.Date()
		y, m, d := t.In(o.anchor.Location()).Date()
		start := time.Date(y, m, d-1, 12, 0, 0, 0, time.UTC)
		if a := time.Date(ay, am, ad+1, 12, 0, 0, 0, time.UTC); a.After(start) {
			start = a
		}
		for day := start; ; day = day.AddDate(0, 0, 1) {
			c := o.wallClockOn(day.Date())
			if propIsWeekday(day.Date()) && c.After(t) {
				return c
			}
		}
	}
	// The k-th date grows with k: search for the first beyond t.
	lo, hi := 0, 1
	for !o.at(hi).After(t) {
		lo, hi = hi, hi*2
	}
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if o.at(mid).After(t) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return o.at(hi)
}

// isPeriod reports whether t is one of the period dates.
func (o propOracle) isPeriod(t time.Time) bool {
	if t.Equal(o.anchor) {
		return true
	}
	if !t.After(o.anchor) {
		return false
	}
	return o.firstAfter(t.Add(-time.Nanosecond)).Equal(t)
}

var propZones = func() []*time.Location {
	zs := []*time.Location{time.UTC, time.FixedZone("UTC+2", 2*3600), time.FixedZone("UTC-9:30", -(9*3600 + 1800))}
	for _, name := range []string{"Europe/Berlin", "America/New_York", "Australia/Sydney"} {
		if l, err := time.LoadLocation(name); err == nil {
			zs = append(zs, l)
		}
	}
	return zs
}()

// propRandomDue draws a template due: month ends and leap days often.
func propRandomDue(r *rand.Rand, loc *time.Location) time.Time {
	y := 2024 + r.IntN(8)
	m := time.Month(1 + r.IntN(12))
	last := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
	var d int
	switch k := r.IntN(10); {
	case k < 4:
		d = last - r.IntN(4) // 28..31
	case k < 5:
		y, m, d = []int{2024, 2028}[r.IntN(2)], time.February, 29
	default:
		d = 1 + r.IntN(last)
	}
	hh, mm := r.IntN(24), []int{0, 0, 15, 30, 45, r.IntN(60)}[r.IntN(6)]
	return time.Date(y, m, d, hh, mm, 0, 0, loc)
}

func propSeed(t testing.TB) uint64 {
	if s := os.Getenv("BACKLOG_RECUR_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("BACKLOG_RECUR_SEED: %v", err)
		}
		return v
	}
	return 20260304
}

func propCount(def int) int {
	if s := os.Getenv("BACKLOG_RECUR_SERIES"); s != "" {
		if v, err := strconv.Atoi(s); err == nil && v > 0 {
			return v
		}
	}
	return def
}

// propReportCap is how many breaks a property test reports in full
// (BACKLOG_RECUR_REPORT changes it); the rest are counted.
func propReportCap() int {
	if v, err := strconv.Atoi(os.Getenv("BACKLOG_RECUR_REPORT")); err == nil && v >= 0 {
		return v
	}
	return 12
}

const propISO = "2006-01-02T15:04:05Z"

// TestNextDueIsTheFirstPeriodDateAfter checks the generator alone: for
// random patterns, template dues, zones and times after the due (up to forty
// years after), nextDue is the first period date strictly after that time.
func TestNextDueIsTheFirstPeriodDateAfter(t *testing.T) {
	seed := propSeed(t)
	r := rand.New(rand.NewPCG(seed, 1))
	cases := propCount(400) * 50
	failures := 0
	for i := 0; i < cases && failures < 20; i++ {
		p := propRandomPeriod(r)
		loc := propZones[r.IntN(len(propZones))]
		due := propRandomDue(r, loc)
		o := propOracle{p: p, anchor: due}
		var gap time.Duration
		switch r.IntN(4) {
		case 0:
			gap = time.Duration(r.Int64N(int64(p.approx()) * 2))
		case 1:
			gap = time.Duration(r.Int64N(int64(p.approx()) * 40))
		case 2:
			gap = time.Duration(r.Int64N(int64(5 * 365 * 24 * time.Hour)))
		default:
			gap = time.Duration(r.Int64N(int64(40 * 365 * 24 * time.Hour)))
		}
		after := due.Add(gap).Truncate(time.Second)
		if r.IntN(5) == 0 {
			// exactly on a period date: the next one is wanted
			after = o.firstAfter(after)
		}
		tpl := &backlog.Task{ID: 1, Due: due.UTC(), Recur: p.text}
		got, err := nextDue(tpl, after, loc)
		want := o.firstAfter(after)
		if err != nil || !got.Equal(want) {
			failures++
			t.Errorf("case %d: recur %q, due %s (%s), after %s: nextDue = %s, %v; want %s (first period date after)",
				i, p.text, due.Format(time.RFC3339), loc, after.In(loc).Format(time.RFC3339), got.In(loc).Format(time.RFC3339), err, want.In(loc).Format(time.RFC3339))
		}
	}
	t.Logf("seed %d: %d random (pattern, due, time) cases", seed, cases)
}

// TestNextDueEdges pins the cases the random draw reaches rarely.
func TestNextDueEdges(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	nyc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	utc2 := time.FixedZone("UTC+2", 2*3600)
	cases := []struct {
		name  string
		recur string
		due   time.Time
		after time.Time
		want  time.Time
	}{
		{"monthly from the 31st, late in February", "monthly", time.Date(2026, 1, 31, 9, 0, 0, 0, utc2),
			time.Date(2026, 2, 27, 9, 0, 0, 0, utc2), time.Date(2026, 2, 28, 9, 0, 0, 0, utc2)},
		{"monthly from the 31st, after February's end: back to the 31st", "monthly", time.Date(2026, 1, 31, 9, 0, 0, 0, utc2),
			time.Date(2026, 2, 28, 9, 0, 0, 0, utc2), time.Date(2026, 3, 31, 9, 0, 0, 0, utc2)},
		{"monthly from the 31st, leap February", "monthly", time.Date(2027, 12, 31, 9, 0, 0, 0, utc2),
			time.Date(2028, 2, 1, 9, 0, 0, 0, utc2), time.Date(2028, 2, 29, 9, 0, 0, 0, utc2)},
		{"yearly from the leap day, to the next leap year", "yearly", time.Date(2024, 2, 29, 9, 0, 0, 0, utc2),
			time.Date(2027, 2, 28, 9, 0, 0, 0, utc2), time.Date(2028, 2, 29, 9, 0, 0, 0, utc2)},
		{"monthly after a pause of twelve years: the first month end after it, not one later", "monthly", time.Date(2026, 1, 31, 9, 0, 0, 0, utc2),
			time.Date(2038, 1, 20, 9, 0, 0, 0, utc2), time.Date(2038, 1, 31, 9, 0, 0, 0, utc2)},
		{"monthly on the 15th after a pause of twenty years", "monthly", time.Date(2026, 3, 15, 9, 0, 0, 0, utc2),
			time.Date(2046, 3, 1, 9, 0, 0, 0, utc2), time.Date(2046, 3, 15, 9, 0, 0, 0, utc2)},
		{"quarterly after a pause of forty years", "quarterly", time.Date(2026, 3, 31, 9, 0, 0, 0, utc2),
			time.Date(2066, 3, 1, 9, 0, 0, 0, utc2), time.Date(2066, 3, 31, 9, 0, 0, 0, utc2)},
		{"weekdays from a Friday: Monday", "weekdays", time.Date(2026, 3, 6, 9, 0, 0, 0, utc2),
			time.Date(2026, 3, 6, 9, 0, 0, 0, utc2), time.Date(2026, 3, 9, 9, 0, 0, 0, utc2)},
		{"weekdays at 02:30 across the spring change (Berlin): still 02:30 on Monday", "weekdays", time.Date(2026, 3, 23, 2, 30, 0, 0, berlin),
			time.Date(2026, 3, 28, 12, 0, 0, 0, berlin), time.Date(2026, 3, 30, 2, 30, 0, 0, berlin)},
		{"weekdays at 02:30 across the spring change (New York)", "weekdays", time.Date(2026, 3, 2, 2, 30, 0, 0, nyc),
			time.Date(2026, 3, 7, 12, 0, 0, 0, nyc), time.Date(2026, 3, 9, 2, 30, 0, 0, nyc)},
		{"daily at 02:30 the day after the spring change (Berlin)", "daily", time.Date(2026, 3, 1, 2, 30, 0, 0, berlin),
			time.Date(2026, 3, 29, 12, 0, 0, 0, berlin), time.Date(2026, 3, 30, 2, 30, 0, 0, berlin)},
		{"daily across the autumn change keeps the wall clock (Berlin)", "daily", time.Date(2026, 10, 20, 9, 0, 0, 0, berlin),
			time.Date(2026, 10, 25, 9, 30, 0, 0, berlin), time.Date(2026, 10, 26, 9, 0, 0, 0, berlin)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tpl := &backlog.Task{ID: 1, Due: c.due.UTC(), Recur: c.recur}
			got, err := nextDue(tpl, c.after, c.due.Location())
			if err != nil || !got.Equal(c.want) {
				t.Errorf("nextDue(%s from %s, after %s) = %s, %v; want %s", c.recur, c.due.Format(time.RFC3339), c.after.Format(time.RFC3339),
					got.In(c.due.Location()).Format(time.RFC3339), err, c.want.Format(time.RFC3339))
			}
			o := propOracle{p: propMustPeriod(t, c.recur), anchor: c.due}
			if w := o.firstAfter(c.after); !w.Equal(c.want) {
				t.Errorf("the oracle itself says %s, the case %s", w.Format(time.RFC3339), c.want.Format(time.RFC3339))
			}
		})
	}
}

func propMustPeriod(t *testing.T, s string) propPeriod {
	switch s {
	case "daily":
		return propPeriod{text: s, days: 1}
	case "weekdays":
		return propPeriod{text: s, weekdays: true}
	case "monthly":
		return propPeriod{text: s, months: 1}
	case "quarterly":
		return propPeriod{text: s, months: 3}
	case "yearly":
		return propPeriod{text: s, months: 12}
	}
	t.Fatalf("no period for %q", s)
	return propPeriod{}
}

// propClock is a settable clock in one zone.
type propClock struct{ now time.Time }

func (c *propClock) Now() time.Time { return c.now }

// TestRecurringSeriesInvariants drives random series through the engine and
// checks the invariants of the series after every command.
func TestRecurringSeriesInvariants(t *testing.T) {
	propRunAll(t, false)
}

// TestRecurringSeriesNextIsFirstPeriodDate drives the same series and checks
// that each next instance is due at the first period date after the later
// of the old due and now, as TOOLS.md says.
func TestRecurringSeriesNextIsFirstPeriodDate(t *testing.T) {
	propRunAll(t, true)
}

// propStats counts, per property, how often it was checked and broken, and
// reports the first few breaks.
type propStats struct {
	t        *testing.T
	checked  map[string]int
	broken   map[string]int
	reported int
}

func (st *propStats) check(name string, ok bool, format string, args ...any) bool {
	st.t.Helper()
	st.checked[name]++
	if ok {
		return true
	}
	st.broken[name]++
	if st.reported < propReportCap() {
		st.reported++
		st.t.Errorf("%s: %s", name, fmt.Sprintf(format, args...))
	}
	return false
}

func propRunAll(t *testing.T, first bool) {
	seed := propSeed(t)
	r := rand.New(rand.NewPCG(seed, 2))
	series := propCount(400)
	st := &propStats{t: t, checked: map[string]int{}, broken: map[string]int{}}
	commands := 0
	for i := 0; i < series; i++ {
		commands += propRunSeries(t, r, i, st, first)
	}
	names := make([]string, 0, len(st.checked))
	for n := range st.checked {
		names = append(names, n)
	}
	slices.Sort(names)
	t.Logf("seed %d: %d random series, %d done/delete/undo commands", seed, series, commands)
	for _, n := range names {
		t.Logf("  %-62s checked %6d times, broken %d", n, st.checked[n], st.broken[n])
	}
}

// propRunSeries draws and drives one series and returns how many commands
// ran. With first, each next instance must be the first period date after
// the later of the old due and now; without, only the invariants are
// checked, whatever the generator chose.
func propRunSeries(t *testing.T, r *rand.Rand, i int, st *propStats, first bool) (commands int) {
	ctx := context.Background()
	p := propRandomPeriod(r)
	loc := propZones[r.IntN(len(propZones))]
	due := propRandomDue(r, loc)
	if p.weekdays {
		// A weekdays series starts on a weekday (its first instance is due
		// at the template's due, whatever the day).
		for wd := due.Weekday(); wd == time.Saturday || wd == time.Sunday; wd = due.Weekday() {
			due = due.AddDate(0, 0, 1)
		}
	}
	clock := &propClock{now: due.Add(-time.Duration(r.Int64N(int64(30 * 24 * time.Hour)))).Add(time.Duration(r.Int64N(int64(10 * 24 * time.Hour))))}
	clock.now = clock.now.Truncate(time.Second)
	e := New(memstore.New(), Options{Agent: "prop", Clock: clock.Now})

	c := &Changes{Description: ptr("Series " + strconv.Itoa(i)), Recur: ptr(p.text), Due: ptr(due.UTC().Format(propISO))}
	var until time.Time
	if r.IntN(10) < 4 {
		until = due.Add(time.Duration(r.Int64N(int64(4 * 365 * 24 * time.Hour)))).Truncate(time.Second)
		c.Until = ptr(until.UTC().Format(propISO))
	}
	var waitOff, schedOff time.Duration
	if r.IntN(10) < 3 {
		waitOff = -time.Duration(r.Int64N(int64(5 * 24 * time.Hour))).Truncate(time.Second)
		c.Wait = ptr(due.Add(waitOff).UTC().Format(propISO))
	}
	if r.IntN(10) < 3 {
		schedOff = -time.Duration(r.Int64N(int64(3 * 24 * time.Hour))).Truncate(time.Second)
		c.Scheduled = ptr(due.Add(schedOff).UTC().Format(propISO))
	}
	desc := fmt.Sprintf("series %d: recur %q, due %s (%s), until %s, wait %s, scheduled %s", i, p.text,
		due.Format(time.RFC3339), loc, fmtProp(until), waitOff, schedOff)

	res, err := e.Add(ctx, c)
	if err != nil {
		t.Errorf("%s: add: %v", desc, err)
		return 0
	}
	tpl := res.Task
	o := propOracle{p: p, anchor: due}
	cur := res.Next
	if !st.check("the first instance is due at the template's due", cur != nil && cur.Due.Equal(due), "%s: first instance %+v", desc, cur) {
		return 0
	}
	var history []*backlog.Task // the instances finished, for undo
	steps := 5 + r.IntN(26)
	for s := 0; s < steps; s++ {
		if len(history) > 0 && r.IntN(10) == 0 {
			// Undo the last done or delete: the instance is back, its successor gone.
			u, err := e.Undo(ctx)
			commands++
			if err != nil || u.Undone == nil {
				t.Errorf("%s: step %d: undo: %v", desc, s, err)
				return commands
			}
			cur = history[len(history)-1]
			history = history[:len(history)-1]
			if !propCheckSeries(st, e, desc, s, tpl, o, until, cur) {
				return commands
			}
			continue
		}
		if cur == nil {
			break // the series has ended
		}
		var at time.Time
		span := p.approx()
		switch k := r.IntN(20); {
		case k < 4: // early
			at = cur.Due.Add(-time.Duration(r.Int64N(int64(span + span/2))))
		case k < 11: // about on time
			at = cur.Due.Add(time.Duration(r.Int64N(int64(2 * time.Hour))))
		case k < 18: // late
			at = cur.Due.Add(time.Duration(r.Int64N(int64(3 * span))))
		default: // very late: one to fifteen years
			at = cur.Due.Add(365*24*time.Hour + time.Duration(r.Int64N(int64(14*365*24*time.Hour))))
		}
		if at.Before(clock.now) {
			at = clock.now
		}
		clock.now = at.Truncate(time.Second).In(loc)
		del := r.IntN(5) == 0
		var res *Result
		if del {
			res, err = e.Delete(ctx, strconv.FormatInt(cur.ID, 10))
		} else {
			res, err = e.Done(ctx, strconv.FormatInt(cur.ID, 10))
		}
		commands++
		if err != nil {
			t.Errorf("%s: step %d: finishing %d: %v", desc, s, cur.ID, err)
			return commands
		}
		if first {
			later := cur.Due
			if clock.now.After(later) {
				later = clock.now
			}
			want := o.firstAfter(later)
			wantNone := !until.IsZero() && want.After(until)
			verb := map[bool]string{true: "delete", false: "done"}[del]
			var got string
			switch {
			case res.Next == nil:
				got = "none"
			default:
				got = fmtProp(res.Next.Due)
			}
			wanted := fmtProp(want)
			if wantNone {
				wanted = "none"
			}
			st.check("the next instance is the first period date after max(old due, now)", got == wanted,
				"%s: step %d: %s of the instance due %s at %s: next due %s, want %s",
				desc, s, verb, fmtProp(cur.Due), fmtProp(clock.now), got, wanted)
		}
		history = append(history, cur)
		cur = res.Next
		if !propCheckSeries(st, e, desc, s, tpl, o, until, cur) {
			return commands
		}
	}
	return commands
}

// propCheckSeries checks the invariants over every instance of the template;
// pending is the instance that should be the only pending one (nil when the
// series has ended). It reports whether all held.
func propCheckSeries(st *propStats, e *Engine, desc string, step int, tpl *backlog.Task, o propOracle, until time.Time, pending *backlog.Task) bool {
	all, err := e.Export(context.Background(), "")
	if err != nil {
		st.t.Errorf("%s: export: %v", desc, err)
		return false
	}
	var insts []*backlog.Task
	for _, x := range all {
		if x.Parent == tpl.UUID {
			insts = append(insts, x)
		}
	}
	slices.SortFunc(insts, func(a, b *backlog.Task) int { return int(a.ID - b.ID) })
	where := fmt.Sprintf("%s: after step %d", desc, step)
	ok := true
	seen := map[int64]int64{}
	var live []int64
	for k, x := range insts {
		id, dup := seen[x.Due.Unix()]
		ok = st.check("never two instances due at the same date", !dup,
			"%s: instances %d and %d are both due %s", where, id, x.ID, fmtProp(x.Due)) && ok
		seen[x.Due.Unix()] = x.ID
		ok = st.check("never an instance due after until", until.IsZero() || !x.Due.After(until),
			"%s: instance %d is due %s, after until %s", where, x.ID, fmtProp(x.Due), fmtProp(until)) && ok
		ok = st.check("every instance is due at a period date of the template", o.isPeriod(x.Due),
			"%s: instance %d is due %s, not a period date of %q from %s (the nearest after is %s)",
			where, x.ID, fmtProp(x.Due), o.p.text, fmtProp(o.anchor), fmtProp(o.firstAfter(x.Due.Add(-time.Nanosecond)))) && ok
		if k > 0 {
			ok = st.check("instances are due at strictly increasing dates", x.Due.After(insts[k-1].Due),
				"%s: instance %d is due %s, not after instance %d's %s", where, x.ID, fmtProp(x.Due), insts[k-1].ID, fmtProp(insts[k-1].Due)) && ok
		}
		if x.Status == backlog.StatusPending || x.Status == backlog.StatusWaiting {
			live = append(live, x.ID)
		}
		wantWait, wantSched := time.Time{}, time.Time{}
		if !tpl.Wait.IsZero() {
			wantWait = x.Due.Add(tpl.Wait.Sub(tpl.Due))
		}
		if !tpl.Scheduled.IsZero() {
			wantSched = x.Due.Add(tpl.Scheduled.Sub(tpl.Due))
		}
		ok = st.check("every instance keeps the wait and scheduled offsets", x.Wait.Equal(wantWait) && x.Scheduled.Equal(wantSched),
			"%s: instance %d due %s: wait %s scheduled %s, want %s and %s", where, x.ID, fmtProp(x.Due),
			fmtProp(x.Wait), fmtProp(x.Scheduled), fmtProp(wantWait), fmtProp(wantSched)) && ok
	}
	ok = st.check("never more than one pending instance", len(live) <= 1, "%s: pending instances %v", where, live) && ok
	if pending == nil {
		ok = st.check("no pending instance once the series has ended", len(live) == 0,
			"%s: pending instances %v after the series ended", where, live) && ok
	} else {
		ok = st.check("exactly the expected instance is pending", len(live) == 1 && live[0] == pending.ID,
			"%s: pending instances %v, want [%d]", where, live, pending.ID) && ok
	}
	return ok
}

func fmtProp(t time.Time) string {
	if t.IsZero() {
		return "none"
	}
	return t.UTC().Format(propISO)
}
