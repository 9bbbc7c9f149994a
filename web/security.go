package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/agent-backlog/backlog/mcp"
	"github.com/agent-backlog/backlog/web/api"
	"github.com/agent-backlog/backlog/web/board"
)

// The names a page uses to send the CSRF token with a request that changes
// something: a form field, or a header (htmx's hx-headers).
const (
	CSRFField  = board.CSRFField
	CSRFHeader = "X-CSRF-Token"
)

// Security headers sent with every answer. The policy allows scripts and
// styles from this server's own files only: no inline script, no inline
// style attribute, no framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// guard puts the checks every request passes in front of next, in order:
//
//  1. security headers on every answer (CSP, nosniff, no framing, no
//     referrer, so that a ?token= link never leaks);
//  2. without a token (loopback), a Host header that is not a loopback name
//     nor an allowed origin's host is refused with 403: a page whose DNS
//     name was rebound to 127.0.0.1 cannot read or write the backlog;
//  3. an Origin header that is not loopback, allowed, nor this server's own
//     is refused with 403;
//  4. with a token, a request needs "Authorization: Bearer <token>" or the
//     session cookie a browser gets by presenting the token once (the
//     login form, or ?token= on any page); otherwise 401;
//  5. a body over MaxBodyBytes is refused with 413, one that has not
//     arrived within BodyTimeout with 408;
//  6. a request that changes something (any method but GET, HEAD, OPTIONS)
//     is refused with 403 when a browser sends it from another origin
//     (Sec-Fetch-Site, else Origin against Host: Go's
//     http.CrossOriginProtection), and, when it comes from a browser at all
//     (it carries Sec-Fetch-Site or Origin), unless it carries the token of
//     its CSRF cookie in CSRFHeader or the form field CSRFField (the board
//     puts it in every form and htmx request). Scripts and agents, which
//     send neither header, need no CSRF token, nor does a request with a
//     bearer header (no browser adds one by itself) or from an origin
//     listed in AllowedOrigins.
//
// MCP keeps its own checks of Origin and of the body (mcp.HTTPHandler): it
// passes steps 1 to 4 here, then goes its way.
func (s *Server) guard(token string, next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	for _, o := range s.opts.AllowedOrigins {
		if err := cop.AddTrustedOrigin(strings.TrimSuffix(o, "/")); err != nil {
			s.log.Warn("ignored an allowed origin that is not scheme://host[:port]", "origin", o)
		}
	}
	var session string
	if token != "" {
		session = sessionValue(token)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		if token == "" && !s.hostAllowed(r.Host) {
			s.log.Warn("refused a request for a host that is not loopback", "host", r.Host)
			api.WriteProblem(w, http.StatusForbidden, fmt.Sprintf("the Host header %q is not a loopback name: without BACKLOG_HTTP_TOKEN this server answers requests to localhost, 127.0.0.1 or [::1] only (or to the hosts of BACKLOG_HTTP_ORIGINS)", r.Host))
			return
		}
		if o := r.Header.Get("Origin"); o != "" && !s.originAllowed(o, r.Host) {
			s.log.Warn("refused a cross-origin request", "origin", o)
			api.WriteProblem(w, http.StatusForbidden, fmt.Sprintf("origin %q is not allowed: add it to BACKLOG_HTTP_ORIGINS to trust it", o))
			return
		}
		mcpPath := r.URL.Path == MCPPath
		rest := strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/v1/")
		if !mcpPath {
			r = withCSRFToken(w, r, !rest)
		}
		if token != "" && !(r.Method == http.MethodPost && r.URL.Path == loginPath) {
			if !authorized(r, token, session) {
				s.unauthorized(w, r, token, session)
				return
			}
		}
		if mcpPath {
			next.ServeHTTP(w, r)
			return
		}
		if err := s.readBody(w, r); err != nil {
			var st *statusError
			errors.As(err, &st)
			api.WriteProblem(w, st.code, st.msg)
			return
		}
		if !safeMethod(r.Method) {
			if err := cop.Check(r); err != nil {
				s.log.Warn("refused a cross-origin write", "origin", r.Header.Get("Origin"), "sec-fetch-site", r.Header.Get("Sec-Fetch-Site"))
				api.WriteProblem(w, http.StatusForbidden, "a browser sent this change from another site: changes are taken from this server's own pages only")
				return
			}
			if fromBrowser(r) && !bearer(r) && !s.trustedOrigin(r.Header.Get("Origin")) && !csrfMatches(r) {
				api.WriteProblem(w, http.StatusForbidden, fmt.Sprintf("this change comes from a browser without its CSRF token: send the token of the page in the %s header or the %s form field", CSRFHeader, CSRFField))
				return
			}
		}
		if r.Method == http.MethodPost && r.URL.Path == loginPath {
			s.login(w, r, token, session)
			return
		}
		if rest {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// hostAllowed reports whether a request's Host names this server when it
// serves without a token: a loopback name or address, or the host of an
// allowed origin.
func (s *Server) hostAllowed(hostport string) bool {
	host := hostOnly(hostport)
	if mcp.IsLoopbackHost(host) {
		return true
	}
	return slices.ContainsFunc(s.opts.AllowedOrigins, func(o string) bool {
		u, err := url.Parse(o)
		return err == nil && strings.EqualFold(u.Hostname(), host)
	})
}

// originAllowed reports whether a browser origin may call the server: a
// loopback origin, an allowed one, or the server's own (the Host the
// request names; step 2 has checked that Host).
func (s *Server) originAllowed(origin, host string) bool {
	if s.trustedOrigin(origin) {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return mcp.IsLoopbackHost(u.Hostname()) || strings.EqualFold(u.Host, host)
}

// trustedOrigin reports whether origin is listed in AllowedOrigins.
func (s *Server) trustedOrigin(origin string) bool {
	return origin != "" && slices.ContainsFunc(s.opts.AllowedOrigins, func(o string) bool {
		return strings.EqualFold(strings.TrimSuffix(o, "/"), origin)
	})
}

// hostOnly is the host of a host[:port], without brackets.
func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.Trim(hostport, "[]")
}

// fromBrowser reports whether a request looks sent by a browser: browsers
// send Sec-Fetch-Site (older ones at least Origin, on every write); scripts
// and agents send neither.
func fromBrowser(r *http.Request) bool {
	return r.Header.Get("Sec-Fetch-Site") != "" || r.Header.Get("Origin") != ""
}

// bearer reports whether a request authenticates with a bearer header,
// which a browser never adds by itself: such a request cannot be forged
// by another site.
func bearer(r *http.Request) bool {
	scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	return strings.EqualFold(scheme, "Bearer")
}

// The session cookie a browser keeps once it has presented the token, and
// the page that takes the token.
const (
	sessionCookie = "backlog-session"
	csrfCookie    = "backlog-csrf"
	loginPath     = "/login"
)

// cookieName is a cookie's name for the server a request reached: browsers
// share cookies between the ports of one host, and two backlogs served on
// localhost must not overwrite each other's.
func cookieName(base string, r *http.Request) string {
	if _, port, err := net.SplitHostPort(r.Host); err == nil && port != "" {
		return base + "-" + port
	}
	return base
}

// sessionValue is what the session cookie holds for a token: a digest, so
// that the token itself never sits in the browser.
func sessionValue(token string) string {
	sum := sha256.Sum256([]byte("backlog board session\x00" + token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// authorized reports whether a request carries the token, as a bearer
// header or as the session cookie; both compared in constant time.
func authorized(r *http.Request, token, session string) bool {
	if scheme, got, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		return equal(strings.TrimSpace(got), token)
	}
	c, err := r.Cookie(cookieName(sessionCookie, r))
	return err == nil && equal(c.Value, session)
}

// equal compares two secrets in constant time, whatever their lengths.
func equal(a, b string) bool {
	x, y := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(x[:], y[:]) == 1
}

// unauthorized answers a request without the token. A browser that brings
// the token in ?token= gets the session cookie and is sent on to the same
// page without it; a browser opening a page gets the login form; anything
// else a problem with WWW-Authenticate.
func (s *Server) unauthorized(w http.ResponseWriter, r *http.Request, token, session string) {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		if q := r.URL.Query(); q.Has("token") {
			if equal(q.Get("token"), token) {
				setSession(w, r, session)
				q.Del("token")
				u := url.URL{Path: localPath(r.URL.Path), RawQuery: q.Encode()}
				http.Redirect(w, r, u.String(), http.StatusSeeOther)
				return
			}
			s.log.Warn("refused a wrong token in ?token=", "remote", r.RemoteAddr)
		}
		if strings.Contains(r.Header.Get("Accept"), "text/html") {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusUnauthorized)
			loginPage.Execute(w, loginData{Next: r.URL.RequestURI(), CSRF: CSRFToken(r), Field: CSRFField})
			return
		}
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="backlog"`)
	api.WriteProblem(w, http.StatusUnauthorized, "this server needs its token: send Authorization: Bearer <BACKLOG_HTTP_TOKEN> (or the token it printed when it started)")
}

// login takes the token from the login form.
func (s *Server) login(w http.ResponseWriter, r *http.Request, token, session string) {
	next := localPath(r.PostFormValue("next"))
	if token == "" {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	if !equal(strings.TrimSpace(r.PostFormValue("token")), token) {
		s.log.Warn("refused a wrong token at the login form", "remote", r.RemoteAddr)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		loginPage.Execute(w, loginData{Next: next, CSRF: CSRFToken(r), Field: CSRFField, Wrong: true})
		return
	}
	setSession(w, r, session)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// localPath is p when it is a path on this server, else "/": a redirect
// never leads to another site (//evil.example is a host, not a path).
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return "/"
	}
	return p
}

// setSession gives the browser the session cookie: HttpOnly (no script
// reads it), SameSite=Strict (no other site's request carries it).
func setSession(w http.ResponseWriter, r *http.Request, session string) {
	http.SetCookie(w, &http.Cookie{Name: cookieName(sessionCookie, r), Value: session, Path: "/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
}

type loginData struct {
	Next, CSRF, Field string
	Wrong             bool
}

// loginPage asks for the token: plain HTML, no script, no inline style.
var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Backlog: sign in</title></head>
<body><main>
<h1>Backlog</h1>
<p>This backlog is served to the network, so it asks for its token once (BACKLOG_HTTP_TOKEN, or the one
<code>backlog serve --http</code> printed when it started). This browser keeps it as a cookie.</p>
{{if .Wrong}}<p role="alert">That is not the token.</p>{{end}}
<form method="post" action="/login">
<input type="hidden" name="next" value="{{.Next}}">
<input type="hidden" name="{{.Field}}" value="{{.CSRF}}">
<label for="token">Token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Sign in</button>
</form>
</main></body></html>
`))

// csrfKey is the context key of a request's CSRF token.
type csrfKey struct{}

// withCSRFToken keeps the token of the browser's CSRF cookie in the
// request's context for CSRFToken, giving the browser a cookie first when
// it has none and issue is set (pages get one; API answers, read by
// scripts, do not).
func withCSRFToken(w http.ResponseWriter, r *http.Request, issue bool) *http.Request {
	name := cookieName(csrfCookie, r)
	if c, err := r.Cookie(name); err == nil && validCSRF(c.Value) {
		return r.WithContext(context.WithValue(r.Context(), csrfKey{}, c.Value))
	}
	if !issue {
		return r
	}
	tok := rand.Text()
	http.SetCookie(w, &http.Cookie{Name: name, Value: tok, Path: "/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	return r.WithContext(context.WithValue(r.Context(), csrfKey{}, tok))
}

// validCSRF reports whether a cookie value is a token rand.Text made.
func validCSRF(s string) bool {
	return len(s) == 26 && strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") == ""
}

// CSRFToken is the CSRF token of the browser session a request belongs to:
// a page puts it in every form (field CSRFField) and in the CSRFHeader of
// its scripted requests. It is "" for a request that did not pass through
// the server's checks.
func CSRFToken(r *http.Request) string {
	tok, _ := r.Context().Value(csrfKey{}).(string)
	return tok
}

// csrfMatches reports whether a write carries the token of its session
// cookie, in the header or the form.
func csrfMatches(r *http.Request) bool {
	want := CSRFToken(r)
	c, err := r.Cookie(cookieName(csrfCookie, r))
	if err != nil || want == "" || c.Value != want {
		return false // the cookie came with this answer, not with the request
	}
	got := r.Header.Get(CSRFHeader)
	if got == "" {
		got = r.PostFormValue(CSRFField)
	}
	return got != "" && equal(got, want)
}

// statusError is a refused body with its HTTP status.
type statusError struct {
	code int
	msg  string
}

func (e *statusError) Error() string { return e.msg }

// readBody reads a request's body whole, at most MaxBodyBytes, within
// BodyTimeout, and puts it back for the handler. The read deadline is
// lifted once the body is in, so that an answer (an event stream) may take
// as long as it needs; when the body fails, the connection closes after
// the refusal rather than reading on.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) error {
	limit := s.opts.MaxBodyBytes
	if r.ContentLength > limit {
		w.Header().Set("Connection", "close")
		return &statusError{http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body has %d bytes, more than the %d bytes this server takes", r.ContentLength, limit)}
	}
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	rc := http.NewResponseController(w)
	deadline := rc.SetReadDeadline(time.Now().Add(s.opts.BodyTimeout)) == nil
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err == nil {
		if deadline {
			rc.SetReadDeadline(time.Time{})
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		return nil
	}
	w.Header().Set("Connection", "close")
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return &statusError{http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body is more than the %d bytes this server takes", limit)}
	case errors.Is(err, os.ErrDeadlineExceeded):
		return &statusError{http.StatusRequestTimeout, fmt.Sprintf("the request body did not arrive within %s (%d bytes came)", s.opts.BodyTimeout, len(body))}
	}
	return &statusError{http.StatusBadRequest, fmt.Sprintf("cannot read the request body: %v", err)}
}
