package mcp

import (
	"strings"
	"sync"
	"testing"
	"time"
)

func TestTaskClaimWithAnAgentAndNoFilterFollowsTheRole(t *testing.T) {
	f := newFixture(t, fixtureOptions{client: "lead"})
	f.add(map[string]any{"description": "Build the parser", "tags": "implementation"})
	t.Run("another role's task is left for it", func(t *testing.T) {
		if m := f.ok("task_claim", map[string]any{"agent": "docs"}); show(m) != `{"task":null}` {
			t.Errorf("docs claimed %s", show(m))
		}
	})
	t.Run("the role's own task is taken", func(t *testing.T) {
		f.add(map[string]any{"description": "Document the parser", "tags": "docs"})
		got := task(f.ok("task_claim", map[string]any{"agent": "docs"}))
		if got["id"] != 2.0 || got["agent"] != "docs" {
			t.Errorf("docs claimed %s, want task 2", show(got))
		}
	})
	t.Run("a filter takes another role's task", func(t *testing.T) {
		got := task(f.ok("task_claim", map[string]any{"agent": "docs", "filter": "+implementation"}))
		if got["id"] != 1.0 || got["agent"] != "docs" {
			t.Errorf("docs claimed %s, want task 1", show(got))
		}
	})
}

func TestTaskClaimWithALease(t *testing.T) {
	var mu sync.Mutex
	at := now
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return at }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); at = at.Add(d) }
	f := newFixture(t, fixtureOptions{client: "worker-a", opts: Options{Clock: clock}})
	f.add(map[string]any{"description": "Migrate the users"})
	f.add(map[string]any{"description": "Held without a lease", "agent": "ghost"})

	t.Run("a bad lease is refused with one sentence, before reclaim frees anything", func(t *testing.T) {
		tests := []struct {
			name  string
			args  map[string]any
			wants string
		}{
			{"not a duration", map[string]any{"lease": "soon"}, `lease must be a duration such as 30min, 2h or 1d, got "soon"`},
			{"zero", map[string]any{"lease": "0min"}, `a lease must be at least 1s, such as 30min; got "0min"`},
			{"months for minutes", map[string]any{"lease": "30m"}, `lease "30m" would be 30 months: write 30min for minutes`},
			{"a number", map[string]any{"lease": 1800}, `argument "lease" must be a string, got a number`},
			{"with reclaim", map[string]any{"lease": "-1h", "reclaim": "1s"}, `a lease must be at least 1s, such as 30min; got "-1h"`},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				f.wantFail("task_claim", tt.args, tt.wants)
			})
		}
		if got := task(f.ok("task_info", map[string]any{"id": 2})); got["agent"] != "ghost" {
			t.Errorf("a refused claim reclaimed task 2: %s", show(got))
		}
	})
	t.Run("the claim shows its lease, in seconds and as the time it lapses", func(t *testing.T) {
		got := task(f.ok("task_claim", map[string]any{"id": "1", "lease": "30min"}))
		if got["agent"] != "worker-a" || got["lease"] != 1800.0 || got["lease_until"] != "2026-03-02T09:30:00Z" {
			t.Errorf("claimed %s", show(got))
		}
		info := task(f.ok("task_info", map[string]any{"id": 1}))
		if info["lease"] != 1800.0 || info["lease_until"] != "2026-03-02T09:30:00Z" {
			t.Errorf("task_info %s", show(info))
		}
	})
	t.Run("a change by the holder renews it", func(t *testing.T) {
		advance(20 * time.Minute)
		got := task(f.ok("task_annotate", map[string]any{"id": 1, "text": "users copied"}))
		if got["lease_until"] != "2026-03-02T09:50:00Z" {
			t.Errorf("annotated %s", show(got))
		}
	})
	t.Run("once it lapses, another agent's claim returns it to the pool and takes it", func(t *testing.T) {
		advance(30 * time.Minute)
		b := f.connect("worker-b", "")
		got := task(f.okAs(b, "task_claim", nil))
		if got["id"] != 1.0 || got["agent"] != "worker-b" || got["lease"] != nil {
			t.Fatalf("worker-b claimed %s", show(got))
		}
		if !strings.Contains(show(got["annotations"]), "lease of worker-a expired after 30min without a change by it; returned to the pool") {
			t.Errorf("no annotation says why: %s", show(got))
		}
	})
}
