package board

import (
	"cmp"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	backlog "github.com/agent-backlog/backlog"
)

// chartWeeks is how many weeks, this one included, a project's chart
// covers.
const chartWeeks = 8

// projectRow is one project on the projects view.
type projectRow struct {
	Name, Filter                string
	Open, Active, Waiting, Done int
	DoneThisWeek                int
	Chart                       template.HTML // an inline SVG, built from numbers only
	ChartLabel                  string
}

// projectsBody is the projects view's data.
type projectsBody struct {
	Projects []projectRow
	Weeks    int
}

// tally is what a project's chart counts per week.
type tally struct {
	open [chartWeeks]int // open at the end of each week
	done [chartWeeks]int // completed during it
}

func (s *server) projectsPage(w http.ResponseWriter, r *http.Request) {
	e, ok := s.engine(w, r)
	if !ok {
		return
	}
	tasks, err := e.Export(r.Context(), "status:pending or status:waiting or status:completed")
	if err != nil {
		s.fail(w, r, e, err)
		return
	}
	now := e.Now()
	starts := weekStarts(now)
	rows := map[string]*projectRow{}
	tallies := map[string]*tally{}
	for _, t := range tasks {
		name := t.Project
		row := rows[name]
		if row == nil {
			row = &projectRow{Name: name, Filter: "project:" + name}
			if name == "" {
				row.Filter = "project.none:"
			}
			rows[name], tallies[name] = row, &tally{}
		}
		switch t.Status {
		case backlog.StatusCompleted:
			row.Done++
			if !t.End.Before(starts[chartWeeks-1]) {
				row.DoneThisWeek++
			}
		case backlog.StatusWaiting:
			row.Waiting++
		default:
			row.Open++
			if !t.Start.IsZero() || t.Agent != "" {
				row.Active++
			}
		}
		tallies[name].count(t, starts)
	}
	body := &projectsBody{Weeks: chartWeeks}
	for name, row := range rows {
		row.Chart, row.ChartLabel = chart(tallies[name], starts)
		body.Projects = append(body.Projects, *row)
	}
	slices.SortFunc(body.Projects, func(a, b projectRow) int {
		if (a.Name == "") != (b.Name == "") {
			return cmp.Compare(b.Name, a.Name) // no project last
		}
		return cmp.Compare(a.Name, b.Name)
	})
	p := s.newPage(w, r, e, "projects", "Projects")
	p.Body = body
	s.render(w, "projects", p)
}

// weekStarts are the Mondays (00:00 in the clock's zone) of the chart's
// weeks, oldest first; the last is this week's.
func weekStarts(now time.Time) [chartWeeks]time.Time {
	d := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	d = d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
	var out [chartWeeks]time.Time
	for i := range out {
		out[i] = d.AddDate(0, 0, -7*(chartWeeks-1-i))
	}
	return out
}

// count adds a task to the weeks it was open at the end of, and to the
// week it was completed in.
func (c *tally) count(t *backlog.Task, starts [chartWeeks]time.Time) {
	for i := range starts {
		end := starts[i].AddDate(0, 0, 7)
		closed := t.Status == backlog.StatusCompleted && t.End.Before(end)
		if t.Entry.Before(end) && !closed {
			c.open[i]++
		}
		if t.Status == backlog.StatusCompleted && !t.End.Before(starts[i]) && t.End.Before(end) {
			c.done[i]++
		}
	}
}

// chart draws a project's weeks: bars for the tasks completed in each
// (throughput), a line for the tasks still open at its end (burn-down).
// The SVG is built from numbers alone, so nothing in it needs escaping;
// the label says the same in words for screen readers.
func chart(c *tally, starts [chartWeeks]time.Time) (template.HTML, string) {
	const w, h, pad = 240, 64, 4
	maxV := 1
	for i := range chartWeeks {
		maxV = max(maxV, c.open[i], c.done[i])
	}
	step := float64(w-2*pad) / chartWeeks
	y := func(v int) float64 { return float64(h-pad) - float64(v)*float64(h-2*pad)/float64(maxV) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" width="%d" height="%d" aria-hidden="true">`, w, h, w, h)
	fmt.Fprintf(&b, `<line class="axis" x1="%d" y1="%d" x2="%d" y2="%d"/>`, pad, h-pad, w-pad, h-pad)
	for i := range chartWeeks {
		x := float64(pad) + float64(i)*step
		fmt.Fprintf(&b, `<rect class="done" x="%.1f" y="%.1f" width="%.1f" height="%.1f"/>`, x+2, y(c.done[i]), step-4, float64(h-pad)-y(c.done[i]))
	}
	var pts []string
	for i := range chartWeeks {
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", float64(pad)+(float64(i)+0.5)*step, y(c.open[i])))
	}
	fmt.Fprintf(&b, `<polyline class="open" points="%s"/>`, strings.Join(pts, " "))
	b.WriteString(`</svg>`)
	var done, open []string
	for i := range chartWeeks {
		done = append(done, strconv.Itoa(c.done[i]))
		open = append(open, strconv.Itoa(c.open[i]))
	}
	label := fmt.Sprintf("Weeks from %s: completed %s; open at each week's end %s.",
		starts[0].Format("2006-01-02"), strings.Join(done, ", "), strings.Join(open, ", "))
	return template.HTML(b.String()), label // #nosec: numbers only
}
