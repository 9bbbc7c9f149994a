package sqlite

import (
	"fmt"
	"strings"
	"testing"

	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/filter/filtertest"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/storetest"
)

// TestWhereCostIsBounded compiles filters of filter.MaxTerms terms of each
// kind, joined by each operator, and checks that what makes SQLite slow
// stays bounded: correlated subqueries (each probe of one task's tags cost
// more the more there were: a thousand cost a thousand squared per row),
// placeholders outside IN lists (preparing cost their number squared), and
// passes over the table of tags. Plain tags under "or", and negated ones
// under "and", are one subquery however many there are. The store still
// answers as the evaluator does.
func TestWhereCostIsBounded(t *testing.T) {
	s := openTest(t)
	tasks := filtertest.TermTasks(40, clock)
	insertAll(t, s, tasks)
	for _, kind := range filtertest.TermKinds {
		for _, op := range []string{"or", "and", "xor"} {
			t.Run(fmt.Sprintf("%d %s terms joined by %s", filter.MaxTerms, kind, op), func(t *testing.T) {
				checkCost(t, s, strings.Join(filtertest.Terms(kind, filter.MaxTerms), " "+op+" "))
			})
		}
	}
	for _, op := range []string{"or", "and"} {
		t.Run("every kind of term, joined by "+op, func(t *testing.T) {
			checkCost(t, s, filtertest.Long(op, filter.MaxTerms))
		})
	}
	for src, want := range map[string]string{
		"+a or +b or (+c or +a)": "t.tid IN (SELECT task_id FROM task_tags WHERE tag IN (?, ?, ?))",
		"-a -b":                  "NOT (t.tid IN (SELECT task_id FROM task_tags WHERE tag IN (?, ?)))",
		"+a":                     "EXISTS (SELECT 1 FROM task_tags g WHERE g.task_id = t.tid AND g.tag = ?)",
	} {
		t.Run(fmt.Sprintf("%q is one subquery", src), func(t *testing.T) {
			e, err := filter.Parse(src, filter.Options{Now: clock})
			if err != nil {
				t.Fatal(err)
			}
			if w := compileWhere(e, clock); w.SQL != want {
				t.Errorf("SQL %s, want %s", w.SQL, want)
			}
		})
	}
}

func checkCost(t *testing.T, s *Store, src string) {
	t.Helper()
	e, err := filter.Parse(src, filter.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	w := compileWhere(e, clock)
	if n := strings.Count(w.SQL, "g.task_id = t.tid"); n > maxCorrelated {
		t.Errorf("%d correlated subqueries, more than %d", n, maxCorrelated)
	}
	if n := strings.Count(w.SQL, "SELECT task_id, tag AS v FROM task_tags"); n > maxScans {
		t.Errorf("%d passes over the tags, more than %d", n, maxScans)
	}
	if n := placeholdersOutsideIN(w.SQL); n > maxParams {
		t.Errorf("%d placeholders outside IN lists, more than %d", n, maxParams)
	}
	storetest.SameAsEvaluator(t, s, e, clock)
}

// placeholdersOutsideIN counts the ? of a statement that are not in an
// IN (?, ?, ...) list.
func placeholdersOutsideIN(sql string) int {
	n := strings.Count(sql, "?")
	for _, part := range strings.Split(sql, " IN (?")[1:] {
		list, _, _ := strings.Cut(part, ")")
		n -= 1 + strings.Count(list, "?")
	}
	return n
}

func TestUUIDsInARunAreOneList(t *testing.T) {
	s := openTest(t)
	tasks := filtertest.TermTasks(6, clock)
	insertAll(t, s, tasks)
	u := func(i int) string { return tasks[i].UUID }
	tests := []struct {
		filter string
		want   int
	}{
		{u(1)[:8] + " " + u(2)[:8], 2},
		{u(1) + " " + u(2) + " " + u(3), 3},
		{"1 " + u(3)[:10] + " 5", 3},
		{u(1)[:8] + " " + u(2) + " +t2", 1},
		{"not " + u(1)[:8] + " " + u(2)[:8], 4},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q counts %d", tt.filter, tt.want), func(t *testing.T) {
			read(t, s, func(tx store.Tx) error {
				if n := countOf(t, tx, tt.filter); n != tt.want {
					t.Errorf("count %d, want %d", n, tt.want)
				}
				return nil
			})
		})
	}
}
