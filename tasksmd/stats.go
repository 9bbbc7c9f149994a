package tasksmd

import (
	"fmt"
	"strings"
)

// Stats is the queue overview of `stats`.
type Stats struct {
	Total      int
	ByPriority [4]int
	Blocked    int
	Claimed    int
	// Available is Total − Blocked − Claimed: a task both blocked and
	// claimed is subtracted twice, as the reference does.
	Available int
	FileCount int
}

// Throughput is the completed-task count read from git history; the
// caller computes it (this package runs no command).
type Throughput struct {
	Total, Month, Week int
	TopAgents          []AgentCount
}

// AgentCount is one agent's number of completed tasks.
type AgentCount struct {
	Agent string
	Count int
}

// Stats counts the queue.
func (q *Queue) Stats() Stats {
	ix := q.index()
	s := Stats{FileCount: len(q.Files)}
	for _, t := range q.Tasks() {
		s.Total++
		s.ByPriority[t.Priority]++
		if ix.blocked(t) {
			s.Blocked++
		}
		if t.Claimed != "" {
			s.Claimed++
		}
	}
	s.Available = s.Total - s.Blocked - s.Claimed
	return s
}

// StatsJSON is `stats --json`, one compact line. With th (in a git
// repository) the reference's throughput and topAgents follow.
func StatsJSON(s Stats, th *Throughput) string {
	obj := jsonObject{
		{"total", s.Total},
		{"byPriority", jsonObject{{"P0", s.ByPriority[0]}, {"P1", s.ByPriority[1]}, {"P2", s.ByPriority[2]}, {"P3", s.ByPriority[3]}}},
		{"blocked", s.Blocked}, {"claimed", s.Claimed}, {"available", s.Available}, {"fileCount", s.FileCount},
	}
	if th != nil {
		top := make([]jsonValue, len(th.TopAgents))
		for i, a := range th.TopAgents {
			top[i] = jsonObject{{"agent", a.Agent}, {"count", a.Count}}
		}
		obj = append(obj, jsonPair{"throughput", jsonObject{{"total", th.Total}, {"week", th.Week}, {"month", th.Month}}},
			jsonPair{"topAgents", top})
	}
	return encodeJSON(obj, 0) + "\n"
}

// StatsText is `stats` in the reference's layout; the throughput section
// is printed only with th.
func StatsText(s Stats, th *Throughput) string {
	var b strings.Builder
	p := func(f string, a ...any) { fmt.Fprintf(&b, f+"\n", a...) }
	p("📋 Queue Overview")
	p("")
	p("  P0   P1   P2   P3   Total")
	p("  %-4d %-4d %-4d %-4d %d", s.ByPriority[0], s.ByPriority[1], s.ByPriority[2], s.ByPriority[3], s.Total)
	p("")
	p("  Blocked: %d", s.Blocked)
	p("  Claimed: %d", s.Claimed)
	p("  Available: %d", s.Available)
	p("  Files: %d", s.FileCount)
	if th == nil {
		return b.String()
	}
	p("")
	p("📊 Throughput")
	p("")
	p("  Completed (all time):  %d", th.Total)
	p("  Completed (this month): %d", th.Month)
	p("  Completed (this week):  %d", th.Week)
	if len(th.TopAgents) > 0 {
		p("")
		p("  Top agents:")
		for _, a := range th.TopAgents {
			p("    @%s: %d task(s)", a.Agent, a.Count)
		}
	}
	return b.String()
}
