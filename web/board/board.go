// Package board serves the backlog's web board: server-rendered pages of
// the same tasks the CLI and the MCP tools see (the board, one task, the
// agents, the projects), forms that act through the engine (so that every
// change from a browser is journalled and undoable like a command), and a
// stream of Server-Sent Events from the store's change feed, on which the
// open pages refresh themselves with htmx.
//
// The pages work without JavaScript; htmx and its SSE extension only make
// them live, and a small script adds drag and drop. No script is inline, so
// that a Content-Security-Policy of script-src 'self' holds.
package board

import (
	"bytes"
	"context"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
)

// Deps are what the board needs from the server it runs in.
type Deps struct {
	// Engine returns the engine the board reads and acts through. Its
	// agent id is whom the board's changes are journalled as (and whose
	// last command Undo reverses); its store's change feed makes the pages
	// live, and its clock dates them.
	Engine func(ctx context.Context) (*engine.Engine, error)
	// CSRF returns the token a write from r must carry, in the form field
	// CSRFField or the X-CSRF-Token header; nil when the handler in front
	// checks none. The board only puts the token into its forms: checking
	// it is the job of that handler.
	CSRF func(r *http.Request) string
	// StaleAfter is how long a claim may go unrenewed before the agents
	// view flags it as stale; zero means two hours. A claim whose lease
	// has lapsed is stale whatever this says.
	StaleAfter time.Duration
}

// CSRFField is the form field every form of the board carries the CSRF
// token in; htmx's requests carry it in the X-CSRF-Token header.
const CSRFField = "csrf_token"

// DefaultStaleAfter is Deps.StaleAfter's default: the age the scenarios
// reclaim at (backlog reclaim --older-than 2h).
const DefaultStaleAfter = 2 * time.Hour

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// server is one Handler: its dependencies and parsed templates.
type server struct {
	deps  Deps
	pages map[string]*template.Template
}

// Handler returns the board, to be served at the root of its origin: the
// pages link to /tasks/12, /agents, /static/board.css and so on.
func Handler(deps Deps) http.Handler {
	if deps.StaleAfter <= 0 {
		deps.StaleAfter = DefaultStaleAfter
	}
	s := &server{deps: deps, pages: parsePages()}
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.boardPage)
	mux.HandleFunc("GET /tasks/{ref}", s.taskPage)
	mux.HandleFunc("GET /agents", s.agentsPage)
	mux.HandleFunc("GET /projects", s.projectsPage)
	mux.HandleFunc("GET /events", s.events)
	mux.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static))))
	mux.HandleFunc("POST /tasks/{ref}/{action}", s.act)
	mux.HandleFunc("POST /undo", s.undo)
	mux.HandleFunc("/", s.notFound)
	return securityHeaders(mux)
}

// securityHeaders sets the headers the board's pages rely on, unless the
// server in front has set its own.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if h.Get("Content-Security-Policy") == "" {
			h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
				"connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'")
		}
		if h.Get("X-Content-Type-Options") == "" {
			h.Set("X-Content-Type-Options", "nosniff")
		}
		if h.Get("Referrer-Policy") == "" {
			h.Set("Referrer-Policy", "same-origin")
		}
		next.ServeHTTP(w, r)
	})
}

// cacheStatic lets a browser keep the assets for a day: they change only
// with the binary.
func cacheStatic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		next.ServeHTTP(w, r)
	})
}

// page is what every page's layout shows.
type page struct {
	Title string
	Nav   string // the current section: board, agents, projects
	CSRF  string
	Agent string // whom the board writes as
	Flash *flash
	Self  string // this page's path and query: where its forms return to
	Body  any    // the page's own data
}

// newPage prepares the layout of a page for r, taking the flash the last
// action left.
func (s *server) newPage(w http.ResponseWriter, r *http.Request, e *engine.Engine, nav, title string) *page {
	p := &page{Title: title, Nav: nav, Agent: e.Agent(), Self: r.URL.RequestURI(), Flash: takeFlash(w, r)}
	if s.deps.CSRF != nil {
		p.CSRF = s.deps.CSRF(r)
	}
	return p
}

