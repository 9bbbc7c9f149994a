package github

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	gh "github.com/google/go-github/v92/github"

	"github.com/agent-backlog/backlog/forge"
)

// classify turns go-github's answer into forge's errors: gone (404, 410),
// a refused token (401, a 403 that is not a rate limit), unavailable (a
// network error, a 5xx, a rate limit past forge.Transport's bound). Other
// answers (422 and the like) are one sentence with GitHub's message. The
// token is never in any of them: go-github's errors name the URL, and the
// token travels only in a header.
func (f *Forge) classify(resp *gh.Response, err error) error {
	if err == nil {
		return nil
	}
	if resp == nil || resp.Response == nil {
		return &forge.UnavailableError{Host: f.api, Err: unwrapURL(err)}
	}
	status := resp.StatusCode
	if wait, limited := forge.RateLimited(resp.Response, time.Now()); limited {
		return &forge.UnavailableError{Host: f.api, Status: status, RetryAfter: max(wait, time.Second), Err: err}
	}
	switch {
	case status == http.StatusNotFound || status == http.StatusGone:
		return &forge.GoneError{Status: status}
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return &forge.AuthError{Host: f.api, Variable: f.tokenVar, Status: status}
	case status >= 500:
		return &forge.UnavailableError{Host: f.api, Status: status, Err: err}
	}
	msg := http.StatusText(status)
	if er, ok := errors.AsType[*gh.ErrorResponse](err); ok && er.Message != "" {
		msg = er.Message
		for _, e := range er.Errors {
			if e.Message != "" {
				msg += ": " + e.Message
			} else if e.Field != "" {
				msg += fmt.Sprintf(": %s %s", e.Field, e.Code)
			}
		}
	}
	return fmt.Errorf("%s answered %d: %s", f.api, status, msg)
}

// unwrapURL keeps the cause of a transport failure ("connection refused")
// without go-github's method and URL, which the UnavailableError's
// sentence already names.
func unwrapURL(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok && ue.Err != nil {
		return ue.Err
	}
	return err
}
