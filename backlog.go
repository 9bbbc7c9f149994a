// Package backlog holds the domain of the backlog: tasks, their validation,
// their urgency and the errors every surface reports. It is pure: no I/O, no
// clock, no package of ours below it.
package backlog

import (
	"errors"
	"fmt"
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
)

// Error is a one-sentence failure of a given kind. Its Error() is the sentence
// alone, so that what the user reads is never decorated with the kind.
type Error struct {
	Kind error // ErrInvalid, ErrNotFound or ErrConflict
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// Unwrap lets errors.Is match the kind.
func (e *Error) Unwrap() error { return e.Kind }

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
