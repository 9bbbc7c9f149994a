package when

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrBareMonths is wrapped, besides ErrInvalid, by ParseElapsed's refusal of
// a span written in bare m, so that a caller can name the argument in the
// sentence it passes on.
var ErrBareMonths = errors.New("a span of months written as m")

// maxBareMonths bounds the inputs ParseElapsed reads as bare months, so that
// the refusal, which repeats the amount, stays short.
const maxBareMonths = 40

// ParseElapsed reads a length of time on the clock, such as how long a
// claim may sit untouched or how long a lease lasts: a duration as
// ParseDuration reads it, made exact by Approx (a month is 30 days, a year
// 365). It is the one reader of such spans, so every command and tool gives
// the same answer to the same words.
//
// One form is refused: a number of bare m, such as "30m". The duration
// language reads m as months, as FILTER.md says, so "30m" is thirty months;
// but idle time that long is almost surely minutes written the short way.
// Months remain "30mo" or "30months", and ISO "PT30M" is minutes. The
// refusal's sentence suggests the minutes ("30m" would be 30 months: write
// 30min for minutes) and wraps ErrBareMonths besides ErrInvalid.
//
// The sign is kept: a caller decides whether a span may be zero or negative.
func ParseElapsed(s string) (time.Duration, error) {
	in := strings.TrimSpace(s)
	if amount, ok := bareMonths(in); ok {
		return 0, &monthsError{input: in, amount: amount}
	}
	d, err := ParseDuration(in)
	if err != nil {
		return 0, err
	}
	return d.Approx(), nil
}

// bareMonths reports whether s is a signed decimal amount followed by a lone
// m or M ("30m", "1.5M", "+2m"), and returns the amount as written without
// a plus sign.
func bareMonths(s string) (string, bool) {
	if len(s) < 2 || len(s) > maxBareMonths || s[len(s)-1]|0x20 != 'm' {
		return "", false
	}
	amount := strings.TrimPrefix(s[:len(s)-1], "+")
	digits := strings.TrimPrefix(amount, "-")
	if _, _, ok := parseAmount(digits); !ok {
		return "", false
	}
	return amount, true
}

// A monthsError is ParseElapsed's refusal of bare months.
type monthsError struct {
	input  string // as given, trimmed
	amount string // the number before the m
}

func (e *monthsError) Error() string {
	unit := "months"
	if e.amount == "1" {
		unit = "month"
	}
	return fmt.Sprintf("%q would be %s %s: write %smin for minutes", e.input, e.amount, unit, e.amount)
}

func (e *monthsError) Unwrap() []error { return []error{ErrInvalid, ErrBareMonths} }
