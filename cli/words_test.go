package cli

import (
	"strings"
	"testing"

	"github.com/agent-backlog/backlog/store/memstore"
)

// TestCommandLineBytesThatAreNotUTF8AreRefused: the parser would store them
// as U+FFFD, so they are refused before it sees them, and nothing is written.
func TestCommandLineBytesThatAreNotUTF8AreRefused(t *testing.T) {
	st, dir := memstore.New(), t.TempDir()
	for _, args := range [][]string{
		{"add", "bad\xff\xfeword"},
		{"add", "Fix it", "+bad\xfftag"},
		{"add", "Fix it", "--tags", "a,\xff"},
		{"list", "desc.has:\xc3"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out, errOut, status := run(t, dir, st, args...)
			if status != ExitInvalid || !strings.Contains(errOut, "is not valid UTF-8") || strings.Count(errOut, "\n") != 1 {
				t.Errorf("got %q %q %d, want one sentence about UTF-8 and exit 1", out, errOut, status)
			}
		})
	}
	if out, _, _ := run(t, dir, st, "export"); strings.Contains(out, `"id"`) {
		t.Errorf("a refused command wrote a task: %s", out)
	}
}

// TestTagsFlag: Tinytown's "add DESC --tags a,b" is the same as +a +b.
func TestTagsFlag(t *testing.T) {
	st, dir := memstore.New(), t.TempDir()
	for _, tt := range []struct {
		name   string
		args   []string
		status int
		want   string
	}{
		{"tags after the description", []string{"add", "Investigate flaky test", "--tags", "test,auth,backend", "--json"}, 0, `"tags":["test","auth","backend"]`},
		{"tags with = and spaces around commas", []string{"add", "Document it", "--tags=docs, api", "--json"}, 0, `"tags":["docs","api"]`},
		{"tags mixed with +tag words", []string{"add", "Both", "+x", "--tags", "y", "--json"}, 0, `"tags":["x","y"]`},
		{"log takes them too", []string{"log", "Done already", "--tags", "ci", "--json"}, 0, `"tags":["ci"]`},
		{"a tag with a space is refused", []string{"add", "Bad", "--tags", "a b"}, ExitInvalid, `tag "a b" contains ' ', which a tag cannot hold`},
		{"a virtual tag is refused", []string{"add", "Bad", "--tags", "READY"}, ExitInvalid, `"READY" is a virtual tag`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, status := run(t, dir, st, tt.args...)
			if status != tt.status || !strings.Contains(out+errOut, tt.want) {
				t.Errorf("got %q %q %d, want %q and exit %d", out, errOut, status, tt.want, tt.status)
			}
		})
	}
}
