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
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
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
	// shutdownGrace is how long calls in flight may finish when ServeHTTP
	// stops, before their contexts are cancelled.
	shutdownGrace = time.Second
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
//   - a body over Options.MaxBodyBytes is refused with 413.
//
// Clients of protocol 2026-07-28 and later are served statelessly, as that
// protocol requires; older clients get a session at initialize, closed
// after Options.SessionTimeout without requests.
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
		if r.Header.Get("Mcp-Session-Id") != "" || r.Method != http.MethodPost {
			stateful.ServeHTTP(w, r)
			return
		}
		// A POST without a session: initialize starts a session (older
		// protocols); anything else is served without one.
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				http.Error(w, fmt.Sprintf("request body exceeds %d bytes", limit), http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "cannot read the request body", http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if isInitialize(body) {
			stateful.ServeHTTP(w, r)
			return
		}
		stateless.ServeHTTP(w, r)
	})
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
	return isLoopbackHost(u.Hostname())
}

// isLoopbackHost reports whether a host name or address is the local
// machine: localhost, 127.0.0.0/8 or ::1.
func isLoopbackHost(host string) bool {
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
// printed once on Stderr.
func (s *Server) ServeHTTP(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.serveListener(ctx, ln, addr)
}

// serveListener serves on ln; addr is the address asked for, which decides
// whether a token is required.
func (s *Server) serveListener(ctx context.Context, ln net.Listener, addr string) error {
	stderr := s.opts.Stderr
	if stderr == nil {
		stderr = os.Stderr
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		ln.Close()
		return fmt.Errorf("address %q: %w", addr, err)
	}
	token := s.opts.Token
	if token == "" && !isLoopbackHost(host) {
		token = rand.Text()
		fmt.Fprintf(stderr, "backlog: %s is not a loopback address, so clients must send\n  Authorization: Bearer %s\n(set BACKLOG_HTTP_TOKEN to choose the token)\n", addr, token)
	}
	mux := http.NewServeMux()
	mux.Handle(MCPPath, s.httpHandler(token))
	// Requests get a context of their own, cancelled once shutdown has given
	// calls in flight a moment: an open event stream never ends otherwise.
	base, cancelRequests := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRequests()
	srv := &http.Server{
		Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return base },
	}
	fmt.Fprintf(stderr, "backlog: serving MCP at http://%s%s\n", ln.Addr(), MCPPath)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	grace := time.AfterFunc(shutdownGrace, cancelRequests)
	defer grace.Stop()
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		srv.Close()
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
