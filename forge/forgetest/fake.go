// Package forgetest holds what the fake forge servers (forge/github/githubfake,
// forge/gitlab/gitlabfake) have in common, so that the import, push and pull
// logic is tested once against both.
package forgetest

import (
	"time"

	"github.com/agent-backlog/backlog/forge"
)

// Fake is an httptest server that behaves like a forge's REST API: the
// real routes and pagination, pull requests mixed into GitHub's issue
// lists, 404 for a deleted issue, injected failures, and a record of
// every request.
type Fake interface {
	// URL is what a user passes as --host (GITHUB_API_URL, GITLAB_HOST).
	URL() string
	// Token is the one token the server accepts; any other gets 401.
	Token() string
	// Kind is "github" or "gitlab".
	Kind() string
	// AddIssue creates an open issue (Closed honoured) and returns its iid;
	// UpdatedAt is set to the server's clock when zero.
	AddIssue(project string, iss forge.Issue) int64
	// AddPullRequest adds a pull/merge request that a GitHub issue list
	// shows among issues (on GitLab it never appears in issue lists).
	AddPullRequest(project, title string) int64
	// Issue is the issue as the server holds it now.
	Issue(project string, iid int64) (forge.Issue, bool)
	// Edit changes an issue as a person would upstream, and bumps UpdatedAt.
	Edit(project string, iid int64, fn func(*forge.Issue))
	// Delete removes an issue: every later request for it gets 404.
	Delete(project string, iid int64)
	// Comments are the bodies of the issue's comments, oldest first.
	Comments(project string, iid int64) []string
	// Fail makes the next n requests (matching method, "" for any) answer
	// status, with Retry-After when retryAfter > 0.
	Fail(method string, n, status int, retryAfter time.Duration)
	// Hang makes the next n requests with the method block until the client
	// gives up (its context ends or the connection drops), answering nothing.
	Hang(method string, n int)
	// Writes counts the requests that changed something (POST, PUT, PATCH,
	// DELETE answered 2xx).
	Writes() int
	// Requests is every request received, in order.
	Requests() []Request
	// Close stops the server.
	Close()
}

// Request is one request a fake received. Headers that carry tokens are
// kept so that tests can check how the token was sent.
type Request struct {
	Method string
	Path   string // escaped path, as sent (GitLab's %2F kept)
	Query  string
	Body   string
	Auth   string // Authorization or PRIVATE-TOKEN header
	Status int    // what the fake answered
	At     time.Time
}
