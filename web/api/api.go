// Package api is the backlog's REST API: /api/v1/ (tasks, claims, summary,
// undo, the change stream as Server-Sent Events, and the OpenAPI document at
// /api/v1/openapi.json) and Tinytown's routes under /v1/backlog. Answers
// are compact JSON shaped like the MCP tools' results (TOOLS.md); errors are
// RFC 9457 problem documents whose detail is the engine's sentence. Every
// route is one entry of the table in routes.go, which also writes the
// OpenAPI document, so that the two cannot drift apart.
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
)

// Deps are what the API needs from the server around it.
type Deps struct {
	// Engine returns an engine writing as agent.
	Engine func(ctx context.Context, agent string) (*engine.Engine, error)
	// Agent is who every change is recorded under; empty means the
	// request's AgentHeader, else DefaultAgent.
	Agent string
	// Logger receives failures that are not the request's fault; nil
	// discards them.
	Logger *slog.Logger
}

// AgentHeader names the agent a request writes as, when the server has no
// agent of its own (BACKLOG_AGENT_ID). It scopes undo, as an MCP client's
// name does.
const AgentHeader = "Backlog-Agent"

// DefaultAgent is who a request without AgentHeader writes as.
const DefaultAgent = "api"

// Handler serves every route of the table, and a problem for any other
// path under /api/ or /v1/.
func Handler(d Deps) http.Handler {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	rts := routes()
	h := &handler{deps: d, mux: http.NewServeMux(), doc: encoded(compactJSON(openAPI(rts)))}
	for _, rt := range rts {
		h.handle(rt)
	}
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		WriteProblem(w, http.StatusNotFound, fmt.Sprintf("no route %s %s: the routes are listed in /api/v1/openapi.json", r.Method, r.URL.Path))
	})
	return h
}

// handler routes requests to the table's routes.
type handler struct {
	deps     Deps
	mux      *http.ServeMux
	patterns []string // what the mux serves, for the test that the OpenAPI document lists it all
	doc      encoded  // the OpenAPI document
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// handle registers a route.
func (h *handler) handle(rt *route) {
	pattern := rt.method + " " + rt.path
	h.patterns = append(h.patterns, pattern)
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		c := &call{ctx: r.Context(), r: r, w: w, h: h, rt: rt}
		if err := c.checkQuery(); err != nil {
			c.fail(err)
			return
		}
		if rt.stream != nil {
			rt.stream(c)
			return
		}
		out, err := rt.run(c)
		if err != nil {
			c.fail(err)
			return
		}
		status := rt.status
		if status == 0 {
			status = http.StatusOK
		}
		if rt.location != nil {
			if loc := rt.location(out); loc != "" {
				w.Header().Set("Location", loc)
			}
		}
		writeJSON(w, status, out)
	})
}

// call is one request to a route.
type call struct {
	ctx context.Context
	r   *http.Request
	w   http.ResponseWriter
	h   *handler
	rt  *route
}

// agent is who the request writes as.
func (c *call) agent() (string, error) {
	if c.h.deps.Agent != "" {
		return c.h.deps.Agent, nil
	}
	a := strings.TrimSpace(c.r.Header.Get(AgentHeader))
	if a == "" {
		return DefaultAgent, nil
	}
	if err := backlog.ValidateAgent(a); err != nil {
		return "", backlog.Invalidf("the %s header: %s", AgentHeader, err.Error())
	}
	return a, nil
}

// engine returns an engine writing as the request's agent.
func (c *call) engine() (*engine.Engine, error) {
	a, err := c.agent()
	if err != nil {
		return nil, err
	}
	return c.h.deps.Engine(c.ctx, a)
}

// id is the task reference in the path.
func (c *call) id() string { return c.r.PathValue("id") }

// query is a query parameter; "" when it is not given.
func (c *call) query(name string) string { return c.r.URL.Query().Get(name) }

// intQuery is a whole-number query parameter, def when it is not given.
func (c *call) intQuery(name string, def int) (int, error) {
	s := strings.TrimSpace(c.query(name))
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, backlog.Invalidf("%s must be a whole number such as 30, got %q", name, s)
	}
	return n, nil
}

// boolQuery is a yes-or-no query parameter, false when it is not given.
func (c *call) boolQuery(name string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(c.query(name))) {
	case "", "false", "no", "0":
		return false, nil
	case "true", "yes", "1":
		return true, nil
	}
	return false, backlog.Invalidf("%s must be yes or no (or true or false), got %q", name, c.query(name))
}

