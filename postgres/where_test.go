package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/filter/filtertest"
	"github.com/agent-backlog/backlog/sqlite"
	"github.com/agent-backlog/backlog/store"
)

// The property test: for random tasks and thousands of random filters,
// Select returns exactly the tasks the pure evaluator matches, Count agrees,
// the pushed-down SQL alone returns a superset (exactly the set when the
// compiler says it is exact), and the SQLite store, given the same tasks
// and changes, answers the same.
func TestSelectMatchesEvaluator(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	lite, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "backlog.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	seed := uint64(1)
	if v := os.Getenv("BACKLOG_POSTGRES_SEED"); v != "" {
		seed, _ = strconv.ParseUint(v, 10, 64)
	}
	r := rand.New(rand.NewPCG(seed, 2))
	tasks := randomTasks(r, 300)
	// Then change some: statuses, dependencies, tags and texts move, and a
	// few tasks go for good. The changes are drawn once and made in both
	// stores.
	other := randomTasks(r, 300)
	var updates []*backlog.Task
	current := map[string]*backlog.Task{}
	for _, task := range tasks {
		current[task.UUID] = task
	}
	for i := 0; i < 80; i++ {
		task := current[tasks[r.IntN(len(tasks))].UUID].Clone()
		o := other[r.IntN(len(other))]
		switch r.IntN(4) {
		case 0:
			task.Status, task.Wait, task.Recur = o.Status, o.Wait, o.Recur
			if task.Status == backlog.StatusRecurring && task.Due.IsZero() {
				task.Due = clock
			}
		case 1:
			task.Depends = nil
			for k := r.IntN(3); k > 0; k-- {
				if d := tasks[r.IntN(len(tasks))].UUID; d != task.UUID && !slices.Contains(task.Depends, d) {
					task.Depends = append(task.Depends, d)
				}
			}
		case 2:
			task.Tags, task.Extra, task.Project = o.Tags, o.Extra, o.Project
		case 3:
			task.Description, task.Annotations = o.Description, o.Annotations
		}
		updates = append(updates, task)
		current[task.UUID] = task
	}
	var purges []string
	for i := 0; i < 10; i++ {
		u := tasks[r.IntN(len(tasks))].UUID
		if !slices.Contains(purges, u) {
			purges = append(purges, u)
		}
	}
	for _, st := range []store.Store{s, lite} {
		write(t, st, func(tx store.Tx) error {
			for _, task := range tasks {
				if err := tx.Insert(ctx, task); err != nil {
					return err
				}
			}
			return nil
		})
		write(t, st, func(tx store.Tx) error {
			for _, task := range updates {
				if err := tx.Update(ctx, task); err != nil {
					return err
				}
			}
			for _, u := range purges {
				if err := tx.Purge(ctx, u); err != nil {
					return err
				}
			}
			return nil
		})
	}
	var all, liteAll []*backlog.Task
	var udas, liteUDAs map[string]filter.UDAKind
	read(t, s, func(tx store.Tx) error {
		var err error
		if all, err = tx.Select(ctx, store.Query{Now: clock}); err != nil {
			return err
		}
		udas, err = tx.UDAs(ctx)
		return err
	})
	read(t, lite, func(tx store.Tx) error {
		var err error
		if liteAll, err = tx.Select(ctx, store.Query{Now: clock}); err != nil {
			return err
		}
		liteUDAs, err = tx.UDAs(ctx)
		return err
	})
	if len(all) != len(tasks)-len(purges) {
		t.Fatalf("loaded %d tasks of %d", len(all), len(tasks)-len(purges))
	}
	if d := cmp.Diff(liteAll, all, cmpopts.EquateEmpty()); d != "" {
		t.Fatalf("the stores hold different tasks (-sqlite +postgres):\n%s", d)
	}
	if d := cmp.Diff(liteUDAs, udas); d != "" {
		t.Fatalf("the stores know different UDAs (-sqlite +postgres):\n%s", d)
	}
	index := backlog.NewIndex(all)
	uuids := make([]string, len(tasks))
	for i, task := range tasks {
		uuids[i] = task.UUID
	}
	g := &filtertest.Gen{R: r, UUIDs: uuids}
	cases := 2500
	if testing.Short() {
		cases = 500
	}
	nows := []time.Time{clock, clock.Add(500 * time.Millisecond), clock.In(localZone), clock.Add(-17 * time.Hour).In(localZone)}
	valid, exact, nonEmpty := 0, 0, 0
	for i := 0; valid < cases && i < 20*cases; i++ {
		src := g.Expr()
		now := nows[i%len(nows)]
		e, err := filter.Parse(src, filter.Options{Now: now, UDAs: udas})
		if err != nil {
			continue
		}
		if i%3 == 0 {
			e = filter.DefaultScope(e)
		}
		valid++
		match := filter.Compile(e, filter.Env{Now: now, Graph: index})
		var want []string
		for _, task := range all {
			if match(task) {
				want = append(want, task.UUID)
			}
		}
		if len(want) > 0 {
			nonEmpty++
		}
		q := store.Query{Filter: e, Now: now}
		w := compileWhere(e, now)
		w.SQL = number(w.SQL, 2)
		if w.Exact {
			exact++
		}
		selectUUIDs := func(st store.Store) []string {
			var got []string
			var n int
			err := st.Read(ctx, func(tx store.Tx) error {
				ts, err := tx.Select(ctx, q)
				if err != nil {
					return err
				}
				for _, task := range ts {
					got = append(got, task.UUID)
				}
				n, err = tx.Count(ctx, q)
				return err
			})
			if err != nil {
				t.Fatalf("filter %q: %v\nSQL: %s %v", e, err, w.SQL, w.Args)
			}
			if n != len(want) {
				t.Errorf("filter %q (now %v): Count = %d, want %d (exact SQL: %v)\nSQL: %s %v", e, now, n, len(want), w.Exact, w.SQL, w.Args)
			}
			return got
		}
		got := selectUUIDs(s)
		if !slices.Equal(want, got) {
			t.Errorf("filter %q (now %v): Select gives %d tasks, the evaluator %d\nmissing %v\nextra %v\nSQL: %s %v",
				e, now, len(got), len(want), diffIDs(all, want, got), diffIDs(all, got, want), w.SQL, w.Args)
		}
		if liteGot := selectUUIDs(lite); !slices.Equal(liteGot, got) {
			t.Errorf("filter %q (now %v): SQLite selects %d tasks, PostgreSQL %d", e, now, len(liteGot), len(got))
		}
		// The SQL alone: a superset, or the very set when exact.
		sqlSet := map[string]bool{}
		rows, err := s.pool.Query(ctx, "SELECT t.uuid FROM tasks t WHERE t.backlog = $1 AND "+w.SQL, append([]any{s.backlog}, w.Args...)...)
		if err != nil {
			t.Fatalf("filter %q: %v\nSQL: %s", e, err, w.SQL)
		}
		for rows.Next() {
			var u string
			rows.Scan(&u)
			sqlSet[u] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			t.Fatalf("filter %q: %v\nSQL: %s", e, err, w.SQL)
		}
		for _, u := range want {
			if !sqlSet[u] {
				t.Errorf("filter %q (now %v): SQL misses task %s, which matches\nSQL: %s %v", e, now, idOf(all, u), w.SQL, w.Args)
			}
		}
		if w.Exact && len(sqlSet) != len(want) {
			t.Errorf("filter %q (now %v): SQL said exact but returns %d tasks, want %d\nSQL: %s %v", e, now, len(sqlSet), len(want), w.SQL, w.Args)
		}
		if t.Failed() {
			t.FailNow()
		}
	}
	t.Logf("%d filters (%d exact in SQL, %d matching some task)", valid, exact, nonEmpty)
	if valid < cases {
		t.Errorf("only %d valid filters generated", valid)
	}
}

