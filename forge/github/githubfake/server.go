// Package githubfake is a fake GitHub REST API for tests: an httptest
// server on 127.0.0.1 that serves the issue routes the backlog uses, at the
// root and under /api/v3/ (so it is reached as github.com's API or as
// GitHub Enterprise), with GitHub's pagination, JSON shapes and errors,
// pull requests mixed into issue lists, injected failures and a record of
// every request.
package githubfake

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/agent-backlog/backlog/forge"
	"github.com/agent-backlog/backlog/forge/forgetest"
)

// Login is the user the token belongs to: the author of comments posted
// through the API.
const Login = "backlog-bot"

// Server is the fake. Every method is safe for concurrent use.
type Server struct {
	srv   *httptest.Server
	token string
	done  chan struct{} // closed by Close: hanging requests give up
	once  sync.Once

	mu     sync.Mutex
	clock  func() time.Time
	repos  map[string]*repo // by lower-cased owner/repo
	ids    map[string]int64 // stable ids of users and labels, by kind:name
	nextID int64
	fails  []failure
	hangs  []failure
	writes int
	reqs   []forgetest.Request
}

var _ forgetest.Fake = (*Server)(nil)

type failure struct {
	method     string
	n, status  int
	retryAfter time.Duration
}

type repo struct {
	fullName   string
	issues     map[int64]*issue
	next       int64
	milestones []string // titles; a milestone's number is its index + 1
}

type issue struct {
	forge.Issue
	id          int64
	pr          bool
	created     time.Time
	closedAt    time.Time
	stateReason string
	comments    []comment
}

type comment struct {
	id    int64
	body  string
	login string
	at    time.Time
}

// New starts a fake GitHub on 127.0.0.1 with an empty store and a fresh
// token. Close it when done.
func New() *Server {
	var b [12]byte
	rand.Read(b[:])
	s := &Server{
		token: "ghp_fake" + hex.EncodeToString(b[:]),
		done:  make(chan struct{}),
		clock: time.Now,
		repos: map[string]*repo{},
		ids:   map[string]int64{},
	}
	s.srv = httptest.NewServer(s.handler())
	return s
}

// URL is the server's root: what a user passes as --host (it is then
// GitHub Enterprise, API under /api/v3/), and the prefix of html_url.
func (s *Server) URL() string { return s.srv.URL }

// Token is the one token the server accepts.
func (s *Server) Token() string { return s.token }

// Kind is "github".
func (s *Server) Kind() string { return "github" }

// Close stops the server; requests hanging on Hang give up first.
func (s *Server) Close() {
	s.once.Do(func() { close(s.done) })
	s.srv.Close()
}

// SetClock replaces the clock that stamps created_at and updated_at
// (time.Now by default). Times are kept to the second, as GitHub's are.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clock = now
}

func (s *Server) now() time.Time { return s.clock().UTC().Truncate(time.Second) }

// AddRepo creates an empty repository: lists of a repository never given
// an issue answer 404, as GitHub's do for one that does not exist.
func (s *Server) AddRepo(project string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repo(project, true)
}

func (s *Server) repo(project string, create bool) *repo {
	key := strings.ToLower(project)
	r := s.repos[key]
	if r == nil && create {
		r = &repo{fullName: project, issues: map[int64]*issue{}, next: 1}
		s.repos[key] = r
	}
	return r
}

// id is a stable id for a user, a label or a milestone, by kind and name.
func (s *Server) id(kind, name string) int64 {
	key := kind + ":" + strings.ToLower(name)
	if id, ok := s.ids[key]; ok {
		return id
	}
	s.nextID++
	s.ids[key] = s.nextID
	return s.nextID
}

func (s *Server) newID() int64 {
	s.nextID++
	return s.nextID
}

// AddIssue creates an issue (open unless iss.Closed) and returns its
// number; UpdatedAt is the server's clock when zero.
func (s *Server) AddIssue(project string, iss forge.Issue) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(project, true)
	now := s.now()
	if iss.UpdatedAt.IsZero() {
		iss.UpdatedAt = now
	}
	iss.UpdatedAt = iss.UpdatedAt.UTC().Truncate(time.Second)
	iss.IID = r.next
	r.next++
	i := &issue{Issue: iss, id: s.newID(), created: now}
	if iss.UpdatedAt.Before(now) {
		i.created = iss.UpdatedAt
	}
	i.Labels = clone(iss.Labels)
	i.Assignees = clone(iss.Assignees)
	if iss.Closed {
		i.closedAt, i.stateReason = iss.UpdatedAt, "completed"
	}
	r.milestone(iss.Milestone)
	r.issues[iss.IID] = i
	return iss.IID
}

// AddPullRequest adds an open pull request, which GitHub's issue lists
// show among the issues (with a pull_request member).
func (s *Server) AddPullRequest(project, title string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(project, true)
	now := s.now()
	n := r.next
	r.next++
	r.issues[n] = &issue{Issue: forge.Issue{IID: n, Title: title, UpdatedAt: now}, id: s.newID(), pr: true, created: now}
	return n
}

// Issue is the issue as the server holds it now; false for a pull
// request, a deleted issue or one never made.
func (s *Server) Issue(project string, iid int64) (forge.Issue, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.issue(project, iid)
	if i == nil || i.pr {
		return forge.Issue{}, false
	}
	out := i.Issue
	out.Labels, out.Assignees = clone(i.Labels), clone(i.Assignees)
	out.URL = s.htmlURL(s.repo(project, false).fullName, i)
	return out, true
}

func (s *Server) issue(project string, iid int64) *issue {
	if r := s.repo(project, false); r != nil {
		return r.issues[iid]
	}
	return nil
}

