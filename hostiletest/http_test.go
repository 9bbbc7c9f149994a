package hostiletest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/agent-backlog/backlog/mcp"
)

// httpServer is `backlog serve --http 127.0.0.1:0`.
type httpServer struct {
	t       *testing.T
	url     string // the MCP endpoint
	addr    string // host:port
	stderr  *lockedBuffer
	exited  chan struct{}
	client  *http.Client
	session string
	nextID  int
}

var servingRE = regexp.MustCompile(`serving MCP at (http://([^/\s]+)/\S*)`)

// serveHTTP starts the HTTP server on a loopback port the kernel picks and
// opens an MCP session. The process is killed when the test ends.
func (b *backlogEnv) serveHTTP() *httpServer {
	t := b.t
	t.Helper()
	cmd := exec.Command(binary, "serve", "--http", "127.0.0.1:0")
	cmd.Env, cmd.Dir = b.env, b.dir
	h := &httpServer{t: t, stderr: &lockedBuffer{}, exited: make(chan struct{}), client: &http.Client{Timeout: answerTimeout}, nextID: 100}
	cmd.Stderr = h.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { cmd.Wait(); close(h.exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-h.exited
	})
	deadline := time.Now().Add(answerTimeout)
	for {
		if m := servingRE.FindStringSubmatch(h.stderr.String()); m != nil {
			h.url, h.addr = m[1], m[2]
			break
		}
		select {
		case <-h.exited:
			t.Fatalf("backlog serve --http exited: %s", h.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("backlog serve --http did not say where it listens within %s: %q", answerTimeout, h.stderr)
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.session = h.initialize()
	return h
}

// initialize opens a session and returns its id.
func (h *httpServer) initialize() string {
	h.t.Helper()
	resp := h.post([]byte(initLine), "")
	if resp.status != http.StatusOK || resp.session == "" {
		h.t.Fatalf("initialize: %d %q", resp.status, shorten(resp.body))
	}
	if r := h.post([]byte(initializedLine), resp.session); r.status >= 300 {
		h.t.Fatalf("notifications/initialized: %d %q", r.status, shorten(r.body))
	}
	return resp.session
}

// httpAnswer is what one POST got back.
type httpAnswer struct {
	status  int
	session string
	body    string    // as sent
	msgs    []message // the JSON-RPC messages in it, JSON or event stream
	err     error     // the request failed (no HTTP answer)
}

// post sends a body, in the session given ("" for none).
func (h *httpServer) post(body []byte, session string) httpAnswer {
	return h.postReader(bytes.NewReader(body), session)
}

func (h *httpServer) postReader(body io.Reader, session string) httpAnswer {
	req, err := http.NewRequest(http.MethodPost, h.url, body)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if session != "" {
		req.Header.Set("Mcp-Session-Id", session)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return httpAnswer{err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	a := httpAnswer{status: resp.StatusCode, session: resp.Header.Get("Mcp-Session-Id"), body: string(data), err: err}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 64<<20)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data:"); ok {
				a.msgs = append(a.msgs, decodeMessage([]byte(d)))
			}
		}
	} else if json.Valid(data) {
		a.msgs = append(a.msgs, decodeMessage(data))
	}
	return a
}

// decodeMessage parses one JSON-RPC message.
func decodeMessage(data []byte) message {
	var m message
	if err := json.Unmarshal(data, &m); err != nil {
		m.Error = &rpcError{Code: 1, Message: "not a JSON-RPC message: " + shorten(string(data))}
	}
	m.raw, m.line = shorten(strings.TrimSpace(string(data))), data
	return m
}

// call calls a tool in the server's session.
func (h *httpServer) call(tool string, args []byte) httpAnswer {
	h.nextID++
	return h.post(bytes.TrimSuffix(callLine(h.nextID, tool, args), []byte("\n")), h.session)
}

// alive reports what is wrong with the answer to task_count, "" if nothing.
func (h *httpServer) alive() string {
	a := h.call("task_count", []byte(`{}`))
	switch {
	case a.err != nil:
		return "the next request was not answered: " + a.err.Error()
	case a.status != http.StatusOK || len(a.msgs) != 1 || !a.msgs[0].succeeded():
		return fmt.Sprintf("the next request (task_count) got %d %q", a.status, shorten(a.body))
	}
	return ""
}

// httpRefusalProblem accepts a 4xx status whose body is one sentence, or a
// 200 that carries a JSON-RPC error or a refused call.
func httpRefusalProblem(a httpAnswer) string {
	switch {
	case a.err != nil:
		return "no answer: " + a.err.Error()
	case a.status >= 400 && a.status < 500:
		if len(a.msgs) == 1 {
			return refusalProblem(a.msgs[0])
		}
		return sentenceProblem(strings.TrimSpace(a.body))
	case a.status == http.StatusOK && len(a.msgs) == 1:
		return refusalProblem(a.msgs[0])
	}
	return fmt.Sprintf("want a 4xx status or a JSON-RPC error, got %d %q", a.status, shorten(a.body))
}

// TestHTTPMalformedBodies posts each malformed body, in a session and
// without one: each gets a 4xx status or a JSON-RPC error with one sentence,
// the next request is served, and the store is unchanged.
func TestHTTPMalformedBodies(t *testing.T) {
	t.Parallel()
	b := seeded(t)
	before := b.snapshot()
	h := b.serveHTTP()
	limit := mcp.DefaultMaxBodyBytes
	bodies := []struct{ name, body string }{
		{"a body that is a bare word", "hello"},
		{"a body with trailing garbage after an object", countLine(9) + " garbage"},
		{"a body of two objects", countLine(9) + countLine(10)},
		{"a truncated body", `{"jsonrpc":"2.0","id":9,"method":`},
		{"a body of invalid UTF-8 bytes", "\xff\xfe\xfd"},
		{"a body with invalid UTF-8 in a description", "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"task_add\",\"arguments\":{\"description\":\"bad \xff bytes\"}}}"},
		{"a body nested 100,000 levels deep", deep(100_000)},
		{"a body with an argument nested over 10,000 levels deep", `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"task_count","arguments":{"filter":` + deep(10_001) + `}}}`},
		{"a body just over the size limit", strings.TrimSuffix(padded(limit+1024), "\n")},
		{"a body that is a number", "42"},
		{"a body that is an empty batch", "[]"},
		{"an empty body", ""},
		{"a call whose params are a string", `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":"task_count"}`},
		{"a call of an unknown tool", `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"task_steal","arguments":{}}}`},
	}
	for _, inSession := range []bool{true, false} {
		for _, c := range bodies {
			where := "in a session"
			if !inSession {
				where = "without a session"
			}
			name := fmt.Sprintf("%s is refused %s", c.name, where)
			t.Run(name, func(t *testing.T) {
				skipKnownOpen(t, name)
				session := ""
				if inSession {
					session = h.session
				}
				if p := httpRefusalProblem(h.post([]byte(c.body), session)); p != "" {
					t.Error(p)
				}
				if p := h.alive(); p != "" {
					t.Fatal(p)
				}
				if d := b.unchanged(before); d != "" {
					t.Error(d)
					before = b.snapshot()
				}
			})
		}
	}
	for _, c := range hostileCalls() {
		if !strings.Contains(c.name, "100,000 tags as a list") && !strings.Contains(c.name, "50,000 attributes as an object") &&
			!strings.Contains(c.name, "task_count refuses 4,000") && !strings.Contains(c.name, "task_count refuses a NUL") {
			continue
		}
		name := "over HTTP, " + c.name
		t.Run(name, func(t *testing.T) {
			skipKnownOpen(t, name)
			if p := httpRefusalProblem(h.call(c.tool, c.args())); p != "" {
				t.Error(p)
			}
			if p := h.alive(); p != "" {
				t.Fatal(p)
			}
			if d := b.unchanged(before); d != "" {
				t.Error(d)
				before = b.snapshot()
			}
		})
	}
}

// TestHTTPSlowBody trickles a body at a byte a second: other requests are
// served meanwhile, and the server gives up on the slow one within
// mcp.DefaultBodyTimeout. It waits that long, in parallel with the rest.
func TestHTTPSlowBody(t *testing.T) {
	t.Parallel()
	const name = "a body sent at a byte a second is cut off at the body timeout"
	t.Run(name, func(t *testing.T) {
		skipKnownOpen(t, name)
		b := seeded(t)
		before := b.snapshot()
		h := b.serveHTTP()
		conn, err := net.Dial("tcp", h.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /mcp HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nMcp-Session-Id: %s\r\nContent-Length: 1000\r\n\r\n", h.addr, h.session)
		ctx, stop := context.WithCancel(context.Background())
		defer stop()
		go func() {
			tick := time.NewTicker(time.Second)
			defer tick.Stop()
			for {
				if _, err := conn.Write([]byte(" ")); err != nil {
					return
				}
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
			}
		}()
		if p := h.alive(); p != "" {
			t.Errorf("while a body trickles in: %s", p)
		}
		start := time.Now()
		conn.SetReadDeadline(start.Add(mcp.DefaultBodyTimeout + answerTimeout))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		switch {
		case err != nil && time.Since(start) >= mcp.DefaultBodyTimeout+answerTimeout:
			t.Fatalf("the server still waited for the body after %s", time.Since(start).Round(time.Second))
		case err != nil:
			t.Logf("the server closed the connection after %s: %v", time.Since(start).Round(time.Second), err)
		default:
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode < 400 || resp.StatusCode >= 500 {
				t.Errorf("the slow body got %d %q, want a 4xx", resp.StatusCode, data)
			} else if p := sentenceProblem(strings.TrimSpace(string(data))); p != "" {
				t.Error(p)
			}
		}
		if p := h.alive(); p != "" {
			t.Error(p)
		}
		if d := b.unchanged(before); d != "" {
			t.Error(d)
		}
	})
}

// TestHTTPManySessions opens a few hundred sessions: the server goes on
// serving new and old clients.
func TestHTTPManySessions(t *testing.T) {
	t.Parallel()
	const name = "the server serves a new session after 300 others were opened"
	t.Run(name, func(t *testing.T) {
		skipKnownOpen(t, name)
		b := seeded(t)
		h := b.serveHTTP()
		for range 300 {
			h.initialize()
		}
		h.session = h.initialize()
		if p := h.alive(); p != "" {
			t.Error(p)
		}
	})
}

// TestHTTPWeakTokenOffLoopback starts the server on every interface with a
// token easy to guess: it must refuse to start, with one sentence, before it
// listens. (The suite listens off loopback only here, and only if the server
// fails to refuse; it is then killed at once.)
func TestHTTPWeakTokenOffLoopback(t *testing.T) {
	t.Parallel()
	for _, token := range []string{"x", "aaaaaaaaaaaaaaaa", "0123456789"} {
		name := fmt.Sprintf("serve --http 0.0.0.0:0 refuses the token %q", token)
		t.Run(name, func(t *testing.T) {
			skipKnownOpen(t, name)
			b := newBacklog(t)
			cmd := exec.Command(binary, "serve", "--http", "0.0.0.0:0")
			cmd.Env, cmd.Dir = append(b.env, "BACKLOG_HTTP_TOKEN="+token), b.dir
			stderr := &lockedBuffer{}
			cmd.Stderr = stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			deadline := time.After(answerTimeout)
			for {
				select {
				case err := <-exited:
					code := 0
					if exit, ok := err.(*exec.ExitError); ok {
						code = exit.ExitCode()
					}
					if p := cliRefusalProblem(cliResult{stderr: stderr.String(), code: code}); p != "" {
						t.Error(p)
					}
					return
				case <-deadline:
					cmd.Process.Kill()
					<-exited
					t.Fatalf("the server did not refuse the token within %s: %q", answerTimeout, stderr)
				case <-time.After(5 * time.Millisecond):
				}
				if strings.Contains(stderr.String(), "serving MCP") {
					cmd.Process.Kill()
					<-exited
					t.Fatalf("the server started off loopback with the token %q: %q", token, stderr)
				}
			}
		})
	}
}
