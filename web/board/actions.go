package board

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
)

// maxForm is the most a form of the board may send: a doc of the largest
// size allowed, with room for the other fields.
const maxForm = backlog.MaxDocSize + 64<<10

// action carries out one of the task actions and says what it did.
type action func(ctx context.Context, e *engine.Engine, ref string, form url.Values) (string, error)

// actions are the task actions by name, each one engine command: one
// transaction, one journal entry, undoable. The map is made on the first
// action, so that a process that serves no board does not build it.
var actions = sync.OnceValue(func() map[string]action {
	return map[string]action{
		"start": func(ctx context.Context, e *engine.Engine, ref string, _ url.Values) (string, error) {
			return said("Task %s started.")(e.Start(ctx, ref))
		},
		"stop": func(ctx context.Context, e *engine.Engine, ref string, _ url.Values) (string, error) {
			return said("Task %s stopped.")(e.Stop(ctx, ref))
		},
		"done": func(ctx context.Context, e *engine.Engine, ref string, _ url.Values) (string, error) {
			return said("Task %s done.")(e.Done(ctx, ref))
		},
		"release": func(ctx context.Context, e *engine.Engine, ref string, f url.Values) (string, error) {
			return said("Task %s released to the pool.")(e.Release(ctx, ref, f.Get("note"), true))
		},
		"claim": func(ctx context.Context, e *engine.Engine, ref string, f url.Values) (string, error) {
			agent := strings.TrimSpace(f.Get("agent"))
			if agent == "" {
				return "", backlog.Invalidf("name the agent to claim task %s for", ref)
			}
			return said("Task %s claimed for " + strings.ReplaceAll(agent, "%", "%%") + ".")(e.Claim(ctx, engine.ClaimOptions{Agent: agent, ID: ref}))
		},
		"modify": modify,
		"annotate": func(ctx context.Context, e *engine.Engine, ref string, f url.Values) (string, error) {
			return said("Note added to task %s.")(e.Annotate(ctx, ref, f.Get("text")))
		},
		"doc": func(ctx context.Context, e *engine.Engine, ref string, f url.Values) (string, error) {
			content := strings.ReplaceAll(f.Get("content"), "\r\n", "\n")
			if strings.TrimSpace(content) == "" {
				return said("The doc of task %s is deleted.")(e.DocDelete(ctx, ref))
			}
			return said("The doc of task %s is saved.")(e.DocWrite(ctx, ref, content))
		},
		"move": move,
	}
})

// said turns a command's result into the action's sentence, format
// taking the task's id.
func said(format string) func(*engine.Result, error) (string, error) {
	return func(r *engine.Result, err error) (string, error) {
		if err != nil {
			return "", err
		}
		ref := ""
		if r != nil && r.Task != nil {
			ref = r.Task.Ref()
		}
		return fmt.Sprintf(format, ref), nil
	}
}

// modify changes one field of a task: the field the form names.
func modify(ctx context.Context, e *engine.Engine, ref string, f url.Values) (string, error) {
	var c engine.Changes
	field := f.Get("field")
	value := strings.TrimSpace(f.Get("value"))
	switch field {
	case "priority":
		c.Priority = &value
	case "due":
		c.Due = &value
	case "project":
		c.Project = &value
	case "tags":
		c.Tags = &engine.ListEdit{Replace: true, Set: strings.Fields(value)}
	default:
		return "", backlog.Invalidf("the board changes priority, due, project or tags, not %q", field)
	}
	if !isID(ref) {
		if _, err := backlog.ParseUUID(ref); err != nil {
			return "", backlog.Invalidf("%q is not a task id or UUID", ref)
		}
	}
	if _, err := e.Modify(ctx, ref, &c, false); err != nil {
		return "", err
	}
	if value == "" {
		return fmt.Sprintf("Task %s: %s cleared.", ref, field), nil
	}
	return fmt.Sprintf("Task %s: %s set to %s.", ref, field, value), nil
}

func isID(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// move is a card dropped on another column: the command that puts it
// there, when there is one.
func move(ctx context.Context, e *engine.Engine, ref string, f url.Values) (string, error) {
	t, err := e.Info(ctx, ref)
	if err != nil {
		return "", err
	}
	switch to := f.Get("to"); to {
	case "active":
		return said("Task %s started.")(e.Start(ctx, ref))
	case "done":
		return said("Task %s done.")(e.Done(ctx, ref))
	case "ready":
		if t.Agent != "" {
			return said("Task %s released to the pool.")(e.Release(ctx, ref, "", true))
		}
		if !t.Start.IsZero() {
			return said("Task %s stopped.")(e.Stop(ctx, ref))
		}
		return "", backlog.Conflictf("task %s is not held or started: there is nothing to undo to make it ready", t.Ref())
	case "blocked":
		return "", backlog.Invalidf("a task is blocked by its dependencies: add one on the task's page (backlog modify %s depends:ID)", t.Ref())
	case "waiting":
		return "", backlog.Invalidf("a task waits until a date: set wait or scheduled with backlog modify %s wait:DATE", t.Ref())
	default:
		return "", backlog.Invalidf("there is no column %q: use ready, active or done", to)
	}
}

// act runs a task action from a form and returns to the page it came
// from, with what happened in a flash.
func (s *server) act(w http.ResponseWriter, r *http.Request) {
	e, ok := s.engine(w, r)
	if !ok {
		return
	}
	ref, name := r.PathValue("ref"), r.PathValue("action")
	do, ok := actions()[name]
	if !ok {
		s.fail(w, r, e, backlog.NotFoundf("there is no action %q: the board does %s", name, actionNames()))
		return
	}
	if !s.readForm(w, r, e) {
		return
	}
	text, err := do(r.Context(), e, ref, r.PostForm)
	if err != nil {
		setFlash(w, flash{Error: true, Text: sentence(err)})
	} else {
		setFlash(w, flash{Text: text, Undo: true})
	}
	http.Redirect(w, r, backTo(r, "/tasks/"+url.PathEscape(ref)), http.StatusSeeOther)
}

// undo reverses the board's agent's last command.
func (s *server) undo(w http.ResponseWriter, r *http.Request) {
	e, ok := s.engine(w, r)
	if !ok {
		return
	}
	if !s.readForm(w, r, e) {
		return
	}
	res, err := e.Undo(r.Context())
	switch {
	case err != nil:
		setFlash(w, flash{Error: true, Text: sentence(err)})
	case res.Undone == nil:
		setFlash(w, flash{Text: "There is nothing of " + e.Agent() + "'s to undo."})
	default:
		setFlash(w, flash{Text: "Undone: " + *res.Undone + "."})
	}
	http.Redirect(w, r, backTo(r, "/"), http.StatusSeeOther)
}

// readForm parses a form within the size limit, and refuses one sent
// from another site (the CSRF token, when there is one, is checked in
// front of the board).
func (s *server) readForm(w http.ResponseWriter, r *http.Request, e *engine.Engine) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
		s.fail(w, r, e, errCrossSite)
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, e, backlog.Invalidf("the form could not be read: %v", err))
		return false
	}
	return true
}

func actionNames() string {
	return "start, stop, done, release, claim, modify, annotate, doc and move"
}