// Edit changes an issue as a person would on GitHub, and sets updated_at
// to the server's clock unless fn set it.
func (s *Server) Edit(project string, iid int64, fn func(*forge.Issue)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.issue(project, iid)
	if i == nil {
		return
	}
	edited := i.Issue
	edited.Labels, edited.Assignees = clone(i.Labels), clone(i.Assignees)
	fn(&edited)
	edited.IID = i.IID
	if edited.UpdatedAt.Equal(i.UpdatedAt) {
		edited.UpdatedAt = s.now()
	}
	edited.UpdatedAt = edited.UpdatedAt.UTC().Truncate(time.Second)
	switch {
	case edited.Closed && !i.Closed:
		i.closedAt, i.stateReason = edited.UpdatedAt, "completed"
	case !edited.Closed && i.Closed:
		i.closedAt, i.stateReason = time.Time{}, "reopened"
	}
	s.repo(project, false).milestone(edited.Milestone)
	i.Issue = edited
}

// Delete removes an issue: every later request for it answers 404.
func (s *Server) Delete(project string, iid int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.repo(project, false); r != nil {
		delete(r.issues, iid)
	}
}

// Comments are the bodies of the issue's comments, oldest first.
func (s *Server) Comments(project string, iid int64) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.issue(project, iid)
	if i == nil {
		return nil
	}
	out := make([]string, len(i.comments))
	for k, c := range i.comments {
		out[k] = c.body
	}
	return out
}

// Fail makes the next n requests with the method ("" for any) answer
// status, with Retry-After in whole seconds when retryAfter > 0.
func (s *Server) Fail(method string, n, status int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fails = append(s.fails, failure{method: method, n: n, status: status, retryAfter: retryAfter})
}

// Hang makes the next n requests with the method ("" for any) answer
// nothing until the client gives up or the server closes.
func (s *Server) Hang(method string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hangs = append(s.hangs, failure{method: method, n: n})
}

// take consumes one use of the first rule matching method.
func take(rules []failure, method string) (failure, bool) {
	for k := range rules {
		if rules[k].n > 0 && (rules[k].method == "" || strings.EqualFold(rules[k].method, method)) {
			rules[k].n--
			return rules[k], true
		}
	}
	return failure{}, false
}

// Writes counts the POST, PUT, PATCH and DELETE requests answered 2xx.
func (s *Server) Writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

// Requests is every request received, in order of arrival.
func (s *Server) Requests() []forgetest.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]forgetest.Request(nil), s.reqs...)
}

// handler records the request, applies injected hangs and failures, checks
// the token, then routes.
func (s *Server) handler() http.Handler {
	mux := s.routes()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		s.mu.Lock()
		at := len(s.reqs)
		s.reqs = append(s.reqs, forgetest.Request{
			Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery,
			Body: string(body), Auth: r.Header.Get("Authorization"), At: time.Now(),
		})
		_, hang := take(s.hangs, r.Method)
		fail, failing := take(s.fails, r.Method)
		s.mu.Unlock()
		if hang {
			select {
			case <-r.Context().Done():
			case <-s.done:
			}
			panic(http.ErrAbortHandler) // the connection drops, nothing answered
		}
		sw := &statusWriter{ResponseWriter: w}
		switch {
		case failing:
			s.fail(sw, fail)
		case !s.authorized(r):
			writeJSON(sw, http.StatusUnauthorized, apiError{Message: "Bad credentials", DocumentationURL: "https://docs.github.com/rest", Status: "401"})
		default:
			mux.ServeHTTP(sw, r)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.reqs[at].Status = sw.status
		if r.Method != http.MethodGet && r.Method != http.MethodHead && sw.status >= 200 && sw.status < 300 {
			s.writes++
		}
	})
}

func (s *Server) authorized(r *http.Request) bool {
	auth := r.Header.Get("Authorization")
	for _, scheme := range []string{"Bearer ", "token "} {
		if t, ok := strings.CutPrefix(auth, scheme); ok && t == s.token {
			return true
		}
	}
	return false
}

// fail answers an injected failure the way GitHub words it.
func (s *Server) fail(w http.ResponseWriter, f failure) {
	if f.retryAfter > 0 {
		secs := int64((f.retryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	}
	msg := http.StatusText(f.status)
	switch {
	case f.status == http.StatusTooManyRequests || (f.status == http.StatusForbidden && f.retryAfter > 0):
		msg = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
	case f.status >= 500:
		msg = "Server Error"
	}
	writeJSON(w, f.status, apiError{Message: msg, DocumentationURL: "https://docs.github.com/rest", Status: strconv.Itoa(f.status)})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// apiError is GitHub's error body.
type apiError struct {
	Message          string       `json:"message"`
	Errors           []fieldError `json:"errors,omitempty"`
	DocumentationURL string       `json:"documentation_url,omitempty"`
	Status           string       `json:"status,omitempty"`
}

type fieldError struct {
	Resource string `json:"resource"`
	Field    string `json:"field"`
	Code     string `json:"code"`
	Message  string `json:"message,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if v == nil {
		w.WriteHeader(status)
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"message":"Server Error"}`)
	}
	w.WriteHeader(status)
	w.Write(b)
}

func clone(names []string) []string {
	if len(names) == 0 {
		return nil
	}
	return append([]string(nil), names...)
}

// milestone makes sure a milestone with the title exists and returns its
// number (0 for none).
func (r *repo) milestone(title string) int {
	if title == "" {
		return 0
	}
	for k, t := range r.milestones {
		if t == title {
			return k + 1
		}
	}
	r.milestones = append(r.milestones, title)
	return len(r.milestones)
}
