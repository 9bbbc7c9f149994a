package when

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

// east is the fixed local zone of most tests, so that a test that confuses
// local and UTC times fails.
var east = time.FixedZone("UTC+2", 2*60*60)

// west is a zone behind UTC, where the local date can differ from the UTC one.
var west = time.FixedZone("UTC-5", -5*60*60)

// at returns a time in east.
func at(y int, m time.Month, d, hh, mm, ss int) time.Time {
	return time.Date(y, m, d, hh, mm, ss, 0, east)
}

// wed is the usual clock: Wednesday 4 March 2026, 10:30 in east.
var wed = at(2026, time.March, 4, 10, 30, 0)

type parseTest struct {
	name string
	in   string
	now  time.Time
	want time.Time
}

var parseTests = []parseTest{
	// ISO 8601.
	{"an ISO date is local midnight", "2026-03-01", wed, at(2026, 3, 1, 0, 0, 0)},
	{"an ISO date and time without seconds is local", "2026-03-01T14:30", wed, at(2026, 3, 1, 14, 30, 0)},
	{"an ISO date and time with seconds is local", "2026-03-01T14:30:00", wed, at(2026, 3, 1, 14, 30, 0)},
	{"an ISO time ending in Z is UTC", "2026-03-01T14:30:00Z", wed, time.Date(2026, 3, 1, 14, 30, 0, 0, time.UTC)},
	{"an ISO offset with a colon is honored", "2026-03-01T14:30:00+02:00", wed, time.Date(2026, 3, 1, 12, 30, 0, 0, time.UTC)},
	{"an ISO offset without a colon is honored", "2026-03-01T14:30:00+0200", wed, time.Date(2026, 3, 1, 12, 30, 0, 0, time.UTC)},
	{"an ISO offset of hours alone is honored", "2026-03-01T14:30:00+02", wed, time.Date(2026, 3, 1, 12, 30, 0, 0, time.UTC)},
	{"a negative ISO offset is honored", "2026-03-01T14:30:00-05:00", wed, time.Date(2026, 3, 1, 19, 30, 0, 0, time.UTC)},
	{"an ISO offset may follow minutes", "2026-03-01T14:30-05:00", wed, time.Date(2026, 3, 1, 19, 30, 0, 0, time.UTC)},
	{"fractional ISO seconds are kept", "2026-03-01T14:30:00.25Z", wed, time.Date(2026, 3, 1, 14, 30, 0, 250e6, time.UTC)},
	{"nanosecond ISO seconds are kept", "2026-03-01T14:30:00.123456789Z", wed, time.Date(2026, 3, 1, 14, 30, 0, 123456789, time.UTC)},
	{"a basic ISO date is local midnight", "20260301", wed, at(2026, 3, 1, 0, 0, 0)},
	{"a basic ISO time in UTC is read", "20260301T143000Z", wed, time.Date(2026, 3, 1, 14, 30, 0, 0, time.UTC)},
	{"a basic ISO time without seconds is local", "20260301T1430", wed, at(2026, 3, 1, 14, 30, 0)},
	{"a basic ISO time with an offset is read", "20260301T143000-0500", wed, time.Date(2026, 3, 1, 19, 30, 0, 0, time.UTC)},
	{"lowercase t and z are accepted", "2026-03-01t14:30:00z", wed, time.Date(2026, 3, 1, 14, 30, 0, 0, time.UTC)},
	{"29 February exists in a leap year", "2028-02-29", wed, at(2028, 2, 29, 0, 0, 0)},
	{"surrounding space is trimmed", "  2026-03-01\t", wed, at(2026, 3, 1, 0, 0, 0)},

	// Days.
	{"now is exactly now", "now", wed, wed},
	{"words are case-insensitive", "Now", wed, wed},
	{"today is midnight", "today", wed, at(2026, 3, 4, 0, 0, 0)},
	{"TODAY in capitals is midnight", "TODAY", wed, at(2026, 3, 4, 0, 0, 0)},
	{"sod is midnight", "sod", wed, at(2026, 3, 4, 0, 0, 0)},
	{"eod is the last second of today", "eod", wed, at(2026, 3, 4, 23, 59, 59)},
	{"yesterday is midnight of the day before", "yesterday", wed, at(2026, 3, 3, 0, 0, 0)},
	{"tomorrow is midnight of the day after", "tomorrow", wed, at(2026, 3, 5, 0, 0, 0)},
	{"tomorrow crosses a month end", "tomorrow", at(2026, 2, 28, 12, 0, 0), at(2026, 3, 1, 0, 0, 0)},
	{"sond is tomorrow's midnight", "sond", wed, at(2026, 3, 5, 0, 0, 0)},
	{"eopd is the last second of yesterday", "eopd", wed, at(2026, 3, 3, 23, 59, 59)},

	// Weeks start on Monday.
	{"sow is this week's Monday", "sow", wed, at(2026, 3, 2, 0, 0, 0)},
	{"eow is this week's Sunday night", "eow", wed, at(2026, 3, 8, 23, 59, 59)},
	{"sonw is next week's Monday", "sonw", wed, at(2026, 3, 9, 0, 0, 0)},
	{"eonw is next week's Sunday night", "eonw", wed, at(2026, 3, 15, 23, 59, 59)},
	{"sopw is last week's Monday", "sopw", wed, at(2026, 2, 23, 0, 0, 0)},
	{"eopw is last week's Sunday night", "eopw", wed, at(2026, 3, 1, 23, 59, 59)},
	{"soww is this week's Monday", "soww", wed, at(2026, 3, 2, 0, 0, 0)},
	{"eoww is this week's Friday night", "eoww", wed, at(2026, 3, 6, 23, 59, 59)},
	{"sow on a Monday is that Monday", "sow", at(2026, 3, 2, 0, 0, 0), at(2026, 3, 2, 0, 0, 0)},
	{"eow on a Monday is the coming Sunday", "eow", at(2026, 3, 2, 9, 0, 0), at(2026, 3, 8, 23, 59, 59)},
	{"sow on a Sunday is the Monday before", "sow", at(2026, 3, 8, 23, 0, 0), at(2026, 3, 2, 0, 0, 0)},
	{"eow on a Sunday is that Sunday", "eow", at(2026, 3, 8, 23, 0, 0), at(2026, 3, 8, 23, 59, 59)},
	{"sonw on a Sunday is the next day", "sonw", at(2026, 3, 8, 23, 0, 0), at(2026, 3, 9, 0, 0, 0)},

	// Months.
	{"som is the 1st of this month", "som", wed, at(2026, 3, 1, 0, 0, 0)},
	{"eom is the last second of this month", "eom", wed, at(2026, 3, 31, 23, 59, 59)},
	{"sonm is the 1st of next month", "sonm", wed, at(2026, 4, 1, 0, 0, 0)},
	{"eonm is the last second of next month", "eonm", wed, at(2026, 4, 30, 23, 59, 59)},
	{"sopm is the 1st of last month", "sopm", wed, at(2026, 2, 1, 0, 0, 0)},
	{"eopm is the last second of last month", "eopm", wed, at(2026, 2, 28, 23, 59, 59)},
	{"EOM in capitals is the end of the month", "EOM", wed, at(2026, 3, 31, 23, 59, 59)},
	{"eom in a leap February is the 29th", "eom", at(2028, 2, 10, 8, 0, 0), at(2028, 2, 29, 23, 59, 59)},
	{"eopm in a leap year's March is 29 February", "eopm", at(2028, 3, 10, 8, 0, 0), at(2028, 2, 29, 23, 59, 59)},
	{"sonm in December is January of next year", "sonm", at(2026, 12, 15, 8, 0, 0), at(2027, 1, 1, 0, 0, 0)},

	// Quarters.
	{"soq is the start of this quarter", "soq", wed, at(2026, 1, 1, 0, 0, 0)},
	{"eoq is the end of this quarter", "eoq", wed, at(2026, 3, 31, 23, 59, 59)},
	{"sonq is the start of next quarter", "sonq", wed, at(2026, 4, 1, 0, 0, 0)},
	{"eonq is the end of next quarter", "eonq", wed, at(2026, 6, 30, 23, 59, 59)},
	{"sopq is the start of last quarter", "sopq", wed, at(2025, 10, 1, 0, 0, 0)},
	{"eopq is the end of last quarter", "eopq", wed, at(2025, 12, 31, 23, 59, 59)},
	{"soq late on 31 March is 1 January", "soq", at(2026, 3, 31, 23, 0, 0), at(2026, 1, 1, 0, 0, 0)},
	{"eoq late on 31 March is that night", "eoq", at(2026, 3, 31, 23, 0, 0), at(2026, 3, 31, 23, 59, 59)},
	{"sonq late on 31 March is 1 April", "sonq", at(2026, 3, 31, 23, 0, 0), at(2026, 4, 1, 0, 0, 0)},
	{"soq at the first moment of April is 1 April", "soq", at(2026, 4, 1, 0, 0, 0), at(2026, 4, 1, 0, 0, 0)},
	{"eoq at the first moment of April is 30 June", "eoq", at(2026, 4, 1, 0, 0, 0), at(2026, 6, 30, 23, 59, 59)},
	{"sonq at the first moment of April is 1 July", "sonq", at(2026, 4, 1, 0, 0, 0), at(2026, 7, 1, 0, 0, 0)},
	{"sopq at the first moment of April is 1 January", "sopq", at(2026, 4, 1, 0, 0, 0), at(2026, 1, 1, 0, 0, 0)},
	{"eopq at the first moment of April is 31 March", "eopq", at(2026, 4, 1, 0, 0, 0), at(2026, 3, 31, 23, 59, 59)},
	{"eonq in the last quarter is next March", "eonq", at(2026, 11, 5, 0, 0, 0), at(2027, 3, 31, 23, 59, 59)},

	// Years.
	{"soy is 1 January", "soy", wed, at(2026, 1, 1, 0, 0, 0)},
	{"eoy is the last second of the year", "eoy", wed, at(2026, 12, 31, 23, 59, 59)},
	{"sony is next 1 January", "sony", wed, at(2027, 1, 1, 0, 0, 0)},
	{"eony is the end of next year", "eony", wed, at(2027, 12, 31, 23, 59, 59)},
	{"sopy is last 1 January", "sopy", wed, at(2025, 1, 1, 0, 0, 0)},
	{"eopy is the end of last year", "eopy", wed, at(2025, 12, 31, 23, 59, 59)},

	// Someday.
	{"later is Someday", "later", wed, Someday},
	{"someday is Someday", "someday", wed, Someday},

	// Weekdays: the next such day, never today (see also TestParseWeekdays).
	{"mon is next Monday", "mon", wed, at(2026, 3, 9, 0, 0, 0)},
	{"tues is next Tuesday", "tues", wed, at(2026, 3, 10, 0, 0, 0)},
	{"tue is next Tuesday", "tue", wed, at(2026, 3, 10, 0, 0, 0)},
	{"wed on a Wednesday is a week ahead", "wed", wed, at(2026, 3, 11, 0, 0, 0)},
	{"wednesday on a Wednesday is a week ahead", "wednesday", wed, at(2026, 3, 11, 0, 0, 0)},
	{"thu is tomorrow on a Wednesday", "thu", wed, at(2026, 3, 5, 0, 0, 0)},
	{"thur is Thursday", "thur", wed, at(2026, 3, 5, 0, 0, 0)},
	{"thurs is Thursday", "thurs", wed, at(2026, 3, 5, 0, 0, 0)},
	{"fri is this Friday", "fri", wed, at(2026, 3, 6, 0, 0, 0)},
	{"frid is this Friday", "frid", wed, at(2026, 3, 6, 0, 0, 0)},
	{"friday is this Friday", "friday", wed, at(2026, 3, 6, 0, 0, 0)},
	{"Friday with a capital is Friday", "Friday", wed, at(2026, 3, 6, 0, 0, 0)},
	{"sat is this Saturday", "sat", wed, at(2026, 3, 7, 0, 0, 0)},
	{"sun is this Sunday", "sun", wed, at(2026, 3, 8, 0, 0, 0)},
	{"friday on a Friday is a week ahead", "friday", at(2026, 3, 6, 9, 0, 0), at(2026, 3, 13, 0, 0, 0)},
	{"friday on a Thursday is tomorrow", "friday", at(2026, 3, 5, 23, 59, 59), at(2026, 3, 6, 0, 0, 0)},

	// Months: the 1st of the next such month.
	{"jan is next January", "jan", wed, at(2027, 1, 1, 0, 0, 0)},
	{"january is next January", "january", wed, at(2027, 1, 1, 0, 0, 0)},
	{"feb in March is next year's", "feb", wed, at(2027, 2, 1, 0, 0, 0)},
	{"mar in March is next year's", "mar", wed, at(2027, 3, 1, 0, 0, 0)},
	{"apr in March is this year's", "apr", wed, at(2026, 4, 1, 0, 0, 0)},
	{"May with a capital is this year's", "May", wed, at(2026, 5, 1, 0, 0, 0)},
	{"sep is September", "sep", wed, at(2026, 9, 1, 0, 0, 0)},
	{"sept is September", "sept", wed, at(2026, 9, 1, 0, 0, 0)},
	{"december is this year's", "december", wed, at(2026, 12, 1, 0, 0, 0)},
	{"january in December is next month", "january", at(2026, 12, 31, 0, 0, 0), at(2027, 1, 1, 0, 0, 0)},

	// Ordinals: this month's day if strictly ahead, else next month's.
	{"1st already past is next month's", "1st", wed, at(2026, 4, 1, 0, 0, 0)},
	{"2nd already past is next month's", "2nd", wed, at(2026, 4, 2, 0, 0, 0)},
	{"3rd already past is next month's", "3rd", wed, at(2026, 4, 3, 0, 0, 0)},
	{"an ordinal equal to today is next month's", "4th", wed, at(2026, 4, 4, 0, 0, 0)},
	{"an ordinal equal to today at midnight is next month's", "4th", at(2026, 3, 4, 0, 0, 0), at(2026, 4, 4, 0, 0, 0)},
	{"an ordinal for tomorrow is this month's", "5th", wed, at(2026, 3, 5, 0, 0, 0)},
	{"11th is this month's", "11th", wed, at(2026, 3, 11, 0, 0, 0)},
	{"12th is this month's", "12th", wed, at(2026, 3, 12, 0, 0, 0)},
	{"13th is this month's", "13th", wed, at(2026, 3, 13, 0, 0, 0)},
	{"21st is this month's", "21st", wed, at(2026, 3, 21, 0, 0, 0)},
	{"22nd is this month's", "22nd", wed, at(2026, 3, 22, 0, 0, 0)},
	{"23rd is this month's", "23rd", wed, at(2026, 3, 23, 0, 0, 0)},
	{"31st in March is 31 March", "31st", wed, at(2026, 3, 31, 0, 0, 0)},
	{"31st in April is clamped to 30 April", "31st", at(2026, 4, 10, 0, 0, 0), at(2026, 4, 30, 0, 0, 0)},
	{"31st on 30 April is 31 May", "31st", at(2026, 4, 30, 10, 0, 0), at(2026, 5, 31, 0, 0, 0)},
	{"30th in February is clamped to the 28th", "30th", at(2026, 2, 10, 0, 0, 0), at(2026, 2, 28, 0, 0, 0)},
	{"30th in January past is clamped in February", "30th", at(2026, 1, 30, 9, 0, 0), at(2026, 2, 28, 0, 0, 0)},
	{"1st in December is next January", "1st", at(2026, 12, 20, 0, 0, 0), at(2027, 1, 1, 0, 0, 0)},
	{"ordinal suffixes are case-insensitive", "5TH", wed, at(2026, 3, 5, 0, 0, 0)},

	// Times of day: today if strictly ahead, else tomorrow.
	{"8am already past is tomorrow", "8am", wed, at(2026, 3, 5, 8, 0, 0)},
	{"8pm still ahead is today", "8pm", wed, at(2026, 3, 4, 20, 0, 0)},
	{"8AM in capitals is read", "8AM", wed, at(2026, 3, 5, 8, 0, 0)},
	{"8:30am already past is tomorrow", "8:30am", wed, at(2026, 3, 5, 8, 30, 0)},
	{"12am is the coming midnight", "12am", wed, at(2026, 3, 5, 0, 0, 0)},
	{"12pm is noon today", "12pm", wed, at(2026, 3, 4, 12, 0, 0)},
	{"12pm after noon is noon tomorrow", "12pm", at(2026, 3, 4, 12, 0, 1), at(2026, 3, 5, 12, 0, 0)},
	{"14:30 is today", "14:30", wed, at(2026, 3, 4, 14, 30, 0)},
	{"14:30:15 is today", "14:30:15", wed, at(2026, 3, 4, 14, 30, 15)},
	{"0:05 is tomorrow", "0:05", wed, at(2026, 3, 5, 0, 5, 0)},
	{"a time equal to now is tomorrow", "10:30", wed, at(2026, 3, 5, 10, 30, 0)},
	{"a minute after now is today", "10:31", wed, at(2026, 3, 4, 10, 31, 0)},
	{"a minute before now is tomorrow", "10:29", wed, at(2026, 3, 5, 10, 29, 0)},
	{"a second after now is today", "10:30:01", wed, at(2026, 3, 4, 10, 30, 1)},
	{"a second before now is tomorrow", "10:29:59", wed, at(2026, 3, 5, 10, 29, 59)},
	{"a time tomorrow crosses the month end", "8am", at(2026, 3, 31, 9, 0, 0), at(2026, 4, 1, 8, 0, 0)},

	// Bare durations are added to now.
	{"3d is three days from now", "3d", wed, at(2026, 3, 7, 10, 30, 0)},
	{"-2h is two hours ago", "-2h", wed, at(2026, 3, 4, 8, 30, 0)},
	{"+1w is a week from now", "+1w", wed, at(2026, 3, 11, 10, 30, 0)},
	{"P1D is a day from now", "P1D", wed, at(2026, 3, 5, 10, 30, 0)},
	{"weekly is a week from now", "weekly", wed, at(2026, 3, 11, 10, 30, 0)},
	{"1m is a month from now", "1m", wed, at(2026, 4, 4, 10, 30, 0)},
	{"weekdays on a Friday is Monday", "weekdays", at(2026, 3, 6, 9, 0, 0), at(2026, 3, 9, 9, 0, 0)},
	{"a unit word alone is one of it", "week", wed, at(2026, 3, 11, 10, 30, 0)},

	// Arithmetic, applied left to right.
	{"now+3d is three days ahead", "now+3d", wed, at(2026, 3, 7, 10, 30, 0)},
	{"eod-1h is an hour before the end of the day", "eod-1h", wed, at(2026, 3, 4, 22, 59, 59)},
	{"friday+1w is the Friday after next", "friday+1w", wed, at(2026, 3, 13, 0, 0, 0)},
	{"today+1m-1d steps twice", "today+1m-1d", wed, at(2026, 4, 3, 0, 0, 0)},
	{"31 January plus a month is clamped to 28 February", "2026-01-31+1m", wed, at(2026, 2, 28, 0, 0, 0)},
	{"31 January plus a month is 29 February in a leap year", "2028-01-31+1m", wed, at(2028, 2, 29, 0, 0, 0)},
	{"31 March minus a month is clamped to 28 February", "2026-03-31-1m", wed, at(2026, 2, 28, 0, 0, 0)},
	{"eom plus a month is clamped to 30 April", "eom+1m", wed, at(2026, 4, 30, 23, 59, 59)},
	{"a UTC time plus a day stays in UTC", "2026-03-01T14:30:00Z+1d", wed, time.Date(2026, 3, 2, 14, 30, 0, 0, time.UTC)},
	{"an offset time plus a day keeps its offset", "2026-03-01T14:30:00+02:00+1d", wed, time.Date(2026, 3, 2, 12, 30, 0, 0, time.UTC)},
	{"a negative offset time minus an hour keeps its offset", "2026-03-01T14:30:00-02:00-1h", wed, time.Date(2026, 3, 1, 15, 30, 0, 0, time.UTC)},
	{"a local time minus hours is not read as an offset", "2026-03-01T14:30:00-2h", wed, at(2026, 3, 1, 12, 30, 0)},
	{"a step may be an ISO duration", "now+P1DT2H", wed, at(2026, 3, 5, 12, 30, 0)},
	{"a step may be a word", "sow+weekly", wed, at(2026, 3, 9, 0, 0, 0)},
	{"a step may be fractional hours", "now-1.5h", wed, at(2026, 3, 4, 9, 0, 0)},
	{"a duration base may take steps", "-2h-30min", wed, at(2026, 3, 4, 8, 0, 0)},
	{"a basic ISO date may take steps", "20260301+1y", wed, at(2027, 3, 1, 0, 0, 0)},
	{"words in arithmetic are case-insensitive", "Today+1D", wed, at(2026, 3, 5, 0, 0, 0)},
}

