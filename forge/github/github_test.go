package github_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/agent-backlog/backlog/forge"
	"github.com/agent-backlog/backlog/forge/github"
	"github.com/agent-backlog/backlog/forge/github/githubfake"
)

const repo = "octo/app"

func newFake(t *testing.T) *githubfake.Server {
	t.Helper()
	s := githubfake.New()
	t.Cleanup(s.Close)
	return s
}

// newForge reaches the fake as GitHub Enterprise, as a user passing
// --host would.
func newForge(t *testing.T, s *githubfake.Server, maxWait time.Duration) *github.Forge {
	t.Helper()
	f, err := github.New(github.Options{API: s.URL(), Token: s.Token(), MaxWait: maxWait})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// list gathers every issue List gives and how many pages it took.
func list(t *testing.T, f *github.Forge, opts forge.ListOptions) ([]forge.Issue, int) {
	t.Helper()
	var all []forge.Issue
	pages := 0
	err := f.List(context.Background(), repo, opts, func(p []forge.Issue) error {
		pages++
		all = append(all, p...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return all, pages
}

func titles(issues []forge.Issue) []string {
	var out []string
	for _, is := range issues {
		out = append(out, is.Title)
	}
	slices.Sort(out)
	return out
}

// requests are the queries of the fake's requests with the method and path.
func requests(s *githubfake.Server, method, path string) []url.Values {
	var out []url.Values
	for _, r := range s.Requests() {
		if r.Method == method && r.Path == path {
			q, _ := url.ParseQuery(r.Query)
			out = append(out, q)
		}
	}
	return out
}

func TestListReadsEveryPageAndSkipsPullRequests(t *testing.T) {
	s := newFake(t)
	for i := range 250 {
		s.AddIssue(repo, forge.Issue{Title: fmt.Sprintf("issue %03d", i)})
		if i%50 == 0 {
			s.AddPullRequest(repo, fmt.Sprintf("pull %d", i))
		}
	}
	s.AddIssue(repo, forge.Issue{Title: "closed", Closed: true})
	got, pages := list(t, newForge(t, s, 0), forge.ListOptions{})
	if len(got) != 250 || pages != 3 {
		t.Fatalf("got %d issues in %d pages, want 250 in 3", len(got), pages)
	}
	for _, is := range got {
		if strings.HasPrefix(is.Title, "pull") || is.Closed {
			t.Fatalf("listed %+v", is)
		}
	}
	reqs := requests(s, "GET", "/api/v3/repos/octo/app/issues")
	if len(reqs) != 3 || reqs[0].Get("per_page") != "100" || reqs[0].Get("state") != "open" || reqs[2].Get("page") != "3" {
		t.Fatalf("requests %v", reqs)
	}
}

func TestListWithAllLabelsAndSinceAsksGitHubForThem(t *testing.T) {
	s := newFake(t)
	base := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	s.AddIssue(repo, forge.Issue{Title: "old bug", Labels: []string{"bug", "ui"}, UpdatedAt: base})
	s.AddIssue(repo, forge.Issue{Title: "closed bug", Labels: []string{"bug", "UI"}, Closed: true, UpdatedAt: base.Add(time.Hour)})
	s.AddIssue(repo, forge.Issue{Title: "open feature", Labels: []string{"ui"}, UpdatedAt: base.Add(2 * time.Hour)})
	got, _ := list(t, newForge(t, s, 0), forge.ListOptions{All: true, Labels: []string{"bug", "ui"}, Since: base.Add(30 * time.Minute)})
	if diff := cmp.Diff([]string{"closed bug"}, titles(got)); diff != "" {
		t.Fatalf("titles (-want +got):\n%s", diff)
	}
	q := requests(s, "GET", "/api/v3/repos/octo/app/issues")[0]
	if q.Get("state") != "all" || q.Get("labels") != "bug,ui" || q.Get("since") != "2025-06-01T09:30:00Z" {
		t.Fatalf("query %v", q)
	}
}

func TestSearchUsesTheSearchAPIWithLabelQualifiersOnEveryPage(t *testing.T) {
	s := newFake(t)
	for i := range 120 {
		s.AddIssue(repo, forge.Issue{Title: fmt.Sprintf("Crash on start %d", i), Labels: []string{"needs triage"}})
	}
	s.AddIssue(repo, forge.Issue{Title: "crash without the label"})
	s.AddIssue(repo, forge.Issue{Title: "crash closed", Labels: []string{"needs triage"}, Closed: true})
	s.AddIssue("octo/other", forge.Issue{Title: "crash elsewhere", Labels: []string{"needs triage"}})
	s.AddPullRequest(repo, "crash fix")
	f := newForge(t, s, 0)
	got, pages := list(t, f, forge.ListOptions{Search: "crash", Labels: []string{"needs triage"}})
	if len(got) != 120 || pages != 2 {
		t.Fatalf("got %d issues in %d pages, want 120 in 2", len(got), pages)
	}
	q := requests(s, "GET", "/api/v3/search/issues")[0]
	if want := `repo:octo/app is:issue is:open crash label:"needs triage"`; q.Get("q") != want {
		t.Fatalf("q = %s, want %s", q.Get("q"), want)
	}
	all, _ := list(t, f, forge.ListOptions{Search: "closed", All: true})
	if diff := cmp.Diff([]string{"crash closed"}, titles(all)); diff != "" {
		t.Fatalf("All search titles (-want +got):\n%s", diff)
	}
}

func TestSearchKeepsOnlyIssuesUpdatedSince(t *testing.T) {
	s := newFake(t)
	base := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	s.AddIssue(repo, forge.Issue{Title: "bug old", UpdatedAt: base})
	s.AddIssue(repo, forge.Issue{Title: "bug new", UpdatedAt: base.Add(time.Hour)})
	got, _ := list(t, newForge(t, s, 0), forge.ListOptions{Search: "bug", Since: base.Add(time.Hour)})
	if diff := cmp.Diff([]string{"bug new"}, titles(got)); diff != "" {
		t.Fatalf("titles (-want +got):\n%s", diff)
	}
}

func TestAPageFunctionsErrorStopsTheListing(t *testing.T) {
	s := newFake(t)
	for range 150 {
		s.AddIssue(repo, forge.Issue{Title: "x"})
	}
	stop := errors.New("stop")
	err := newForge(t, s, 0).List(context.Background(), repo, forge.ListOptions{}, func([]forge.Issue) error { return stop })
	if !errors.Is(err, stop) || len(s.Requests()) != 1 {
		t.Fatalf("err %v after %d requests, want stop after 1", err, len(s.Requests()))
	}
}

func TestGetMapsEveryField(t *testing.T) {
	s := newFake(t)
	at := time.Date(2025, 5, 4, 3, 2, 1, 0, time.UTC)
	n := s.AddIssue(repo, forge.Issue{
		Title: "Ünïcode title", Body: "## body", Labels: []string{"priority/P1", "Doing"},
		Assignees: []string{"octo-bot", "ann"}, Milestone: "v2", Closed: true, UpdatedAt: at,
	})
	got, err := newForge(t, s, 0).Get(context.Background(), repo, n)
	if err != nil {
		t.Fatal(err)
	}
	want := forge.Issue{
		IID: n, Title: "Ünïcode title", Body: "## body", Labels: []string{"priority/P1", "Doing"},
		Assignees: []string{"octo-bot", "ann"}, Milestone: "v2", Closed: true,
		URL: s.URL() + "/octo/app/issues/1", UpdatedAt: at,
	}
	if diff := cmp.Diff(want, *got); diff != "" {
		t.Fatalf("issue (-want +got):\n%s", diff)
	}
}

func TestUpdateSendsOnePatchAndARepeatWritesNothing(t *testing.T) {
	s := newFake(t)
	n := s.AddIssue(repo, forge.Issue{Title: "old", Labels: []string{"To Do", "bug"}})
	f := newForge(t, s, 0)
	title := "new title"
	claim := forge.Update{Title: &title, AddLabels: []string{"Doing"}, RemoveLabels: []string{"to do"}, AddAssignees: []string{"octo-bot"}}
	wrote, err := f.Update(context.Background(), repo, n, claim)
	if err != nil || !wrote {
		t.Fatalf("Update = %v, %v; want a write", wrote, err)
	}
	got, _ := s.Issue(repo, n)
	if got.Title != title || !slices.Equal(got.Labels, []string{"bug", "Doing"}) || !slices.Equal(got.Assignees, []string{"octo-bot"}) {
		t.Fatalf("upstream now %+v", got)
	}
	if s.Writes() != 1 {
		t.Fatalf("Writes = %d, want one PATCH", s.Writes())
	}
	wrote, err = f.Update(context.Background(), repo, n, claim)
	if err != nil || wrote || s.Writes() != 1 {
		t.Fatalf("a repeated update: wrote %v, err %v, %d writes; want no write", wrote, err, s.Writes())
	}
}

func TestUpdateClosesReopensAndRemovesTheLastLabel(t *testing.T) {
	s := newFake(t)
	n := s.AddIssue(repo, forge.Issue{Title: "x", Labels: []string{"Doing"}, Assignees: []string{"octo-bot"}})
	f := newForge(t, s, 0)
	ctx := context.Background()
	if _, err := f.Update(ctx, repo, n, forge.Update{Close: true, RemoveLabels: []string{"Doing"}, RemoveAssignees: []string{"OCTO-BOT"}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Issue(repo, n); !got.Closed || len(got.Labels) != 0 || len(got.Assignees) != 0 {
		t.Fatalf("after close: %+v", got)
	}
	if wrote, _ := f.Update(ctx, repo, n, forge.Update{Close: true}); wrote {
		t.Fatal("closing a closed issue wrote")
	}
	if wrote, err := f.Update(ctx, repo, n, forge.Update{Reopen: true}); !wrote || err != nil {
		t.Fatalf("reopen: %v, %v", wrote, err)
	}
	if got, _ := s.Issue(repo, n); got.Closed {
		t.Fatal("still closed after reopen")
	}
	if wrote, _ := f.Update(ctx, repo, n, forge.Update{}); wrote || len(requests(s, "GET", "/api/v3/repos/octo/app/issues/1")) != 3 {
		t.Fatal("an empty update reached the server")
	}
}

func TestCommentsAreReadOnEveryPageOldestFirst(t *testing.T) {
	s := newFake(t)
	n := s.AddIssue(repo, forge.Issue{Title: "x"})
	f := newForge(t, s, 0)
	ctx := context.Background()
	for i := range 105 {
		if err := f.Comment(ctx, repo, n, fmt.Sprintf("note %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := f.Comments(ctx, repo, n)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 105 || got[0] != "note 0" || got[104] != "note 104" {
		t.Fatalf("got %d comments, first %q", len(got), got[0])
	}
	if reqs := requests(s, "GET", "/api/v3/repos/octo/app/issues/1/comments"); len(reqs) != 2 {
		t.Fatalf("%d pages read, want 2", len(reqs))
	}
}

func TestADeletedIssueIsGone(t *testing.T) {
	s := newFake(t)
	n := s.AddIssue(repo, forge.Issue{Title: "x"})
	s.Delete(repo, n)
	f := newForge(t, s, 0)
	ctx := context.Background()
	_, getErr := f.Get(ctx, repo, n)
	_, updErr := f.Update(ctx, repo, n, forge.Update{Close: true})
	commentErr := f.Comment(ctx, repo, n, "hi")
	_, commentsErr := f.Comments(ctx, repo, n)
	for _, err := range []error{getErr, updErr, commentErr, commentsErr} {
		var gone *forge.GoneError
		if !errors.As(err, &gone) || gone.Status != 404 || !forge.IsGone(err) {
			t.Fatalf("err = %v, want a GoneError with 404", err)
		}
	}
}

func TestAWrongTokenNamesTheVariableAndHostButNeverTheToken(t *testing.T) {
	s := newFake(t)
	s.AddIssue(repo, forge.Issue{Title: "x"})
	token := "ghp_wrongwrongwrong"
	f, err := github.New(github.Options{API: s.URL(), Token: token})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Get(context.Background(), repo, 1)
	var auth *forge.AuthError
	if !errors.As(err, &auth) || auth.Status != 401 {
		t.Fatalf("err = %v, want an AuthError with 401", err)
	}
	msg := err.Error()
	host := strings.TrimPrefix(s.URL(), "http://")
	if !strings.Contains(msg, "GITHUB_TOKEN") || !strings.Contains(msg, host) || strings.Contains(msg, token) {
		t.Fatalf("message %q: want GITHUB_TOKEN and %s, never the token", msg, host)
	}
	if r := s.Requests()[0]; r.Auth != "Bearer "+token {
		t.Fatalf("Authorization sent as %q", r.Auth)
	}
}

func TestAForbiddenAnswerThatIsNoRateLimitIsAnAuthError(t *testing.T) {
	s := newFake(t)
	s.AddIssue(repo, forge.Issue{Title: "x"})
	s.Fail("PATCH", 1, 403, 0)
	_, err := newForge(t, s, 0).Update(context.Background(), repo, 1, forge.Update{Close: true})
	var auth *forge.AuthError
	if !errors.As(err, &auth) || auth.Status != 403 {
		t.Fatalf("err = %v, want an AuthError with 403", err)
	}
}

func TestA503IsUnavailableAndNotRetried(t *testing.T) {
	s := newFake(t)
	s.AddIssue(repo, forge.Issue{Title: "x"})
	s.Fail("", 1, 503, 0)
	_, err := newForge(t, s, 5*time.Second).Get(context.Background(), repo, 1)
	var un *forge.UnavailableError
	if !errors.As(err, &un) || un.Status != 503 || un.RetryAfter != 0 {
		t.Fatalf("err = %v, want an UnavailableError with 503", err)
	}
	if len(s.Requests()) != 1 {
		t.Fatalf("%d requests, want 1: the outbox retries, not the adapter", len(s.Requests()))
	}
}

func TestANetworkErrorIsUnavailable(t *testing.T) {
	s := githubfake.New()
	f := newForge(t, s, 0)
	s.Close()
	_, err := f.Get(context.Background(), repo, 1)
	var un *forge.UnavailableError
	if !errors.As(err, &un) || un.Status != 0 || un.Err == nil {
		t.Fatalf("err = %v, want an UnavailableError for the network", err)
	}
	if !strings.HasPrefix(err.Error(), "cannot reach "+f.API()) {
		t.Fatalf("message %q", err)
	}
}

func TestAHangingServerIsUnavailableWhenTheContextEnds(t *testing.T) {
	s := newFake(t)
	s.AddIssue(repo, forge.Issue{Title: "x"})
	s.Hang("GET", 1)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := newForge(t, s, 0).Get(ctx, repo, 1)
	if !forge.IsUnavailable(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want an UnavailableError wrapping the deadline", err)
	}
}

func TestARateLimitWithinTheBoundIsWaitedOut(t *testing.T) {
	s := newFake(t)
	s.AddIssue(repo, forge.Issue{Title: "x"})
	s.Fail("PATCH", 1, 429, time.Second)
	wrote, err := newForge(t, s, 5*time.Second).Update(context.Background(), repo, 1, forge.Update{Close: true})
	if err != nil || !wrote {
		t.Fatalf("Update = %v, %v; want the write after the wait", wrote, err)
	}
	var statuses []int
	for _, r := range s.Requests() {
		statuses = append(statuses, r.Status)
	}
	if diff := cmp.Diff([]int{200, 429, 200}, statuses); diff != "" {
		t.Fatalf("statuses (-want +got):\n%s", diff)
	}
	if got, _ := s.Issue(repo, 1); !got.Closed || s.Writes() != 1 {
		t.Fatalf("closed %v, writes %d", got.Closed, s.Writes())
	}
}

func TestARateLimitPastTheBoundIsUnavailableWithItsWait(t *testing.T) {
	s := newFake(t)
	s.AddIssue(repo, forge.Issue{Title: "x"})
	for _, status := range []int{429, 403} {
		s.Fail("GET", 1, status, 30*time.Second)
		_, err := newForge(t, s, time.Second).Get(context.Background(), repo, 1)
		var un *forge.UnavailableError
		if !errors.As(err, &un) || un.RetryAfter != 30*time.Second || un.Status != status {
			t.Fatalf("%d: err = %v, want an UnavailableError with RetryAfter 30s", status, err)
		}
	}
}

func TestFromEnvFindsTheHostAndTheToken(t *testing.T) {
	s := newFake(t)
	s.AddIssue(repo, forge.Issue{Title: "x"})
	cases := []struct {
		name string
		env  map[string]string
		flag string
		auth string // the Authorization the fake saw, "" when New fails
		err  string
	}{
		{"GITHUB_TOKEN and --host", map[string]string{"GITHUB_TOKEN": s.Token(), "GH_TOKEN": "other"}, s.URL(), "Bearer " + s.Token(), ""},
		{"GH_TOKEN when GITHUB_TOKEN is unset", map[string]string{"GH_TOKEN": s.Token()}, s.URL(), "Bearer " + s.Token(), ""},
		{"GITHUB_API_URL without --host", map[string]string{"GITHUB_TOKEN": s.Token(), "GITHUB_API_URL": s.URL()}, "", "Bearer " + s.Token(), ""},
		{"no token", map[string]string{"GITHUB_API_URL": s.URL()}, "", "", "GITHUB_TOKEN is not set: a token is needed to reach " + s.URL() + "/api/v3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := github.FromEnv(func(k string) string { return tc.env[k] }, tc.flag, 0)
			if tc.err != "" {
				if !forge.IsAuth(err) || err.Error() != tc.err {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			before := len(s.Requests())
			if _, err := f.Get(context.Background(), repo, 1); err != nil {
				t.Fatal(err)
			}
			if r := s.Requests()[before]; r.Auth != tc.auth || r.Path != "/api/v3/repos/octo/app/issues/1" {
				t.Fatalf("sent %s with %q", r.Path, r.Auth)
			}
		})
	}
}

func TestAWrongGHTokenNamesGHToken(t *testing.T) {
	s := newFake(t)
	s.AddIssue(repo, forge.Issue{Title: "x"})
	f, err := github.FromEnv(func(k string) string { return map[string]string{"GH_TOKEN": "nope"}[k] }, s.URL(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Get(context.Background(), repo, 1); !forge.IsAuth(err) || !strings.Contains(err.Error(), "GH_TOKEN") {
		t.Fatalf("err = %v, want one naming GH_TOKEN", err)
	}
}

func TestWhereTheAPIIs(t *testing.T) {
	cases := []struct{ given, api, host string }{
		{"", "https://api.github.com", "github.com"},
		{"https://api.github.com/", "https://api.github.com", "github.com"},
		{"https://github.com", "https://api.github.com", "github.com"},
		{"https://ghe.example.com", "https://ghe.example.com/api/v3", "ghe.example.com"},
		{"ghe.example.com", "https://ghe.example.com/api/v3", "ghe.example.com"},
		{"https://ghe.example.com/api/v3", "https://ghe.example.com/api/v3", "ghe.example.com"},
		{"https://ghe.example.com/api/v3/", "https://ghe.example.com/api/v3", "ghe.example.com"},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080/api/v3", "127.0.0.1:8080"},
	}
	for _, tc := range cases {
		t.Run(tc.given, func(t *testing.T) {
			f, err := github.New(github.Options{API: tc.given, Token: "t"})
			if err != nil {
				t.Fatal(err)
			}
			if f.API() != tc.api || f.Host() != tc.host || f.Kind() != "github" {
				t.Fatalf("API %s, Host %s; want %s, %s", f.API(), f.Host(), tc.api, tc.host)
			}
		})
	}
	if _, err := github.New(github.Options{API: "ftp://x", Token: "t"}); err == nil || !strings.Contains(err.Error(), "not a GitHub API URL") {
		t.Fatalf("ftp URL: err = %v", err)
	}
}

func TestAnAPIURLEndingInAPIV3IsNotExtendedAgain(t *testing.T) {
	s := newFake(t)
	s.AddIssue(repo, forge.Issue{Title: "x"})
	f, err := github.New(github.Options{API: s.URL() + "/api/v3", Token: s.Token()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Get(context.Background(), repo, 1); err != nil {
		t.Fatal(err)
	}
	if r := s.Requests(); r[0].Path != "/api/v3/repos/octo/app/issues/1" {
		t.Fatalf("path %s: /api/v3 was added twice", r[0].Path)
	}
}

// toFake sends every request to the fake, as if it were api.github.com.
type toFake struct{ target *url.URL }

func (tf toFake) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.URL.Scheme, req.URL.Host = tf.target.Scheme, tf.target.Host
	return http.DefaultTransport.RoundTrip(req)
}

func TestThePublicAPIGoesThroughTheGivenHTTPClientToTheRoot(t *testing.T) {
	s := newFake(t)
	s.AddIssue(repo, forge.Issue{Title: "x"})
	target, _ := url.Parse(s.URL())
	f, err := github.New(github.Options{Token: s.Token(), HTTPClient: &http.Client{Transport: toFake{target}}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.Get(context.Background(), repo, 1)
	if err != nil || got.Title != "x" || f.Host() != "github.com" {
		t.Fatalf("Get = %+v, %v; host %s", got, err, f.Host())
	}
	if r := s.Requests(); r[0].Path != "/repos/octo/app/issues/1" || r[0].Auth != "Bearer "+s.Token() {
		t.Fatalf("sent %s with %q", r[0].Path, r[0].Auth)
	}
}

func TestABadRepositoryNameIsOneSentence(t *testing.T) {
	s := newFake(t)
	f := newForge(t, s, 0)
	_, err := f.Get(context.Background(), "just-a-name", 1)
	if err == nil || err.Error() != `"just-a-name" is not a GitHub repository: want OWNER/REPO` || len(s.Requests()) != 0 {
		t.Fatalf("err = %v after %d requests", err, len(s.Requests()))
	}
}

func TestAValidationFailureSaysWhatGitHubSaid(t *testing.T) {
	s := newFake(t)
	s.AddIssue(repo, forge.Issue{Title: "x"})
	err := newForge(t, s, 0).Comment(context.Background(), repo, 1, "  ")
	if err == nil || forge.IsGone(err) || forge.IsAuth(err) || forge.IsUnavailable(err) || !strings.Contains(err.Error(), "answered 422: Validation Failed") {
		t.Fatalf("err = %v", err)
	}
}

// BenchmarkList1000Issues lists 1,000 issues (10 pages) from the fake
// through the adapter: the network part of an import.
func BenchmarkList1000Issues(b *testing.B) {
	s := githubfake.New()
	defer s.Close()
	for i := range 1000 {
		s.AddIssue(repo, forge.Issue{Title: fmt.Sprintf("issue %d", i), Body: "a body", Labels: []string{"bug"}})
	}
	f, err := github.New(github.Options{API: s.URL(), Token: s.Token()})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		n := 0
		if err := f.List(context.Background(), repo, forge.ListOptions{}, func(p []forge.Issue) error { n += len(p); return nil }); err != nil || n != 1000 {
			b.Fatalf("listed %d, err %v", n, err)
		}
	}
}
