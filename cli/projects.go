package cli

import (
	"context"
	"strconv"

	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/store"
)

type projectsCmd struct{}

func (c *projectsCmd) Help() string {
	return `Lists the projects of pending and recurring tasks with how many tasks each
has. Every exact name counts on its own: web.ui's tasks do not count for web.

Examples:

    backlog projects
    backlog projects --json`
}

func (c *projectsCmd) Run(a *runner) error {
	return a.names("project", (*engine.Engine).Projects)
}

// names prints projects or tags: {"items":[{"name","count"}]} or a table.
func (a *runner) names(kind string, fn func(*engine.Engine, context.Context) ([]store.NameCount, error)) error {
	eng, err := a.Engine(false)
	if err != nil {
		return err
	}
	items, err := fn(eng, a.ctx)
	if err != nil {
		return err
	}
	if items == nil {
		items = []store.NameCount{}
	}
	if a.globals.JSON {
		return a.printJSON(map[string]any{"items": items})
	}
	if len(items) == 0 {
		a.say("No %ss.", kind)
		return nil
	}
	title := []rune(kind)
	title[0] -= 'a' - 'A'
	tb := &table{header: []string{string(title), "Tasks"}, right: []bool{false, true}}
	for _, it := range items {
		tb.add([]string{it.Name, strconv.Itoa(it.Count)})
	}
	tb.print(a, a.env.Stdout, 0, -1)
	return nil
}
