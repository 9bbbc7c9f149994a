package cli

import (
	"regexp"
	"strings"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
)

type claimCmd struct {
	Agent string   `help:"Claim for this agent (default: BACKLOG_AGENT_ID); without a filter it is also a role hint." placeholder:"AGENT"`
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

"backlog claim ID AGENT" (two words: an id or UUID, then a name) claims that
task for that agent, for a person directing agents. Claiming by id a task
held by another agent, blocked, waiting or not pending is an error that says
why (exit status 3).

Examples:

    backlog claim
    backlog claim --agent backend
    backlog claim project:auth --json
    backlog claim 12
    backlog claim 12 docs`
}

// refWord matches one task reference: an id, a full UUID or a UUID prefix of
// at least 8 hex digits.
var refWord = regexp.MustCompile(`^(?:[0-9]+|[0-9a-fA-F]{8}(?:-[0-9a-fA-F-]{0,27})?)$`)

// agentWord matches a plain agent name, as in "backlog claim 12 backend": it
// cannot be read as a filter term (no ':', '+', '-' or parenthesis first).
var agentWord = regexp.MustCompile(`^[\p{L}_][\p{L}\p{N}_.@-]*$`)

// filterKeywords are the words that are filter operators, never agent names.
var filterKeywords = map[string]bool{"and": true, "or": true, "xor": true, "not": true}

func (c *claimCmd) Run(a *runner) error {
	opts := engine.ClaimOptions{Agent: strings.TrimSpace(c.Agent)}
	words := c.Words
	roleHint := false
	switch {
	case len(words) == 1 && refWord.MatchString(words[0]):
		opts.ID = words[0]
	case len(words) == 2 && refWord.MatchString(words[0]) && agentWord.MatchString(words[1]) &&
		!filterKeywords[strings.ToLower(words[1])] && !refWord.MatchString(words[1]):
		if opts.Agent != "" && opts.Agent != words[1] {
			return backlog.Invalidf("two agents for one claim, %q and %q: give the agent once", opts.Agent, words[1])
		}
		opts.ID, opts.Agent = words[0], words[1]
	case len(words) > 0:
		opts.Filter = strings.Join(words, " ")
	default:
		roleHint = opts.Agent != ""
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
	var res *engine.Result
	if roleHint {
		res, err = claimByRole(a, eng, opts.Agent)
	} else {
		res, err = eng.Claim(a.ctx, opts)
	}
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
	return a.printResult(res, "Claimed task "+named(res.Task)+" for "+res.Task.Agent+".")
}

// otherThanDoc is a tags regex that matches any tag but "doc" (RE2 has no
// lookahead): a task whose tags it never matches has no tag but the one a
// doc adds.
const otherThanDoc = `tags.regex:^(?:[^d].*|d(?:[^o].*)?|do(?:[^c].*)?|doc.+)$`

// roleFilters are the claims a role hint tries in turn: the role's own work,
// then work that names no role at all.
func roleFilters(role string) []string {
	var own []string
	if backlog.ValidateTag(role) == nil && !strings.ContainsAny(role, `\`) {
		own = append(own, "+"+role)
	}
	if backlog.ValidateProject(role) == nil {
		own = append(own, "project:"+role)
	}
	var out []string
	if len(own) > 0 {
		out = append(out, "("+strings.Join(own, " or ")+")")
	}
	return append(out, "project.none: not "+otherThanDoc)
}

// claimByRole claims for a role: its own tasks first, then unlabelled ones.
// Each try is one atomic claim; a task created between them may be missed,
// never taken twice.
func claimByRole(a *runner, eng *engine.Engine, role string) (*engine.Result, error) {
	var res *engine.Result
	for _, f := range roleFilters(role) {
		var err error
		res, err = eng.Claim(a.ctx, engine.ClaimOptions{Agent: role, Filter: f})
		if err != nil || res.Task != nil {
			return res, err
		}
	}
	return res, nil
}
