// Package gitlab is the backlog's forge.Forge for GitLab (gitlab.com or a
// self-managed server), on a small REST v4 client of its own (client.go
// says why it is not GitLab's official one).
//
// Nothing is retried or paced by the client: a rate limit is waited out by
// forge.Transport up to a bound, and a 5xx or a network error is reported
// at once as forge.UnavailableError, so that the mirror keeps the change in
// its outbox instead of blocking a command.
package gitlab

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/agent-backlog/backlog/forge"
)

// DefaultHost is the server used when neither --host nor GITLAB_HOST names
// one.
const DefaultHost = "https://gitlab.com"

// apiPath is where the REST API lives under the server's URL.
const apiPath = "/api/v4"

// TokenVar is the variable the token is read from.
const TokenVar = "GITLAB_TOKEN"

// Options say which server to reach and how.
type Options struct {
	// Host is the server's URL (--host or GITLAB_HOST); the API is at
	// Host/api/v4/ (or at Host, when it ends in /api/v4). "" is
	// https://gitlab.com; a bare host name gets https.
	Host string
	// Token is sent as PRIVATE-TOKEN. TokenVar is where it came from, named
	// in errors ("" is GITLAB_TOKEN); the token itself never is.
	Token, TokenVar string
	// MaxWait bounds the time one request may spend waiting out rate limits.
	MaxWait time.Duration
	// HTTPClient's transport carries the requests (nil: the default one),
	// under forge.Transport.
	HTTPClient *http.Client
}

// Forge is one GitLab server reached with one token. It is safe for
// concurrent use.
type Forge struct {
	client   client
	host     string // host[:port] of the web pages
	tokenVar string

	mu    sync.Mutex
	users map[string]int64 // username → id; 0 for a username GitLab does not know
}

var _ forge.Forge = (*Forge)(nil)

// FromEnv reaches the server named by host (the --host flag), else
// GITLAB_HOST, else gitlab.com, with the token in GITLAB_TOKEN.
func FromEnv(getenv func(string) string, host string, maxWait time.Duration) (*Forge, error) {
	if host == "" {
		host = getenv("GITLAB_HOST")
	}
	return New(Options{Host: host, Token: getenv(TokenVar), TokenVar: TokenVar, MaxWait: maxWait})
}

// New makes a Forge. A missing token is a *forge.AuthError naming the
// variable; a host that is not an http(s) URL is an error saying so.
func New(opts Options) (*Forge, error) {
	base, err := baseURL(opts.Host)
	if err != nil {
		return nil, err
	}
	tokenVar := opts.TokenVar
	if tokenVar == "" {
		tokenVar = TokenVar
	}
	token := strings.TrimSpace(opts.Token)
	if token == "" {
		return nil, &forge.AuthError{Host: base.Host, Variable: tokenVar}
	}
	hc := &http.Client{}
	if opts.HTTPClient != nil {
		c := *opts.HTTPClient
		hc = &c
	}
	hc.Transport = &forge.Transport{Base: hc.Transport, MaxWait: opts.MaxWait}
	api := base.String()
	if !strings.HasSuffix(api, apiPath) { // a host given with the API's path keeps it once
		api += apiPath
	}
	return &Forge{
		client: client{hc: hc, api: api, token: token},
		host:   base.Host, tokenVar: tokenVar, users: map[string]int64{},
	}, nil
}

// baseURL reads the server's URL: https://gitlab.com when empty, https://
// added to a bare host name.
func baseURL(host string) (*url.URL, error) {
	host = strings.TrimSpace(host)
	if host == "" {
		host = DefaultHost
	}
	if !strings.Contains(host, "://") {
		host = "https://" + host
	}
	u, err := url.Parse(host)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("the GitLab host %q is not an http(s) URL such as https://gitlab.example.com", host)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// Kind is "gitlab".
func (f *Forge) Kind() string { return "gitlab" }

// Host is the server's host[:port], as in its issues' web addresses.
func (f *Forge) Host() string { return f.host }
