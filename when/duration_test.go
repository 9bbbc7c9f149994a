package when

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

var durationTests = []struct {
	in   string
	want Duration
}{
	// Seconds, minutes and hours.
	{"1s", Duration{Clock: time.Second}},
	{"5sec", Duration{Clock: 5 * time.Second}},
	{"5secs", Duration{Clock: 5 * time.Second}},
	{"1second", Duration{Clock: time.Second}},
	{"30seconds", Duration{Clock: 30 * time.Second}},
	{"1min", Duration{Clock: time.Minute}},
	{"5mins", Duration{Clock: 5 * time.Minute}},
	{"1minute", Duration{Clock: time.Minute}},
	{"10minutes", Duration{Clock: 10 * time.Minute}},
	{"1h", Duration{Clock: time.Hour}},
	{"2hr", Duration{Clock: 2 * time.Hour}},
	{"2hrs", Duration{Clock: 2 * time.Hour}},
	{"1hour", Duration{Clock: time.Hour}},
	{"3hours", Duration{Clock: 3 * time.Hour}},
	{"1.5h", Duration{Clock: 90 * time.Minute}},
	{"0.5min", Duration{Clock: 30 * time.Second}},
	{"2.25s", Duration{Clock: 2250 * time.Millisecond}},
	{"0.000000001s", Duration{Clock: 1}},

	// Days and weeks.
	{"1d", Duration{Days: 1}},
	{"2day", Duration{Days: 2}},
	{"3days", Duration{Days: 3}},
	{"1w", Duration{Days: 7}},
	{"2wk", Duration{Days: 14}},
	{"2wks", Duration{Days: 14}},
	{"1week", Duration{Days: 7}},
	{"3weeks", Duration{Days: 21}},

	// Months, quarters and years.
	{"1m", Duration{Months: 1}},
	{"2mo", Duration{Months: 2}},
	{"2mos", Duration{Months: 2}},
	{"1mon", Duration{Months: 1}},
	{"1mth", Duration{Months: 1}},
	{"2mths", Duration{Months: 2}},
	{"1month", Duration{Months: 1}},
	{"3months", Duration{Months: 3}},
	{"1q", Duration{Months: 3}},
	{"2qtr", Duration{Months: 6}},
	{"2qtrs", Duration{Months: 6}},
	{"1quarter", Duration{Months: 3}},
	{"2quarters", Duration{Months: 6}},
	{"1y", Duration{Months: 12}},
	{"2yr", Duration{Months: 24}},
	{"2yrs", Duration{Months: 24}},
	{"1year", Duration{Months: 12}},
	{"2years", Duration{Months: 24}},
	{"10000y", Duration{Months: 120000}},

	// A unit alone, signs, zero and case.
	{"day", Duration{Days: 1}},
	{"week", Duration{Days: 7}},
	{"month", Duration{Months: 1}},
	{"mon", Duration{Months: 1}},
	{"year", Duration{Months: 12}},
	{"hour", Duration{Clock: time.Hour}},
	{"min", Duration{Clock: time.Minute}},
	{"sec", Duration{Clock: time.Second}},
	{"qtr", Duration{Months: 3}},
	{"-2h", Duration{Clock: -2 * time.Hour}},
	{"+3d", Duration{Days: 3}},
	{"-1m", Duration{Months: -1}},
	{"0d", Duration{}},
	{"00003d", Duration{Days: 3}},
	{"3D", Duration{Days: 3}},
	{" 3d ", Duration{Days: 3}},

	// Words.
	{"daily", Duration{Days: 1}},
	{"weekly", Duration{Days: 7}},
	{"biweekly", Duration{Days: 14}},
	{"fortnight", Duration{Days: 14}},
	{"monthly", Duration{Months: 1}},
	{"bimonthly", Duration{Months: 2}},
	{"quarterly", Duration{Months: 3}},
	{"semiannual", Duration{Months: 6}},
	{"yearly", Duration{Months: 12}},
	{"annual", Duration{Months: 12}},
	{"biannual", Duration{Months: 24}},
	{"weekdays", Duration{Days: 1, Weekdays: true}},
	{"-weekdays", Duration{Days: -1, Weekdays: true}},
	{"Weekly", Duration{Days: 7}},

	// ISO 8601.
	{"P1D", Duration{Days: 1}},
	{"PT2H", Duration{Clock: 2 * time.Hour}},
	{"P1Y2M3DT4H5M6S", Duration{Months: 14, Days: 3, Clock: 4*time.Hour + 5*time.Minute + 6*time.Second}},
	{"P2W", Duration{Days: 14}},
	{"P1W2D", Duration{Days: 9}},
	{"PT90M", Duration{Clock: 90 * time.Minute}},
	{"p1d", Duration{Days: 1}},
	{"P1M", Duration{Months: 1}},
	{"PT1M", Duration{Clock: time.Minute}},
	{"PT0.5S", Duration{Clock: 500 * time.Millisecond}},
	{"PT1.5H", Duration{Clock: 90 * time.Minute}},
	{"P0D", Duration{}},
	{"-P1D", Duration{Days: -1}},
	{"P1M-1D", Duration{Months: 1, Days: -1}},
}

