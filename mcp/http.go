package mcp

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/internal/httpserve"
)

// HTTP limits.
const (
	// DefaultMaxBodyBytes caps a request body: a doc may hold 1 MiB, and JSON
	// escaping can double it; an import batch of a few thousand tasks fits
	// too. Anything larger is refused with 413.
	DefaultMaxBodyBytes = 4<<20 + 64<<10
	// DefaultSessionTimeout closes an HTTP session (protocol versions up to
	// 2025-11-25) that has seen no request for this long.
	DefaultSessionTimeout = 30 * time.Minute
	// DefaultMaxSessions caps the HTTP sessions open at once: each holds
	// memory until it times out (5,000 held 63 MB), and a thousand agents on
	// one server is far beyond real use.
	DefaultMaxSessions = 1000
	// DefaultBodyTimeout is how long a request body may take to arrive: a
	// full-size body needs only 150 KB/s, and a client sending a byte a
	// second no longer holds its connection for ever.
	DefaultBodyTimeout = 30 * time.Second
	// MinTokenLength is the shortest BACKLOG_HTTP_TOKEN accepted off
	// loopback; the token must also use at least minTokenVariety different
	// characters, so that "aaaaaaaaaaaaaaaa" or "abababababababab" is refused.
	MinTokenLength = 16
	// minTokenVariety is how many different characters a token needs.
	minTokenVariety = 8
	// MCPPath is where ServeHTTP serves MCP.
	MCPPath = "/mcp"
)

// HTTPHandler serves MCP over streamable HTTP, at whatever path it is
// mounted on, behind these checks, in order:
//
//   - a browser request from another origin (an Origin header that is not
//     loopback nor in Options.AllowedOrigins) is refused with 403;
//   - when Options.Token is set, a request without "Authorization: Bearer
//     <token>" is refused with 401 (compared in constant time);
//   - a body over Options.MaxBodyBytes is refused with 413;
//   - a body that has not arrived whole within Options.BodyTimeout is
//     refused with 408. Only bodies get this deadline: the event stream a
//     GET opens stays open as long as its session.
//
// Clients of protocol 2026-07-28 and later are served statelessly, as that
// protocol requires; older clients get a session at initialize, closed
// after Options.SessionTimeout without requests. At most Options.MaxSessions
// sessions are open at once: a new one closes the session idle longest.
func (s *Server) HTTPHandler() http.Handler { return s.httpHandler(s.opts.Token) }

