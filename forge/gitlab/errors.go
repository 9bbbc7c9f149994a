package gitlab

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/agent-backlog/backlog/forge"
)

// classify turns what the client returned into one of forge's errors: 404
// and 410 gone, 401 and a 403 that is not a rate limit a refused token, a
// rate limit left after forge.Transport's waits, a 5xx, an answer that is
// not GitLab's JSON or no answer at all unavailable. Anything else (a 400
// or 422: a request GitLab will never take) is an error naming what was
// tried and GitLab's message.
func (f *Forge) classify(err error, what string) error {
	if err == nil {
		return nil
	}
	var ae *apiError
	if !errors.As(err, &ae) {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // the URL is known: it is the host's
		}
		var bad *badAnswer
		if errors.As(err, &bad) {
			err = fmt.Errorf("%s: %w", what, err)
		}
		return &forge.UnavailableError{Host: f.host, Err: err}
	}
	status := ae.resp.StatusCode
	if wait, limited := forge.RateLimited(ae.resp, time.Now()); limited {
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
	if ae.message != "" {
		return fmt.Errorf("%s refused %s (%d): %s", f.host, what, status, ae.message)
	}
	return fmt.Errorf("%s refused %s (%d)", f.host, what, status)
}
