package tasksmd

import (
	"strings"
	"unicode/utf8"
)

// Hand-written matchers for the two patterns read on every line, the task
// line and the metadata line. They give exactly what reTask and reMetadata
// give (FuzzMatchers checks it) at a fraction of the cost of the
// backtracking regexp engine.

func isJSTerminator(r rune) bool { return r == '\n' || r == '\r' || r == 0x2028 || r == 0x2029 }

// skipSpaces returns the byte offsets just after each leading white space
// rune of s (offs[0] is 0).
func spaceEnd(s string) (end int, last int) {
	last = -1
	for end < len(s) {
		r, n := utf8.DecodeRuneInString(s[end:])
		if !isJSSpace(r) {
			break
		}
		last = end
		end += n
	}
	return end, last
}

// noTerminator reports whether s has no line terminator.
func noTerminator(s string) bool {
	return strings.IndexFunc(s, isJSTerminator) < 0
}

// matchSpacedRest matches `\s+(.+)$` (min 1) or `\s*(.+)$` (min 0) at the
// start of s, returning the capture.
func matchSpacedRest(s string, min int) (string, bool) {
	end, last := spaceEnd(s)
	count := 0
	if end > 0 {
		count = utf8.RuneCountInString(s[:end])
	}
	if count < min {
		return "", false
	}
	if end < len(s) {
		if noTerminator(s[end:]) {
			return s[end:], true
		}
		// A terminator after the spaces can never be inside `.+`; giving
		// spaces back cannot help either.
		return "", false
	}
	// All spaces: `.+` takes back the last one, if one is left to `\s`.
	if count-1 < min || last < 0 {
		return "", false
	}
	r, _ := utf8.DecodeRuneInString(s[last:])
	if isJSTerminator(r) {
		return "", false
	}
	return s[last:], true
}

// matchTaskLine is reTask: the summary of `- [ ] summary`.
func matchTaskLine(line string) (string, bool) {
	if !strings.HasPrefix(line, "-") {
		return "", false
	}
	end, _ := spaceEnd(line[1:])
	if end == 0 {
		return "", false
	}
	rest := line[1+end:]
	if !strings.HasPrefix(rest, "[") {
		return "", false
	}
	rest = rest[1:]
	if !strings.HasPrefix(rest, "]") {
		r, n := utf8.DecodeRuneInString(rest)
		if !isJSSpace(r) || !strings.HasPrefix(rest[n:], "]") {
			return "", false
		}
		rest = rest[n:]
	}
	return matchSpacedRest(rest[1:], 1)
}

// matchMetadataLine is reMetadata: the label and value of
// `  - **Label**: value`.
func matchMetadataLine(line string) (label, value string, ok bool) {
	end, _ := spaceEnd(line)
	if end == 0 || !strings.HasPrefix(line[end:], "-") {
		return "", "", false
	}
	rest := line[end+1:]
	end, _ = spaceEnd(rest)
	if end == 0 || !strings.HasPrefix(rest[end:], "**") {
		return "", "", false
	}
	body := rest[end+2:]
	for from := 1; from <= len(body); {
		i := strings.Index(body[from:], "**:")
		if i < 0 {
			return "", "", false
		}
		at := from + i
		if !noTerminator(body[:at]) {
			return "", "", false
		}
		if v, ok := matchSpacedRest(body[at+3:], 0); ok {
			return body[:at], v, true
		}
		from = at + 1
	}
	return "", "", false
}

// matchContinuation is reContinuation: `^\s{4,}(.+)$`.
func matchContinuation(line string) (string, bool) { return matchSpacedRest(line, 4) }

// matchSubtaskLine is reSubtask: the text of an indented `- [ ] x`.
func matchSubtaskLine(line string) (string, bool) {
	end, _ := spaceEnd(line)
	if end == 0 || !strings.HasPrefix(line[end:], "-") {
		return "", false
	}
	rest := line[end+1:]
	end, _ = spaceEnd(rest)
	if end == 0 || !strings.HasPrefix(rest[end:], "[") {
		return "", false
	}
	rest = rest[end+1:]
	r, n := utf8.DecodeRuneInString(rest)
	if n == 0 || isJSTerminator(r) || !strings.HasPrefix(rest[n:], "]") {
		return "", false
	}
	return matchSpacedRest(rest[n+1:], 1)
}