func TestParse(t *testing.T) {
	for _, tc := range parseTests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.in, tc.now)
			if err != nil {
				t.Fatalf("Parse(%q) failed: %v", tc.in, err)
			}
			if !got.Equal(tc.want) {
				t.Errorf("Parse(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseWeekdays(t *testing.T) {
	// The week of Monday 2 March 2026.
	for i, name := range []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
		day := at(2026, 3, 2+i, 12, 0, 0)
		title := strings.ToUpper(name[:1]) + name[1:]
		t.Run(name+" on a "+title+" is a week ahead", func(t *testing.T) {
			want := at(2026, 3, 9+i, 0, 0, 0)
			if got, err := Parse(name, day); err != nil || !got.Equal(want) {
				t.Errorf("Parse(%q) on %v = %v, %v; want %v", name, day, got, err, want)
			}
		})
		t.Run(name+" on the day before is tomorrow", func(t *testing.T) {
			want := at(2026, 3, 2+i, 0, 0, 0)
			before := day.AddDate(0, 0, -1)
			if got, err := Parse(name[:3], before); err != nil || !got.Equal(want) {
				t.Errorf("Parse(%q) on %v = %v, %v; want %v", name[:3], before, got, err, want)
			}
		})
	}
}

func TestParseWest(t *testing.T) {
	// 22:00 on 4 March west of UTC is already 5 March in UTC: named dates
	// must follow the local calendar.
	now := time.Date(2026, 3, 4, 22, 0, 0, 0, west)
	tests := []struct {
		name, in, want string
	}{
		{"today is local midnight", "today", "2026-03-04T05:00:00Z"},
		{"tomorrow is the next local midnight", "tomorrow", "2026-03-05T05:00:00Z"},
		{"eod is the end of the local day", "eod", "2026-03-05T04:59:59Z"},
		{"friday is local Friday midnight", "friday", "2026-03-06T05:00:00Z"},
		{"an ISO date is local midnight", "2026-03-04", "2026-03-04T05:00:00Z"},
		{"a time already past is tomorrow", "21:00", "2026-03-06T02:00:00Z"},
		{"an explicit UTC time ignores the local zone", "2026-03-04T22:00:00Z", "2026-03-04T22:00:00Z"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.in, now)
			if err != nil {
				t.Fatalf("Parse(%q) failed: %v", tc.in, err)
			}
			if s := Format(got); s != tc.want {
				t.Errorf("Parse(%q) = %s, want %s", tc.in, s, tc.want)
			}
		})
	}
}

