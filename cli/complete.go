package cli

import (
	"fmt"
	"slices"
	"strings"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
)

// completeCmd answers the completion scripts: the candidates for the word
// being typed, so that the scripts stay small and the rules live here once.
type completeCmd struct {
	What string `arg:"" enum:"ids,word" help:"ids: pending tasks as id<TAB>description; word: candidates for the word being typed."`
	Word string `arg:"" optional:"" help:"The word being typed."`
}

func (c *completeCmd) Run(a *runner) error {
	eng, err := a.Engine(false)
	if err != nil {
		return err
	}
	if c.What == "ids" {
		l, err := eng.List(a.ctx, engine.ListOptions{Sort: "id+"})
		if err != nil {
			return err
		}
		for _, t := range l.Tasks {
			fmt.Fprintf(a.env.Stdout, "%d\t%s\n", t.ID, t.Description)
		}
		return nil
	}
	var out []string
	w := c.Word
	switch {
	case strings.HasPrefix(w, "+") || strings.HasPrefix(w, "-"):
		tags, err := eng.Tags(a.ctx)
		if err != nil {
			return err
		}
		for _, t := range tags {
			out = append(out, w[:1]+t.Name)
		}
		for _, v := range backlog.VirtualTags() {
			out = append(out, w[:1]+v)
		}
	case strings.Contains(w, ":"):
		name := w[:strings.IndexByte(w, ':')]
		attr := name
		if i := strings.IndexByte(name, '.'); i >= 0 {
			attr = name[:i]
		}
		var values []string
		switch {
		case strings.HasPrefix("project", attr) && attr != "":
			ps, err := eng.Projects(a.ctx)
			if err != nil {
				return err
			}
			for _, p := range ps {
				values = append(values, p.Name)
			}
		case strings.HasPrefix("priority", attr) && len(attr) >= 2:
			values = []string{"H", "M", "L"}
		case strings.HasPrefix("status", attr) && len(attr) >= 2:
			values = []string{"pending", "completed", "deleted", "recurring", "waiting"}
		case attr == "due" || attr == "scheduled" || attr == "wait" || attr == "until":
			values = []string{"today", "tomorrow", "eod", "eow", "eom", "eoq", "eoy", "monday", "friday", "someday"}
		case strings.HasPrefix("recur", attr) && len(attr) >= 3:
			values = []string{"daily", "weekdays", "weekly", "monthly", "quarterly", "yearly"}
		}
		for _, v := range values {
			out = append(out, name+":"+v)
		}
	default:
		for _, attr := range backlog.Attributes() {
			out = append(out, attr+":")
		}
	}
	out = slices.DeleteFunc(out, func(s string) bool { return !strings.HasPrefix(s, w) })
	for _, s := range out {
		fmt.Fprintln(a.env.Stdout, s)
	}
	return nil
}
