package cli

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/store/memstore"
)

// TestSummaryTextStaysSmall prints the summary of a worst-case backlog of
// 10,000 tasks (long descriptions and agent names, many agents at work,
// many overdue and recently completed tasks): the human form must stay
// within the 1,500 bytes a session-start hook can afford, and keep counts.
func TestSummaryTextStaysSmall(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC)
	e := engine.New(memstore.New(), engine.Options{Agent: "planner", Clock: func() time.Time { return now }})
	long := "Ünïcode " + strings.Repeat("and a long description ", 20)
	agent := strings.Repeat("agent-with-a-very-long-name-", 7)
	var b strings.Builder
	b.WriteString("[")
	for i := 0; i < 10_000; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"description":"%d %s","project":"project-number-%d.sub-project","priority":"H","tags":["a%d","b"]`, i, long[:400], i%50, i%7)
		switch {
		case i%10 == 0:
			fmt.Fprintf(&b, `,"due":"2026-10-%02dT00:00:00Z"`, 1+i%28)
		case i%10 == 1:
			fmt.Fprintf(&b, `,"status":"completed","end":"2026-11-18T0%d:00:00Z"`, i%9)
		case i%50 == 2:
			fmt.Fprintf(&b, `,"agent":"%s%d","start":"2026-11-18T08:00:00Z"`, agent, i%41)
		}
		b.WriteString("}")
	}
	b.WriteString("]")
	if _, err := e.Import(ctx, []byte(b.String()), engine.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	sum, err := e.Summary(ctx, engine.SummaryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	text := summaryText(sum)
	if len(text) > engine.SummaryBudget {
		t.Errorf("the summary is %d bytes, want at most %d:\n%s", len(text), engine.SummaryBudget, text)
	}
	for _, want := range []string{"Tasks: 9000 pending, 1000 completed.", "Overdue (1000)", "(1000)", "more agents", "Next:\n  "} {
		if !strings.Contains(text, want) {
			t.Errorf("the summary lacks %q:\n%s", want, text)
		}
	}
	t.Logf("%d bytes:\n%s", len(text), text)
}
