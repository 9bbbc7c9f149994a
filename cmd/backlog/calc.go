package main

import (
	"fmt"
	"strings"

	"github.com/agent-backlog/backlog/when"
)

// calcCmd resolves a date expression, as Taskwarrior's "task calc" does.
type calcCmd struct {
	Expr []string `arg:"" passthrough:"" help:"The date expression; words are joined with spaces."`
}

func (c *calcCmd) Run() error {
	now, err := clock()
	if err != nil {
		return err
	}
	t, err := when.Parse(strings.Join(c.Expr, " "), now)
	if err != nil {
		return err
	}
	fmt.Println(when.Format(t))
	return nil
}