// checkQuery refuses a query parameter the route does not take: nothing is
// silently ignored.
func (c *call) checkQuery() error {
	for name := range c.r.URL.Query() {
		if !slices.ContainsFunc(c.rt.query, func(p param) bool { return p.name == name }) {
			if len(c.rt.query) == 0 {
				return backlog.Invalidf("unknown query parameter %q: %s %s takes none", name, c.rt.method, c.rt.path)
			}
			names := make([]string, len(c.rt.query))
			for i, p := range c.rt.query {
				names[i] = p.name
			}
			return backlog.Invalidf("unknown query parameter %q: %s %s takes %s", name, c.rt.method, c.rt.path, strings.Join(names, ", "))
		}
	}
	return nil
}

// decode reads the JSON body into v strictly: an unknown field, a value of
// the wrong type or a second object is an error. An empty body leaves v
// as it is unless required.
func (c *call) decode(v any, required bool) error {
	body, err := io.ReadAll(c.r.Body)
	if err != nil {
		return backlog.Invalidf("cannot read the request body: %v", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if required {
			return backlog.Invalidf("%s %s needs a JSON object in the request body", c.rt.method, c.rt.path)
		}
		return nil
	}
	if ct := c.r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return &unsupported{ct}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bodyError(err)
	}
	if dec.More() {
		return backlog.Invalidf("the request body holds more than one JSON value: send one object")
	}
	return nil
}

// unsupported is a body that is not JSON.
type unsupported struct{ contentType string }

func (e *unsupported) Error() string {
	return fmt.Sprintf("the request body is %s: send application/json", e.contentType)
}

// bodyError turns a decoding failure into one sentence.
func bodyError(err error) error {
	var own *backlog.Error
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &own):
		return own
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			return backlog.Invalidf("the request body must be a JSON object, got a JSON %s", te.Value)
		}
		return backlog.Invalidf("field %q must be %s, got a JSON %s", field, kindName(te.Type.String()), te.Value)
	case errors.As(err, &se):
		return backlog.Invalidf("the request body is not valid JSON: %s (at byte %d)", strings.TrimPrefix(se.Error(), "json: "), se.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return backlog.Invalidf("the request body is not valid JSON: it ends too soon")
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if name, ok := strings.CutPrefix(msg, "unknown field "); ok {
		return backlog.Invalidf("unknown field %s in the request body", name)
	}
	return backlog.Invalidf("the request body is not valid JSON: %s", msg)
}

// kindName names a Go type as a JSON one, for messages.
func kindName(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "an array"
	case strings.HasPrefix(t, "map"), strings.Contains(t, "struct"):
		return "an object"
	case t == "bool":
		return "true or false"
	case t == "string":
		return "a string"
	}
	return "a number"
}

// fail answers with the problem an error maps to.
func (c *call) fail(err error) {
	status := StatusOf(err)
	if status >= 500 {
		c.h.deps.Logger.Warn("request failed", "method", c.r.Method, "path", c.r.URL.Path, "error", err)
	}
	if c.ctx.Err() != nil && errors.Is(err, c.ctx.Err()) {
		return // the client has gone
	}
	WriteProblem(c.w, status, err.Error())
}

// StatusOf maps an error's kind to an HTTP status, in one place: bad input
// 400, a missing task 404, a refused transition 409, a failure of the
// machine 503, anything else 500.
func StatusOf(err error) int {
	var u *unsupported
	switch {
	case errors.As(err, &u):
		return http.StatusUnsupportedMediaType
	case errors.Is(err, backlog.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, backlog.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, backlog.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, backlog.ErrEnvironment):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// problem is an RFC 9457 problem document.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
}

// WriteProblem answers with an RFC 9457 problem document: the status, its
// title, and detail, the one sentence that says what was wrong.
func WriteProblem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	w.Write(append(compactJSON(problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail}), '\n'))
}

// encoded is an answer already encoded as compact JSON.
type encoded []byte

// writeJSON answers with v as compact JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, ok := v.(encoded)
	if !ok {
		b = compactJSON(v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// compactJSON encodes v without indentation or HTML escaping, as the MCP
// tools do. Values here always encode; a failure is a bug.
func compactJSON(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("encoding %T: %v", v, err))
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
