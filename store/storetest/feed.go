package storetest

import (
	"context"
	"time"
)

var feedScenarios = []scenario{
	{"the change feed reports the newest sequence at once and after every commit", func(h *H) {
		h.Add("Before watching")
		ctx, cancel := context.WithCancel(h.Ctx)
		ch, err := h.Store.Changes(ctx)
		if err != nil {
			h.Fatal(err)
		}
		first := next(h, ch)
		if first != h.Last().Seq {
			h.Errorf("first report %d, want the newest sequence %d", first, h.Last().Seq)
		}
		bob := h.Engine("bob")
		for i := 0; i < 3; i++ {
			if _, err := bob.Add(h.Ctx, h.Mods("By bob")); err != nil {
				h.Fatal(err)
			}
			want := h.Last().Seq
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
