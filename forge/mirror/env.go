package mirror

import (
	"net/url"
	"strings"
	"sync"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/forge"
	"github.com/agent-backlog/backlog/forge/forgeconf"
	"github.com/agent-backlog/backlog/forge/github"
	"github.com/agent-backlog/backlog/forge/gitlab"
)

// Env is where the mirror finds its forges and settings.
type Env struct {
	// Getenv reads GITHUB_TOKEN, GH_TOKEN, GITHUB_API_URL, GITLAB_TOKEN
	// and GITLAB_HOST.
	Getenv func(string) string
	// Config is forges.toml; nil means the defaults.
	Config *forgeconf.File
	// MaxWait bounds the wait for a rate limit, per request.
	MaxWait time.Duration
	// Now is the clock; nil: time.Now.
	Now func() time.Time

	mu     sync.Mutex
	forges map[string]forge.Forge // by type and web host
}

func (e *Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// Kinds are the forges the mirror knows.
var Kinds = []string{"github", "gitlab"}

// Open returns the forge of a kind at the API named by host (the --host
// flag), or by the kind's variable, or the public one.
func (e *Env) Open(kind, host string) (forge.Forge, error) {
	switch kind {
	case "github":
		f, err := github.FromEnv(e.Getenv, host, e.MaxWait)
		if err != nil {
			return nil, err
		}
		return f, nil
	case "gitlab":
		f, err := gitlab.FromEnv(e.Getenv, host, e.MaxWait)
		if err != nil {
			return nil, err
		}
		return f, nil
	}
	return nil, backlog.Invalidf("the forge must be github or gitlab, got %q", kind)
}

// ForSource returns the forge an imported task's issue lives on: the one
// the kind's variable names when it serves the source's host, else the
// public one for github.com and gitlab.com, else the server at the
// scheme and host of the page.
func (e *Env) ForSource(s backlog.Source) (forge.Forge, error) {
	key := s.Type + " " + strings.ToLower(s.Host)
	e.mu.Lock()
	defer e.mu.Unlock()
	if f, ok := e.forges[key]; ok {
		return f, nil
	}
	var candidates []string
	switch s.Type {
	case "github":
		candidates = append(candidates, e.Getenv("GITHUB_API_URL"))
		if strings.EqualFold(s.Host, "github.com") {
			candidates = append(candidates, "https://api.github.com")
		}
	case "gitlab":
		candidates = append(candidates, e.Getenv("GITLAB_HOST"))
	default:
		return nil, backlog.Invalidf("task links to a %s issue, and only github and gitlab are known", s.Type)
	}
	if u, err := url.Parse(s.URL); err == nil && u.Scheme != "" && strings.EqualFold(u.Host, s.Host) {
		candidates = append(candidates, u.Scheme+"://"+u.Host)
	}
	candidates = append(candidates, "https://"+s.Host)
	var firstErr error
	for _, c := range candidates {
		if c == "" {
			continue
		}
		f, err := e.Open(s.Type, c)
		if err != nil {
			if forge.IsAuth(err) {
				return nil, err
			}
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if strings.EqualFold(f.Host(), s.Host) {
			if e.forges == nil {
				e.forges = map[string]forge.Forge{}
			}
			e.forges[key] = f
			return f, nil
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return nil, backlog.Invalidf("cannot tell where the %s server of %s is", s.Type, s.Host)
}

// Repo is the configuration of a repository.
func (e *Env) Repo(host, project string) forgeconf.Repo { return e.Config.For(host, project) }
