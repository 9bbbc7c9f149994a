package filter

import (
	"testing"

	backlog "github.com/agent-backlog/backlog"
)

// TestEveryVirtualTagHasAMeaning keeps the table of meanings and the
// domain's list of names (backlog.VirtualTags) the same set.
func TestEveryVirtualTagHasAMeaning(t *testing.T) {
	names := backlog.VirtualTags()
	for _, name := range names {
		if _, ok := LookupVirtual(name); !ok {
			t.Errorf("virtual tag %s has no meaning in the table", name)
		}
	}
	if len(virtuals) != len(names) {
		t.Errorf("the table has %d virtual tags, the domain %d", len(virtuals), len(names))
	}
	if _, ok := LookupVirtual("pending"); ok {
		t.Errorf("a lower-case name has a meaning")
	}
}

// TestNeedsGraphSeesEveryTermOfAChain checks that a tag about other tasks
// asks for the graph wherever it stands among tags that do not.
func TestNeedsGraphSeesEveryTermOfAChain(t *testing.T) {
	for src, want := range map[string]bool{
		"-BLOCKING +WAITING":        true,
		"+WAITING or +LATEST":       true,
		"+PENDING +OVERDUE +TAGGED": false,
	} {
		e, err := Parse(src, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := NeedsGraph(e); got != want {
			t.Errorf("NeedsGraph(%q) = %v, want %v", src, got, want)
		}
	}
}
