package cli

import (
	"context"
	"fmt"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
)

// printResult prints what a command on one task returns: with --json the
// MCP tool's object ({"task":…} and, when set, unblocked, blocked_by,
// dependents, next); else the headline and a sentence for each of those.
func (a *runner) printResult(r *engine.Result, headline string) error {
	if a.globals.JSON {
		return a.printJSON(r)
	}
	a.say("%s", headline)
	if n := len(r.BlockedBy); n > 0 {
		a.say("It still depends on %s %s, which %s not done.", pick(n, "task", "tasks"), idList(r.BlockedBy), pick(n, "is", "are"))
	}
	if n := len(r.Unblocked); n > 0 {
		a.say("Unblocked %s %s.", pick(n, "task", "tasks"), idList(r.Unblocked))
	}
	if n := len(r.Dependents); n > 0 {
		a.say("%s %s %s on it.", pick(n, "Task", "Tasks"), idList(r.Dependents), pick(n, "depends", "depend"))
	}
	if r.Next != nil {
		a.say("Next instance: task %d, due %s.", r.Next.ID, r.Next.Due.UTC().Format(backlog.DateLayout))
	}
	return nil
}

// pick chooses the singular or the plural.
func pick(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// oneTask runs a command on the task ref names and prints its result with
// a headline such as `Completed task 12 "Fix login".`
func (a *runner) oneTask(ref string, verb string, fn func(*engine.Engine, context.Context, string) (*engine.Result, error)) error {
	eng, err := a.Engine(true)
	if err != nil {
		return err
	}
	r, err := fn(eng, a.ctx, ref)
	if err != nil {
		return err
	}
	return a.printResult(r, fmt.Sprintf("%s task %s.", verb, named(r.Task)))
}