// render writes a page with status 200, or the failure to render it.
func (s *server) render(w http.ResponseWriter, name string, p *page) {
	s.renderStatus(w, http.StatusOK, name, p)
}

func (s *server) renderStatus(w http.ResponseWriter, status int, name string, p *page) {
	b := pageBuffers.Get().(*bytes.Buffer)
	defer func() {
		if b.Cap() <= 1<<20 {
			b.Reset()
			pageBuffers.Put(b)
		}
	}()
	if err := s.pages[name].ExecuteTemplate(b, "layout", p); err != nil {
		http.Error(w, "the page could not be rendered: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// pageBuffers hold pages while they are rendered (a page is written whole
// or not at all, so that a template error is an error page), kept for the
// next page up to a size.
var pageBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// fragment renders one template of a page's set on its own, for HTML
// that Go code puts together with more (cardsHTML).
func (s *server) fragment(page, name string, data any) (template.HTML, error) {
	var b strings.Builder
	if err := s.pages[page].ExecuteTemplate(&b, name, data); err != nil {
		return "", fmt.Errorf("the page could not be rendered: %w", err)
	}
	return template.HTML(b.String()), nil // #nosec: written by html/template
}

// engine returns the engine for a request, or writes the error page.
func (s *server) engine(w http.ResponseWriter, r *http.Request) (*engine.Engine, bool) {
	e, err := s.deps.Engine(r.Context())
	if err != nil {
		s.fail(w, r, nil, err)
		return nil, false
	}
	return e, true
}

// errorBody is the data of the error page.
type errorBody struct{ Message string }

// fail writes the error page for err, with the status its kind maps to.
func (s *server) fail(w http.ResponseWriter, r *http.Request, e *engine.Engine, err error) {
	status := statusOf(err)
	p := &page{Title: http.StatusText(status), Self: r.URL.RequestURI(), Body: errorBody{Message: sentence(err)}}
	if e != nil {
		p.Agent = e.Agent()
	}
	s.renderStatus(w, status, "error", p)
}

func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	s.fail(w, r, nil, backlog.NotFoundf("there is no page at %s", r.URL.Path))
}

// errCrossSite refuses a form another site made the browser send.
var errCrossSite = errors.New("the board takes forms only from its own pages, not from another site")

// statusOf maps the domain's kinds of error to HTTP statuses, as the REST
// API does.
func statusOf(err error) int {
	switch {
	case errors.Is(err, errCrossSite):
		return http.StatusForbidden
	case errors.Is(err, backlog.ErrEnvironment):
		return http.StatusServiceUnavailable
	case errors.Is(err, backlog.ErrInvalid):
		return http.StatusUnprocessableEntity
	case errors.Is(err, backlog.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, backlog.ErrConflict):
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

// sentence is an error as one line, as the CLI prints it.
func sentence(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }

// flash is the one-line outcome of the last action, shown once on the
// page the action returned to.
type flash struct {
	Error bool   `json:"e,omitempty"`
	Text  string `json:"t"`
	Undo  bool   `json:"u,omitempty"` // offer to undo it
}

const flashCookie = "backlog_flash"

// setFlash leaves a message for the next page; a cookie rather than the
// URL, so that nobody can make the board say something with a link.
func setFlash(w http.ResponseWriter, f flash) {
	if len(f.Text) > 1000 {
		f.Text = f.Text[:1000]
	}
	b, _ := json.Marshal(f)
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString(b), Path: "/",
		MaxAge: 60, HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

// takeFlash reads the message an action left, and clears it.
func takeFlash(w http.ResponseWriter, r *http.Request) *flash {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return nil
	}
	var f flash
	if json.Unmarshal(b, &f) != nil || f.Text == "" {
		return nil
	}
	return &f
}

// backTo is where a form returns to: its back field when that is a path
// of this board, else the fallback.
func backTo(r *http.Request, fallback string) string {
	back := r.PostFormValue("back")
	u, err := url.Parse(back)
	if back == "" || err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(back, "/") ||
		strings.HasPrefix(back, "//") || strings.Contains(back, `\`) {
		return fallback
	}
	return back
}