func TestParseLocation(t *testing.T) {
	tests := []struct {
		name, in string
		want     *time.Location
	}{
		{"a named date is in now's location", "friday", east},
		{"a local ISO date is in now's location", "2026-03-01T14:30", east},
		{"a duration from now is in now's location", "3d", east},
		{"a UTC ISO time is in UTC", "2026-03-01T14:30:00Z", time.UTC},
		{"someday is in UTC", "someday", time.UTC},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.in, wed)
			if err != nil {
				t.Fatal(err)
			}
			if got.Location() != tc.want {
				t.Errorf("Parse(%q) is in %v, want %v", tc.in, got.Location(), tc.want)
			}
		})
	}
	t.Run("someday is exactly Someday", func(t *testing.T) {
		if got, _ := Parse("someday", wed); got != Someday {
			t.Errorf("Parse(someday) = %#v, want Someday", got)
		}
	})
}

func TestParseDaylightSaving(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	// Clocks in New York go forward at 02:00 on Sunday 8 March 2026.
	now := time.Date(2026, 3, 7, 12, 0, 0, 0, ny)
	tests := []struct {
		name string
		in   string
		want time.Time
	}{
		{"tomorrow across the change is midnight", "tomorrow", time.Date(2026, 3, 8, 0, 0, 0, 0, ny)},
		{"the day after across the change is midnight", "today+2d", time.Date(2026, 3, 9, 0, 0, 0, 0, ny)},
		{"a day from now keeps the wall clock", "now+1d", time.Date(2026, 3, 8, 12, 0, 0, 0, ny)},
		{"24 hours from now is one wall-clock hour later", "now+24h", time.Date(2026, 3, 8, 13, 0, 0, 0, ny)},
		{"eow on the day of the change is Sunday night", "eow", time.Date(2026, 3, 8, 23, 59, 59, 0, ny)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.in, now)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tc.want) {
				t.Errorf("Parse(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseRef(t *testing.T) {
	due := at(2026, 3, 1, 0, 0, 0)
	ref := func(name string) (time.Time, bool) {
		switch name {
		case "due":
			return due, true
		case "wait":
			// Stored in UTC: 1 March 00:00 in east is 28 February in UTC.
			return due.UTC(), true
		}
		return time.Time{}, false
	}
	tests := []struct {
		name string
		in   string
		want time.Time
	}{
		{"a reference alone is its value", "due", due},
		{"a reference plus days steps from its value", "due+2d", at(2026, 3, 3, 0, 0, 0)},
		{"a reference minus an hour steps back", "due-1h", at(2026, 2, 28, 23, 0, 0)},
		{"a UTC reference steps months in the local calendar", "wait+1m", at(2026, 4, 1, 0, 0, 0)},
		{"built-in words win over references", "today", at(2026, 3, 4, 0, 0, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseRef(tc.in, wed, ref)
			if err != nil {
				t.Fatalf("ParseRef(%q) failed: %v", tc.in, err)
			}
			if !got.Equal(tc.want) {
				t.Errorf("ParseRef(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
	t.Run("an unknown reference is an error", func(t *testing.T) {
		if _, err := ParseRef("scheduled+1d", wed, ref); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseRef(scheduled+1d) error = %v, want ErrInvalid", err)
		}
	})
	t.Run("a reference without a lookup is an error", func(t *testing.T) {
		if _, err := Parse("due+2d", wed); !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(due+2d) error = %v, want ErrInvalid", err)
		}
	})
}

var parseErrorTests = []struct {
	name string
	in   string
}{
	{"an empty string is an error", ""},
	{"a blank string is an error", "   "},
	{"an unknown word is an error", "garbage"},
	{"30 February is an error", "2026-02-30"},
	{"29 February in a common year is an error", "2026-02-29"},
	{"month 13 is an error", "2026-13-01"},
	{"month 0 is an error", "2026-00-10"},
	{"day 0 is an error", "2026-03-00"},
	{"day 32 is an error", "2026-01-32"},
	{"hour 25 in an ISO time is an error", "2026-03-01T25:00"},
	{"minute 60 in an ISO time is an error", "2026-03-01T14:60"},
	{"second 60 in an ISO time is an error", "2026-03-01T14:30:60"},
	{"an offset of 25 hours is an error", "2026-03-01T14:30:00+25:00"},
	{"a space between date and time is an error", "2026-03-01 14:30"},
	{"a short ISO date is an error", "2026-3-1"},
	{"a fraction without digits is an error", "2026-03-01T14:30:00.Z"},
	{"a trailing T is an error", "2026-03-01T"},
	{"a basic date of seven digits is an error", "2026030"},
	{"hour 25 is an error", "25:00"},
	{"minute 61 is an error", "10:61"},
	{"a one-digit minute is an error", "12:5"},
	{"13pm is an error", "13pm"},
	{"0am is an error", "0am"},
	{"a weekday prefix with a digit is an error", "frid1"},
	{"a two-letter weekday prefix is an error", "fr"},
	{"a two-letter month prefix is an error", "ju"},
	{"a word longer than a weekday is an error", "fridays"},
	{"a bare number is an error", "5"},
	{"a bare year is an error", "2026"},
	{"1th is an error", "1th"},
	{"2st is an error", "2st"},
	{"12nd is an error", "12nd"},
	{"32nd is an error", "32nd"},
	{"0th is an error", "0th"},
	{"100th is an error", "100th"},
	{"an unknown unit is an error", "3x"},
	{"an unknown step is an error", "now+3x"},
	{"a missing step is an error", "now+"},
	{"a doubled sign is an error", "now++1d"},
	{"a fractional day step is an error", "now+1.5d"},
	{"an enormous step is an error", "now+99999999999y"},
	{"an enormous duration is an error", "99999999999y"},
	{"an unknown base with a valid step is an error", "garbage+1d"},
	{"an impossible base with a valid step is an error", "2026-02-30+1d"},
	{"an unknown start-of word is an error", "sox"},
	{"a lone unit letter is an error", "d"},
	{"a reference without a lookup is an error", "due+2d"},
}

func TestParseErrors(t *testing.T) {
	for _, tc := range parseErrorTests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.in, wed)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want an error", tc.in, got)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("Parse(%q) error %v does not wrap ErrInvalid", tc.in, err)
			}
			if q := strconv.Quote(strings.TrimSpace(tc.in)); !strings.Contains(err.Error(), q) {
				t.Errorf("Parse(%q) error %q does not name the input", tc.in, err)
			}
		})
	}
}

