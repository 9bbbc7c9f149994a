// Package tasksmd reads, edits, lints and picks from TASKS.md files, the
// markdown task queue of the TASKS.md convention (see
// ../shared/spec/TASKSMD.md).
//
// The package works on bytes only: it never opens a lock, a store or a
// surface. A File keeps every byte of its input (line endings, unknown lines,
// comments, blank lines), so Render(Parse(b)) == b for every b, and an edit
// changes only the lines it is about.
//
// The reference tools are written in JavaScript and their regular expressions
// carry JavaScript's meaning of `\s` (Unicode spaces), `.` (anything but a
// line terminator, so not "\r") and trim(). This package writes the same
// patterns with those classes spelled out (see jsregexp.go), so a file reads
// here exactly as the reference reads it; the only deliberate difference is
// that Parse strips the "\r" of CRLF lines before matching, where the
// reference silently sees no task at all. Lint keeps the "\r", as the
// reference does.
package tasksmd