func TestParseDuration(t *testing.T) {
	for _, tc := range durationTests {
		t.Run(strconv.Quote(tc.in)+" is "+tc.want.String(), func(t *testing.T) {
			got, err := ParseDuration(tc.in)
			if err != nil {
				t.Fatalf("ParseDuration(%q) failed: %v", tc.in, err)
			}
			if got != tc.want {
				t.Errorf("ParseDuration(%q) = %#v, want %#v", tc.in, got, tc.want)
			}
		})
	}
}

var durationErrorTests = []struct {
	name string
	in   string
}{
	{"an empty string is an error", ""},
	{"an unknown unit is an error", "3x"},
	{"a number alone is an error", "3"},
	{"P alone is an error", "P"},
	{"PT alone is an error", "PT"},
	{"hours without T are an error", "P1H"},
	{"a trailing T is an error", "P1DT"},
	{"a repeated designator is an error", "PT1H2H"},
	{"designators out of order are an error", "P1D1Y"},
	{"a designator without a number is an error", "PD"},
	{"a fractional ISO day is an error", "P1.5D"},
	{"fractional days are an error", "1.5d"},
	{"fractional weeks are an error", "1.5w"},
	{"fractional months are an error", "1.5m"},
	{"fractional quarters are an error", "1.5q"},
	{"fractional years are an error", "1.5y"},
	{"a fraction without a whole part is an error", ".5h"},
	{"a fraction without digits is an error", "1.h"},
	{"two decimal points are an error", "1.2.3h"},
	{"a lone unit letter is an error", "m"},
	{"a doubled sign is an error", "--1d"},
	{"two units are an error", "1d2h"},
	{"an enormous number of years is an error", "99999999999y"},
	{"years past the cap are an error", "10001y"},
	{"an enormous number of days is an error", "9999999d"},
	{"an hour count past time.Duration is an error", "9999999h"},
	{"a twenty-digit number is an error", "99999999999999999999s"},
	{"an enormous ISO sum is an error", "P10000Y10000M"},
	{"an ISO clock overflow is an error", "PT2562047H1000M"},
	{"a word with a number is an error", "2weekly"},
	{"a date is not a duration", "friday"},
}

func TestParseDurationErrors(t *testing.T) {
	for _, tc := range durationErrorTests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseDuration(tc.in)
			if err == nil {
				t.Fatalf("ParseDuration(%q) = %v, want an error", tc.in, got)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("ParseDuration(%q) error %v does not wrap ErrInvalid", tc.in, err)
			}
			if q := strconv.Quote(tc.in); !strings.Contains(err.Error(), q) {
				t.Errorf("ParseDuration(%q) error %q does not name the input", tc.in, err)
			}
		})
	}
	t.Run("the message is one plain sentence", func(t *testing.T) {
		_, err := ParseDuration("3x")
		if want := `cannot parse duration "3x"`; err == nil || err.Error() != want {
			t.Errorf("ParseDuration(3x) error = %v, want %s", err, want)
		}
	})
}

