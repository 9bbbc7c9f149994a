// Package lazyre compiles a regular expression the first time it is used
// rather than at package init: every backlog process initialises every
// package it links, and a hook or a short command must not pay for the
// patterns of the commands it does not run.
package lazyre

import (
	"regexp"
	"sync"
)

// New returns a function that compiles pattern on its first call (panicking
// on a bad pattern, as regexp.MustCompile does) and returns the same
// compiled expression ever after. It is safe for concurrent use.
func New(pattern string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(pattern) })
}
