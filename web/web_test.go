package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agent-backlog/backlog/mcp"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/memstore"
)

var now = time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)

// newServer is a Server over an in-memory store, with MCP mounted.
func newServer(t *testing.T, opts Options) *Server {
	t.Helper()
	st := memstore.New()
	open := func(context.Context) (store.Store, error) { return st, nil }
	opts.Open, opts.Clock = open, func() time.Time { return now }
	if opts.Stderr == nil {
		opts.Stderr = io.Discard
	}
	m := mcp.NewServer(open, mcp.Options{Clock: opts.Clock, Stderr: io.Discard, Token: opts.Token, AllowedOrigins: opts.AllowedOrigins})
	t.Cleanup(func() { m.Close() })
	opts.MCP = m.HTTPHandler()
	return New(opts)
}

// client sends requests to a test server; redirects are not followed.
type client struct {
	t    *testing.T
	base string
	http *http.Client
}

func newClient(t *testing.T, base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: base, http: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type answer struct {
	status int
	header http.Header
	body   string
}

// do sends a request; header holds name, value pairs.
func (c *client) do(method, path, body string, header ...string) answer {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Host" {
			req.Host = header[i+1]
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(b)}
}

// problem checks that an answer is a problem document with the status.
func (a answer) problem(t *testing.T, status int, says string) {
	t.Helper()
	if a.status != status {
		t.Fatalf("status %d, want %d: %s", a.status, status, a.body)
	}
	if ct := a.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json: %s", ct, a.body)
	}
	var p struct {
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}
	if err := json.Unmarshal([]byte(a.body), &p); err != nil || p.Status != status || !strings.Contains(p.Detail, says) {
		t.Fatalf("problem %s, want status %d and a detail saying %q", a.body, status, says)
	}
}