func TestDurationString(t *testing.T) {
	tests := []struct {
		name string
		in   Duration
		want string
	}{
		{"zero is PT0S", Duration{}, "PT0S"},
		{"days are written as days", Duration{Days: 14}, "P14D"},
		{"twelve months are a year", Duration{Months: 12}, "P1Y"},
		{"fourteen months are a year and two months", Duration{Months: 14}, "P1Y2M"},
		{"ninety minutes are an hour and a half", Duration{Clock: 90 * time.Minute}, "PT1H30M"},
		{"half a second keeps its fraction", Duration{Clock: 500 * time.Millisecond}, "PT0.5S"},
		{"every field is written", Duration{Months: 14, Days: 3, Clock: 4*time.Hour + 5*time.Minute + 6*time.Second}, "P1Y2M3DT4H5M6S"},
		{"a negative duration has one sign", Duration{Days: -1, Clock: -time.Hour}, "-P1DT1H"},
		{"mixed signs are written per number", Duration{Months: 1, Days: -1}, "P1M-1D"},
		{"a negative clock with a positive month is written per number", Duration{Months: 1, Clock: -90 * time.Minute}, "P1MT-1H-30M"},
		{"weekdays is a word", Duration{Days: 1, Weekdays: true}, "weekdays"},
		{"negative weekdays is a signed word", Duration{Days: -1, Weekdays: true}, "-weekdays"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.in.String(); got != tc.want {
				t.Errorf("%#v.String() = %q, want %q", tc.in, got, tc.want)
			}
			back, err := ParseDuration(tc.want)
			if err != nil || back != tc.in {
				t.Errorf("ParseDuration(%q) = %#v, %v; want %#v", tc.want, back, err, tc.in)
			}
		})
	}
}

func TestDurationStringRoundTrip(t *testing.T) {
	extremes := []Duration{
		{Clock: math.MaxInt64},
		{Clock: math.MinInt64},
		{Clock: -math.MaxInt64, Months: -maxMonths, Days: -maxDays},
		{Months: maxMonths, Days: maxDays, Clock: 1},
	}
	for _, tc := range durationTests {
		extremes = append(extremes, tc.want, tc.want.Neg())
	}
	for _, d := range extremes {
		t.Run(d.String()+" reads back to the same value", func(t *testing.T) {
			back, err := ParseDuration(d.String())
			if err != nil || back != d {
				t.Errorf("ParseDuration(%q) = %#v, %v; want %#v", d.String(), back, err, d)
			}
		})
	}
}

func TestDurationAddTo(t *testing.T) {
	tests := []struct {
		name string
		d    Duration
		from time.Time
		want time.Time
	}{
		{"31 January plus a month is clamped to 28 February", Duration{Months: 1}, at(2026, 1, 31, 9, 0, 0), at(2026, 2, 28, 9, 0, 0)},
		{"31 January plus a month is 29 February in a leap year", Duration{Months: 1}, at(2028, 1, 31, 9, 0, 0), at(2028, 2, 29, 9, 0, 0)},
		{"31 March minus a month is clamped to 28 February", Duration{Months: -1}, at(2026, 3, 31, 0, 0, 0), at(2026, 2, 28, 0, 0, 0)},
		{"31 March plus a quarter is clamped to 30 June", Duration{Months: 3}, at(2026, 3, 31, 0, 0, 0), at(2026, 6, 30, 0, 0, 0)},
		{"29 February plus a year is clamped to 28 February", Duration{Months: 12}, at(2028, 2, 29, 0, 0, 0), at(2029, 2, 28, 0, 0, 0)},
		{"31 August plus six months is clamped to 28 February", Duration{Months: 6}, at(2026, 8, 31, 0, 0, 0), at(2027, 2, 28, 0, 0, 0)},
		{"December plus a month is next January", Duration{Months: 1}, at(2026, 12, 15, 0, 0, 0), at(2027, 1, 15, 0, 0, 0)},
		{"January minus a month is last December", Duration{Months: -1}, at(2026, 1, 15, 0, 0, 0), at(2025, 12, 15, 0, 0, 0)},
		{"January minus thirteen months is the December before last", Duration{Months: -13}, at(2026, 1, 15, 0, 0, 0), at(2024, 12, 15, 0, 0, 0)},
		{"months are stepped before days", Duration{Months: 1, Days: 1}, at(2026, 1, 31, 0, 0, 0), at(2026, 3, 1, 0, 0, 0)},
		{"days cross month ends", Duration{Days: 7}, at(2026, 2, 25, 0, 0, 0), at(2026, 3, 4, 0, 0, 0)},
		{"the clock is exact", Duration{Clock: 90 * time.Minute}, at(2026, 3, 4, 23, 0, 0), at(2026, 3, 5, 0, 30, 0)},
		{"zero changes nothing", Duration{}, wed, wed},
		{"weekdays from Monday is Tuesday", Duration{Days: 1, Weekdays: true}, at(2026, 3, 2, 9, 0, 0), at(2026, 3, 3, 9, 0, 0)},
		{"weekdays from Thursday is Friday", Duration{Days: 1, Weekdays: true}, at(2026, 3, 5, 9, 0, 0), at(2026, 3, 6, 9, 0, 0)},
		{"weekdays from Friday is Monday", Duration{Days: 1, Weekdays: true}, at(2026, 3, 6, 9, 0, 0), at(2026, 3, 9, 9, 0, 0)},
		{"weekdays from Saturday is Monday", Duration{Days: 1, Weekdays: true}, at(2026, 3, 7, 9, 0, 0), at(2026, 3, 9, 9, 0, 0)},
		{"weekdays from Sunday is Monday", Duration{Days: 1, Weekdays: true}, at(2026, 3, 8, 9, 0, 0), at(2026, 3, 9, 9, 0, 0)},
		{"negative weekdays from Monday is Friday", Duration{Days: -1, Weekdays: true}, at(2026, 3, 9, 9, 0, 0), at(2026, 3, 6, 9, 0, 0)},
		{"negative weekdays from Sunday is Friday", Duration{Days: -1, Weekdays: true}, at(2026, 3, 8, 9, 0, 0), at(2026, 3, 6, 9, 0, 0)},
		{"five weekdays from Wednesday is next Wednesday", Duration{Days: 5, Weekdays: true}, wed, wed.AddDate(0, 0, 7)},
		{"five weekdays from Saturday is Friday", Duration{Days: 5, Weekdays: true}, at(2026, 3, 7, 9, 0, 0), at(2026, 3, 13, 9, 0, 0)},
		{"six weekdays from Thursday is Friday a week on", Duration{Days: 6, Weekdays: true}, at(2026, 3, 5, 9, 0, 0), at(2026, 3, 13, 9, 0, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.d.AddTo(tc.from); !got.Equal(tc.want) {
				t.Errorf("%v.AddTo(%v) = %v, want %v", tc.d, tc.from, got, tc.want)
			}
		})
	}
	t.Run("the result is in the input's location", func(t *testing.T) {
		from := time.Date(2026, 1, 31, 23, 0, 0, 0, west)
		got := Duration{Months: 1}.AddTo(from)
		if want := time.Date(2026, 2, 28, 23, 0, 0, 0, west); !got.Equal(want) || got.Location() != west {
			t.Errorf("AddTo in UTC-5 = %v, want %v", got, want)
		}
	})
}

