// Package storetest is the contract of store.Store and store.Tx, checked
// transaction by transaction without the engine: what a task looks like
// after a round trip, which sentence a missing task or a duplicate id gets,
// that a failed write leaves nothing behind, that ids are never reused,
// how the journal numbers and finds its entries, what the dependency graph
// and the change feed report. The engine's behaviour over a store is
// engine/enginetest's; this package imports nothing above store.
//
// A backend's test calls Run with a Backend that opens a fresh, empty store:
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, storetest.Backend{Open: open})
//	}
//
// Every scenario runs in parallel with the others, on a store of its own.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store"
)

// Backend is a store implementation as the contract needs it.
type Backend struct {
	// Open returns a new, empty store that no other call of Open shares.
	// It is called from many goroutines at once. Run closes the store
	// when the scenario ends.
	Open func(t *testing.T) store.Store
	// Reopen closes s and opens the same backlog again, as the next
	// process would. It is nil for a backend that keeps nothing past
	// Close (memstore): the scenarios then check everything but what a
	// reopened store remembers.
	Reopen func(t *testing.T, s store.Store) store.Store
	// Leftovers, when set, fails t if any row of the purged task uuid is
	// left in s's own tables (index rows, search text, docs), which the
	// Tx methods cannot see.
	Leftovers func(t *testing.T, s store.Store, uuid string)
	// DenseSeq says that the journal of a new backlog numbers its entries
	// 1, 2, 3 with no gap. Without it the contract only asks that they
	// grow: PostgreSQL draws them from one sequence for every backlog of
	// the database.
	DenseSeq bool
}

// Run runs every scenario of the contract against the backend.
func Run(t *testing.T, b Backend) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			sc.run(start(t, b))
		})
	}
}

// scenario is one test of the contract, run on a fresh store.
type scenario struct {
	name string
	run  func(h *H)
}

// scenarios are every scenario of the contract, in the order they are
// reported.
var scenarios = concat(txScenarios, feedScenarios)

func concat(groups ...[]scenario) []scenario {
	var out []scenario
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// H is one scenario's harness: the store under test and the backend that
// opened it, with helpers that fail the test on unexpected errors.
type H struct {
	*testing.T
	Ctx     context.Context
	S       store.Store
	backend Backend
}

func start(t *testing.T, b Backend) *H {
	s := b.Open(t)
	if s == nil {
		t.Fatal("Open returned a nil store")
	}
	h := &H{T: t, Ctx: context.Background(), S: s, backend: b}
	t.Cleanup(func() {
		if err := h.S.Close(); err != nil {
			t.Errorf("closing the store: %v", err)
		}
	})
	return h
}

// reopen closes the store and opens its backlog again; false when the
// backend cannot.
func (h *H) reopen() bool {
	h.Helper()
	if h.backend.Reopen == nil {
		return false
	}
	h.S = h.backend.Reopen(h.T, h.S)
	return true
}

// write runs fn in a write transaction and fails the test on an error.
func (h *H) write(fn func(store.Tx) error) {
	h.Helper()
	if err := h.S.Write(h.Ctx, fn); err != nil {
		h.Fatal(err)
	}
}

// read runs fn in a read transaction and fails the test on an error.
func (h *H) read(fn func(store.Tx) error) {
	h.Helper()
	if err := h.S.Read(h.Ctx, fn); err != nil {
		h.Fatal(err)
	}
}

// insert stores tasks in one write transaction.
func (h *H) insert(ts ...*backlog.Task) {
	h.Helper()
	h.write(func(tx store.Tx) error {
		for _, t := range ts {
			if err := tx.Insert(h.Ctx, t); err != nil {
				return err
			}
		}
		return nil
	})
}

// update replaces tasks in one write transaction.
func (h *H) update(ts ...*backlog.Task) {
	h.Helper()
	h.write(func(tx store.Tx) error {
		for _, t := range ts {
			if err := tx.Update(h.Ctx, t); err != nil {
				return err
			}
		}
		return nil
	})
}

// countOf counts the tasks of any status matching a filter, and checks
// that Select agrees with Count.
func (h *H) countOf(tx store.Tx, src string) int {
	h.Helper()
	udas, err := tx.UDAs(h.Ctx)
	if err != nil {
		h.Fatal(err)
	}
	e, err := filter.Parse(src, filter.Options{Now: clock, UDAs: udas})
	if err != nil {
		h.Fatal(err)
	}
	n, err := tx.Count(h.Ctx, store.Query{Filter: e, Now: clock})
	if err != nil {
		h.Fatal(err)
	}
	ts, err := tx.Select(h.Ctx, store.Query{Filter: e, Now: clock})
	if err != nil {
		h.Fatal(err)
	}
	if len(ts) != n {
		h.Errorf("%q: Select has %d tasks, Count says %d", src, len(ts), n)
	}
	return n
}

// clock is the fixed now of the scenarios: a Wednesday.
var clock = time.Date(2026, 3, 4, 15, 30, 0, 0, time.UTC)

var equateEmpty = cmpopts.EquateEmpty()

const (
	uuid1 = "11111111-1111-4111-8111-111111111111"
	uuid2 = "22222222-2222-4222-8222-222222222222"
	uuid3 = "33333333-3333-4333-8333-333333333333"
)

// fullTask has every field set, with text a careless encoding would
// damage: markup, quotes, accents, a title-case digraph, the Kelvin sign.
func fullTask() *backlog.Task {
	return &backlog.Task{
		ID: 1, UUID: uuid1, Description: "Fix the <login> page & \"quotes\" — naïve",
		Status: backlog.StatusPending, Project: "web.ui", Priority: backlog.PriorityHigh,
		Tags:      []string{"bug", "ux", "ünï"},
		Due:       clock.Add(48 * time.Hour),
		Scheduled: clock.Add(-time.Hour),
		Wait:      clock.Add(-2 * time.Hour),
		Until:     clock.Add(30 * 24 * time.Hour),
		Recur:     "weekly", Parent: uuid3, Mask: "--+",
		Depends: []string{uuid2},
		Agent:   "backend@host",
		Annotations: []backlog.Annotation{
			{Entry: clock.Add(-time.Minute), Description: "first note"},
			{Entry: clock, Description: "Straße ǅ \u212a"},
		},
		HasDoc:   true,
		Entry:    clock.Add(-24 * time.Hour),
		Modified: clock,
		Start:    clock.Add(-30 * time.Minute),
		End:      clock.Add(time.Minute),
		Extra: map[string]any{
			"estimate": 3.5, "big": 1e21, "neg": -2.0, "owner": "ana <a@b>", "billable": true, "draft": false,
		},
	}
}

func second[T any](_ T, err error) error { return err }
