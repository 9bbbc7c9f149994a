package cli

import (
	"bytes"
	"encoding/json"
	"strings"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
)

type watchCmd struct {
	From   *int64   `help:"Start after the change numbered SEQ (0: from the first change; default: from now)." placeholder:"SEQ"`
	Filter []string `arg:"" optional:"" help:"Filter words, judged on each task after its change (default: every change)."`
}

func (c *watchCmd) Help() string {
	return `Streams the backlog's changes, by any process or machine, as they are
committed: one line of JSON per task changed ({"seq", "at", "agent",
"command", "summary", "task", "gone"}), in order, each exactly once, until
interrupted (Ctrl-C ends it with exit status 0). The filter is judged on the
task after the change, with no implicit status. To resume, pass the last
seq you saw to --from.

Examples:

    backlog watch
    backlog watch project:auth
    backlog watch --from 0 | jq -r .summary`
}

// flusher is an output stream that buffers.
type flusher interface{ Flush() error }

func (c *watchCmd) Run(a *runner) error {
	after := int64(-1)
	if c.From != nil {
		if *c.From < 0 {
			return backlog.Invalidf("--from must be a change number, 0 or more, got %d", *c.From)
		}
		after = *c.From
	}
	// Open the store file even when it does not exist yet, so that the
	// first writer's changes are seen.
	eng, err := a.Engine(true)
	if err != nil {
		return err
	}
	f, _ := a.env.Stdout.(flusher)
	_, err = eng.Watch(a.ctx, strings.Join(c.Filter, " "), after, func(ev engine.Event) error {
		var line bytes.Buffer
		enc := json.NewEncoder(&line)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(ev); err != nil {
			return err
		}
		if _, err := a.env.Stdout.Write(line.Bytes()); err != nil {
			return err
		}
		if f != nil {
			return f.Flush()
		}
		return nil
	})
	if a.ctx.Err() != nil {
		return nil // interrupted: the normal end
	}
	return err
}
