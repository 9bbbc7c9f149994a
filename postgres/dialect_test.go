package postgres

import (
	"testing"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store/sqlstore"
)

// compileWhere translates a filter into PostgreSQL's WHERE condition, with ? placeholders (see number).
func compileWhere(e filter.Expr, now time.Time) sqlstore.Where {
	return sqlstore.Compile(dialect{}, e, now)
}

// TestEveryVirtualTagCompilesExactly checks that the compiler translates
// each virtual tag's meaning exactly, in PostgreSQL's dialect.
func TestEveryVirtualTagCompilesExactly(t *testing.T) {
	for _, name := range backlog.VirtualTags() {
		for _, include := range []bool{true, false} {
			e := &filter.TagExpr{Include: include, Name: name, Virtual: true}
			if w := compileWhere(e, clock); !w.Exact || w.SQL == "TRUE" {
				t.Errorf("%s compiles to %s (exact %v)", e, w.SQL, w.Exact)
			}
		}
	}
}
