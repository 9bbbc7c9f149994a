// Package forge is what the backlog needs from a code forge (GitHub,
// GitLab): list a repository's issues, read one, change one, comment on one.
// One package per forge (forge/github, forge/gitlab) implements Forge on the
// forge's official client; the import, push and pull logic (forge/mirror) is
// written once against this interface and tested once against both.
//
// Errors an adapter returns are classified with the helpers below, so that
// the mirror decides the same way for every forge: a gone issue is
// annotated and never retried, a refused token is one sentence naming the
// variable, and anything transient (a network error, a 5xx, a rate limit past
// its bound) keeps the change owed in the outbox.
package forge

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Issue is an issue as the backlog sees it. Pull requests never appear:
// adapters skip them.
type Issue struct {
	IID       int64     // the issue's number in its project (GitHub number, GitLab iid)
	Title     string    //
	Body      string    // markdown; "" when empty
	Labels    []string  // names as the forge spells them
	Assignees []string  // usernames, first is the main one
	Milestone string    // title, "" for none
	Closed    bool      // state closed
	URL       string    // the issue's web page
	UpdatedAt time.Time //
}

// ListOptions select issues.
type ListOptions struct {
	// Search is the forge's own issue search (GitHub: the search API with
	// `repo:O/R is:issue is:open Q`; GitLab: the search parameter).
	Search string
	// Labels keeps issues carrying every label named.
	Labels []string
	// All lists closed issues too (pull: an issue closed upstream must be
	// seen); otherwise only open ones.
	All bool
	// Since keeps issues updated at or after it; zero for any.
	Since time.Time
}

// Update is a change to an issue; zero fields are left alone. Adapters
// apply it idempotently: labels already there are not added again, an
// update that changes nothing makes no write.
type Update struct {
	Title           *string
	Body            *string
	AddLabels       []string
	RemoveLabels    []string
	AddAssignees    []string // usernames
	RemoveAssignees []string // usernames
	Close, Reopen   bool
}

// IsZero reports whether the update changes nothing.
func (u Update) IsZero() bool {
	return u.Title == nil && u.Body == nil && len(u.AddLabels) == 0 && len(u.RemoveLabels) == 0 &&
		len(u.AddAssignees) == 0 && len(u.RemoveAssignees) == 0 && !u.Close && !u.Reopen
}

// Forge is one forge server reached with one token.
type Forge interface {
	// Kind is "github" or "gitlab".
	Kind() string
	// Host is the web host issues live on ("github.com", "gitlab.com", or
	// the enterprise server's host[:port]): the source's host.
	Host() string
	// List calls page with every page of matching issues, in the forge's
	// order, until the last page or an error (page's own error included).
	List(ctx context.Context, project string, opts ListOptions, page func([]Issue) error) error
	// Get reads one issue.
	Get(ctx context.Context, project string, iid int64) (*Issue, error)
	// Update changes one issue and reports whether it wrote anything.
	Update(ctx context.Context, project string, iid int64, u Update) (bool, error)
	// Comment posts a comment on one issue.
	Comment(ctx context.Context, project string, iid int64, body string) error
	// Comments returns the bodies of every comment on one issue, oldest
	// first (every page), so that a retried comment is not posted twice.
	Comments(ctx context.Context, project string, iid int64) ([]string, error)
}

// ErrGone is wrapped by errors for an issue or repository the forge no
// longer has (404, 410).
var ErrGone = errors.New("upstream issue gone")

// GoneError says that the issue is gone and with which status.
type GoneError struct{ Status int }

func (e *GoneError) Error() string { return fmt.Sprintf("upstream issue gone (%d)", e.Status) }
func (e *GoneError) Unwrap() error { return ErrGone }

// AuthError is a token the forge refused (401) or a token missing. Its
// message names the host and the variable, never the token.
type AuthError struct {
	Host     string // the API URL or host
	Variable string // GITHUB_TOKEN, GITLAB_TOKEN
	Status   int    // 401, 403; 0 when the token is missing
}

func (e *AuthError) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("%s is not set: a token is needed to reach %s", e.Variable, e.Host)
	}
	return fmt.Sprintf("%s refused the token in %s (%d): check that it is valid and may read and write issues", e.Host, e.Variable, e.Status)
}

// UnavailableError is a transient failure: a network error, a 5xx, or a
// rate limit whose wait is past the bound. The change stays owed.
type UnavailableError struct {
	Host       string
	Status     int           // 0 for a network error
	RetryAfter time.Duration // for rate limits: how long the forge asked to wait
	Err        error
}

func (e *UnavailableError) Error() string {
	switch {
	case e.RetryAfter > 0:
		return fmt.Sprintf("%s is rate-limiting requests (retry after %s)", e.Host, e.RetryAfter.Round(time.Second))
	case e.Status > 0:
		return fmt.Sprintf("%s answered %d", e.Host, e.Status)
	case e.Err != nil:
		return fmt.Sprintf("cannot reach %s: %v", e.Host, e.Err)
	}
	return fmt.Sprintf("cannot reach %s", e.Host)
}
func (e *UnavailableError) Unwrap() error { return e.Err }

// IsGone, IsAuth and IsUnavailable classify an adapter's error.
func IsGone(err error) bool        { return errors.Is(err, ErrGone) }
func IsAuth(err error) bool        { var a *AuthError; return errors.As(err, &a) }
func IsUnavailable(err error) bool { var u *UnavailableError; return errors.As(err, &u) }
