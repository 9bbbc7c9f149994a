package postgres

import (
	"strconv"
	"testing"
	"time"

	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store/sqlstore"
)

// compileWhere translates a filter into PostgreSQL's WHERE condition, with
// ? placeholders (see number).
func compileWhere(e filter.Expr, now time.Time) sqlstore.Where {
	return sqlstore.Compile(dialect{}, e, now)
}

// TestPlaceholdersAreNumberedAfterTheBacklog checks that a compiled
// filter's ? become $2, $3, ... in order, and that its references to the
// backlog stay $1.
func TestPlaceholdersAreNumberedAfterTheBacklog(t *testing.T) {
	e, err := filter.Parse("project:web +BLOCKED depends:1,2", filter.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	w := compileWhere(e, clock)
	got := number(w.SQL, 2)
	for i := range w.Args {
		if want := "$" + strconv.Itoa(i+2); !containsWord(got, want) {
			t.Errorf("no %s in %s", want, got)
		}
	}
	if !containsWord(got, "$1") || containsWord(got, "?") {
		t.Errorf("numbered SQL %s: want the backlog as $1 and no ? left", got)
	}
}

// containsWord reports whether s holds w not followed by a digit.
func containsWord(s, w string) bool {
	for i := 0; i+len(w) <= len(s); i++ {
		if s[i:i+len(w)] == w && (i+len(w) == len(s) || s[i+len(w)] < '0' || s[i+len(w)] > '9') {
			return true
		}
	}
	return false
}