// serveOff serves s on a loopback port as if it listened on addr, an
// address off loopback, and returns the base URL and what it printed.
func serveOff(t *testing.T, s *Server, stderr *syncBuffer) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.serveListener(ctx, ln, "192.0.2.7:7412") }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serveListener: %v", err)
		}
	})
	deadline := time.Now().Add(20 * time.Second) // a guard, not a measure
	for !strings.Contains(stderr.String(), "REST API") {
		if time.Now().After(deadline) {
			t.Fatalf("the server did not start: %q", stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	return "http://" + ln.Addr().String()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const initialize = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`

func TestOffLoopbackEveryRequestNeedsTheToken(t *testing.T) {
	stderr := &syncBuffer{}
	s := newServer(t, Options{Stderr: stderr})
	base := serveOff(t, s, stderr)
	m := regexp.MustCompile(`Authorization: Bearer (\S+)`).FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("no generated token printed: %q", stderr.String())
	}
	token := m[1]
	if !strings.Contains(stderr.String(), "serving MCP at "+base+"/mcp\n") {
		t.Fatalf("the MCP address is not on a line of its own: %q", stderr.String())
	}
	c := newClient(t, base)
	for _, r := range []struct{ method, path, body string }{
		{"GET", "/api/v1/tasks", ""},
		{"POST", "/api/v1/tasks", `{"description":"x"}`},
		{"GET", "/v1/backlog", ""},
		{"GET", "/api/v1/openapi.json", ""},
		{"POST", "/mcp", initialize},
		{"GET", "/", ""},
	} {
		t.Run(r.method+" "+r.path+" without the token is 401", func(t *testing.T) {
			a := c.do(r.method, r.path, r.body)
			a.problem(t, http.StatusUnauthorized, "Authorization: Bearer")
			if a.header.Get("WWW-Authenticate") == "" {
				t.Fatal("no WWW-Authenticate")
			}
		})
	}
	t.Run("a wrong token is 401", func(t *testing.T) {
		c.do("GET", "/api/v1/tasks", "", "Authorization", "Bearer "+token+"x").problem(t, 401, "token")
	})
	t.Run("with the token the API and MCP answer", func(t *testing.T) {
		if a := c.do("POST", "/api/v1/tasks", `{"description":"x"}`, "Authorization", "Bearer "+token); a.status != 201 {
			t.Fatalf("add: %d %s", a.status, a.body)
		}
		if a := c.do("POST", "/mcp", initialize, "Authorization", "Bearer "+token, "Accept", "application/json, text/event-stream"); a.status != 200 {
			t.Fatalf("MCP initialize: %d %s", a.status, a.body)
		}
	})
	t.Run("a browser presents the token once and keeps an HttpOnly SameSite=Strict cookie", func(t *testing.T) {
		b := newClient(t, base)
		a := b.do("GET", "/?token="+url.QueryEscape(token)+"&filter=x", "")
		if a.status != http.StatusSeeOther || a.header.Get("Location") != "/?filter=x" {
			t.Fatalf("?token=: %d, Location %q", a.status, a.header.Get("Location"))
		}
		var session string
		for _, sc := range a.header.Values("Set-Cookie") {
			if strings.HasPrefix(sc, sessionCookie) {
				session = sc
			}
		}
		if !strings.Contains(session, "HttpOnly") || !strings.Contains(session, "SameSite=Strict") || strings.Contains(session, token) {
			t.Fatalf("the session cookie is %q: want HttpOnly, SameSite=Strict, and no token in it", session)
		}
		if a := b.do("GET", "/api/v1/tasks", ""); a.status != 200 {
			t.Fatalf("with the cookie: %d %s", a.status, a.body)
		}
	})
	t.Run("the token link never redirects to another site", func(t *testing.T) {
		a := newClient(t, base).do("GET", "//evil.example/?token="+url.QueryEscape(token), "")
		if a.status != http.StatusSeeOther || a.header.Get("Location") != "/" {
			t.Fatalf("//evil.example/?token=: %d, Location %q", a.status, a.header.Get("Location"))
		}
	})
	t.Run("a browser without the cookie gets the login form, which takes the token", func(t *testing.T) {
		b := newClient(t, base)
		a := b.do("GET", "/agents", "", "Accept", "text/html")
		if a.status != 401 || !strings.Contains(a.body, `<form method="post" action="/login">`) {
			t.Fatalf("the page without the cookie: %d %s", a.status, a.body)
		}
		csrf := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(a.body)
		if csrf == nil {
			t.Fatalf("the form has no CSRF token: %s", a.body)
		}
		form := url.Values{"token": {"wrong"}, "next": {"/agents"}, CSRFField: {csrf[1]}}
		if a := b.do("POST", "/login", "", "Content-Type", "application/x-www-form-urlencoded", "Sec-Fetch-Site", "same-origin", "X-Body", ""); a.status != 403 {
			t.Fatalf("a login without its CSRF token: %d %s", a.status, a.body)
		}
		a = b.post("/login", form)
		if a.status != 401 || !strings.Contains(a.body, "not the token") {
			t.Fatalf("a wrong token: %d %s", a.status, a.body)
		}
		form.Set("token", token)
		a = b.post("/login", form)
		if a.status != http.StatusSeeOther || a.header.Get("Location") != "/agents" {
			t.Fatalf("the right token: %d %q %s", a.status, a.header.Get("Location"), a.body)
		}
		if a := b.do("GET", "/api/v1/tasks", ""); a.status != 200 {
			t.Fatalf("after login: %d %s", a.status, a.body)
		}
	})
}

// post sends a form as a browser on the same origin does.
func (c *client) post(path string, form url.Values) answer {
	c.t.Helper()
	req, _ := http.NewRequest("POST", c.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", c.base)
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(b)}
}

func TestOnLoopbackNoTokenIsNeeded(t *testing.T) {
	srv := httptest.NewServer(newServer(t, Options{}).Handler())
	defer srv.Close()
	c := newClient(t, srv.URL)
	if a := c.do("POST", "/api/v1/tasks", `{"description":"x"}`); a.status != 201 {
		t.Fatalf("add: %d %s", a.status, a.body)
	}
}

func TestForeignOriginsAndRebindedHostsAreRefused(t *testing.T) {
	srv := httptest.NewServer(newServer(t, Options{AllowedOrigins: []string{"https://tools.example"}}).Handler())
	defer srv.Close()
	c := newClient(t, srv.URL)
	t.Run("a foreign Origin is 403", func(t *testing.T) {
		c.do("GET", "/api/v1/tasks", "", "Origin", "http://evil.example").problem(t, 403, `origin "http://evil.example" is not allowed`)
		c.do("POST", "/api/v1/tasks", `{"description":"x"}`, "Origin", "http://evil.example").problem(t, 403, "not allowed")
		c.do("GET", "/", "", "Origin", "null").problem(t, 403, "not allowed")
		c.do("POST", "/mcp", initialize, "Origin", "http://evil.example").problem(t, 403, "not allowed")
	})
	t.Run("a Host that is not loopback is 403 (DNS rebinding)", func(t *testing.T) {
		_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
		c.do("GET", "/api/v1/tasks", "", "Host", "evil.example:"+port).problem(t, 403, "not a loopback name")
		c.do("GET", "/", "", "Host", "evil.example:"+port, "Origin", "http://evil.example:"+port).problem(t, 403, "not a loopback name")
	})
	t.Run("an allowed origin and its host are served", func(t *testing.T) {
		if a := c.do("GET", "/api/v1/tasks", "", "Origin", "https://tools.example"); a.status != 200 {
			t.Fatalf("%d %s", a.status, a.body)
		}
		if a := c.do("GET", "/api/v1/tasks", "", "Host", "tools.example"); a.status != 200 {
			t.Fatalf("%d %s", a.status, a.body)
		}
	})
	t.Run("nothing was written", func(t *testing.T) {
		if a := c.do("GET", "/api/v1/tasks/count", ""); !strings.Contains(a.body, `"count":0`) {
			t.Fatalf("count: %s", a.body)
		}
	})
}

func TestWritesFromABrowserNeedTheSameOriginAndTheCSRFToken(t *testing.T) {
	srv := httptest.NewServer(newServer(t, Options{}).Handler())
	defer srv.Close()
	c := newClient(t, srv.URL)
	page := c.do("GET", "/", "", "Accept", "text/html")
	if page.status != 200 {
		t.Fatalf("the board: %d %s", page.status, page.body)
	}
	m := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("the board's page carries no CSRF token: %s", page.body)
	}
	token := m[1]
	add := `{"description":"x"}`
	cases := []struct {
		name   string
		header []string
		status int
	}{
		{"a cross-site write is refused", []string{"Sec-Fetch-Site", "cross-site", CSRFHeader, token}, 403},
		{"a same-site write from another port is refused", []string{"Sec-Fetch-Site", "same-site", "Origin", "http://localhost:1", CSRFHeader, token}, 403},
		{"an older browser's write from another origin is refused", []string{"Origin", "http://localhost:1", CSRFHeader, token}, 403},
		{"a same-origin write without the token is refused", []string{"Sec-Fetch-Site", "same-origin"}, 403},
		{"a same-origin write with a wrong token is refused", []string{"Sec-Fetch-Site", "same-origin", CSRFHeader, strings.Repeat("A", 26)}, 403},
		{"a same-origin write with the token is taken", []string{"Sec-Fetch-Site", "same-origin", "Origin", srv.URL, CSRFHeader, token}, 201},
	}
	for _, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			a := c.do("POST", "/api/v1/tasks", add, cs.header...)
			if cs.status == 403 {
				a.problem(t, 403, "")
				return
			}
			if a.status != cs.status {
				t.Fatalf("status %d, want %d: %s", a.status, cs.status, a.body)
			}
		})
	}
	t.Run("a script, which sends no browser headers, needs no CSRF token", func(t *testing.T) {
		if a := newClient(t, srv.URL).do("POST", "/api/v1/tasks", add); a.status != 201 {
			t.Fatalf("%d %s", a.status, a.body)
		}
	})
	t.Run("the board's own form passes with its token, and is refused without", func(t *testing.T) {
		form := url.Values{CSRFField: {token}}
		if a := c.post("/tasks/1/done", form); a.status == 403 {
			t.Fatalf("the board's form was refused: %s", a.body)
		}
		if a := c.post("/tasks/2/done", url.Values{}); a.status != 403 {
			t.Fatalf("a form without the token: %d %s", a.status, a.body)
		}
	})
}

func TestBodiesOverTheLimitAre413(t *testing.T) {
	srv := httptest.NewServer(newServer(t, Options{MaxBodyBytes: 1024}).Handler())
	defer srv.Close()
	c := newClient(t, srv.URL)
	big := `{"description":"` + strings.Repeat("x", 2000) + `"}`
	c.do("POST", "/api/v1/tasks", big).problem(t, 413, "1024 bytes")
	t.Run("also when the body comes without a length", func(t *testing.T) {
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/tasks", io.MultiReader(strings.NewReader(big)))
		req.ContentLength = -1
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 413 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	if a := c.do("GET", "/api/v1/tasks/count?filter=status.any:", ""); !strings.Contains(a.body, `"count":0`) {
		t.Fatalf("a refused body wrote something: %s", a.body)
	}
}

func TestEveryAnswerCarriesTheSecurityHeaders(t *testing.T) {
	srv := httptest.NewServer(newServer(t, Options{}).Handler())
	defer srv.Close()
	c := newClient(t, srv.URL)
	for _, path := range []string{"/", "/api/v1/tasks", "/api/v1/nothing", "/v1/backlog"} {
		a := c.do("GET", path, "", "Origin", "http://evil.example")
		b := c.do("GET", path, "")
		for _, h := range []http.Header{a.header, b.header} {
			csp := h.Get("Content-Security-Policy")
			if !strings.Contains(csp, "script-src 'self';") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("%s: Content-Security-Policy %q", path, csp)
			}
			if h.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%s: X-Content-Type-Options %q", path, h.Get("X-Content-Type-Options"))
			}
		}
	}
}
