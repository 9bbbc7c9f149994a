package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/store/memstore"
)

// TestALeaseIsRenewedByTheSessionThatClaimedForARole: an MCP session that
// claims for a role (task_claim {agent: "docs"}) writes under its own name
// afterwards; its work keeps the claim alive, as the holder's own would,
// while a third agent's change does not.
func TestALeaseIsRenewedByTheSessionThatClaimedForARole(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	st := memstore.New()
	session := engine.New(st, engine.Options{Agent: "claude-code", Clock: clock})
	other := engine.New(st, engine.Options{Agent: "other", Clock: clock})
	if _, err := session.Add(ctx, &engine.Changes{Description: ptr("Write the guide"), Tags: engine.ParseListEdit([]string{"docs"})}); err != nil {
		t.Fatal(err)
	}
	r, err := session.Claim(ctx, engine.ClaimOptions{Agent: "docs", Lease: "30min"})
	if err != nil || r.Task == nil || r.Task.Agent != "docs" {
		t.Fatalf("claim for the role: %+v, %v", r, err)
	}
	step := func(d time.Duration) { now = now.Add(d) }

	step(20 * time.Minute)
	if _, err := session.Annotate(ctx, "1", "outline done"); err != nil {
		t.Fatal(err)
	}
	info, _ := session.Info(ctx, "1")
	if want := now.Add(30 * time.Minute); !info.LeaseUntil.Equal(want) {
		t.Fatalf("after the claiming session's note the lease lapses at %v, want %v", info.LeaseUntil, want)
	}

	step(20 * time.Minute) // 40 minutes after the claim, 20 after the note
	if _, err := other.Annotate(ctx, "1", "looks good"); err != nil {
		t.Fatal(err)
	}
	if r, err := other.Claim(ctx, engine.ClaimOptions{Agent: "other", Filter: "+docs"}); err != nil || r.Task != nil {
		t.Fatalf("a claim 40 minutes in took %+v (%v): the lease was renewed 20 minutes ago", r, err)
	}
	step(11 * time.Minute) // 31 minutes after the session's note; the third agent's note renewed nothing
	r, err = other.Claim(ctx, engine.ClaimOptions{Agent: "other", Filter: "+docs"})
	if err != nil || r.Task == nil || r.Task.ID != 1 {
		t.Fatalf("once the lease lapsed the next claim should take task 1: %+v, %v", r, err)
	}
}
