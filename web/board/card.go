package board

import (
	"strconv"
	"time"

	backlog "github.com/agent-backlog/backlog"
)

// card is a task on the board: what a glance needs, and which buttons it
// offers in its column.
type card struct {
	Ref         string
	Description string
	Project     string
	Priority    string
	Tags        []string
	Due         string // the day, in the clock's zone
	Overdue     bool
	Agent       string
	Started     bool
	Doc         bool
	Urgency     string
	Actions     []string // start, stop, release, done
}

func newCard(t *backlog.Task, col string, now time.Time) card {
	c := card{
		Ref: t.Ref(), Description: t.Description, Project: t.Project, Priority: string(t.Priority),
		Agent: t.Agent, Started: !t.Start.IsZero(), Doc: t.HasDoc, Urgency: formatUrgency(t.Urgency),
	}
	for _, tag := range t.Tags {
		if tag != "doc" || !t.HasDoc {
			c.Tags = append(c.Tags, tag)
		}
	}
	if !t.Due.IsZero() {
		c.Due = day(t.Due, now)
		c.Overdue = t.Status != backlog.StatusCompleted && t.Due.Before(now)
	}
	switch col {
	case "ready":
		c.Actions = []string{"start", "done"}
	case "active":
		if c.Started && c.Agent == "" {
			c.Actions = append(c.Actions, "stop")
		}
		if c.Agent != "" {
			c.Actions = append(c.Actions, "release")
		}
		c.Actions = append(c.Actions, "done")
	case "blocked", "waiting":
		c.Actions = []string{"done"}
	}
	return c
}

// day prints a date as its day in the clock's zone.
func day(t, now time.Time) string { return t.In(now.Location()).Format("2006-01-02") }

// stamp prints an instant to the minute in the clock's zone.
func stamp(t, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(now.Location()).Format("2006-01-02 15:04")
}

func formatUrgency(u float64) string { return strconv.FormatFloat(u, 'f', 1, 64) }

// ago says how long before now t was, in the largest whole unit.
func ago(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + " min ago"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + " h ago"
	}
	return strconv.Itoa(int(d/(24*time.Hour))) + " days ago"
}

// actionLabel is the word on an action's button.
func actionLabel(action string) string {
	switch action {
	case "start":
		return "Start"
	case "stop":
		return "Stop"
	case "release":
		return "Release"
	case "done":
		return "Done"
	}
	return ""
}
