package cli

import (
	"bufio"
	"strings"
)

type exportCmd struct {
	Filter []string `arg:"" optional:"" help:"Filter words (default: every task)."`
}

func (c *exportCmd) Help() string {
	return `Prints the tasks a filter selects as a JSON array, one task per line, by id.
Unlike list, export has no implicit status: without a filter it prints every
task, completed and deleted ones included. The output is always JSON, and
backlog import reads it back.

Examples:

    backlog export > backup.json
    backlog export project:web
    backlog export status:completed end.after:som`
}

func (c *exportCmd) Run(a *runner) error {
	eng, err := a.Engine(false)
	if err != nil {
		return err
	}
	tasks, err := eng.Export(a.ctx, strings.Join(c.Filter, " "))
	if err != nil {
		return err
	}
	w := bufio.NewWriter(a.env.Stdout)
	if len(tasks) == 0 {
		w.WriteString("[]\n")
		return w.Flush()
	}
	w.WriteString("[\n")
	for i, t := range tasks {
		b, err := t.MarshalJSON()
		if err != nil {
			return err
		}
		w.Write(b)
		if i < len(tasks)-1 {
			w.WriteByte(',')
		}
		w.WriteByte('\n')
	}
	w.WriteString("]\n")
	return w.Flush()
}
