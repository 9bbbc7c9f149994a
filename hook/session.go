package hook

import (
	"context"
	"strings"

	"github.com/agent-backlog/backlog/engine"
)

// sessionStart adds the backlog's summary to the session's context: counts,
// who holds what, what is overdue, the next READY tasks, what was done
// lately. It reads only, and creates no backlog where there is none.
func sessionStart(ctx context.Context, _ *Input, env Env) (*Output, error) {
	eng, err := env.Engine(false)
	if err != nil {
		return nil, err
	}
	sum, err := eng.Summary(ctx, engine.SummaryOptions{})
	if err != nil {
		return nil, err
	}
	text := "Backlog of this repository (persistent tasks; the backlog MCP tools, e.g. task_claim, task_list):\n" +
		strings.TrimSuffix(env.SummaryText(sum), "\n")
	return addContext("SessionStart", text), nil
}
