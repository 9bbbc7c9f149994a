package mods

import (
	"strings"
	"testing"
)

// BenchmarkParse reads the words of a typical add: a description, tags, an
// abbreviated attribute, a date, a UDA and a list.
func BenchmarkParse(b *testing.B) {
	words := strings.Fields("Fix the login page +bug -later pro:web due:friday est:3 tags:a,b +c")
	b.ReportAllocs()
	for range b.N {
		if _, err := Parse(words, Described); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseString reads an MCP extra argument, quotes and all.
func BenchmarkParseString(b *testing.B) {
	const src = `+bug pri:H due:"eow" 'note: call bob' est:3 depends:+3,-4`
	b.ReportAllocs()
	for range b.N {
		if _, err := ParseString(src, Described); err != nil {
			b.Fatal(err)
		}
	}
}
