// Package backlog holds the domain of the backlog: tasks, their validation,
// their urgency and the errors every surface reports. It is pure: no I/O, no
// clock, no package of ours below it.
package backlog

import (
	"errors"
	"fmt"
	"log/slog"
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

// Invalidf returns an ErrInvalid error with a formatted sentence.
func Invalidf(format string, args ...any) error {
	return &Error{Kind: ErrInvalid, Msg: fmt.Sprintf(format, args...)}
}

// NotFoundf returns an ErrNotFound error with a formatted sentence.
func NotFoundf(format string, args ...any) error {
	return &Error{Kind: ErrNotFound, Msg: fmt.Sprintf(format, args...)}
}

// Conflictf returns an ErrConflict error with a formatted sentence.
func Conflictf(format string, args ...any) error {
	return &Error{Kind: ErrConflict, Msg: fmt.Sprintf(format, args...)}
}

// Environmentf returns an ErrEnvironment error with a formatted sentence,
// keeping cause (which may be nil) for debug logs.
func Environmentf(cause error, format string, args ...any) error {
	return &Error{Kind: ErrEnvironment, Msg: fmt.Sprintf(format, args...), Err: cause}
}
