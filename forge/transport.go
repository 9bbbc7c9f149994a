package forge

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Transport is the HTTP transport every adapter uses. It honours rate
// limits: on a 429, or a 403 that carries Retry-After or says no requests
// remain (X-RateLimit-Remaining: 0, GitLab's RateLimit-Remaining: 0), it
// waits as the forge asked and sends the request again, as long as the
// waits add up to no more than MaxWait and fit in the request's context.
// Past that bound it returns the forge's answer, which the adapter turns
// into an UnavailableError carrying the wait, and the change stays owed.
type Transport struct {
	Base    http.RoundTripper // nil: http.DefaultTransport
	MaxWait time.Duration     // the most it waits in all for one request
	// Sleep waits d unless ctx ends first; nil: a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock for X-RateLimit-Reset; nil: time.Now.
	Now func() time.Time
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	waited := time.Duration(0)
	for {
		resp, err := base.RoundTrip(req)
		if err != nil {
			return resp, err
		}
		wait, limited := RateLimited(resp, t.now())
		if !limited || waited+wait > t.MaxWait {
			return resp, nil
		}
		if dl, ok := req.Context().Deadline(); ok && time.Until(dl) < wait {
			return resp, nil
		}
		if req.Body != nil && req.Body != http.NoBody {
			if req.GetBody == nil {
				return resp, nil
			}
			body, err := req.GetBody()
			if err != nil {
				return resp, nil
			}
			req = req.Clone(req.Context())
			req.Body = body
		}
		drain(resp)
		if err := t.sleep(req.Context(), wait); err != nil {
			return nil, err
		}
		waited += wait
	}
}

func (t *Transport) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

func (t *Transport) sleep(ctx context.Context, d time.Duration) error {
	if t.Sleep != nil {
		return t.Sleep(ctx, d)
	}
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}

func drain(resp *http.Response) {
	if resp.Body != nil {
		buf := make([]byte, 4096)
		for i := 0; i < 16; i++ {
			if _, err := resp.Body.Read(buf); err != nil {
				break
			}
		}
		resp.Body.Close()
	}
}

// RateLimited reports whether resp is a rate limit and how long the forge
// asked to wait: Retry-After (seconds or an HTTP date), else the reset time
// of X-RateLimit-Reset / RateLimit-Reset (unix seconds), else a minute.
func RateLimited(resp *http.Response, now time.Time) (time.Duration, bool) {
	h := resp.Header
	retryAfter := strings.TrimSpace(h.Get("Retry-After"))
	exhausted := h.Get("X-RateLimit-Remaining") == "0" || h.Get("RateLimit-Remaining") == "0"
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
	case resp.StatusCode == http.StatusForbidden && (retryAfter != "" || exhausted):
	default:
		return 0, false
	}
	if retryAfter != "" {
		if s, err := strconv.Atoi(retryAfter); err == nil && s >= 0 {
			return time.Duration(s) * time.Second, true
		}
		if at, err := http.ParseTime(retryAfter); err == nil {
			return max(at.Sub(now), 0), true
		}
	}
	for _, k := range []string{"X-RateLimit-Reset", "RateLimit-Reset"} {
		if s, err := strconv.ParseInt(strings.TrimSpace(h.Get(k)), 10, 64); err == nil && s > 0 {
			return max(time.Unix(s, 0).Sub(now)+time.Second, 0), true
		}
	}
	return time.Minute, true
}
