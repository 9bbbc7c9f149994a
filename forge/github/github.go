// Package github is the forge adapter for GitHub and GitHub Enterprise
// Server, on google/go-github. It lists, reads, changes and comments on the
// issues of one repository, and turns every failure into one of forge's
// classified errors so that the mirror decides the same way as for GitLab.
package github

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	gh "github.com/google/go-github/v92/github"

	"github.com/agent-backlog/backlog/forge"
)

// PublicAPI is the API of github.com, used when no host is given.
const PublicAPI = "https://api.github.com"

// Options say which server to reach and with which token.
type Options struct {
	// API is --host or GITHUB_API_URL; "" is PublicAPI. Any other host is
	// GitHub Enterprise Server, whose API lives at URL/api/v3/.
	API string
	// Token is sent as "Authorization: Bearer"; TokenVar is the variable it
	// came from, named in errors (default GITHUB_TOKEN).
	Token, TokenVar string
	// MaxWait bounds the time spent waiting out one request's rate limits.
	MaxWait time.Duration
	// HTTPClient is the base client (its transport and timeout); nil for
	// a plain one.
	HTTPClient *http.Client
}

// Forge is a GitHub server reached with one token. It implements
// forge.Forge and is safe for concurrent use.
type Forge struct {
	client   *gh.Client
	api      string // the API as the user named it, for messages
	host     string // the web host issues live on
	tokenVar string
}

var _ forge.Forge = (*Forge)(nil)

// FromEnv builds a Forge from the environment: the API from host (the
// --host flag), else GITHUB_API_URL, else PublicAPI; the token from
// GITHUB_TOKEN, else GH_TOKEN.
func FromEnv(getenv func(string) string, host string, maxWait time.Duration) (*Forge, error) {
	if host == "" {
		host = getenv("GITHUB_API_URL")
	}
	opts := Options{API: host, MaxWait: maxWait, TokenVar: "GITHUB_TOKEN", Token: getenv("GITHUB_TOKEN")}
	if opts.Token == "" && getenv("GH_TOKEN") != "" {
		opts.TokenVar, opts.Token = "GH_TOKEN", getenv("GH_TOKEN")
	}
	return New(opts)
}

// New builds a Forge from opts. A missing token is a *forge.AuthError.
func New(opts Options) (*Forge, error) {
	base, public, err := apiURL(opts.API)
	if err != nil {
		return nil, err
	}
	f := &Forge{api: strings.TrimSuffix(base.String(), "/"), host: "github.com", tokenVar: opts.TokenVar}
	if f.tokenVar == "" {
		f.tokenVar = "GITHUB_TOKEN"
	}
	hc := &http.Client{}
	if opts.HTTPClient != nil {
		hc = opts.HTTPClient
	}
	clientOpts := []gh.ClientOptionsFunc{
		gh.WithHTTPClient(hc),
		gh.WithTransport(&forge.Transport{Base: hc.Transport, MaxWait: opts.MaxWait}),
		gh.WithUserAgent("agent-backlog"),
		// Rate limits are waited out by forge.Transport, up to its bound,
		// from what the server answers; go-github must not refuse a request
		// on its own from an earlier answer.
		gh.WithDisableRateLimitCheck(),
	}
	if opts.Token != "" {
		clientOpts = append(clientOpts, gh.WithAuthToken(opts.Token))
	}
	if !public {
		f.host = base.Host
		clientOpts = append(clientOpts, gh.WithEnterpriseURLs(base.String(), base.String()))
	}
	if f.client, err = gh.NewClient(clientOpts...); err != nil {
		return nil, fmt.Errorf("cannot set up the GitHub client for %s: %w", f.api, err)
	}
	f.api = strings.TrimSuffix(f.client.BaseURL(), "/")
	if opts.Token == "" {
		return nil, &forge.AuthError{Host: f.api, Variable: f.tokenVar}
	}
	return f, nil
}

// apiURL parses the API as given (a bare host gets https://) and tells
// whether it is github.com's public API.
func apiURL(api string) (*url.URL, bool, error) {
	api = strings.TrimSpace(api)
	if api == "" {
		api = PublicAPI
	}
	if !strings.Contains(api, "://") {
		api = "https://" + api
	}
	u, err := url.Parse(api)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, false, fmt.Errorf("%q is not a GitHub API URL: want https://HOST (GitHub Enterprise) or %s", api, PublicAPI)
	}
	if h := strings.ToLower(u.Hostname()); h == "api.github.com" || h == "github.com" {
		u, _ = url.Parse(PublicAPI + "/")
		return u, true, nil
	}
	u.RawQuery, u.Fragment = "", ""
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u, false, nil
}

// Kind is "github".
func (f *Forge) Kind() string { return "github" }

// Host is "github.com" for the public API, else the enterprise server's
// host[:port].
func (f *Forge) Host() string { return f.host }

// API is the base URL requests go to, without its trailing slash.
func (f *Forge) API() string { return f.api }

// splitRepo splits "owner/repo".
func splitRepo(project string) (owner, repo string, err error) {
	owner, repo, ok := strings.Cut(project, "/")
	if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
		return "", "", fmt.Errorf("%q is not a GitHub repository: want OWNER/REPO", project)
	}
	return owner, repo, nil
}

// bypass marks a request so that go-github never refuses it locally on an
// earlier rate limit: forge.Transport decides, from what the server says.
func bypass(ctx context.Context) context.Context {
	return context.WithValue(ctx, gh.BypassRateLimitCheck, true)
}
