package filter

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text searches are case-insensitive with Unicode case folding: every rune
// is compared by its folded form, the lower case of its upper case, so that
// "STRASSE"-style ASCII, "Ǆ"/"ǆ", the Kelvin sign and "k" all meet. ASCII
// text, the common case, is compared without allocating.

// Fold returns s with every rune case-folded, as text searches compare it.
// Stores keep a folded copy of searchable text so that SQL substring tests
// agree exactly with the evaluator.
func Fold(s string) string {
	if isASCII(s) {
		return strings.ToLower(s)
	}
	return strings.Map(foldRune, s)
}

func foldRune(r rune) rune { return unicode.ToLower(unicode.ToUpper(r)) }

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// containsFold reports whether s contains the already folded needle.
func containsFold(s, needle string) bool {
	if !isASCII(s) {
		return strings.Contains(Fold(s), needle)
	}
	n := len(needle)
	if n == 0 {
		return true
	}
	if n > len(s) || needle[0] >= utf8.RuneSelf {
		return false
	}
	first := needle[0]
	for i := 0; i+n <= len(s); i++ {
		if lowerASCII(s[i]) != first {
			continue
		}
		if equalFoldASCII(s[i+1:i+n], needle[1:]) {
			return true
		}
	}
	return false
}

// equalFoldASCII compares ASCII a with the folded b.
func equalFoldASCII(a, b string) bool {
	for j := 0; j < len(b); j++ {
		if lowerASCII(a[j]) != b[j] {
			return false
		}
	}
	return true
}

// hasPrefixFold reports whether s begins with the already folded prefix.
func hasPrefixFold(s, prefix string) bool {
	if isASCII(s) {
		return len(s) >= len(prefix) && equalFoldASCII(s[:len(prefix)], prefix)
	}
	return strings.HasPrefix(Fold(s), prefix)
}

// hasSuffixFold reports whether s ends with the already folded suffix.
func hasSuffixFold(s, suffix string) bool {
	if isASCII(s) {
		return len(s) >= len(suffix) && equalFoldASCII(s[len(s)-len(suffix):], suffix)
	}
	return strings.HasSuffix(Fold(s), suffix)
}
