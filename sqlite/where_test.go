package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/filter/filtertest"
	"github.com/agent-backlog/backlog/store"
)

// The property test: for random tasks and thousands of random filters,
// Select returns exactly the tasks the pure evaluator matches, Count agrees,
// and the pushed-down SQL alone returns a superset (exactly the set when the
// compiler says it is exact).

// randomTasks and the filter grammar are shared with the other stores'
// property tests (filter/filtertest).
func randomTasks(r *rand.Rand, n int) []*backlog.Task { return filtertest.RandomTasks(r, n, clock) }

var localZone = filtertest.LocalZone

func TestSelectMatchesEvaluator(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	seed := uint64(1)
	if v := os.Getenv("BACKLOG_SQLITE_SEED"); v != "" {
		seed, _ = strconv.ParseUint(v, 10, 64)
	}
	r := rand.New(rand.NewPCG(seed, 2))
	tasks := randomTasks(r, 300)
	insertAll(t, s, tasks)
	// Then change some: statuses, dependencies, tags and texts move, and a
	// few tasks go for good, so that the index rows must follow.
	other := randomTasks(r, 300)
	write(t, s, func(tx store.Tx) error {
		for i := 0; i < 80; i++ {
			task := tasks[r.IntN(len(tasks))].Clone()
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
			if err := tx.Update(ctx, task); err != nil {
				return err
			}
		}
		return purgeSome(tx, r, tasks, 10)
	})
	all, udas := loadAll(t, s)
	if len(all) < len(tasks)-10 {
		t.Fatalf("loaded %d tasks of %d", len(all), len(tasks))
	}
	// Tallying every task reads the counts the triggers keep: they must
	// have followed the inserts, updates and purges.
	for _, now := range []time.Time{clock, clock.Add(30 * 24 * time.Hour)} {
		read(t, s, func(tx store.Tx) error {
			got, err := tx.Tally(ctx, store.Query{Now: now}, store.TallyStatus, 0)
			if want := store.TallyTasks(all, now, store.TallyStatus, 0); err == nil && !reflect.DeepEqual(got, want) {
				t.Errorf("Tally of every task at %v = %v, want %v", now, got, want)
			}
			return err
		})
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
		if w.Exact {
			exact++
		}
		err = s.Read(ctx, func(tx store.Tx) error {
			got, err := tx.Select(ctx, q)
			if err != nil {
				return err
			}
			var gotUUIDs []string
			for _, task := range got {
				gotUUIDs = append(gotUUIDs, task.UUID)
			}
			if !slices.Equal(want, gotUUIDs) {
				t.Errorf("filter %q (now %v): Select gives %d tasks, the evaluator %d\nmissing %v\nextra %v",
					e, now, len(gotUUIDs), len(want), diffIDs(all, want, gotUUIDs), diffIDs(all, gotUUIDs, want))
			}
			n, err := tx.Count(ctx, q)
			if err != nil {
				return err
			}
			if n != len(want) {
				t.Errorf("filter %q (now %v): Count = %d, want %d (exact SQL: %v)\nSQL: %s %v", e, now, n, len(want), w.Exact, w.SQL, w.Args)
			}
			// Tally agrees with counting the evaluator's answer, by
			// status and by agent, with and without ids.
			var matched []*backlog.Task
			for _, task := range all {
				if match(task) {
					matched = append(matched, task)
				}
			}
			by, ids := store.TallyKey(i%2), (i/2%2)*3
			tally, err := tx.Tally(ctx, q, by, ids)
			if err != nil {
				return err
			}
			if wantTally := store.TallyTasks(matched, now, by, ids); !reflect.DeepEqual(tally, wantTally) {
				t.Errorf("filter %q (now %v): Tally(%d, %d) = %v, want %v", e, now, by, ids, tally, wantTally)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("filter %q: %v\nSQL: %s %v", e, err, w.SQL, w.Args)
		}
		// The SQL alone: a superset, or the very set when exact.
		sqlSet := map[string]bool{}
		rows, err := s.db.QueryContext(ctx, "SELECT t.uuid FROM tasks t WHERE "+w.SQL, w.Args...)
		if err != nil {
			t.Fatalf("filter %q: %v\nSQL: %s", e, err, w.SQL)
		}
		for rows.Next() {
			var u string
			rows.Scan(&u)
			sqlSet[u] = true
		}
		rows.Close()
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
	// A long filter stays within SQLite's limits.
	src := filtertest.Long("or", filter.MaxTerms)
	e, err := filter.Parse(src, filter.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	s := openTest(t)
	read(t, s, func(tx store.Tx) error {
		_, err := tx.Count(context.Background(), store.Query{Filter: e, Now: clock})
		return err
	})
	src = strings.Repeat("(", 99) + "+a" + strings.Repeat(" or not +b)", 99)
	e, err = filter.Parse(src, filter.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	read(t, s, func(tx store.Tx) error {
		_, err := tx.Count(context.Background(), store.Query{Filter: e, Now: clock})
		return err
	})
}

// TestTextSearchNeedles searches for needles that the trigram index and
// the FTS5 query syntax could get wrong: spaces, tabs, quotes, operators.
func TestTextSearchNeedles(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	descs := []string{"a   b", "x\ty\tz", "tab\t\tdouble", "quote \"q\" end", "emoji 🚀🚀🚀 here", "ǅǅǅ", "a-b-c", "*star* (paren) {brace}", "NEAR(a b)", "a OR b AND c"}
	write(t, s, func(tx store.Tx) error {
		for i, d := range descs {
			if err := tx.Insert(ctx, &backlog.Task{ID: int64(i + 1), UUID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), Description: d, Status: "pending"}); err != nil {
				return err
			}
		}
		return nil
	})
	read(t, s, func(tx store.Tx) error {
		for _, q := range []string{`"   "`, `"a  "`, "\"\t\t\"", "\"y\tz\"", `"\"q\""`, `"🚀🚀🚀"`, `"ǆǆ"`, `"ǆǆǆ"`, `"-b-"`, `"*st"`, `"(paren)"`, `"near(a"`, `"or b and"`, `"{brace}"`} {
			if n := countOf(t, tx, q+" status.any:"); n != 1 {
				t.Errorf("%s: %d", q, n)
			}
		}
		return nil
	})
}

// insertAll writes the tasks in one transaction.
func insertAll(t *testing.T, s *Store, tasks []*backlog.Task) {
	t.Helper()
	write(t, s, func(tx store.Tx) error {
		for _, task := range tasks {
			if err := tx.Insert(context.Background(), task); err != nil {
				return err
			}
		}
		return nil
	})
}

// purgeSome purges up to n of the tasks, picked at random.
func purgeSome(tx store.Tx, r *rand.Rand, tasks []*backlog.Task, n int) error {
	ctx := context.Background()
	for ; n > 0; n-- {
		u := tasks[r.IntN(len(tasks))].UUID
		if _, err := tx.TaskByUUID(ctx, u); err == nil {
			if err := tx.Purge(ctx, u); err != nil {
				return err
			}
		}
	}
	return nil
}

// loadAll reads every task and the UDAs.
func loadAll(t *testing.T, s *Store) ([]*backlog.Task, map[string]filter.UDAKind) {
	t.Helper()
	var all []*backlog.Task
	var udas map[string]filter.UDAKind
	read(t, s, func(tx store.Tx) error {
		var err error
		if all, err = tx.Select(context.Background(), store.Query{Now: clock}); err != nil {
			return err
		}
		udas, err = tx.UDAs(context.Background())
		return err
	})
	return all, udas
}
