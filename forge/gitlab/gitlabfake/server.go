// Package gitlabfake is a GitLab REST API (v4) in an httptest server on
// 127.0.0.1: the project issue, note and user routes the backlog uses, with
// GitLab's pagination headers, %2F-escaped project paths, labels as comma
// strings, system notes for every change, injected failures and a record of
// every request. It implements forgetest.Fake, so the import, push and pull
// logic is tested against it exactly as against the GitHub fake.
package gitlabfake

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"time"

	"github.com/agent-backlog/backlog/forge/forgetest"
)

var _ forgetest.Fake = (*Server)(nil)

// token is the one token the fake accepts; it looks like a personal access
// token so that tests can check it never shows in an error.
const token = "glpat-fake-0123456789abcdefghij"

// Server is a fake GitLab. Every method is safe for concurrent use.
type Server struct {
	srv      *httptest.Server
	done     chan struct{} // closed by Close, so that hung requests end
	doneOnce sync.Once

	mu       sync.Mutex
	clock    time.Time // the last timestamp handed out
	nextID   int64     // one sequence for the global ids of every object
	projects map[string]*project
	byID     map[int64]*project
	users    map[string]*user // by lower-cased username
	noUsers  map[string]bool  // usernames that /users never finds
	faults   []fault
	requests []forgetest.Request
	writes   int
}

// fault is one injected answer: a status, or a hang.
type fault struct {
	method     string // "" for any
	status     int
	retryAfter time.Duration
	hang       bool
}

// New starts a fake GitLab on 127.0.0.1. Close it when done.
func New() *Server {
	s := &Server{
		done:     make(chan struct{}),
		projects: map[string]*project{},
		byID:     map[int64]*project{},
		users:    map[string]*user{},
		noUsers:  map[string]bool{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is what a user passes as --host or GITLAB_HOST: the API is at
// URL()/api/v4.
func (s *Server) URL() string { return s.srv.URL }

// Token is the one token the server accepts, as PRIVATE-TOKEN or as a
// bearer token; any other request gets 401.
func (s *Server) Token() string { return token }

// Kind is "gitlab".
func (s *Server) Kind() string { return "gitlab" }

// Close releases hung requests and stops the server.
func (s *Server) Close() {
	s.doneOnce.Do(func() { close(s.done) })
	s.srv.Close()
}

// Fail makes the next n requests with the method ("" for any) answer
// status, with Retry-After (whole seconds, at least 1) when retryAfter > 0.
func (s *Server) Fail(method string, n, status int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, fault{method: method, status: status, retryAfter: retryAfter})
	}
}

// Hang makes the next n requests with the method ("" for any) block until
// the client gives up or the server closes, answering nothing.
func (s *Server) Hang(method string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, fault{method: method, hang: true})
	}
}

// Writes counts the POST, PUT, PATCH and DELETE requests answered 2xx.
func (s *Server) Writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

// Requests is every request received, in order; a hung one has Status 0.
func (s *Server) Requests() []forgetest.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// serve records the request, answers an injected fault or a refused token,
// and hands the rest to the routes.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	auth := r.Header.Get("PRIVATE-TOKEN")
	if auth == "" {
		auth = r.Header.Get("Authorization")
	}
	s.mu.Lock()
	n := len(s.requests)
	s.requests = append(s.requests, forgetest.Request{
		Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery,
		Body: string(body), Auth: auth, At: time.Now(),
	})
	f, faulty := s.takeFault(r.Method)
	s.mu.Unlock()

	rec := &recorder{ResponseWriter: w}
	defer func() { s.finish(n, r.Method, rec.status) }()
	switch {
	case faulty && f.hang:
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
		panic(http.ErrAbortHandler) // drop the connection: no answer at all
	case faulty:
		if f.retryAfter > 0 {
			rec.Header().Set("Retry-After", fmt.Sprint(int64(max(f.retryAfter.Round(time.Second), time.Second)/time.Second)))
		}
		writeJSON(rec, f.status, message(fmt.Sprintf("%d %s", f.status, http.StatusText(f.status))))
	case !authorized(r):
		writeJSON(rec, http.StatusUnauthorized, message("401 Unauthorized"))
	default:
		s.route(rec, r)
	}
}

// takeFault removes and returns the first injected fault for the method.
// The caller holds s.mu.
func (s *Server) takeFault(method string) (fault, bool) {
	for i, f := range s.faults {
		if f.method == "" || f.method == method {
			s.faults = slices.Delete(s.faults, i, i+1)
			return f, true
		}
	}
	return fault{}, false
}

// finish stores the status of request n and counts it when it wrote.
func (s *Server) finish(n int, method string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests[n].Status = status
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		if status >= 200 && status < 300 {
			s.writes++
		}
	}
}

func authorized(r *http.Request) bool {
	return r.Header.Get("PRIVATE-TOKEN") == token || r.Header.Get("Authorization") == "Bearer "+token
}

// recorder remembers the status a handler answered.
type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}
