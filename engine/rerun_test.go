package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/memstore"
)

// rerunStore throws away the first run of every write and runs it again,
// as a store does after a serialization failure (PostgreSQL) or a refused
// upload (S3), with between run in the gap: another agent's command.
type rerunStore struct {
	store.Store
	between func()
}

var errThrownAway = errors.New("thrown away")

func (s *rerunStore) Write(ctx context.Context, fn func(store.Tx) error) error {
	err := s.Store.Write(ctx, func(tx store.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return errThrownAway
	})
	if !errors.Is(err, errThrownAway) {
		return err
	}
	if s.between != nil {
		s.between()
	}
	return s.Store.Write(ctx, fn)
}

// TestACommandRunAgainReportsOnlyTheRunTheStoreKept: a claim whose first
// run took the last task, and whose second found it taken by another agent
// meanwhile, claims nothing and says so; commands that gather tasks list
// each once.
func TestACommandRunAgainReportsOnlyTheRunTheStoreKept(t *testing.T) {
	ctx := context.Background()
	mem := memstore.New()
	other := engine.New(mem, engine.Options{Agent: "other"})
	rerun := &rerunStore{Store: mem}
	e := engine.New(rerun, engine.Options{Agent: "me"})
	add := func(desc string) {
		c, err := engine.ParseNew([]string{desc})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := other.Add(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	add("the last task")

	rerun.between = func() {
		if _, err := other.Claim(ctx, engine.ClaimOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	r, err := e.Claim(ctx, engine.ClaimOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Task != nil {
		t.Errorf("the claim reports task %d, which the other agent took between the runs", r.Task.ID)
	}

	rerun.between = nil
	add("second")
	res, err := e.AssignAll(ctx, "me", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tasks) != 1 {
		t.Errorf("assign-all run twice lists %d tasks, want 1", len(res.Tasks))
	}
}
