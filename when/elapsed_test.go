package when

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseElapsedReadsSpansOnTheClock(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"30s", 30 * time.Second},
		{"30min", 30 * time.Minute},
		{"1.5h", 90 * time.Minute},
		{"2H", 2 * time.Hour},
		{" 2h ", 2 * time.Hour},
		{"1d", day},
		{"weekly", 7 * day},
		{"1mo", 30 * day},
		{"2months", 60 * day},
		{"1q", 90 * day},
		{"1y", 365 * day},
		{"PT30M", 30 * time.Minute},
		{"P1M", 30 * day},
		{"-2h", -2 * time.Hour},
		{"0s", 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseElapsed(tt.in)
			if err != nil || got != tt.want {
				t.Errorf("ParseElapsed(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseElapsedRefusesMonthsWrittenAsM(t *testing.T) {
	tests := []struct{ in, want string }{
		{"30m", `"30m" would be 30 months: write 30min for minutes`},
		{"1m", `"1m" would be 1 month: write 1min for minutes`},
		{"1.5M", `"1.5M" would be 1.5 months: write 1.5min for minutes`},
		{"+30m", `"+30m" would be 30 months: write 30min for minutes`},
		{" -5m ", `"-5m" would be -5 months: write -5min for minutes`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseElapsed(tt.in)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("ParseElapsed(%q) error %v, want %q", tt.in, err, tt.want)
			}
			if !errors.Is(err, ErrInvalid) || !errors.Is(err, ErrBareMonths) {
				t.Errorf("ParseElapsed(%q) error %v does not wrap ErrInvalid and ErrBareMonths", tt.in, err)
			}
		})
	}
}

func TestParseElapsedNamesWhatItCannotRead(t *testing.T) {
	for _, in := range []string{"", "soon", "m", "1.m", "1h30min", strings.Repeat("9", 50) + "m"} {
		_, err := ParseElapsed(in)
		if err == nil || !errors.Is(err, ErrInvalid) || errors.Is(err, ErrBareMonths) {
			t.Errorf("ParseElapsed(%q) error %v, want a parse error that is not about months", in, err)
		}
	}
}

func FuzzParseElapsed(f *testing.F) {
	for _, s := range []string{"30m", "30min", "1.5M", "-2h", "P1M", "PT30M", "+1m", "soon", "", "1e3m", "1.m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseElapsed(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("ParseElapsed(%q) error %v does not wrap ErrInvalid", s, err)
			}
			if q := strconv.Quote(strings.TrimSpace(s)); !strings.Contains(err.Error(), q) {
				t.Fatalf("ParseElapsed(%q) error %q does not name the input", s, err)
			}
			return
		}
		d, err := ParseDuration(s)
		if err != nil || d.Approx() != got {
			t.Fatalf("ParseElapsed(%q) = %v, but ParseDuration gives %v, %v", s, got, d.Approx(), err)
		}
	})
}
