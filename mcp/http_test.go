package mcp

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/memstore"
)

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// startHTTP serves on a loopback port as if asked for addr ("" means the
// loopback address itself) and returns the MCP URL and what the server
// printed.
func startHTTP(t *testing.T, opts Options, addr string) (string, *syncBuffer) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if addr == "" {
		addr = ln.Addr().String()
	}
	stderr := &syncBuffer{}
	opts.Stderr, opts.Clock = stderr, clock
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	st := memstore.New()
	srv := NewServer(func(context.Context) (store.Store, error) { return st, nil }, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.serveListener(ctx, ln, addr) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serveListener: %v", err)
		}
	})
	url := "http://" + ln.Addr().String() + MCPPath
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(stderr.String(), "serving MCP"); {
		if time.Now().After(deadline) {
			t.Fatal("the server did not start")
		}
		time.Sleep(time.Millisecond)
	}
	return url, stderr
}

const initBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}`

// post sends a JSON-RPC body as an MCP client would and returns the status.
func post(t *testing.T, url string, body io.Reader, headers ...string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for i := 0; i < len(headers); i += 2 {
		if headers[i] == "Host" {
			req.Host = headers[i+1]
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func TestHTTPLoopbackNeedsNoToken(t *testing.T) {
	url, stderr := startHTTP(t, Options{}, "")
	if got := post(t, url, strings.NewReader(initBody)); got != http.StatusOK {
		t.Errorf("initialize without a token: %d", got)
	}
	if strings.Contains(stderr.String(), "Bearer") {
		t.Errorf("a token was generated on loopback: %s", stderr)
	}
}

func TestHTTPTokenIsRequiredWhenSet(t *testing.T) {
	url, _ := startHTTP(t, Options{Token: "s3cret"}, "")
	for _, c := range []struct {
		name   string
		header []string
		want   int
	}{
		{"no token", nil, http.StatusUnauthorized},
		{"a wrong token", []string{"Authorization", "Bearer wrong"}, http.StatusUnauthorized},
		{"a longer token", []string{"Authorization", "Bearer s3cret2"}, http.StatusUnauthorized},
		{"another scheme", []string{"Authorization", "Basic s3cret"}, http.StatusUnauthorized},
		{"the token", []string{"Authorization", "Bearer s3cret"}, http.StatusOK},
		{"the token, scheme in lower case", []string{"Authorization", "bearer s3cret"}, http.StatusOK},
	} {
		if got := post(t, url, strings.NewReader(initBody), c.header...); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}

func TestHTTPOffLoopbackGeneratesAndRequiresAToken(t *testing.T) {
	url, stderr := startHTTP(t, Options{}, ":0")
	m := regexp.MustCompile(`Authorization: Bearer (\S+)`).FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("no token printed: %q", stderr)
	}
	if got := post(t, url, strings.NewReader(initBody)); got != http.StatusUnauthorized {
		t.Errorf("no token: %d", got)
	}
	if got := post(t, url, strings.NewReader(initBody), "Authorization", "Bearer "+m[1]); got != http.StatusOK {
		t.Errorf("the printed token: %d", got)
	}
	if n := strings.Count(stderr.String(), m[1]); n != 1 {
		t.Errorf("the token was printed %d times", n)
	}
}

func TestHTTPRefusesCrossOriginBrowserRequests(t *testing.T) {
	url, _ := startHTTP(t, Options{AllowedOrigins: []string{"https://board.example"}}, "")
	for origin, want := range map[string]int{
		"http://evil.example":      http.StatusForbidden,
		"null":                     http.StatusForbidden,
		"http://localhost.evil.io": http.StatusForbidden,
		"http://localhost:5173":    http.StatusOK,
		"http://127.0.0.1:3000":    http.StatusOK,
		"http://[::1]:3000":        http.StatusOK,
		"https://board.example":    http.StatusOK,
	} {
		if got := post(t, url, strings.NewReader(initBody), "Origin", origin); got != want {
			t.Errorf("Origin %s: %d, want %d", origin, got, want)
		}
	}
	// The SDK's DNS-rebinding check stays on: a loopback server refuses
	// another Host.
	if got := post(t, url, strings.NewReader(initBody), "Host", "evil.example"); got != http.StatusForbidden {
		t.Errorf("Host evil.example: %d", got)
	}
}

func TestHTTPRefusesOversizedBodies(t *testing.T) {
	url, _ := startHTTP(t, Options{MaxBodyBytes: 4096}, "")
	big := `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"task_add","arguments":{"description":"` + strings.Repeat("x", 5000) + `"}}}`
	if got := post(t, url, strings.NewReader(big)); got != http.StatusRequestEntityTooLarge {
		t.Errorf("with Content-Length: %d", got)
	}
	// A body of unknown length (chunked) is cut while it is read.
	if got := post(t, url, io.MultiReader(strings.NewReader(big))); got != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked: %d", got)
	}
	if got := post(t, url, strings.NewReader(initBody)); got != http.StatusOK {
		t.Errorf("a small body: %d", got)
	}
	if DefaultMaxBodyBytes < 2<<20 {
		t.Errorf("the default limit %d cannot carry a 1 MiB doc, escaped", DefaultMaxBodyBytes)
	}
}

// bearer adds a token to every request.
type bearer struct {
	token string
	rt    http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.rt.RoundTrip(r)
}

// connectHTTP connects an SDK client over streamable HTTP.
func connectHTTP(t *testing.T, url, token, protocol, name string) *sdk.ClientSession {
	t.Helper()
	tr := &sdk.StreamableClientTransport{Endpoint: url, HTTPClient: &http.Client{Transport: bearer{token, http.DefaultTransport}}, DisableStandaloneSSE: true}
	cs, err := sdk.NewClient(&sdk.Implementation{Name: name, Version: "1"}, nil).Connect(context.Background(), tr, &sdk.ClientSessionOptions{ProtocolVersion: protocol})
	if err != nil {
		t.Fatalf("connect (%s): %v", protocol, err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

func TestHTTPServesTheNewestAndOlderProtocols(t *testing.T) {
	url, _ := startHTTP(t, Options{Token: "tok"}, "")
	tools := newFixture(t, fixtureOptions{}).tools
	for _, c := range []struct{ ask, want string }{
		{"", "2026-07-28"},
		{"2025-11-25", "2025-11-25"},
		{"2025-06-18", "2025-06-18"},
		{"2025-03-26", "2025-03-26"},
	} {
		t.Run("protocol "+c.want, func(t *testing.T) {
			agent := "agent-" + c.want
			cs := connectHTTP(t, url, "tok", c.ask, agent)
			if got := cs.InitializeResult().ProtocolVersion; got != c.want {
				t.Errorf("negotiated %q, want %q", got, c.want)
			}
			f := &fixture{t: t, cs: cs, tools: tools}
			got := task(f.ok("task_add", map[string]any{"description": "over HTTP " + c.want, "tags": `["web"]`}))
			if got["description"] != "over HTTP "+c.want {
				t.Errorf("add: %s", show(got))
			}
			if claimed := task(f.ok("task_claim", map[string]any{"id": got["id"]})); claimed["agent"] != agent {
				t.Errorf("claimed as %v, want the client's name %s", claimed["agent"], agent)
			}
			// Undo is per agent: it needs the same agent id on every request.
			if m := f.ok("task_undo", nil); m["undone"] == nil {
				t.Errorf("undo: %s", show(m))
			}
			f.wantFail("task_info", map[string]any{"id": 999}, "no task with id 999")
			res, err := cs.ListTools(context.Background(), nil)
			if err != nil || len(res.Tools) != len(toolNames) {
				t.Errorf("tools/list: %v, %d tools", err, len(res.Tools))
			}
		})
	}
}

func TestHTTPClosesIdleSessions(t *testing.T) {
	url, _ := startHTTP(t, Options{SessionTimeout: 100 * time.Millisecond}, "")
	cs := connectHTTP(t, url, "", "2025-11-25", "idle")
	if _, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "task_count", Arguments: map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	sid := cs.ID()
	if sid == "" {
		t.Fatal("a legacy client got no session")
	}
	time.Sleep(400 * time.Millisecond)
	if got := post(t, url, strings.NewReader(`{"jsonrpc":"2.0","id":5,"method":"tools/list"}`), "Mcp-Session-Id", sid, "Mcp-Protocol-Version", "2025-11-25"); got != http.StatusNotFound {
		t.Errorf("a request on the idle session: %d, want 404", got)
	}
}

func TestHTTPShutdownEndsOpenEventStreams(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(nil, Options{Logger: quietLogger(), Stderr: &syncBuffer{}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.serveListener(ctx, ln, ln.Addr().String()) }()
	// A legacy client keeps a standalone event stream (GET) open.
	tr := &sdk.StreamableClientTransport{Endpoint: "http://" + ln.Addr().String() + MCPPath}
	var cs *sdk.ClientSession
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if cs, err = sdk.NewClient(&sdk.Implementation{Name: "x", Version: "1"}, nil).Connect(context.Background(), tr, &sdk.ClientSessionOptions{ProtocolVersion: "2025-11-25"}); err == nil || time.Now().After(deadline) {
			break
		}
		tr = &sdk.StreamableClientTransport{Endpoint: tr.Endpoint}
	}
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serveListener: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("shutdown took %v", d)
	}
}

// openSession sends initialize without a session and returns the session id
// the server gives.
func openSession(t *testing.T, url string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(initBody))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	id := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != http.StatusOK || id == "" {
		t.Fatalf("initialize: %d, session %q", resp.StatusCode, id)
	}
	return id
}

// pingSession sends a ping on a session and returns the status.
func pingSession(t *testing.T, url, id string) int {
	t.Helper()
	return post(t, url, strings.NewReader(`{"jsonrpc":"2.0","id":7,"method":"ping"}`), "Mcp-Session-Id", id, "Mcp-Protocol-Version", "2025-11-25")
}

func TestHTTPCapsSessionsClosingTheOneIdleLongest(t *testing.T) {
	url, _ := startHTTP(t, Options{MaxSessions: 3}, "")
	a, b, c := openSession(t, url), openSession(t, url), openSession(t, url)
	// a is used after b and c were opened: b is now the one idle longest.
	if got := pingSession(t, url, a); got != http.StatusOK {
		t.Fatalf("ping on a: %d", got)
	}
	d := openSession(t, url)
	for _, s := range []struct {
		name, id string
		want     int
	}{
		{"a, used last", a, http.StatusOK},
		{"b, idle longest", b, http.StatusNotFound},
		{"c", c, http.StatusOK},
		{"d, the new one", d, http.StatusOK},
	} {
		if got := pingSession(t, url, s.id); got != s.want {
			t.Errorf("session %s: %d, want %d", s.name, got, s.want)
		}
	}
	// The cap holds over many more.
	for range 10 {
		openSession(t, url)
	}
	live := 0
	for _, id := range []string{a, c, d} {
		if pingSession(t, url, id) == http.StatusOK {
			live++
		}
	}
	if live != 0 {
		t.Errorf("%d of the first sessions outlived 10 newer ones under a cap of 3", live)
	}
}

func TestHTTPSessionIdleLongestSkipsOnesWithACallInFlight(t *testing.T) {
	older := &sessionUse{last: 1, busy: 1}
	newer := &sessionUse{last: 2}
	if !newer.idler(older) || older.idler(newer) {
		t.Error("a session with a call in flight was chosen before an idle one")
	}
	if a, b := (&sessionUse{last: 1}), (&sessionUse{last: 2}); !a.idler(b) || b.idler(a) {
		t.Error("of two idle sessions, the one used last was chosen")
	}
}

// slowPost sends a request whose body of size bytes comes one byte every
// gap, and returns the status line the server answers (or "" if it does not
// answer within wait).
func slowPost(t *testing.T, url string, size int, gap, wait time.Duration) string {
	t.Helper()
	host := strings.TrimPrefix(strings.TrimSuffix(url, MCPPath), "http://")
	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: %d\r\n\r\n", MCPPath, host, size)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for range size {
			select {
			case <-stop:
				return
			case <-time.After(gap):
			}
			if _, err := conn.Write([]byte(" ")); err != nil {
				return
			}
		}
	}()
	conn.SetReadDeadline(time.Now().Add(wait))
	status, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return ""
	}
	return strings.TrimSpace(status)
}

func TestHTTPRefusesABodyThatComesTooSlowly(t *testing.T) {
	url, _ := startHTTP(t, Options{BodyTimeout: 200 * time.Millisecond}, "")
	start := time.Now()
	if got := slowPost(t, url, 1000, 20*time.Millisecond, 3*time.Second); got != "HTTP/1.1 408 Request Timeout" {
		t.Errorf("a body at 50 bytes/s: %q, want 408", got)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("refused after %v, before the timeout", d)
	}
	// The server lives on.
	if got := post(t, url, strings.NewReader(initBody)); got != http.StatusOK {
		t.Errorf("initialize after: %d", got)
	}
}

func TestHTTPEventStreamOutlivesTheBodyTimeout(t *testing.T) {
	// A legacy client hears of a doc change on its standalone event stream
	// (GET), long after the body timeout has passed.
	url, _ := startHTTP(t, Options{BodyTimeout: 50 * time.Millisecond}, "")
	got := make(chan string, 4)
	client := sdk.NewClient(&sdk.Implementation{Name: "listener", Version: "1"}, &sdk.ClientOptions{
		ResourceUpdatedHandler: func(_ context.Context, req *sdk.ResourceUpdatedNotificationRequest) { got <- req.Params.URI },
	})
	cs, err := client.Connect(context.Background(), &sdk.StreamableClientTransport{Endpoint: url}, &sdk.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	f := &fixture{t: t, cs: cs, tools: newFixture(t, fixtureOptions{}).tools}
	f.add(map[string]any{"description": "Watched"})
	if err := cs.Subscribe(context.Background(), &sdk.SubscribeParams{URI: "backlog://task/1/doc"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	f.ok("task_doc_write", map[string]any{"id": 1, "content": "# later"})
	select {
	case uri := <-got:
		if uri != "backlog://task/1/doc" {
			t.Errorf("notified of %s", uri)
		}
	case <-time.After(5 * time.Second):
		t.Error("no notification on the event stream after 6 body timeouts")
	}
}

func TestHTTPRefusesAWeakTokenOffLoopback(t *testing.T) {
	for _, c := range []struct {
		token string
		ok    bool
	}{
		{"x", false},
		{"s3cret", false},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
		{"abababababababababababababababab", false},
		{"passwordpassword", false},
		{"a1b2c3d4e5f6g7h", false},
		{"0123456789abcdef", true},
		{"clienttest-s3cret", true},
		{"ÿþýüûúùøÿþýüûúùø", true},
		{rand.Text(), true},
	} {
		name := fmt.Sprintf("%q is refused", c.token)
		if c.ok {
			name = fmt.Sprintf("%q is accepted", c.token)
		}
		t.Run(name, func(t *testing.T) {
			err := CheckToken(c.token)
			if c.ok != (err == nil) {
				t.Fatalf("CheckToken: %v", err)
			}
			if err != nil && (!errors.Is(err, backlog.ErrInvalid) || !strings.Contains(err.Error(), "too easy to guess to serve off loopback: it needs at least 16 characters with at least 8 different ones")) {
				t.Errorf("the refusal: %v", err)
			}
		})
	}
	t.Run("ServeHTTP refuses a weak token off loopback before listening", func(t *testing.T) {
		srv := NewServer(nil, Options{Token: "x", Logger: quietLogger(), Stderr: &syncBuffer{}})
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		err := srv.ServeHTTP(ctx, "0.0.0.0:0")
		if err == nil || !strings.Contains(err.Error(), "and has 1 (1 different)") {
			t.Errorf("ServeHTTP: %v", err)
		}
	})
	t.Run("a weak token is fine on loopback", func(t *testing.T) {
		url, _ := startHTTP(t, Options{Token: "x"}, "")
		if got := post(t, url, strings.NewReader(initBody), "Authorization", "Bearer x"); got != http.StatusOK {
			t.Errorf("initialize: %d", got)
		}
	})
}
