package board

import (
	"html/template"
	"net/url"
	"strconv"
	"strings"
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

// The cards are written here rather than by a template: a board of 250
// cards spent most of its rendering in html/template's calls, a few dozen
// per card (each value passes through its escapers by reflection). The
// HTML is the template's, byte for byte, and every value in it is escaped
// by escapeHTML, as html/template escapes text and quoted attribute values;
// TestCardsAreWrittenAsTheTemplateWouldWriteThem holds the two together.

// escapeHTML escapes text and quoted attribute values with html/template's
// table.
var escapeHTML = strings.NewReplacer("\x00", "\uFFFD", `"`, "&#34;", "&", "&amp;", "'", "&#39;", "+", "&#43;", "<", "&lt;", ">", "&gt;")

// cardsHTML writes the cards of a column; hidden is the fields every form
// of the page carries, written by the page's template.
func cardsHTML(cards []card, hidden template.HTML) template.HTML {
	var b strings.Builder
	b.Grow(len(cards) * 700)
	for _, c := range cards {
		c.write(&b, string(hidden))
	}
	return template.HTML(b.String()) // #nosec: every value escaped by escapeHTML
}

func (c *card) write(b *strings.Builder, hidden string) {
	ref := escapeHTML.Replace(c.Ref)
	task := "/tasks/" + escapeHTML.Replace(url.PathEscape(c.Ref))
	text := func(parts ...string) {
		for _, p := range parts {
			b.WriteString(p)
		}
	}
	esc := func(s string) { escapeHTML.WriteString(b, s) }
	text(`<li class="card" id="task-`, ref, `" draggable="true" data-ref="`, ref, "\">\n",
		`<div class="card-head"><a class="ref" href="`, task, `">#`, ref, `</a>`)
	if c.Priority != "" {
		text(` <span class="pri pri-`)
		esc(c.Priority)
		text(`" title="Priority `)
		esc(c.Priority)
		text(`">`)
		esc(c.Priority)
		text(`</span>`)
	}
	if c.Doc {
		text(` <span class="badge" title="Has a doc">doc</span>`)
	}
	text(` <span class="urgency" title="Urgency">`)
	esc(c.Urgency)
	text("</span></div>\n", `<a class="desc" href="`, task, `">`)
	esc(c.Description)
	text("</a>\n", `<div class="meta">`)
	if c.Project != "" {
		text(`<span class="project">`)
		esc(c.Project)
		text(`</span> `)
	}
	for _, tag := range c.Tags {
		text(`<span class="tag">+`)
		esc(tag)
		text(`</span> `)
	}
	if c.Due != "" {
		text(`<span class="due`)
		if c.Overdue {
			text(` overdue`)
		}
		text(`">due `)
		esc(c.Due)
		if c.Overdue {
			text(`, overdue`)
		}
		text(`</span> `)
	}
	if c.Agent != "" {
		text(`<span class="agent">held by `)
		esc(c.Agent)
		text(`</span>`)
	}
	text("</div>\n")
	if len(c.Actions) > 0 {
		text(`<form class="acts" method="post" action="`, task, `/done">`, hidden)
		for _, a := range c.Actions {
			label := escapeHTML.Replace(actionLabel(a))
			text(`<button type="submit" formaction="`, task, "/", escapeHTML.Replace(url.PathEscape(a)), `" aria-label="`, label, ` task `, ref, `">`, label, `</button>`)
		}
		text(`</form>`)
	}
	text("\n</li>\n")
}
