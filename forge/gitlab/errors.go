package gitlab

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"github.com/agent-backlog/backlog/forge"
)

// classify turns what the client returned into one of forge's errors: 404
// and 410 gone, 401 and a 403 that is not a rate limit a refused token, a
// rate limit left after forge.Transport's waits, a 5xx or no answer at all
// unavailable. Anything else (a 400 or 422: a request GitLab will never
// take) is an error naming what was tried and GitLab's message.
func (f *Forge) classify(err error, resp *gl.Response, what string) error {
	if err == nil {
		return nil
	}
	if resp == nil || resp.Response == nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // the URL is known: it is the host's
		}
		return &forge.UnavailableError{Host: f.host, Err: err}
	}
	status := resp.StatusCode
	if wait, limited := forge.RateLimited(resp.Response, time.Now()); limited {
		return &forge.UnavailableError{Host: f.host, Status: status, RetryAfter: wait}
	}
	switch {
	case status == http.StatusNotFound || status == http.StatusGone:
		return &forge.GoneError{Status: status}
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return &forge.AuthError{Host: f.host, Variable: f.tokenVar, Status: status}
	case status >= 500:
		return &forge.UnavailableError{Host: f.host, Status: status}
	}
	var er *gl.ErrorResponse
	if errors.As(err, &er) && er.Message != "" {
		return fmt.Errorf("%s refused %s (%d): %s", f.host, what, status, er.Message)
	}
	return fmt.Errorf("%s refused %s (%d)", f.host, what, status)
}