func TestDurationNeg(t *testing.T) {
	tests := []struct {
		name    string
		in, out Duration
	}{
		{"every field is negated", Duration{Months: 1, Days: 2, Clock: 3 * time.Hour}, Duration{Months: -1, Days: -2, Clock: -3 * time.Hour}},
		{"Weekdays is kept", Duration{Days: 1, Weekdays: true}, Duration{Days: -1, Weekdays: true}},
		{"zero stays zero", Duration{}, Duration{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.in.Neg(); got != tc.out {
				t.Errorf("%#v.Neg() = %#v, want %#v", tc.in, got, tc.out)
			}
			if got := tc.in.Neg().Neg(); got != tc.in {
				t.Errorf("%#v.Neg().Neg() = %#v", tc.in, got)
			}
		})
	}
}

func TestDurationIsZero(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"0d is zero", "0d", true},
		{"PT0S is zero", "PT0S", true},
		{"1s is not zero", "1s", false},
		{"weekdays is not zero", "weekdays", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := ParseDuration(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := d.IsZero(); got != tc.want {
				t.Errorf("ParseDuration(%q).IsZero() = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestDurationApprox(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		name string
		in   Duration
		want time.Duration
	}{
		{"a day is 24 hours", Duration{Days: 1}, day},
		{"a week is 7 days", Duration{Days: 7}, 7 * day},
		{"a month is 30 days", Duration{Months: 1}, 30 * day},
		{"a quarter is 90 days", Duration{Months: 3}, 90 * day},
		{"a year is 365 days", Duration{Months: 12}, 365 * day},
		{"fourteen months are a year and 60 days", Duration{Months: 14}, 425 * day},
		{"weekdays is one day", Duration{Days: 1, Weekdays: true}, day},
		{"the clock is added exactly", Duration{Days: 1, Clock: time.Second}, day + time.Second},
		{"a negative day is -24 hours", Duration{Days: -1}, -day},
		{"a huge duration saturates", Duration{Months: math.MaxInt}, math.MaxInt64},
		{"a huge negative duration saturates", Duration{Days: math.MinInt, Clock: -1}, math.MinInt64},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.in.Approx(); got != tc.want {
				t.Errorf("%#v.Approx() = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}
