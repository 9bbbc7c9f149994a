package when

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

func FuzzParse(f *testing.F) {
	for _, tc := range parseTests {
		f.Add(tc.in)
	}
	for _, tc := range parseErrorTests {
		f.Add(tc.in)
	}
	for _, tc := range durationTests {
		f.Add(tc.in)
		f.Add("now+" + tc.in)
	}
	for _, s := range []string{"due+2d", "due", "wait-1h+P1M", "2026-03-01T14:30:00-02:00-1d+1m", "now+99999999999y"} {
		f.Add(s)
	}
	ref := func(name string) (time.Time, bool) {
		if name == "due" || name == "wait" {
			return at(2026, 1, 31, 12, 0, 0).UTC(), true
		}
		return time.Time{}, false
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseRef(s, wed, ref)
		again, err2 := ParseRef(s, wed, ref)
		if !got.Equal(again) || (err == nil) != (err2 == nil) || err != nil && err.Error() != err2.Error() {
			t.Fatalf("ParseRef(%q) is not deterministic: %v, %v then %v, %v", s, got, err, again, err2)
		}
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("ParseRef(%q) error %v does not wrap ErrInvalid", s, err)
			}
			if q := strconv.Quote(strings.TrimSpace(s)); !strings.Contains(err.Error(), q) {
				t.Fatalf("ParseRef(%q) error %q does not name the input", s, err)
			}
			return
		}
		_ = Format(got)
	})
}

func FuzzParseDuration(f *testing.F) {
	for _, tc := range durationTests {
		f.Add(tc.in)
		f.Add(tc.want.String())
	}
	for _, tc := range durationErrorTests {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("ParseDuration(%q) error %v does not wrap ErrInvalid", s, err)
			}
			if q := strconv.Quote(strings.TrimSpace(s)); !strings.Contains(err.Error(), q) {
				t.Fatalf("ParseDuration(%q) error %q does not name the input", s, err)
			}
			return
		}
		back, err := ParseDuration(d.String())
		if err != nil || back != d {
			t.Fatalf("ParseDuration(%q) = %#v, whose String %q reads back as %#v, %v", s, d, d.String(), back, err)
		}
		// Neither of these may panic, even at the caps.
		_ = d.AddTo(wed)
		_ = d.Approx()
	})
}
