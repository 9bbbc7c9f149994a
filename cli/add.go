package cli

import (
	"context"
	"fmt"
	"strings"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
)

type addCmd struct {
	Tags  string   `help:"Comma-separated tags, the same as +tag words (Tinytown's form)." placeholder:"A,B"`
	Words []string `arg:"" optional:"" help:"The description, with modifications among its words."`
}

func (c *addCmd) Help() string {
	return `Adds a pending task. Words of the form name:value, +tag and -tag set fields
(attribute names may be abbreviated: pro:web); every other word is part of
the description. With recur:PERIOD the task is a recurring template and its
first instance is created at once. A quoted phrase is always text, even
with words such as --json or -bug in it.

Examples:

    backlog add Fix login page project:web +bug due:friday priority:H
    backlog add Renew certificate due:eom recur:monthly
    backlog add Write the spec depends:12,13 --json
    backlog add "Document the --json flag" +docs
    backlog add "Investigate flaky auth test" --tags test,auth`
}

func (c *addCmd) Run(a *runner) error {
	words, err := withTags(c.Words, c.Tags)
	if err != nil {
		return err
	}
	return a.create(words, "Created", (*engine.Engine).Add)
}

// withTags adds a --tags list to the words as +tag modifications, so that
// each tag is read and checked exactly as a +tag word is.
func withTags(words []string, tags string) ([]string, error) {
	for _, t := range strings.Split(tags, ",") {
		if t = strings.TrimSpace(t); t != "" {
			if err := backlog.ValidateTag(t); err != nil {
				return nil, err
			}
			words = append(words, "+"+t)
		}
	}
	return words, nil
}

// create runs add or log.
func (a *runner) create(words []string, verb string, fn func(*engine.Engine, context.Context, *engine.Changes) (*engine.Result, error)) error {
	changes, err := engine.ParseNew(words)
	if err != nil {
		return err
	}
	eng, err := a.Engine(true)
	if err != nil {
		return err
	}
	r, err := fn(eng, a.ctx, changes)
	if err != nil {
		return err
	}
	what := "task"
	if r.Task.Recur != "" && r.Next != nil {
		what = "recurring task"
	}
	return a.printResult(r, fmt.Sprintf("%s %s %d.", verb, what, r.Task.ID))
}
