package cli

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
)

type infoCmd struct {
	ID string `arg:"" optional:"" help:"The task: an id (12), a UUID or a UUID prefix of at least 8 hex digits."`
}

func (c *infoCmd) Help() string {
	return `Shows every field of one task, whatever its status: dates in UTC with how
far away they are, dependencies by id, notes, whether it has a doc, and its
urgency.

Examples:

    backlog info 12
    backlog info 3f2a9c1e
    backlog info 12 --json`
}

func (c *infoCmd) Run(a *runner) error {
	eng, err := a.Engine(false)
	if err != nil {
		return err
	}
	t, err := eng.Info(a.ctx, c.ID)
	if err != nil {
		return err
	}
	if a.globals.JSON {
		return a.printJSON(map[string]any{"task": t})
	}
	now := eng.Now()
	deps := t.Depends
	if len(deps) > 0 {
		// Name dependencies by id where they still exist.
		if ts, err := eng.Export(a.ctx, strings.Join(deps, " or ")); err == nil {
			ids := map[string]int64{}
			for _, d := range ts {
				ids[d.UUID] = d.ID
			}
			deps = slices.Clone(deps)
			for i, u := range deps {
				if id, ok := ids[u]; ok {
					deps[i] = strconv.FormatInt(id, 10)
				}
			}
		}
	}
	tb := &table{header: []string{"Name", "Value"}}
	row := func(name, value string) {
		if value != "" {
			tb.add([]string{name, value})
		}
	}
	date := func(name string, d time.Time) {
		if !d.IsZero() {
			row(name, fmt.Sprintf("%s (%s)", d.UTC().Format(backlog.DateLayout), fromNow(d.Sub(now))))
		}
	}
	row("ID", strconv.FormatInt(t.ID, 10))
	row("UUID", t.UUID)
	row("Description", t.Description)
	row("Status", string(t.Status))
	if t.Archived != "" {
		row("Archived", t.Archived+" (read-only: backlog archive restore "+t.Archived+" "+strconv.FormatInt(t.ID, 10)+")")
	}
	row("Project", t.Project)
	row("Priority", string(t.Priority))
	row("Tags", strings.Join(t.Tags, " "))
	date("Due", t.Due)
	date("Scheduled", t.Scheduled)
	date("Wait", t.Wait)
	date("Until", t.Until)
	row("Recur", t.Recur)
	row("Parent", t.Parent)
	row("Depends", strings.Join(deps, ", "))
	row("Agent", t.Agent)
	if t.Lease > 0 {
		row("Lease", engine.FormatLease(t.Lease)+" (a change by "+t.Agent+" renews it)")
	}
	date("Lease until", t.LeaseUntil)
	if src := t.Source; src != nil {
		line := src.Type + " " + src.Host + "/" + src.Ref()
		if src.URL != "" {
			line += " " + src.URL
		}
		row("Source", line)
	}
	if t.HasDoc {
		size := ""
		if t.Archived == "" {
			if doc, err := eng.DocRead(a.ctx, t.UUID); err == nil {
				size = ", " + byteSize(len(doc))
			}
		}
		row("Doc", "yes"+size+" (backlog doc read "+strconv.FormatInt(t.ID, 10)+")")
	}
	date("Entered", t.Entry)
	date("Modified", t.Modified)
	date("Started", t.Start)
	date("Ended", t.End)
	row("Urgency", strconv.FormatFloat(math.Round(t.Urgency*1e4)/1e4, 'f', -1, 64))
	names := make([]string, 0, len(t.Extra))
	for k := range t.Extra {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		row(k, fmt.Sprint(t.Extra[k]))
	}
	for _, n := range t.Annotations {
		row("Note", n.Entry.UTC().Format(backlog.DateLayout)+" "+n.Description)
	}
	tb.print(a, a.env.Stdout, 0, -1)
	return nil
}

// fromNow says how far a date is from now in words, "in 3d" or "2h ago", so
// that a date on either side of now reads right (a task entered on another
// machine whose clock runs ahead has an entry date in the future).
func fromNow(d time.Duration) string {
	r := relative(d)
	switch {
	case r == "0s":
		return "now"
	case strings.HasPrefix(r, "-"):
		return r[1:] + " ago"
	}
	return "in " + r
}

// byteSize writes a size for people: 812 bytes, 3.4 KiB, 1.0 MiB.
func byteSize(n int) string {
	switch {
	case n < 1024:
		return plural(n, "byte")
	case n < 1<<20:
		return strconv.FormatFloat(float64(n)/1024, 'f', 1, 64) + " KiB"
	}
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
}
