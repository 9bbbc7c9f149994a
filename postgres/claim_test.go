package postgres

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/store"
)

// addTasks inserts n pending tasks in one write and returns them.
func addTasks(t testing.TB, s store.Store, n int, desc string) []*backlog.Task {
	t.Helper()
	ctx := context.Background()
	var out []*backlog.Task
	write(t, s, func(tx store.Tx) error {
		out = out[:0]
		for i := 0; i < n; i++ {
			id, err := tx.NextID(ctx)
			if err != nil {
				return err
			}
			task := &backlog.Task{ID: id, UUID: uuid.NewString(), Description: fmt.Sprintf("%s %d", desc, i),
				Status: backlog.StatusPending, Entry: clock.Add(-time.Duration(i) * time.Minute), Modified: clock}
			if i%5 == 0 {
				task.Priority = backlog.PriorityHigh
			}
			if err := tx.Insert(ctx, task); err != nil {
				return err
			}
			out = append(out, task)
		}
		return nil
	})
	return out
}

// TestClaimsNeverCollide: 16 claimers on one backlog take every ready task
// exactly once, with no error and no retried transaction: SKIP LOCKED
// claims under REPEATABLE READ never fail because of each other.
func TestClaimsNeverCollide(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	const claimers, tasks = 16, 320
	all := addTasks(t, s, tasks, "claim me")
	// Tasks that are not ready: blocked by a pending task that nobody may
	// claim (it waits), and one scheduled later.
	write(t, s, func(tx store.Tx) error {
		id, _ := tx.NextID(ctx)
		waiting := &backlog.Task{ID: id, UUID: uuid.NewString(), Description: "waits", Status: backlog.StatusPending,
			Wait: clock.Add(time.Hour), Entry: clock}
		if err := tx.Insert(ctx, waiting); err != nil {
			return err
		}
		id, _ = tx.NextID(ctx)
		return tx.Insert(ctx, &backlog.Task{ID: id, UUID: uuid.NewString(), Description: "blocked", Status: backlog.StatusPending,
			Depends: []string{waiting.UUID}, Entry: clock})
	})
	before := s.Conflicts()
	var (
		mu      sync.Mutex
		claimed = map[string]string{} // uuid -> agent
		wg      sync.WaitGroup
	)
	start := time.Now()
	for g := 0; g < claimers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			agent := fmt.Sprintf("claimer-%d", g)
			e := engine.New(s, engine.Options{Agent: agent, Clock: func() time.Time { return clock }})
			for {
				r, err := e.Claim(ctx, engine.ClaimOptions{})
				if err != nil {
					t.Errorf("%s: %v", agent, err)
					return
				}
				if r.Task == nil {
					return // nothing left
				}
				mu.Lock()
				if other, ok := claimed[r.Task.UUID]; ok {
					t.Errorf("task %d claimed by %s and %s", r.Task.ID, other, agent)
				}
				claimed[r.Task.UUID] = agent
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	t.Logf("%d claims by %d claimers in %v; %d candidates skipped as held by another claimer",
		len(claimed), claimers, time.Since(start).Round(time.Millisecond), s.skipped.Load())
	if len(claimed) != tasks {
		t.Errorf("%d tasks claimed, want %d", len(claimed), tasks)
	}
	if n := s.Conflicts() - before; n != 0 {
		t.Errorf("%d claim transactions met a conflict and ran again, want none", n)
	}
	read(t, s, func(tx store.Tx) error {
		for _, task := range all {
			got, err := tx.TaskByUUID(ctx, task.UUID)
			if err != nil {
				return err
			}
			if got.Agent == "" || got.Agent != claimed[task.UUID] {
				t.Errorf("task %d is held by %q, but %q claimed it", got.ID, got.Agent, claimed[task.UUID])
			}
		}
		es, err := tx.Entries(ctx, 0, "", 0)
		if err != nil {
			return err
		}
		if len(es) != tasks {
			t.Errorf("%d journal entries, want one per claim (%d)", len(es), tasks)
		}
		return nil
	})
}
