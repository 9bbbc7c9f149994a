package backlog

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestSentencesShortenTheValuesTheyRepeat(t *testing.T) {
	long := strings.Repeat("x", 100_000)
	accents := strings.Repeat("é", 200)
	for _, tt := range []struct {
		name string
		err  error
		want string
	}{
		{"a short quoted value is kept", Invalidf("priority must be H, M, L or empty, got %q", "X"), `priority must be H, M, L or empty, got "X"`},
		{"a long quoted value is cut", Invalidf("priority must be H, M, L or empty, got %q", long),
			`priority must be H, M, L or empty, got "` + long[:MaxEchoed] + `…"`},
		{"a cut never splits a character", NotFoundf("no task %q", accents), `no task "` + accents[:MaxEchoed] + `…"`},
		{"raw JSON is cut", Invalidf("argument %q must be a string, got %s", "id", json.RawMessage("["+long+"]")),
			`argument "id" must be a string, got [` + long[:MaxEchoed-1] + `…`},
		{"a composed sentence is kept whole", Conflictf("task %d: %s", 3, long), "task 3: " + long},
		{"percent signs and widths count right", Invalidf("%d%% of %5s is %q", 50, "ab", long), `50% of    ab is "` + long[:MaxEchoed] + `…"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("got %.200q…, want %.200q…", got, tt.want)
			}
		})
	}
}
