// Package backlog holds the domain of the backlog: tasks, their validation,
// their urgency and the errors every surface reports. It is pure: no I/O, no
// clock, no package of ours below it.
package backlog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"unicode/utf8"
)

// The error kinds every command reports. Surfaces map them to MCP isError
// results and CLI exit codes in one place; the sentence itself travels in the
// wrapping error.
var (
	// ErrInvalid marks bad input: a value that cannot be read or is not allowed.
	ErrInvalid = errors.New("invalid input")
	// ErrNotFound marks a reference to a task (or doc, segment) that does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict marks a command refused because of the state of the store:
	// a status transition that is not allowed, a concurrent change, a cycle.
	ErrConflict = errors.New("conflict")
	// ErrEnvironment marks a failure of the machine rather than of the
	// command: a full disk, a read-only file, a lock another process held
	// too long, a server that cannot be reached. The same command may work
	// once the cause is mended; nothing was changed.
	ErrEnvironment = errors.New("environment failure")
)

// Error is a one-sentence failure of a given kind. Its Error() is the sentence
// alone, so that what the user reads is never decorated with the kind.
type Error struct {
	Kind error // ErrInvalid, ErrNotFound, ErrConflict or ErrEnvironment
	Msg  string
	// Err is the failure underneath, when the sentence replaces one (a
	// driver's error): for debug logs, never part of the sentence.
	Err error
}

func (e *Error) Error() string { return e.Msg }

// Unwrap lets errors.Is match the kind, and errors.As find the failure
// underneath.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// LogValue shows the failure underneath beside the sentence in logs (an
// MCP server's), where whoever debugs it needs the driver's words.
func (e *Error) LogValue() slog.Value {
	if e.Err == nil {
		return slog.StringValue(e.Msg)
	}
	return slog.GroupValue(slog.String("msg", e.Msg), slog.String("cause", e.Err.Error()))
}

// Settled reports whether a store passes err on as it is rather than
// translating a driver's failure: one of our sentences (an environment
// failure unwrapped from whatever prefixes it gathered on the way up) or an
// ended context.
func Settled(err error) (error, bool) {
	var own *Error
	if errors.As(err, &own) {
		if errors.Is(own, ErrEnvironment) {
			return own, true
		}
		return err, true
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err, true
	}
	return err, false
}

// Invalidf returns an ErrInvalid error with a formatted sentence.
func Invalidf(format string, args ...any) error {
	return &Error{Kind: ErrInvalid, Msg: sentence(format, args)}
}

// NotFoundf returns an ErrNotFound error with a formatted sentence.
func NotFoundf(format string, args ...any) error {
	return &Error{Kind: ErrNotFound, Msg: sentence(format, args)}
}

// Conflictf returns an ErrConflict error with a formatted sentence.
func Conflictf(format string, args ...any) error {
	return &Error{Kind: ErrConflict, Msg: sentence(format, args)}
}

// Environmentf returns an ErrEnvironment error with a formatted sentence,
// keeping cause (which may be nil) for debug logs.
func Environmentf(cause error, format string, args ...any) error {
	return &Error{Kind: ErrEnvironment, Msg: sentence(format, args), Err: cause}
}

// MaxEchoed is how much of a value a sentence repeats: a refusal names the
// value, but a client that sent 100 KB does not need it back whole.
const MaxEchoed = 120

// sentence formats an error's sentence, shortening the values it quotes
// (%q of a string) or prints raw (%s of bytes, such as a JSON argument) to
// MaxEchoed bytes with "…" after them. Composed sentences (%s of a string)
// are kept whole.
func sentence(format string, args []any) string {
	n := 0 // the argument the next verb takes
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		i++
		for i < len(format) && strings.IndexByte("+-# 0123456789.", format[i]) >= 0 {
			i++
		}
		if i >= len(format) || format[i] == '[' || format[i] == '*' {
			break // explicit indexes and star widths: leave the values be
		}
		if format[i] == '%' {
			continue
		}
		if n < len(args) {
			args[n] = shorten(format[i], args[n])
		}
		n++
	}
	return fmt.Sprintf(format, args...)
}

// shorten cuts a long value printed by verb to MaxEchoed bytes.
func shorten(verb byte, v any) any {
	switch verb {
	case 'q':
		if s, ok := v.(string); ok && len(s) > MaxEchoed {
			return cutUTF8(s) + "…"
		}
	case 's':
		rv := reflect.ValueOf(v)
		if rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() == reflect.Uint8 && rv.Len() > MaxEchoed {
			return cutUTF8(string(rv.Bytes())) + "…"
		}
	}
	return v
}

// cutUTF8 is the longest prefix of s of at most MaxEchoed bytes that does
// not split a character.
func cutUTF8(s string) string {
	i := MaxEchoed
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}
