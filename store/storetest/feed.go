package storetest

import (
	"context"
	"fmt"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/store"
)

var feedScenarios = []scenario{
	{"the change feed reports the newest sequence at once and after every commit", func(h *H) {
		before := h.commit(0)
		ctx, cancel := context.WithCancel(h.Ctx)
		defer cancel()
		ch, err := h.S.Changes(ctx)
		if err != nil {
			h.Fatal(err)
		}
		first := next(h, ch)
		if first != before {
			h.Errorf("first report %d, want the newest sequence %d", first, before)
		}
		for i := 1; i <= 3; i++ {
			want := h.commit(i)
			for got := next(h, ch); got < want; got = next(h, ch) {
				if got < first {
					h.Fatalf("the feed went backwards: %d after %d", got, first)
				}
			}
		}
		cancel()
		deadline := time.After(5 * time.Second)
		for {
			select {
			case _, open := <-ch:
				if !open {
					return
				}
			case <-deadline:
				h.Fatal("the feed's channel was not closed after its context ended")
			}
		}
	}},
}

// commit adds task n and its journal entry in one write, as a command
// would, and returns the entry's sequence number.
func (h *H) commit(n int) int64 {
	h.Helper()
	e := &store.Entry{At: clock, Agent: "bob", Command: "add", Summary: fmt.Sprintf("add task %d", n+1)}
	h.write(func(tx store.Tx) error {
		id, err := tx.NextID(h.Ctx)
		if err != nil {
			return err
		}
		t := &backlog.Task{ID: id, UUID: fmt.Sprintf("%08x-0000-4000-8000-000000000000", n), Description: e.Summary, Status: backlog.StatusPending}
		if err := tx.Insert(h.Ctx, t); err != nil {
			return err
		}
		e.Changes = []store.Change{{UUID: t.UUID, After: t}}
		return tx.Append(h.Ctx, e)
	})
	return e.Seq
}

// next waits for the feed's next report.
func next(h *H, ch <-chan int64) int64 {
	h.Helper()
	select {
	case seq, ok := <-ch:
		if !ok {
			h.Fatal("the feed closed early")
		}
		return seq
	case <-time.After(5 * time.Second):
		h.Fatal("no report from the feed within 5 s")
	}
	return 0
}