// httpHandler is HTTPHandler with the token to require ("" for none).
func (s *Server) httpHandler(tokenText string) http.Handler {
	limit := s.opts.MaxBodyBytes
	if limit <= 0 {
		limit = DefaultMaxBodyBytes
	}
	timeout := s.opts.SessionTimeout
	if timeout <= 0 {
		timeout = DefaultSessionTimeout
	}
	bodyTimeout := s.opts.BodyTimeout
	if bodyTimeout <= 0 {
		bodyTimeout = DefaultBodyTimeout
	}
	sessions := &sessionCap{max: s.opts.MaxSessions, server: s.sdk, log: s.log, open: map[string]*sessionUse{}}
	if sessions.max <= 0 {
		sessions.max = DefaultMaxSessions
	}
	get := func(*http.Request) *sdk.Server { return s.sdk }
	stateful := sdk.NewStreamableHTTPHandler(get, &sdk.StreamableHTTPOptions{
		Logger: s.log, SessionTimeout: timeout, MaxRequestBodyBytes: limit,
	})
	stateless := sdk.NewStreamableHTTPHandler(get, &sdk.StreamableHTTPOptions{
		Logger: s.log, Stateless: true, MaxRequestBodyBytes: limit,
	})
	var token []byte
	if tokenText != "" {
		sum := sha256.Sum256([]byte(tokenText))
		token = sum[:]
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != "" && !s.originAllowed(o) {
			s.log.Warn("refused a cross-origin request", "origin", o)
			http.Error(w, fmt.Sprintf("Forbidden: origin %q is not allowed", o), http.StatusForbidden)
			return
		}
		if token != nil && !bearerMatches(r.Header.Get("Authorization"), token) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="backlog"`)
			http.Error(w, "Unauthorized: send Authorization: Bearer <BACKLOG_HTTP_TOKEN>", http.StatusUnauthorized)
			return
		}
		if r.ContentLength > limit {
			http.Error(w, fmt.Sprintf("request body exceeds %d bytes", limit), http.StatusRequestEntityTooLarge)
			return
		}
		var body []byte
		if r.Body != nil && r.Body != http.NoBody {
			var err error
			if body, err = readBody(w, r, limit, bodyTimeout); err != nil {
				var status *httpStatus
				errors.As(err, &status)
				http.Error(w, err.Error(), status.code)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		if r.Method == http.MethodPost {
			// The same reading as a stdio line: the SDK's decoder would
			// answer in Go's words, carry out the first of two objects,
			// and store bytes that are not UTF-8 as U+FFFD.
			if _, lerr := parseMessage(body, "the request body"); lerr != nil || len(bytes.TrimSpace(body)) == 0 {
				if lerr == nil {
					lerr = parseError("the request body is empty: send one JSON-RPC message")
				}
				s.log.Warn("refused an HTTP request body", "error", lerr.Message)
				answer, _ := lerr.encode()
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				w.Write(append(answer, '\n'))
				return
			}
		}
		if id := r.Header.Get("Mcp-Session-Id"); id != "" {
			defer sessions.use(id, r.Method == http.MethodPost)()
			stateful.ServeHTTP(w, r)
			return
		}
		switch {
		case r.Method != http.MethodPost:
			stateful.ServeHTTP(w, r)
		case isInitialize(body):
			// A POST without a session: initialize starts a session (older
			// protocols); anything else is served without one.
			sessions.start(w, r, stateful)
		default:
			stateless.ServeHTTP(w, r)
		}
	})
}

// httpStatus is an error answered with an HTTP status.
type httpStatus struct {
	code int
	msg  string
}

func (e *httpStatus) Error() string { return e.msg }

// readBody reads a request body whole, at most limit bytes, within timeout.
// The read deadline is lifted once the body is in, so that the answer may
// stream for as long as it needs. It is set here rather than as
// http.Server's ReadTimeout so that HTTPHandler keeps it on any server, and
// so that it counts from the handler's first read. When the body fails, the deadline stays and the connection closes after
// the answer: net/http would otherwise read the rest of a small body, as
// slowly as it comes, before answering. The deadline needs a ResponseWriter
// that net/http can reach; behind one that hides it, bodies are read with
// no deadline.
func readBody(w http.ResponseWriter, r *http.Request, limit int64, timeout time.Duration) ([]byte, error) {
	rc := http.NewResponseController(w)
	deadline := rc.SetReadDeadline(time.Now().Add(timeout)) == nil
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err == nil {
		if deadline {
			rc.SetReadDeadline(time.Time{})
		}
		return body, nil
	}
	w.Header().Set("Connection", "close")
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, &httpStatus{http.StatusRequestEntityTooLarge, fmt.Sprintf("request body exceeds %d bytes", limit)}
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, &httpStatus{http.StatusRequestTimeout, fmt.Sprintf("request body did not arrive within %s (%d bytes came)", timeout, len(body))}
	}
	return nil, &httpStatus{http.StatusBadRequest, fmt.Sprintf("cannot read the request body: %v", err)}
}

// sessionCap keeps at most max HTTP sessions open: the SDK has no cap, and
// every session holds memory until it times out. When a client opens one
// session too many, the session idle longest (no request in flight, the
// oldest last request) is closed; the event stream of GET does not count as
// a request in flight, as for the SDK's idle timeout.
type sessionCap struct {
	max    int
	server *sdk.Server
	log    *slog.Logger

	mu      sync.Mutex
	open    map[string]*sessionUse // the sessions opened here, by id; some may have closed since
	opening int                    // sessions being opened now
	tick    uint64                 // counts requests, to order them without a clock
}

// sessionUse is what sessionCap knows of a session: its requests in flight
// and when (in ticks) it last saw one.
type sessionUse struct {
	busy int
	last uint64
}

// start opens a session: it makes room under the cap, then lets next serve
// the initialize request and records the session it opened.
func (c *sessionCap) start(w http.ResponseWriter, r *http.Request, next http.Handler) {
	for _, ss := range c.makeRoom() {
		c.log.Warn("closed the HTTP session idle longest, to open a new one within the cap", "session", ss.ID(), "max", c.max)
		ss.Close()
	}
	defer func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.opening--
		if id := w.Header().Get("Mcp-Session-Id"); id != "" {
			c.tick++
			c.open[id] = &sessionUse{last: c.tick}
		}
	}()
	next.ServeHTTP(w, r)
}

// makeRoom forgets the sessions that have closed, counts one more being
// opened, and returns the sessions to close so that all fit the cap.
func (c *sessionCap) makeRoom() []*sdk.ServerSession {
	live := map[string]*sdk.ServerSession{}
	for ss := range c.server.Sessions() {
		if id := ss.ID(); id != "" {
			live[id] = ss
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for id := range c.open {
		if live[id] == nil {
			delete(c.open, id)
		}
	}
	var closing []*sdk.ServerSession
	for len(c.open)+c.opening >= c.max && len(c.open) > 0 {
		id := c.idlest()
		delete(c.open, id)
		closing = append(closing, live[id])
	}
	c.opening++
	return closing
}

// idlest is the session with no request in flight whose last request is
// the oldest; when every session is busy, the one whose last request is.
func (c *sessionCap) idlest() string {
	var best string
	var bestUse *sessionUse
	for id, u := range c.open {
		if bestUse == nil || u.idler(bestUse) {
			best, bestUse = id, u
		}
	}
	return best
}

// idler reports whether session u is to be closed before session v.
func (u *sessionUse) idler(v *sessionUse) bool {
	if (u.busy == 0) != (v.busy == 0) {
		return u.busy == 0
	}
	return u.last < v.last
}

// use records a request of a session while it is served; the function it
// returns records its end. busy is false for the event stream of GET, which
// lasts as long as the session.
func (c *sessionCap) use(id string, busy bool) (end func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	u := c.open[id]
	if u == nil {
		return func() {}
	}
	c.tick++
	u.last = c.tick
	if busy {
		u.busy++
	}
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.tick++
		u.last = c.tick
		if busy {
			u.busy--
		}
	}
}

// isInitialize reports whether a JSON-RPC message (or batch) holds an
// initialize request.
func isInitialize(body []byte) bool {
	type message struct {
		Method string `json:"method"`
	}
	var msgs []message
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '{' {
		body = append(append([]byte{'['}, body...), ']')
	}
	if json.Unmarshal(body, &msgs) != nil {
		return false
	}
	return slices.ContainsFunc(msgs, func(m message) bool { return m.Method == "initialize" })
}

// bearerMatches compares the token of an Authorization header with the
// SHA-256 of the expected one, in constant time.
func bearerMatches(header string, want []byte) bool {
	scheme, tok, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	return subtle.ConstantTimeCompare(got[:], want) == 1
}

// originAllowed reports whether a browser origin may call the server: a
// loopback origin, or one listed in Options.AllowedOrigins.
func (s *Server) originAllowed(origin string) bool {
	if slices.ContainsFunc(s.opts.AllowedOrigins, func(o string) bool { return strings.EqualFold(strings.TrimSuffix(o, "/"), origin) }) {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return IsLoopbackHost(u.Hostname())
}

// IsLoopbackHost reports whether a host name or address is the local
// machine: localhost, 127.0.0.0/8 or ::1.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ServeHTTP listens on addr and serves MCP at /mcp until ctx is cancelled.
// On a loopback address (localhost:8080, 127.0.0.1:8080, [::1]:8080) no
// token is needed unless Options.Token is set; on any other address a
// token is required, and when Options.Token is empty one is generated and
// printed once on Stderr. Off loopback, a token of fewer than MinTokenLength
// characters, or with fewer than 8 different ones, is refused before
// listening.
func (s *Server) ServeHTTP(ctx context.Context, addr string) error {
	if _, err := s.checkHTTPAddress(addr); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.serveListener(ctx, ln, addr)
}

// checkHTTPAddress reports whether addr is a loopback address, and refuses
// an address it cannot read or, off loopback, a token too easy to guess.
func (s *Server) checkHTTPAddress(addr string) (loopback bool, err error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, fmt.Errorf("address %q: %w", addr, err)
	}
	if IsLoopbackHost(host) {
		return true, nil
	}
	if s.opts.Token != "" {
		return false, CheckToken(s.opts.Token)
	}
	return false, nil
}

// CheckToken refuses a token that is too short or too uniform to guard a
// server others can reach.
func CheckToken(token string) error {
	n := utf8.RuneCountInString(token)
	different := map[rune]bool{}
	for _, r := range token {
		different[r] = true
	}
	if n >= MinTokenLength && len(different) >= minTokenVariety {
		return nil
	}
	return backlog.Invalidf("BACKLOG_HTTP_TOKEN is too easy to guess to serve off loopback: it needs at least %d characters with at least %d different ones, and has %d (%d different); use a random token (openssl rand -hex 16), or unset it to have one generated",
		MinTokenLength, minTokenVariety, n, len(different))
}

// serveListener serves on ln; addr is the address asked for, which decides
// whether a token is required.
func (s *Server) serveListener(ctx context.Context, ln net.Listener, addr string) error {
	stderr := s.opts.Stderr
	if stderr == nil {
		stderr = os.Stderr
	}
	loopback, err := s.checkHTTPAddress(addr)
	if err != nil {
		ln.Close()
		return err
	}
	token := s.opts.Token
	if token == "" && !loopback {
		token = rand.Text()
		fmt.Fprintf(stderr, "backlog: %s is not a loopback address, so clients must send\n  Authorization: Bearer %s\n(set BACKLOG_HTTP_TOKEN to choose the token)\n", addr, token)
	}
	mux := http.NewServeMux()
	mux.Handle(MCPPath, s.httpHandler(token))
	return httpserve.Serve(ctx, ln, mux, func() {
		fmt.Fprintf(stderr, "backlog: serving MCP at http://%s%s\n", ln.Addr(), MCPPath)
	})
}
