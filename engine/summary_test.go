package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/store/memstore"
)

// TestSummaryStaysSmall builds a backlog of 10,000 tasks, the worst case for
// every part of the summary (long descriptions, many agents at work, many
// overdue and recently completed tasks), and checks the summary's JSON stays
// within the 1,500 bytes a session-start hook can afford.
func TestSummaryStaysSmall(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC)
	e := engine.New(memstore.New(), engine.Options{Agent: "planner", Clock: func() time.Time { return now }})
	long := "Ünïcode " + strings.Repeat("and a long description ", 20)
	var b strings.Builder
	b.WriteString("[")
	for i := 0; i < 10_000; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"description":"%d %s","project":"project-number-%d.sub-project","priority":"H","tags":["a%d","b"]`, i, long[:400], i%50, i%7)
		switch {
		case i%10 == 0:
			fmt.Fprintf(&b, `,"due":"2026-10-%02dT00:00:00Z"`, 1+i%28) // overdue
		case i%10 == 1:
			fmt.Fprintf(&b, `,"status":"completed","end":"2026-11-18T0%d:00:00Z"`, i%9)
		case i%50 == 2:
			fmt.Fprintf(&b, `,"agent":"agent-with-a-long-name-%d","start":"2026-11-18T08:00:00Z"`, i%41)
		}
		b.WriteString("}")
	}
	b.WriteString("]")
	if _, err := e.Import(ctx, []byte(b.String()), engine.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	s, err := e.Summary(ctx, engine.SummaryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(s)
	if len(out) > 1500 {
		t.Errorf("summary is %d bytes, want at most 1500:\n%s", len(out), out)
	}
	if s.OverdueN != 1000 || s.DoneN != 1000 || s.Counts["pending"] != 9000 || len(s.Next) != 5 || s.MoreActive == 0 {
		t.Errorf("summary lost information: %s", out)
	}
	t.Logf("%d bytes: %s", len(out), out)
}
