package enginetest

import (
	"fmt"
	"strings"
	"sync"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
)

// claim claims as e and fails on an error; it returns the task taken, or nil.
func (h *H) claim(e *engine.Engine, opts engine.ClaimOptions) *backlog.Task {
	h.Helper()
	r, err := e.Claim(h.Ctx, opts)
	if err != nil {
		h.Fatalf("claim %+v as %s: %v", opts, e.Agent(), err)
	}
	h.trackResult(r)
	return r.Task
}

// leaseOf says a task's lease as a scenario compares it: "30m0s until
// 2026-03-04T08:30:00Z", or "none".
func leaseOf(t *backlog.Task) string {
	if t.Lease == 0 && t.LeaseUntil.IsZero() {
		return "none"
	}
	return fmt.Sprintf("%v until %s", t.Lease, fmtTime(t.LeaseUntil))
}

var leaseScenarios = []scenario{
	{"a leased claim holds while its agent changes the task, lapses a lease after its last change, and goes back to the pool at the next claim; undo gives it back", func(h *H) {
		h.Add("Leased work")
		bob, carol, dave := h.Engine("bob"), h.Engine("carol"), h.Engine("dave")
		at := func(min int) string {
			return fmtTime(Epoch.Add(time.Duration(min) * time.Minute).Truncate(time.Second))
		}

		h.Case("the claim sets the lease and says so in the journal", func(h *H) {
			got := h.claim(bob, engine.ClaimOptions{ID: "1", Lease: "30min"})
			eq(h, "lease in the claim's result", leaseOf(got), "30m0s until "+at(30))
			eq(h, "lease as stored", leaseOf(h.Stored(got.UUID)), "30m0s until "+at(30))
			eq(h, "journal", h.Last().Summary, `claim 1 "Leased work" for bob with a 30min lease`)
			j, err := h.Info("1").MarshalJSON()
			if err != nil || !strings.Contains(string(j), `"agent":"bob","lease":1800,"lease_until":"`+at(30)+`"`) {
				h.Errorf("info's JSON does not show the lease: %s %v", j, err)
			}
		})
		h.Case("a change by the holder renews it; a change by anyone else does not", func(h *H) {
			h.Clock.Advance(20 * time.Minute)
			if _, err := bob.Annotate(h.Ctx, "1", "halfway"); err != nil {
				h.Fatal(err)
			}
			eq(h, "renewed by bob", leaseOf(h.Info("1")), "30m0s until "+at(50))
			h.Clock.Advance(20 * time.Minute)
			if _, err := h.E.Annotate(h.Ctx, "1", "a look by a person"); err != nil {
				h.Fatal(err)
			}
			eq(h, "not renewed by alice", leaseOf(h.Info("1")), "30m0s until "+at(50))
		})
		h.Case("a claim before the lease lapses leaves it alone", func(h *H) {
			before := h.JournalLen()
			if got := h.claim(carol, engine.ClaimOptions{}); got != nil {
				h.Errorf("carol took task %d, held by bob for 10 more minutes", got.ID)
			}
			eq(h, "agent", h.Info("1").Agent, "bob")
			eq(h, "journal entries", h.JournalLen(), before)
		})
		h.Case("the first claim once it has lapsed returns it to the pool and may take it", func(h *H) {
			h.Clock.Advance(10 * time.Minute) // exactly a lease after bob's last change
			got := h.claim(dave, engine.ClaimOptions{})
			if got == nil || got.ID != 1 || got.Agent != "dave" {
				h.Fatalf("dave claimed %+v, want task 1", got)
			}
			eq(h, "no lease for dave's claim", leaseOf(got), "none")
			eq(h, "start is dave's", fmtTime(got.Start), at(50))
			eq(h, "annotation", got.Annotations[len(got.Annotations)-1].Description,
				"lease of bob expired after 30min without a change by it; returned to the pool")
			last := h.Last()
			eq(h, "one entry for both", last.Summary, `return task 1 to the pool (the lease of bob expired); claim 1 "Leased work" for dave`)
			eq(h, "by the claimer", last.Agent, "dave")
			eq(h, "command", last.Command, "claim")
		})
		h.Case("undo gives bob his claim back, lapsed, and the next claim takes it again", func(h *H) {
			undo(h, dave)
			t := h.Info("1")
			eq(h, "agent", t.Agent, "bob")
			eq(h, "lease", leaseOf(t), "30m0s until "+at(50))
			eq(h, "annotations", len(t.Annotations), 2)
			got := h.claim(carol, engine.ClaimOptions{Lease: "1h"})
			if got == nil || got.ID != 1 || got.Agent != "carol" {
				h.Fatalf("carol claimed %+v, want task 1", got)
			}
			eq(h, "carol's lease", leaseOf(got), "1h0m0s until "+at(110))
		})
	}},
	{"a claim with nothing to take still returns lapsed claims, as a claim of nothing", func(h *H) {
		h.Add("One project:a")
		h.Add("Two project:a")
		bob := h.Engine("bob")
		h.claim(bob, engine.ClaimOptions{ID: "1", Lease: "1h"})
		h.claim(bob, engine.ClaimOptions{ID: "2", Lease: "2h"})
		h.Clock.Advance(3 * time.Hour)
		if got := h.claim(h.E, engine.ClaimOptions{Filter: "project:nothing"}); got != nil {
			h.Fatalf("claimed %d with a filter that matches nothing", got.ID)
		}
		for _, id := range []string{"1", "2"} {
			t := h.Info(id)
			eq(h, "agent of "+id, t.Agent, "")
			eq(h, "start of "+id, t.Start.IsZero(), true)
			eq(h, "lease of "+id, leaseOf(t), "none")
		}
		eq(h, "journal", h.Last().Summary, "return tasks 1 and 2 to the pool (the leases of bob expired)")
		eq(h, "annotation of 2", h.Info("2").Annotations[0].Description,
			"lease of bob expired after 2h without a change by it; returned to the pool")
		undo(h, h.E)
		eq(h, "undo gives both back", h.Info("1").Agent+" "+h.Info("2").Agent, "bob bob")
	}},
	{"a lease belongs to its claim: it ends with the claim, and a claim for another agent waits on that agent's changes", func(h *H) {
		for _, d := range []string{"Released", "Done", "Reassigned", "For dave", "Reclaimed", "Claimed again"} {
			h.Add(d)
		}
		bob, dave := h.Engine("bob"), h.Engine("dave")
		for _, id := range []string{"1", "2", "3", "5", "6"} {
			h.claim(bob, engine.ClaimOptions{ID: id, Lease: "30min"})
		}
		h.claim(h.E, engine.ClaimOptions{ID: "4", Agent: "dave", Lease: "2h"})
		h.Clock.Advance(10 * time.Minute)
		if _, err := bob.Release(h.Ctx, "1", "", false); err != nil {
			h.Fatal(err)
		}
		if _, err := bob.Done(h.Ctx, "2"); err != nil {
			h.Fatal(err)
		}
		h.Modify("3", "agent:carol")
		h.claim(bob, engine.ClaimOptions{ID: "6", Lease: "1h"})
		tests := []struct{ id, want string }{
			{"1", "none"},
			{"2", "none"},
			{"3", "none"},
			{"4", "2h0m0s until " + fmtTime(Epoch.Add(2*time.Hour).Truncate(time.Second))},
			{"5", "30m0s until " + fmtTime(Epoch.Add(30*time.Minute).Truncate(time.Second))},
			{"6", "1h0m0s until " + fmtTime(Epoch.Add(70*time.Minute).Truncate(time.Second))},
		}
		for _, tt := range tests {
			eq(h, "lease of "+tt.id, leaseOf(h.Info(tt.id)), tt.want)
		}
		if _, err := dave.Annotate(h.Ctx, "4", "on it"); err != nil {
			h.Fatal(err)
		}
		eq(h, "dave's change renews his lease", leaseOf(h.Info("4")), "2h0m0s until "+fmtTime(h.Now().Add(2*time.Hour)))
		stale, err := h.E.Reclaim(h.Ctx, 5*time.Minute)
		if err != nil {
			h.Fatal(err)
		}
		eq(h, "reclaimed", len(stale), 2) // 3 (carol's since alice's change) and 5
		eq(h, "reclaim ends the lease", leaseOf(h.Info("5")), "none")
	}},
	{"a lease must be a duration from a second to a year; a bad one is refused with one sentence and changes nothing", func(h *H) {
		h.Add("Work")
		h.claim(h.Engine("bob"), engine.ClaimOptions{ID: "1", Lease: "1min"})
		h.Clock.Advance(time.Hour) // a lapsed lease: a refused claim must not return it
		tests := []struct{ lease, want string }{
			{"soon", `lease must be a duration such as 30min, 2h or 1d, got "soon"`},
			{"0s", `a lease must be at least 1s, such as 30min; got "0s"`},
			{"-5min", `a lease must be at least 1s, such as 30min; got "-5min"`},
			{"0.5s", `a lease must be at least 1s, such as 30min; got "0.5s"`},
			{"30m", `lease "30m" would be 30 months: write 30min for minutes`},
			{"2y", `a lease is at most 365d, got "2y"`},
		}
		for _, tt := range tests {
			h.Case(tt.lease, func(h *H) {
				h.Rejects(tt.want, backlog.ErrInvalid, func() error {
					_, err := h.E.Claim(h.Ctx, engine.ClaimOptions{Lease: tt.lease})
					return err
				})
			})
		}
		if got := h.claim(h.E, engine.ClaimOptions{Lease: " 90s "}); got == nil || got.Lease != 90*time.Second {
			h.Errorf("a lease of 90s: %+v", got)
		}
	}},
	{"claimers racing over a lapsed lease return it once, and one of them takes it", func(h *H) {
		h.Add("Contended")
		h.claim(h.Engine("ghost"), engine.ClaimOptions{ID: "1", Lease: "1min"})
		h.Clock.Advance(2 * time.Minute)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var takers []string
		for i := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				e := h.Engine(fmt.Sprintf("worker%d", i))
				r, err := e.Claim(h.Ctx, engine.ClaimOptions{})
				if err != nil {
					h.Errorf("worker%d: %v", i, err)
					return
				}
				if r.Task != nil {
					mu.Lock()
					takers = append(takers, r.Task.Agent)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(takers) != 1 {
			h.Fatalf("task 1 was taken by %q, want exactly one worker", takers)
		}
		t := h.Info("1")
		eq(h, "holder", t.Agent, takers[0])
		eq(h, "annotations", len(t.Annotations), 1)
	}},
}
