package sqlite

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store"
)

// TestRankedSelectKeepsTheFirst: a ranked Select (Query.Top) returns the
// tasks that rank first by the exact Go figures: for urgency, the first n by
// backlog.Urgency are among the first n+slack SQL returns; for due and end,
// exactly the first n.
func TestRankedSelectKeepsTheFirst(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	r := rand.New(rand.NewPCG(7, 8))
	tasks := randomTasks(r, 400)
	for i, task := range tasks {
		if i%13 == 0 && !task.HasTag("next") {
			task.Tags = append(task.Tags, "next") // the heaviest urgency term
		}
	}
	write(t, s, func(tx store.Tx) error {
		for _, task := range tasks {
			if err := tx.Insert(ctx, task); err != nil {
				return err
			}
		}
		return nil
	})
	all := make([]*backlog.Task, 0, len(tasks))
	if err := s.Read(ctx, func(tx store.Tx) error {
		var err error
		all, err = tx.Select(ctx, store.Query{Now: clock})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	g := backlog.NewIndex(all)
	urgency := func(x *backlog.Task) float64 { return backlog.Urgency(x, clock, g.Blocked(x), g.Blocking(x)) }
	for _, src := range []string{"", "+READY", "status:pending", "project:web", "+bug or priority:H", "status:completed"} {
		e, err := filter.Parse(src, filter.Options{Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		m := filter.Compile(e, filter.Env{Now: clock, Graph: g})
		var want []*backlog.Task
		for _, x := range all {
			if m(x) {
				want = append(want, x)
			}
		}
		for _, rank := range []store.Rank{store.RankUrgency, store.RankDue, store.RankEnd} {
			const n, slack = 5, 10
			var got []*backlog.Task
			if err := s.Read(ctx, func(tx store.Tx) error {
				var err error
				got, err = tx.Select(ctx, store.Query{Filter: e, Now: clock, Top: n + slack, Rank: rank})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			key := func(x *backlog.Task) float64 {
				switch rank {
				case store.RankDue:
					if x.Due.IsZero() {
						return 1e18
					}
					return float64(x.Due.Unix())
				case store.RankEnd:
					if x.End.IsZero() {
						return 1e18
					}
					return -float64(x.End.Unix())
				}
				return -urgency(x)
			}
			best := slices.Clone(want)
			slices.SortStableFunc(best, func(a, b *backlog.Task) int {
				ka, kb := key(a), key(b)
				switch {
				case ka < kb-1e-9:
					return -1
				case ka > kb+1e-9:
					return 1
				}
				return int(a.ID - b.ID)
			})
			for i, w := range best[:min(n, len(best))] {
				if !slices.ContainsFunc(got, func(x *backlog.Task) bool { return x.UUID == w.UUID }) {
					t.Errorf("%q by rank %d: the task ranked %d (id %d, key %v) is not among the %d returned", src, rank, i+1, w.ID, key(w), len(got))
				}
			}
		}
	}
}

// TestRequiresDate: a ranked select by date skips the tasks without one
// only when the filter cannot match them.
func TestRequiresDate(t *testing.T) {
	for _, c := range []struct {
		filter, name string
		want         bool
	}{
		{"+OVERDUE", "due", true},
		{"+WEEK project:x", "due", true},
		{"due.before:tomorrow", "due", true},
		{"due:today", "due", true},
		{"due.any:", "due", true},
		{"status:completed end.after:yesterday", "end", true},
		{"end.after:yesterday or due.before:now", "end", false},
		{"(end.after:yesterday or end.before:2020-01-01) +x", "end", true},
		{"", "due", false},
		{"-OVERDUE", "due", false},
		{"not +OVERDUE", "due", false},
		{"+OVERDUE", "end", false},
		{"due.none:", "due", false},
		{"due.not:today", "due", false},
		{"due.isnt:today", "due", false},
		{"+OVERDUE xor +bug", "due", false},
		{"end.after:yesterday", "due", false},
	} {
		e, err := filter.Parse(c.filter, filter.Options{Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		if got := requiresDate(e, c.name); got != c.want {
			t.Errorf("requiresDate(%q, %s) = %v, want %v", c.filter, c.name, got, c.want)
		}
	}
}