func idOf(all []*backlog.Task, uuid string) string {
	for _, t := range all {
		if t.UUID == uuid {
			b, _ := t.MarshalJSON()
			return strconv.FormatInt(t.ID, 10) + " " + string(b)
		}
	}
	return uuid
}

// diffIDs lists the ids of a that are not in b.
func diffIDs(all []*backlog.Task, a, b []string) []string {
	var out []string
	for _, u := range a {
		if !slices.Contains(b, u) {
			out = append(out, idOf(all, u))
		}
	}
	return out
}

// countOf counts the tasks of any status matching a filter, checking that
// Select agrees.
func countOf(t testing.TB, tx store.Tx, src string) int {
	t.Helper()
	ctx := context.Background()
	udas, err := tx.UDAs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e, err := filter.Parse(src, filter.Options{Now: clock, UDAs: udas})
	if err != nil {
		t.Fatal(err)
	}
	n, err := tx.Count(ctx, store.Query{Filter: e, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	ts, err := tx.Select(ctx, store.Query{Filter: e, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != n {
		t.Errorf("%q: Select has %d tasks, Count says %d", src, len(ts), n)
	}
	return n
}

// TestWhereExactness pins what the compiler translates exactly.
func TestWhereExactness(t *testing.T) {
	udas := map[string]filter.UDAKind{"estimate": filter.UDANumber, "owner": filter.UDAString, "size": filter.UDAMixed}
	for src, want := range map[string]bool{
		"status:pending project:web +bug":        true,
		"+READY -BLOCKED +BLOCKING +LATEST":      true,
		"+TODAY or +OVERDUE or +WEEK":            true,
		"login":                                  true,
		"lo":                                     true,
		"description.has:naïve":                  true,
		"desc.startswith:fix desc.endswith:page": true,
		"depends:1,2 tags:a,b":                   true,
		"owner:ana owner.before:b estimate.any:": true,
		"1,3-5 deadbeef":                         true,
		"not (+a xor +b)":                        true,
		"id.before:2.5 id.after:1":               true,
		"/regex/":                                false,
		"urgency.over:3":                         false,
		"estimate.over:3":                        false,
		"size:3":                                 false,
		"project.has:web":                        false,
		"desc.word:fix":                          false,
		"not desc.word:fix":                      false,
		"+a xor desc.word:fix":                   false,
		"+a /x/":                                 false,
		"+a or /x/":                              false,
	} {
		e, err := filter.Parse(src, filter.Options{Now: clock, UDAs: udas})
		if err != nil {
			t.Fatal(err)
		}
		w := compileWhere(e, clock)
		if w.Exact != want {
			t.Errorf("%q: exact = %v, want %v\nSQL: %s", src, w.Exact, want, w.SQL)
		}
	}
	// Long and deep filters stay within PostgreSQL's limits.
	s := openTest(t)
	for _, src := range []string{
		filtertest.Long("or", filter.MaxTerms),
		filtertest.Long("and", filter.MaxTerms),
		strings.Repeat("(", 99) + "+a" + strings.Repeat(" or not +b)", 99),
		strings.Repeat("not (", 48) + "+a" + strings.Repeat(")", 48),
	} {
		e, err := filter.Parse(src, filter.Options{Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		read(t, s, func(tx store.Tx) error {
			_, err := tx.Count(context.Background(), store.Query{Filter: e, Now: clock})
			return err
		})
	}
}

// TestTextSearchNeedles searches for needles that the trigram index and
// LIKE could get wrong: spaces, tabs, quotes, wildcards, escapes.
func TestTextSearchNeedles(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	descs := []string{"a   b", "x\ty\tz", "tab\t\tdouble", "quote \"q\" end", "emoji 🚀🚀🚀 here", "ǅǅǅ", "a-b-c",
		"*star* (paren) {brace}", "NEAR(a b)", "a OR b AND c", "100% sure", "snake_case_name", `back\slash`, "50%_off"}
	write(t, s, func(tx store.Tx) error {
		for i, d := range descs {
			if err := tx.Insert(ctx, &backlog.Task{ID: int64(i + 1), UUID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), Description: d, Status: "pending"}); err != nil {
				return err
			}
		}
		return nil
	})
	read(t, s, func(tx store.Tx) error {
		for _, q := range []string{`"   "`, `"a  "`, "\"\t\t\"", "\"y\tz\"", `"\"q\""`, `"🚀🚀🚀"`, `"ǆǆ"`, `"ǆǆǆ"`, `"-b-"`, `"*st"`,
			`"(paren)"`, `"near(a"`, `"or b and"`, `"{brace}"`, `"0% s"`, `"e_c"`, `"k\\s"`, `"%_o"`, `"0%_"`} {
			if n := countOf(t, tx, q+" status.any:"); n != 1 {
				t.Errorf("%s: %d", q, n)
			}
		}
		// Wildcards are not wild.
		for _, q := range []string{`"a%b"`, `"s_a"`, `"_case_x"`, `"%%%"`, `"\\\\"`} {
			if n := countOf(t, tx, q+" status.any:"); n != 0 {
				t.Errorf("%s: %d, want 0", q, n)
			}
		}
		return nil
	})
}
