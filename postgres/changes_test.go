package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/agent-backlog/backlog/store"
)

// appendEntry commits a journal entry and returns its seq.
func appendEntry(t *testing.T, s store.Store, summary string) int64 {
	t.Helper()
	e := &store.Entry{At: clock, Agent: "feed", Command: "add", Summary: summary}
	write(t, s, func(tx store.Tx) error { return tx.Append(context.Background(), e) })
	return e.Seq
}

// nextReport waits for the feed to report want (or more).
func nextReport(t *testing.T, ch <-chan int64, want int64) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case got, ok := <-ch:
			if !ok {
				t.Fatal("the feed closed")
			}
			if got >= want {
				return
			}
		case <-deadline:
			t.Fatalf("the feed did not report %d within 10 s", want)
		}
	}
}

// TestFeedReconnects: the feed's connection is ended by the server; the
// feed reconnects and reports the newest sequence number, including what
// was committed while it was away, from another store (another machine).
func TestFeedReconnects(t *testing.T) {
	ns := testNamespace()
	s := openNS(t, ns, true)
	other, err := Open(context.Background(), testURL(), ns) // another server of the same backlog
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := appendEntry(t, s, "before")
	ch, err := s.Changes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := <-ch; got != first {
		t.Errorf("first report %d, want %d", got, first)
	}
	nextReport(t, ch, appendEntry(t, other, "from another server"))
	// End the feed's session, then commit while it is away.
	var pid int
	err = server.admin.QueryRow(context.Background(), `SELECT pid FROM pg_stat_activity WHERE application_name = $1`,
		"backlog watch "+s.channel).Scan(&pid)
	if err != nil {
		t.Fatal(err)
	}
	terminate(t, uint32(pid))
	missed := appendEntry(t, other, "while the feed was away")
	nextReport(t, ch, missed)
	nextReport(t, ch, appendEntry(t, s, "after"))
	cancel()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatal("the feed did not close after its context ended")
		}
	}
}
