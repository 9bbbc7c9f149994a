package cli

import (
	"strings"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/when"
)

type reclaimCmd struct {
	OlderThan string `name:"older-than" help:"Reclaim claims unchanged for this long: 30min, 2h, 1d." placeholder:"DURATION"`
}

func (c *reclaimCmd) Help() string {
	return `Returns to the pool the claims of live tasks that their agents have not
renewed for the given time: no claim, and no change by the holding agent,
since then (an agent that died). Each reclaimed task gets an annotation that
says from whom and why, so nothing is reclaimed silently; backlog undo gives
the claims back. Durations use the backlog's units: 30min, 2h, 1d, 1w (a
bare "m" would be months, so it is refused, as task_claim refuses it:
write min or mo).

A claim made with a lease (backlog claim --lease 30min) needs no reclaim:
the next claim once its lease has lapsed returns it to the pool.

Examples:

    backlog reclaim --older-than 2h
    backlog reclaim --older-than 30min --json`
}

// staleAge parses --older-than as task_claim's reclaim is parsed
// (engine.ParseStaleAge), so both give the same answer to the same words.
func staleAge(s string) (time.Duration, error) {
	if strings.TrimSpace(s) == "" {
		return 0, backlog.Invalidf("reclaim needs --older-than, such as 2h: claims unchanged for that long go back to the pool")
	}
	return engine.ParseStaleAge(s)
}

func (c *reclaimCmd) Run(a *runner) error {
	d, err := staleAge(c.OlderThan)
	if err != nil {
		return err
	}
	eng, err := a.Engine(true)
	if err != nil {
		return err
	}
	stale, err := eng.Reclaim(a.ctx, d)
	if err != nil {
		return err
	}
	if a.globals.JSON {
		return a.printJSON(map[string][]engine.Stale{"reclaimed": stale})
	}
	if len(stale) == 0 {
		a.say("No stale claims.")
		return nil
	}
	for _, s := range stale {
		a.say("Reclaimed task %s from %s (unchanged since %s).", named(s.Task), s.Agent, when.Format(s.Renewed))
	}
	if len(stale) > 1 {
		a.say("Reclaimed %s.", plural(len(stale), "claim"))
	}
	return nil
}
