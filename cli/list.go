package cli

import (
	"strconv"
	"strings"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
)

type listCmd struct {
	Sort   string   `help:"Order by attributes, each followed by + or -, e.g. due+,id+ (default: urgency-)." placeholder:"KEYS"`
	Limit  int      `help:"Show at most this many tasks (0: all)." placeholder:"N"`
	Filter []string `arg:"" optional:"" help:"Filter words (default: pending tasks)."`
}

func (c *listCmd) Help() string {
	return `Lists the tasks a filter selects: pending tasks unless the filter names a
status, an id or a UUID. The table shows id, age, project, priority, tags,
due (relative: 2d ahead, -3h overdue), description and urgency, most urgent
first.

Examples:

    backlog list
    backlog list project:web +bug
    backlog list +OVERDUE or due.before:eow
    backlog list status:completed --sort end- --limit 10
    backlog list +READY --json`
}

func (c *listCmd) Run(a *runner) error {
	eng, err := a.Engine(false)
	if err != nil {
		return err
	}
	l, err := eng.List(a.ctx, engine.ListOptions{Filter: strings.Join(c.Filter, " "), Sort: c.Sort, Limit: c.Limit})
	if err != nil {
		return err
	}
	if a.globals.JSON {
		return a.printJSON(struct {
			Tasks []*backlog.Task `json:"tasks"`
			More  int             `json:"more,omitempty"`
		}{tasksOrEmpty(l.Tasks), l.More})
	}
	if len(l.Tasks) == 0 {
		a.say("No matching tasks.")
		return nil
	}
	a.printTasks(l.Tasks, eng.Now())
	if l.More > 0 {
		a.say("%s (%d more: raise --limit)", plural(len(l.Tasks), "task"), l.More)
		return nil
	}
	a.say("%s", plural(len(l.Tasks), "task"))
	return nil
}

// printTasks prints tasks as a table, leaving out the columns no task fills.
func (a *runner) printTasks(tasks []*backlog.Task, now time.Time) {
	type column struct {
		name  string
		right bool
		cell  func(t *backlog.Task) (string, string) // text, style
	}
	cols := []column{
		{"ID", true, func(t *backlog.Task) (string, string) {
			if !t.Start.IsZero() && t.IsLive() {
				return strconv.FormatInt(t.ID, 10), styleGreen
			}
			return strconv.FormatInt(t.ID, 10), ""
		}},
		{"Status", false, func(t *backlog.Task) (string, string) {
			if t.Status == backlog.StatusPending {
				return "", ""
			}
			return string(t.Status), ""
		}},
		{"Active", false, func(t *backlog.Task) (string, string) {
			if t.Start.IsZero() || !t.IsLive() {
				return "", ""
			}
			return relative(now.Sub(t.Start)), styleGreen
		}},
		{"Age", false, func(t *backlog.Task) (string, string) { return relative(now.Sub(t.Entry)), "" }},
		{"Agent", false, func(t *backlog.Task) (string, string) { return t.Agent, "" }},
		{"Project", false, func(t *backlog.Task) (string, string) { return t.Project, "" }},
		{"Pri", false, func(t *backlog.Task) (string, string) {
			if t.Priority == backlog.PriorityHigh {
				return string(t.Priority), styleBold
			}
			return string(t.Priority), ""
		}},
		{"Tags", false, func(t *backlog.Task) (string, string) { return strings.Join(t.Tags, " "), "" }},
		{"Due", false, func(t *backlog.Task) (string, string) {
			if t.Due.IsZero() {
				return "", ""
			}
			d := t.Due.Sub(now)
			style := ""
			switch {
			case !t.IsLive():
			case d < 0:
				style = styleRed
			case d < 24*time.Hour:
				style = styleYellow
			}
			return relative(d), style
		}},
		{"Description", false, func(t *backlog.Task) (string, string) {
			d := t.Description
			if n := len(t.Annotations); n > 0 {
				d += " [" + strconv.Itoa(n) + "]"
			}
			if !t.IsLive() {
				return d, styleDim
			}
			return d, ""
		}},
		{"Urg", true, func(t *backlog.Task) (string, string) {
			return strconv.FormatFloat(t.Urgency, 'f', 1, 64), ""
		}},
	}
	always := map[string]bool{"ID": true, "Age": true, "Description": true, "Urg": true}
	cells := make([][][2]string, len(tasks))
	used := make([]bool, len(cols))
	for i, t := range tasks {
		cells[i] = make([][2]string, len(cols))
		for j, col := range cols {
			text, style := col.cell(t)
			cells[i][j] = [2]string{text, style}
			used[j] = used[j] || text != "" || always[col.name]
		}
	}
	tb := &table{}
	desc := -1
	for j, col := range cols {
		if used[j] {
			if col.name == "Description" {
				desc = len(tb.header)
			}
			tb.header = append(tb.header, col.name)
			tb.right = append(tb.right, col.right)
		}
	}
	for i := range tasks {
		var row, styles []string
		for j := range cols {
			if used[j] {
				row = append(row, cells[i][j][0])
				styles = append(styles, cells[i][j][1])
			}
		}
		tb.add(row, styles...)
	}
	tb.print(a, a.env.Stdout, a.width(), desc)
}
