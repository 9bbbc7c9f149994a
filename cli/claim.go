package cli

import (
	"github.com/agent-backlog/backlog/internal/lazyre"
	"strings"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
)

type claimCmd struct {
	Agent string   `help:"Claim for this agent (default: BACKLOG_AGENT_ID); without a filter it is also a role hint." placeholder:"AGENT"`
	Lease string   `help:"Let the claim lapse after this long without a change by the agent: 30min, 2h, 1d." placeholder:"DURATION"`
	Words []string `arg:"" optional:"" help:"A task id or UUID; or ID AGENT; or filter words (default: +READY)."`
}

func (c *claimCmd) Help() string {
	return `Takes a task for an agent: sets its agent and start, atomically, so that two
agents claiming at once never get the same task. Without an id it takes the
most urgent READY task that no agent holds among those the filter selects.
Nothing left to claim is not an error: it prints "Nothing to claim." (with
--json, {"task":null}).

Role hints. With --agent ROLE and no id or filter, the role picks the work:
first the tasks tagged +ROLE or in project ROLE (or ROLE.*); when there are
none, only the tasks with no project and no tags (the doc tag a spec adds
does not count). A task tagged or filed for anything else is left for its
specialist, never taken by default: give a filter to take it
(backlog claim --agent docs +bug). Without --agent, claim takes any READY
task.

Leases. With --lease DURATION (30min, 2h, 1d) the claim lapses once the
agent has gone that long without changing the task (any change by it
renews the lease): the next claim by anyone returns the task to the pool,
with an annotation that says whose lease expired, so that the work of an
agent that died is not held forever. backlog info shows lease (seconds) and
lease_until. Every claim returns lapsed claims first; backlog undo gives
them back.

"backlog claim ID AGENT" (two words: an id or UUID, then a name) claims that
task for that agent, for a person directing agents. Claiming by id a task
held by another agent, blocked, waiting or not pending is an error that says
why (exit status 3).

Examples:

    backlog claim
    backlog claim --agent backend
    backlog claim --agent backend --lease 30min
    backlog claim project:auth --json
    backlog claim 12
    backlog claim 12 docs`
}

// refWord matches one task reference: an id, a full UUID or a UUID prefix of
// at least 8 hex digits.
var refWord = lazyre.New(`^(?:[0-9]+|[0-9a-fA-F]{8}(?:-[0-9a-fA-F-]{0,27})?)$`)

// agentWord matches a plain agent name, as in "backlog claim 12 backend": it
// cannot be read as a filter term (no ':', '+', '-' or parenthesis first).
var agentWord = lazyre.New(`^[\p{L}_][\p{L}\p{N}_.@-]*$`)

// filterKeywords are the words that are filter operators, never agent names.
var filterKeywords = map[string]bool{"and": true, "or": true, "xor": true, "not": true}

func (c *claimCmd) Run(a *runner) error {
	opts := engine.ClaimOptions{Agent: strings.TrimSpace(c.Agent), Lease: c.Lease}
	words := c.Words
	switch {
	case len(words) == 1 && refWord().MatchString(words[0]):
		opts.ID = words[0]
	case len(words) == 2 && refWord().MatchString(words[0]) && agentWord().MatchString(words[1]) &&
		!filterKeywords[strings.ToLower(words[1])] && !refWord().MatchString(words[1]):
		if opts.Agent != "" && opts.Agent != words[1] {
			return backlog.Invalidf("two agents for one claim, %q and %q: give the agent once", opts.Agent, words[1])
		}
		opts.ID, opts.Agent = words[0], words[1]
	case len(words) > 0:
		opts.Filter = strings.Join(words, " ")
	}
	if opts.Agent != "" {
		if err := backlog.ValidateAgent(opts.Agent); err != nil {
			return err
		}
	}
	eng, err := a.Engine(true)
	if err != nil {
		return err
	}
	res, err := eng.Claim(a.ctx, opts)
	if err != nil {
		return err
	}
	if a.globals.JSON {
		return a.printJSON(res)
	}
	if res.Task == nil {
		a.say("Nothing to claim.")
		return nil
	}
	lease := ""
	if res.Task.Lease > 0 {
		lease = " with a " + engine.FormatLease(res.Task.Lease) + " lease"
	}
	return a.printResult(res, "Claimed task "+named(res.Task)+" for "+res.Task.Agent+lease+".")
}
