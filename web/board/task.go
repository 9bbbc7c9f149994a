package board

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
)

// field is one row of a task's fields: a name and a value, with a link
// when the value names another page.
type field struct {
	Name, Value, Link string
}

// taskLink is another task, linked.
type taskLink struct {
	Ref, Description, Status string
}

// note is an annotation as shown.
type note struct{ At, Text string }

// event is a line of a task's history.
type event struct{ At, Agent, Command, Summary string }

// taskBody is the task page's data.
type taskBody struct {
	Ref, Description, Status string
	Archived                 bool
	Fields                   []field
	Notes                    []note
	Doc                      template.HTML // rendered and sanitised
	DocSource                string
	HasDoc                   bool
	Depends, Dependents      []taskLink
	History                  []event
	// For the forms.
	Priority, Due, Project, Tags, Agent string
	Started, Done                       bool
}

// historyLimit is how many of a task's newest changes its page shows.
const historyLimit = 50

func (s *server) taskPage(w http.ResponseWriter, r *http.Request) {
	e, ok := s.engine(w, r)
	if !ok {
		return
	}
	ref := r.PathValue("ref")
	t, err := e.Info(r.Context(), ref)
	if err != nil {
		s.fail(w, r, e, err)
		return
	}
	body, err := s.task(r.Context(), e, t)
	if err != nil {
		s.fail(w, r, e, err)
		return
	}
	p := s.newPage(w, r, e, "", fmt.Sprintf("Task %s: %s", t.Ref(), t.Description))
	p.Body = body
	s.render(w, "task", p)
}

func (s *server) task(ctx context.Context, e *engine.Engine, t *backlog.Task) (*taskBody, error) {
	now := e.Now()
	b := &taskBody{
		Ref: t.Ref(), Description: t.Description, Status: string(t.Status), Archived: t.Archived != "",
		Fields: taskFields(t, now), Priority: string(t.Priority), Project: t.Project, Agent: t.Agent,
		Tags: strings.Join(t.Tags, " "), Started: !t.Start.IsZero(), Done: t.Status == backlog.StatusCompleted,
	}
	if !t.Due.IsZero() {
		b.Due = t.Due.In(now.Location()).Format("2006-01-02T15:04")
	}
	for _, a := range t.Annotations {
		b.Notes = append(b.Notes, note{At: stamp(a.Entry, now), Text: a.Description})
	}
	if t.HasDoc && t.Archived == "" {
		doc, err := e.DocRead(ctx, t.UUID)
		if err != nil && !errors.Is(err, backlog.ErrNotFound) {
			return nil, err
		}
		if err == nil {
			b.HasDoc, b.DocSource, b.Doc = true, doc, renderMarkdown(doc)
		}
	}
	for _, u := range t.Depends {
		d, err := e.Info(ctx, u)
		if errors.Is(err, backlog.ErrNotFound) {
			b.Depends = append(b.Depends, taskLink{Ref: u, Description: "(no longer in the backlog)"})
			continue
		}
		if err != nil {
			return nil, err
		}
		b.Depends = append(b.Depends, taskLink{Ref: d.Ref(), Description: d.Description, Status: string(d.Status)})
	}
	if t.Archived == "" {
		ds, err := e.Dependents(ctx, t.UUID)
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			b.Dependents = append(b.Dependents, taskLink{Ref: d.Ref(), Description: d.Description, Status: string(d.EffectiveStatus(now))})
		}
	}
	evs, err := e.History(ctx, t.UUID, historyLimit)
	if err != nil {
		return nil, err
	}
	for _, ev := range slices.Backward(evs) {
		b.History = append(b.History, event{At: stamp(ev.At, now), Agent: ev.Agent, Command: ev.Command, Summary: ev.Summary})
	}
	return b, nil
}

// taskFields lists every field a task has set, in the order info prints
// them.
func taskFields(t *backlog.Task, now time.Time) []field {
	var fs []field
	add := func(name, value string) {
		if value != "" {
			fs = append(fs, field{Name: name, Value: value})
		}
	}
	date := func(name string, d time.Time) { add(name, stamp(d, now)) }
	add("ID", t.Ref())
	add("UUID", t.UUID)
	add("Status", string(t.Status))
	if t.Archived != "" {
		add("Archived", t.Archived)
	}
	if t.Project != "" {
		fs = append(fs, field{Name: "Project", Value: t.Project, Link: "/?filter=" + url.QueryEscape("project:"+t.Project)})
	}
	add("Priority", string(t.Priority))
	add("Tags", strings.Join(t.Tags, " "))
	date("Due", t.Due)
	date("Scheduled", t.Scheduled)
	date("Wait", t.Wait)
	date("Until", t.Until)
	add("Recur", t.Recur)
	if t.Parent != "" {
		fs = append(fs, field{Name: "Parent", Value: t.Parent, Link: "/tasks/" + t.Parent})
	}
	add("Agent", t.Agent)
	if t.Lease > 0 {
		add("Lease", t.Lease.String()+" (until "+stamp(t.LeaseUntil, now)+")")
	}
	if t.Source != nil {
		fs = append(fs, field{Name: "Source", Value: t.Source.Type + " " + t.Source.Host + "/" + t.Source.Project, Link: safeURL(t.Source.URL)})
	}
	date("Entry", t.Entry)
	date("Modified", t.Modified)
	date("Start", t.Start)
	date("End", t.End)
	add("Urgency", formatUrgency(t.Urgency))
	keys := make([]string, 0, len(t.Extra))
	for k := range t.Extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		add(k, fmt.Sprint(t.Extra[k]))
	}
	return fs
}

// safeURL keeps a link only when it is http or https.
func safeURL(u string) string {
	if strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") {
		return u
	}
	return ""
}
