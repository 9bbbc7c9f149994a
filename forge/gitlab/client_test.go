package gitlab_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/agent-backlog/backlog/forge"
	"github.com/agent-backlog/backlog/forge/gitlab"
)

// behindProxy puts a reverse proxy before the fake that changes each
// answer as edit says.
func behindProxy(t *testing.T, target string, edit func(*http.Response) error) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := httputil.NewSingleHostReverseProxy(u)
	p.ModifyResponse = edit
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestListFollowsTheLinkHeaderWhenXNextPageIsLeftOut(t *testing.T) {
	s := newFake(t)
	for i := range 130 {
		s.AddIssue(proj, forge.Issue{Title: fmt.Sprint("issue ", i)})
	}
	host := behindProxy(t, s.URL(), func(r *http.Response) error {
		r.Header.Del("X-Next-Page")
		return nil
	})
	f, err := gitlab.New(gitlab.Options{Host: host, Token: s.Token()})
	if err != nil {
		t.Fatal(err)
	}
	got, pages := list(t, f, proj, forge.ListOptions{})
	if len(got) != 130 || pages != 2 {
		t.Errorf("got %d issues in %d pages, want 130 in 2", len(got), pages)
	}
}

func TestAHostGivenWithTheAPIPathKeepsItOnce(t *testing.T) {
	s := newFake(t)
	iid := s.AddIssue(proj, forge.Issue{Title: "x"})
	f, err := gitlab.New(gitlab.Options{Host: s.URL() + "/api/v4/", Token: s.Token()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Get(context.Background(), proj, iid); err != nil {
		t.Fatal(err)
	}
	if r := s.Requests()[0]; r.Path != "/api/v4/projects/"+escaped+"/issues/1" {
		t.Errorf("asked %s", r.Path)
	}
}

func TestAnAnswerThatIsNotGitLabsJSONIsUnavailable(t *testing.T) {
	s := newFake(t)
	iid := s.AddIssue(proj, forge.Issue{Title: "x"})
	// A captive portal or a misconfigured proxy: 200 and a page of HTML.
	host := behindProxy(t, s.URL(), func(r *http.Response) error {
		r.Body.Close()
		r.Body = io.NopCloser(strings.NewReader("<html>Sign in to the network</html>"))
		r.Header.Del("Content-Length")
		r.Header.Set("Content-Type", "text/html")
		return nil
	})
	f, err := gitlab.New(gitlab.Options{Host: host, Token: s.Token()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Get(context.Background(), proj, iid)
	var un *forge.UnavailableError
	if !errors.As(err, &un) || !strings.Contains(err.Error(), "the read of "+proj+"#1") || !strings.Contains(err.Error(), "not GitLab's JSON") {
		t.Errorf("got %v, want unavailable naming the read and the answer", err)
	}
}
