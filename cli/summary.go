package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/when"
)

type summaryCmd struct {
	Since  string   `help:"Report tasks completed since DATE (default: the last 24 hours)." placeholder:"DATE"`
	Filter []string `arg:"" optional:"" help:"Filter words that narrow every part (default: the whole backlog)."`
}

func (c *summaryCmd) Help() string {
	return `Prints a compact overview for the start of a session: counts by status,
active and claimed tasks by agent, overdue tasks, the next five READY tasks
nobody holds, and what was completed recently. It stays under 1,500 bytes
whatever the backlog's size, so a session-start hook can print it; --json
prints the object task_summary returns.

Examples:

    backlog summary
    backlog summary project:auth
    backlog summary --since yesterday
    backlog summary --json`
}

func (c *summaryCmd) Run(a *runner) error {
	eng, err := a.Engine(false)
	if err != nil {
		return err
	}
	var since time.Time
	if strings.TrimSpace(c.Since) != "" {
		if since, err = when.Parse(c.Since, eng.Now()); err != nil {
			return backlog.Invalidf("cannot parse date %q for --since", c.Since)
		}
	}
	sum, err := eng.Summary(a.ctx, engine.SummaryOptions{Filter: strings.Join(c.Filter, " "), Since: since})
	if err != nil {
		return err
	}
	if a.globals.JSON {
		return a.printJSON(sum)
	}
	a.say("%s", strings.TrimSuffix(summaryText(sum), "\n"))
	return nil
}

// summaryText renders a summary in a few lines, within the same byte budget
// as its JSON: it drops detail (names of completed and overdue tasks, then
// the last READY tasks, then agents) until it fits. Counts always stay.
func summaryText(s *engine.Summary) string {
	var text string
	for level := 0; level < 5; level++ {
		text = renderSummary(s, level)
		if len(text) <= engine.SummaryBudget {
			break
		}
	}
	return text
}

func renderSummary(s *engine.Summary, level int) string {
	var b strings.Builder
	var counts []string
	for _, st := range []string{"pending", "waiting", "completed", "deleted", "recurring"} {
		if n := s.Counts[st]; n > 0 {
			counts = append(counts, strconv.Itoa(n)+" "+st)
		}
	}
	if len(counts) == 0 {
		b.WriteString("No tasks.\n")
	} else {
		b.WriteString("Tasks: " + strings.Join(counts, ", ") + ".\n")
	}

	if len(s.Active) > 0 {
		active, more := s.Active, s.MoreActive
		if level >= 4 && len(active) > 1 {
			more += len(active) - 1
			active = active[:1]
		}
		var parts []string
		for _, w := range active {
			name := w.Agent
			if name == "" {
				name = "(no agent)"
			}
			ids := make([]string, len(w.IDs))
			for i, id := range w.IDs {
				ids[i] = strconv.FormatInt(id, 10)
			}
			if w.Count > len(w.IDs) {
				ids = append(ids, "...")
			}
			parts = append(parts, fmt.Sprintf("%s %d (%s)", name, w.Count, strings.Join(ids, " ")))
		}
		if more > 0 {
			parts = append(parts, fmt.Sprintf("%d more %s", more, pick(more, "agent", "agents")))
		}
		b.WriteString("Active: " + strings.Join(parts, "; ") + ".\n")
	}

	if s.OverdueN > 0 {
		fmt.Fprintf(&b, "Overdue (%d)", s.OverdueN)
		if level < 2 && len(s.Overdue) > 0 {
			var parts []string
			for _, o := range s.Overdue {
				parts = append(parts, fmt.Sprintf("%d %q due %s", o.ID, o.Description, o.Due))
			}
			b.WriteString(": " + strings.Join(parts, ", "))
			if n := s.OverdueN - len(s.Overdue); n > 0 {
				fmt.Fprintf(&b, " and %d more", n)
			}
		}
		b.WriteString(".\n")
	}

	next := s.Next
	if level >= 3 && len(next) > 3 {
		next = next[:3]
	}
	if len(next) > 0 {
		b.WriteString("Next:\n")
		for _, n := range next {
			fmt.Fprintf(&b, "  %d %q", n.ID, n.Description)
			if n.Project != "" {
				b.WriteString(" project:" + n.Project)
			}
			if n.Priority != "" {
				b.WriteString(" priority:" + n.Priority)
			}
			if n.Due != "" {
				b.WriteString(" due:" + n.Due)
			}
			if n.HasDoc {
				b.WriteString(" +DOC")
			}
			if n.Urgency != 0 {
				b.WriteString(" urgency:" + strconv.FormatFloat(n.Urgency, 'f', -1, 64))
			}
			b.WriteString("\n")
		}
	} else {
		b.WriteString("Next: nothing READY and unclaimed.\n")
	}

	if s.DoneN > 0 {
		fmt.Fprintf(&b, "Completed since %s (%d)", s.Since, s.DoneN)
		if level < 1 && len(s.Completed) > 0 {
			var parts []string
			for _, d := range s.Completed {
				parts = append(parts, fmt.Sprintf("%d %q", d.ID, d.Description))
			}
			b.WriteString(": " + strings.Join(parts, ", "))
			if n := s.DoneN - len(s.Completed); n > 0 {
				fmt.Fprintf(&b, " and %d more", n)
			}
		}
		b.WriteString(".\n")
	}
	return b.String()
}
