package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/filter/filtertest"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/storetest"
)

// TestWhereCostIsBounded compiles filters of filter.MaxTerms terms of each
// kind, joined by each operator, and checks that their subqueries and
// parameters stay bounded (2,000 "and"-ed depends: terms planned for over
// ten minutes, 800 "and"-ed project: terms 7 s; a thousand tags.startswith:
// took 3 s on 2,000 tasks) and that plain tags
// under "or", and negated ones under "and", are one test of the tags array.
// The store still answers as the evaluator does.
func TestWhereCostIsBounded(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	tasks := filtertest.TermTasks(40, clock)
	write(t, s, func(tx store.Tx) error {
		for _, task := range tasks {
			if err := tx.Insert(ctx, task); err != nil {
				return err
			}
		}
		return nil
	})
	check := func(t *testing.T, src string) {
		e, err := filter.Parse(src, filter.Options{Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		w := compileWhere(e, clock)
		if n := strings.Count(w.SQL, "(SELECT "); n > maxSubqueries {
			t.Errorf("%d subqueries, more than %d", n, maxSubqueries)
		}
		if n := len(w.Args); n > maxParams {
			t.Errorf("%d parameters, more than %d", n, maxParams)
		}
		storetest.SameAsEvaluator(t, s, e, clock)
	}
	for _, kind := range filtertest.TermKinds {
		for _, op := range []string{"or", "and", "xor"} {
			t.Run(fmt.Sprintf("%d %s terms joined by %s", filter.MaxTerms, kind, op), func(t *testing.T) {
				check(t, strings.Join(filtertest.Terms(kind, filter.MaxTerms), " "+op+" "))
			})
		}
	}
	for _, op := range []string{"or", "and"} {
		t.Run("every kind of term, joined by "+op, func(t *testing.T) {
			check(t, filtertest.Long(op, filter.MaxTerms))
		})
	}
	for src, want := range map[string]string{
		"+a or +b or (+c or +a)": "(t.tags IS NOT NULL AND t.tags && ?::text[])",
		"-a -b":                  "NOT ((t.tags IS NOT NULL AND t.tags && ?::text[]))",
	} {
		t.Run(fmt.Sprintf("%q is one test of the tags", src), func(t *testing.T) {
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

func TestUUIDsInARunAreOneList(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	tasks := filtertest.TermTasks(6, clock)
	write(t, s, func(tx store.Tx) error {
		for _, task := range tasks {
			if err := tx.Insert(ctx, task); err != nil {
				return err
			}
		}
		return nil
	})
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