func TestParseErrorMessages(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"an unknown word is only named", "garbage", `cannot parse date "garbage"`},
		{"an impossible day says how long the month is", "2026-02-30", `cannot parse date "2026-02-30": February 2026 has 28 days`},
		{"an impossible month says so", "2026-13-01", `cannot parse date "2026-13-01": month 13 does not exist`},
		{"an impossible hour says so", "25:00", `cannot parse date "25:00": hour 25 is out of range`},
		{"a wrong ordinal suffix gives the right one", "1th", `cannot parse date "1th": the ordinal of 1 is written 1st`},
		{"an impossible base in arithmetic says why", "2026-02-30+1d", `cannot parse date "2026-02-30+1d": February 2026 has 28 days`},
		{"an empty date says so", "", `cannot parse date "": the expression is empty`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.in, wed)
			if err == nil || err.Error() != tc.want {
				t.Errorf("Parse(%q) error = %v, want %s", tc.in, err, tc.want)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		name string
		in   time.Time
		want string
	}{
		{"a local time is printed in UTC", at(2026, 3, 1, 0, 0, 0), "2026-02-28T22:00:00Z"},
		{"a time west of UTC is printed in UTC", time.Date(2026, 3, 1, 22, 0, 0, 0, west), "2026-03-02T03:00:00Z"},
		{"fractional seconds are dropped", time.Date(2026, 3, 1, 0, 0, 0, 999e6, time.UTC), "2026-03-01T00:00:00Z"},
		{"Someday is 30 December 9999", Someday, "9999-12-30T00:00:00Z"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Format(tc.in); got != tc.want {
				t.Errorf("Format(%v) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	for _, in := range []string{"friday", "2026-03-01", "2026-03-01T14:30:00Z", "eom", "now+3d", "today+1m-1d", "8:30am"} {
		b.Run(in, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(in, wed); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
