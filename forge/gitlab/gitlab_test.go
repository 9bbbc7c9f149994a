package gitlab_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/agent-backlog/backlog/forge"
	"github.com/agent-backlog/backlog/forge/gitlab"
	"github.com/agent-backlog/backlog/forge/gitlab/gitlabfake"
)

const proj = "group/sub/project"

// escaped is proj as it travels in a path.
const escaped = "group%2Fsub%2Fproject"

func newFake(t *testing.T) *gitlabfake.Server {
	t.Helper()
	s := gitlabfake.New()
	t.Cleanup(s.Close)
	return s
}

func newForge(t *testing.T, s *gitlabfake.Server, maxWait time.Duration) *gitlab.Forge {
	t.Helper()
	f, err := gitlab.New(gitlab.Options{Host: s.URL(), Token: s.Token(), MaxWait: maxWait})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// list gathers every issue List gives and how many pages it took.
func list(t *testing.T, f *gitlab.Forge, project string, opts forge.ListOptions) ([]forge.Issue, int) {
	t.Helper()
	var all []forge.Issue
	pages := 0
	err := f.List(context.Background(), project, opts, func(p []forge.Issue) error {
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

// requests are the fake's requests with the method and path given.
func requests(s *gitlabfake.Server, method, path string) []url.Values {
	var out []url.Values
	for _, r := range s.Requests() {
		if r.Method == method && r.Path == path {
			q, _ := url.ParseQuery(r.Query)
			out = append(out, q)
		}
	}
	return out
}

func TestListReadsEveryPageOfANestedGroupsOpenIssues(t *testing.T) {
	s := newFake(t)
	for i := range 250 {
		s.AddIssue(proj, forge.Issue{Title: fmt.Sprintf("open %03d", i)})
	}
	for i := range 5 {
		s.AddIssue(proj, forge.Issue{Title: fmt.Sprintf("closed %d", i), Closed: true})
	}
	s.AddPullRequest(proj, "a merge request")
	f := newForge(t, s, 0)

	got, pages := list(t, f, proj, forge.ListOptions{})
	if len(got) != 250 || pages != 3 {
		t.Fatalf("got %d issues in %d pages, want 250 in 3", len(got), pages)
	}
	seen := map[int64]bool{}
	for _, is := range got {
		if is.Closed || seen[is.IID] || !strings.HasPrefix(is.Title, "open ") {
			t.Fatalf("unexpected or repeated issue %+v", is)
		}
		seen[is.IID] = true
	}
	reqs := requests(s, "GET", "/api/v4/projects/"+escaped+"/issues")
	if len(reqs) != 3 {
		t.Fatalf("%d list requests on the %%2F path, want 3: %v", len(reqs), s.Requests())
	}
	for i, q := range reqs {
		if q.Get("page") != fmt.Sprint(i+1) || q.Get("per_page") != "100" || q.Get("state") != "opened" {
			t.Errorf("request %d asked %v", i+1, q)
		}
	}

	all, _ := list(t, f, proj, forge.ListOptions{All: true})
	if len(all) != 255 {
		t.Errorf("with All: %d issues, want 255", len(all))
	}
}

func TestListSendsLabelsAsOneCommaStringAndKeepsIssuesWithEveryOne(t *testing.T) {
	s := newFake(t)
	s.AddIssue(proj, forge.Issue{Title: "both", Labels: []string{"bug", "priority::high"}})
	s.AddIssue(proj, forge.Issue{Title: "bug only", Labels: []string{"bug"}})
	s.AddIssue(proj, forge.Issue{Title: "none"})
	f := newForge(t, s, 0)

	got, _ := list(t, f, proj, forge.ListOptions{Labels: []string{"bug", "priority::high"}})
	if diff := cmp.Diff([]string{"both"}, titles(got)); diff != "" {
		t.Errorf("issues (-want +got):\n%s", diff)
	}
	reqs := requests(s, "GET", "/api/v4/projects/"+escaped+"/issues")
	if q := reqs[len(reqs)-1]; len(q["labels"]) != 1 || q.Get("labels") != "bug,priority::high" {
		t.Errorf("labels sent as %q, want one comma string", q["labels"])
	}
}

func TestListSearchesTitlesAndDescriptions(t *testing.T) {
	s := newFake(t)
	s.AddIssue(proj, forge.Issue{Title: "Login fails on Safari"})
	s.AddIssue(proj, forge.Issue{Title: "Slow page", Body: "the login form takes 3 s"})
	s.AddIssue(proj, forge.Issue{Title: "Dark mode"})
	f := newForge(t, s, 0)

	got, _ := list(t, f, proj, forge.ListOptions{Search: "login"})
	if diff := cmp.Diff([]string{"Login fails on Safari", "Slow page"}, titles(got)); diff != "" {
		t.Errorf("issues (-want +got):\n%s", diff)
	}
	reqs := requests(s, "GET", "/api/v4/projects/"+escaped+"/issues")
	if q := reqs[len(reqs)-1]; q.Get("search") != "login" {
		t.Errorf("search sent as %q", q.Get("search"))
	}
}

func TestListSinceKeepsOnlyIssuesUpdatedAtOrAfterIt(t *testing.T) {
	s := newFake(t)
	old := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s.AddIssue(proj, forge.Issue{Title: "untouched", UpdatedAt: old})
	iid := s.AddIssue(proj, forge.Issue{Title: "retitle me", UpdatedAt: old})
	s.AddIssue(proj, forge.Issue{Title: "closed later", UpdatedAt: old})
	since := old.Add(time.Hour + 500*time.Millisecond)
	s.Edit(proj, iid, func(is *forge.Issue) { is.Title = "retitled"; is.UpdatedAt = since })
	s.Edit(proj, 3, func(is *forge.Issue) { is.Closed = true; is.UpdatedAt = since.Add(time.Minute) })
	// Within the second before since: GitLab's updated_after (to the second)
	// lists it, List drops it.
	s.Edit(proj, 1, func(is *forge.Issue) { is.UpdatedAt = since.Add(-time.Millisecond) })
	f := newForge(t, s, 0)

	got, _ := list(t, f, proj, forge.ListOptions{Since: since, All: true})
	if diff := cmp.Diff([]string{"closed later", "retitled"}, titles(got)); diff != "" {
		t.Errorf("issues (-want +got):\n%s", diff)
	}
	reqs := requests(s, "GET", "/api/v4/projects/"+escaped+"/issues")
	if q := reqs[len(reqs)-1]; q.Get("updated_after") != "2026-01-02T04:04:05Z" || q.Get("state") != "all" {
		t.Errorf("asked %v", q)
	}
}

func TestGetMapsEveryField(t *testing.T) {
	s := newFake(t)
	iid := s.AddIssue(proj, forge.Issue{
		Title: "Ship it", Body: "## Steps\n1. build", Labels: []string{"Doing", "P1"},
		Assignees: []string{"octo-bot", "alice"}, Milestone: "v1.2", Closed: true,
	})
	f := newForge(t, s, 0)

	got, err := f.Get(context.Background(), proj, iid)
	if err != nil {
		t.Fatal(err)
	}
	held, _ := s.Issue(proj, iid)
	want := forge.Issue{
		IID: iid, Title: "Ship it", Body: "## Steps\n1. build", Labels: []string{"Doing", "P1"},
		Assignees: []string{"octo-bot", "alice"}, Milestone: "v1.2", Closed: true,
		URL: s.URL() + "/group/sub/project/-/issues/1", UpdatedAt: held.UpdatedAt,
	}
	if diff := cmp.Diff(want, *got); diff != "" {
		t.Errorf("issue (-want +got):\n%s", diff)
	}
	if host := f.Host(); host != strings.TrimPrefix(s.URL(), "http://") || f.Kind() != "gitlab" {
		t.Errorf("Host %q Kind %q", host, f.Kind())
	}
}

func TestUpdateWritesOnlyWhatDiffersAndNothingTheSecondTime(t *testing.T) {
	s := newFake(t)
	iid := s.AddIssue(proj, forge.Issue{Title: "Fix login", Labels: []string{"To Do", "bug"}, Assignees: []string{"carol"}})
	f := newForge(t, s, 0)
	ctx := context.Background()

	claim := forge.Update{AddLabels: []string{"Doing"}, RemoveLabels: []string{"To Do"}, AddAssignees: []string{"octo-bot"}}
	wrote, err := f.Update(ctx, proj, iid, claim)
	if err != nil || !wrote {
		t.Fatalf("claim: wrote %v, %v", wrote, err)
	}
	got, _ := s.Issue(proj, iid)
	if diff := cmp.Diff([]string{"bug", "Doing"}, got.Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"carol", "octo-bot"}, got.Assignees); diff != "" {
		t.Errorf("assignees (-want +got):\n%s", diff)
	}
	puts := requests(s, "PUT", "/api/v4/projects/"+escaped+"/issues/1")
	if len(puts) != 1 {
		t.Fatalf("%d PUTs, want 1", len(puts))
	}
	body := s.Requests()[len(s.Requests())-1].Body
	for _, part := range []string{`"add_labels":"Doing"`, `"remove_labels":"To Do"`, `"assignee_ids":[`} {
		if !strings.Contains(body, part) {
			t.Errorf("PUT body %s lacks %s", body, part)
		}
	}

	writes := s.Writes()
	again := claim
	again.AddLabels = []string{"doing"} // GitLab matches labels without regard to case
	if wrote, err := f.Update(ctx, proj, iid, again); err != nil || wrote {
		t.Errorf("the same claim again: wrote %v, %v", wrote, err)
	}
	if s.Writes() != writes {
		t.Errorf("the same claim again made %d writes", s.Writes()-writes)
	}

	title, body2 := "Fix login on Safari", "steps"
	done := forge.Update{Title: &title, Body: &body2, AddLabels: []string{"Done"}, RemoveLabels: []string{"Doing"},
		RemoveAssignees: []string{"octo-bot"}, Close: true}
	if wrote, err := f.Update(ctx, proj, iid, done); err != nil || !wrote {
		t.Fatalf("done: wrote %v, %v", wrote, err)
	}
	got, _ = s.Issue(proj, iid)
	want := forge.Issue{IID: iid, Title: title, Body: body2, Labels: []string{"bug", "Done"}, Assignees: []string{"carol"},
		Closed: true, URL: got.URL, UpdatedAt: got.UpdatedAt}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after done (-want +got):\n%s", diff)
	}

	if wrote, err := f.Update(ctx, proj, iid, forge.Update{Reopen: true}); err != nil || !wrote {
		t.Fatalf("reopen: wrote %v, %v", wrote, err)
	}
	if got, _ := s.Issue(proj, iid); got.Closed {
		t.Error("still closed after a reopen")
	}
	if wrote, _ := f.Update(ctx, proj, iid, forge.Update{Reopen: true}); wrote {
		t.Error("reopened an open issue")
	}
}

func TestUpdateSkipsAUsernameGitLabDoesNotKnowAndLooksEachUpOnce(t *testing.T) {
	s := newFake(t)
	s.NoUser("ghost")
	a := s.AddIssue(proj, forge.Issue{Title: "a"})
	b := s.AddIssue(proj, forge.Issue{Title: "b"})
	f := newForge(t, s, 0)
	ctx := context.Background()

	if wrote, err := f.Update(ctx, proj, a, forge.Update{AddAssignees: []string{"ghost"}}); err != nil || wrote {
		t.Errorf("assigning an unknown user: wrote %v, %v", wrote, err)
	}
	for _, iid := range []int64{a, b} {
		if wrote, err := f.Update(ctx, proj, iid, forge.Update{AddAssignees: []string{"ghost", "octo-bot"}}); err != nil || !wrote {
			t.Errorf("issue %d: wrote %v, %v", iid, wrote, err)
		}
		if got, _ := s.Issue(proj, iid); !slices.Equal(got.Assignees, []string{"octo-bot"}) {
			t.Errorf("issue %d assignees %v", iid, got.Assignees)
		}
	}
	lookups := requests(s, "GET", "/api/v4/users")
	if len(lookups) != 2 {
		t.Errorf("%d user lookups, want one for each name: %v", len(lookups), lookups)
	}
}

func TestCommentsAreEveryPageOfPeoplesNotesOldestFirst(t *testing.T) {
	s := newFake(t)
	iid := s.AddIssue(proj, forge.Issue{Title: "chatty"})
	f := newForge(t, s, 0)
	ctx := context.Background()

	var want []string
	for i := range 130 {
		body := fmt.Sprintf("note %d", i)
		if err := f.Comment(ctx, proj, iid, body); err != nil {
			t.Fatal(err)
		}
		want = append(want, body)
		if i == 60 { // system notes in between: "added ~Doing label", "closed"
			if _, err := f.Update(ctx, proj, iid, forge.Update{AddLabels: []string{"Doing"}, Close: true}); err != nil {
				t.Fatal(err)
			}
		}
	}
	got, err := f.Comments(ctx, proj, iid)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("comments (-want +got):\n%s", diff)
	}
	if n := len(requests(s, "GET", "/api/v4/projects/"+escaped+"/issues/1/notes")); n != 2 {
		t.Errorf("%d note pages read, want 2", n)
	}
	if diff := cmp.Diff(want, s.Comments(proj, iid)); diff != "" {
		t.Errorf("the fake holds (-want +got):\n%s", diff)
	}
	if err := f.Comment(ctx, proj, iid, "  "); err == nil {
		t.Error("an empty comment was taken")
	}
}

func TestAGoneIssueIsAGoneErrorForEveryCall(t *testing.T) {
	s := newFake(t)
	iid := s.AddIssue(proj, forge.Issue{Title: "doomed"})
	s.Delete(proj, iid)
	f := newForge(t, s, 0)
	ctx := context.Background()

	_, getErr := f.Get(ctx, proj, iid)
	_, updErr := f.Update(ctx, proj, iid, forge.Update{Close: true})
	_, notesErr := f.Comments(ctx, proj, iid)
	for name, err := range map[string]error{
		"get": getErr, "update": updErr, "comments": notesErr,
		"comment": f.Comment(ctx, proj, iid, "hello"),
	} {
		var gone *forge.GoneError
		if !errors.As(err, &gone) || gone.Status != 404 {
			t.Errorf("%s: %v, want a GoneError with 404", name, err)
		}
	}
	err := f.List(ctx, "group/moved", forge.ListOptions{}, func([]forge.Issue) error { return nil })
	if !forge.IsGone(err) || !strings.Contains(err.Error(), "group/moved") {
		t.Errorf("listing a missing project: %v", err)
	}
}

func TestARefusedTokenNamesTheHostAndTheVariableButNeverTheToken(t *testing.T) {
	s := newFake(t)
	iid := s.AddIssue(proj, forge.Issue{Title: "x"})
	const wrong = "glpat-wrong-token-zyxwvut"
	f, err := gitlab.New(gitlab.Options{Host: s.URL(), Token: wrong, TokenVar: "GITLAB_TOKEN"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Get(context.Background(), proj, iid)
	var auth *forge.AuthError
	if !errors.As(err, &auth) || auth.Status != 401 {
		t.Fatalf("got %v, want an AuthError with 401", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "GITLAB_TOKEN") || !strings.Contains(msg, f.Host()) || strings.Contains(msg, wrong) {
		t.Errorf("message %q", msg)
	}
	if r := s.Requests()[0]; r.Auth != wrong {
		t.Errorf("the token went as %q, want it in PRIVATE-TOKEN", r.Auth)
	}

	good := newForge(t, s, 0)
	if _, err := good.Get(context.Background(), proj, iid); err != nil {
		t.Fatal(err)
	}
	if r := s.Requests()[1]; r.Auth != s.Token() {
		t.Errorf("the token went as %q", r.Auth)
	}
}

func TestFromEnvFindsTheHostAndTheToken(t *testing.T) {
	s := newFake(t)
	iid := s.AddIssue(proj, forge.Issue{Title: "x"})
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	_, err := gitlab.FromEnv(env(nil), "", 0)
	var auth *forge.AuthError
	if !errors.As(err, &auth) || auth.Variable != "GITLAB_TOKEN" || auth.Status != 0 || !strings.Contains(err.Error(), "GITLAB_TOKEN is not set") {
		t.Errorf("without a token: %v", err)
	}

	f, err := gitlab.FromEnv(env(map[string]string{"GITLAB_TOKEN": s.Token()}), "", 0)
	if err != nil || f.Host() != "gitlab.com" {
		t.Errorf("default host: %v, %v", f, err)
	}
	f, err = gitlab.FromEnv(env(map[string]string{"GITLAB_TOKEN": s.Token(), "GITLAB_HOST": "https://gitlab.example.com:8443"}), "", 0)
	if err != nil || f.Host() != "gitlab.example.com:8443" {
		t.Errorf("GITLAB_HOST: %v, %v", f, err)
	}
	f, err = gitlab.FromEnv(env(map[string]string{"GITLAB_TOKEN": s.Token() + "\n", "GITLAB_HOST": "https://gitlab.example.com"}), s.URL(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Get(context.Background(), proj, iid); err != nil {
		t.Errorf("the --host flag over GITLAB_HOST: %v", err)
	}

	for _, host := range []string{"ftp://gitlab.example.com", "https://", "http://gitlab.example.com/?x=1"} {
		if _, err := gitlab.New(gitlab.Options{Host: host, Token: "t"}); err == nil || !strings.Contains(err.Error(), "not an http(s) URL") {
			t.Errorf("host %q: %v", host, err)
		}
	}
}

func TestA5xxIsUnavailableAtOnceWithoutTheClientsOwnRetries(t *testing.T) {
	s := newFake(t)
	iid := s.AddIssue(proj, forge.Issue{Title: "x"})
	f := newForge(t, s, time.Minute)
	ctx := context.Background()

	s.Fail("GET", 1, 503, 0)
	_, err := f.Get(ctx, proj, iid)
	var un *forge.UnavailableError
	if !errors.As(err, &un) || un.Status != 503 || un.RetryAfter != 0 {
		t.Errorf("got %v, want unavailable with 503", err)
	}
	s.Fail("POST", 1, 502, 0)
	if err := f.Comment(ctx, proj, iid, "hi"); !forge.IsUnavailable(err) {
		t.Errorf("comment: %v", err)
	}
	if n := len(s.Requests()); n != 2 {
		t.Errorf("%d requests for two failures, want 2: the client retried", n)
	}
	if got := s.Comments(proj, iid); len(got) != 0 {
		t.Errorf("comments %v after a failed post", got)
	}
}

func TestARateLimitIsWaitedOutWithinTheBound(t *testing.T) {
	s := newFake(t)
	iid := s.AddIssue(proj, forge.Issue{Title: "x"})
	f := newForge(t, s, 5*time.Second)

	s.Fail("PUT", 1, 429, time.Second)
	wrote, err := f.Update(context.Background(), proj, iid, forge.Update{AddLabels: []string{"Doing"}})
	if err != nil || !wrote {
		t.Fatalf("wrote %v, %v", wrote, err)
	}
	puts := requests(s, "PUT", "/api/v4/projects/"+escaped+"/issues/1")
	if len(puts) != 2 || s.Writes() != 1 {
		t.Errorf("%d PUTs and %d writes, want 2 and 1", len(puts), s.Writes())
	}
	if got, _ := s.Issue(proj, iid); !slices.Equal(got.Labels, []string{"Doing"}) {
		t.Errorf("labels %v", got.Labels)
	}
}

func TestARateLimitPastTheBoundIsUnavailableWithTheWait(t *testing.T) {
	s := newFake(t)
	iid := s.AddIssue(proj, forge.Issue{Title: "x"})
	f := newForge(t, s, 0)

	s.Fail("GET", 1, 429, 30*time.Second)
	_, err := f.Get(context.Background(), proj, iid)
	var un *forge.UnavailableError
	if !errors.As(err, &un) || un.RetryAfter != 30*time.Second || un.Status != 429 {
		t.Fatalf("got %v, want unavailable with a 30s wait", err)
	}
	if !strings.Contains(err.Error(), "rate-limiting") {
		t.Errorf("message %q", err)
	}
	if n := len(s.Requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}

	s.Fail("GET", 1, 403, 30*time.Second) // GitLab's 403 with Retry-After is a rate limit, not a refused token
	if _, err := f.Get(context.Background(), proj, iid); !forge.IsUnavailable(err) {
		t.Errorf("403 with Retry-After: %v", err)
	}
}

func TestNoAnswerIsUnavailable(t *testing.T) {
	s := newFake(t)
	iid := s.AddIssue(proj, forge.Issue{Title: "x"})
	f := newForge(t, s, 0)

	s.Hang("GET", 1)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := f.Get(ctx, proj, iid)
	if !forge.IsUnavailable(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a hung request: %v", err)
	}

	s.Close()
	_, err = f.Get(context.Background(), proj, iid)
	var un *forge.UnavailableError
	if !errors.As(err, &un) || un.Status != 0 || !strings.Contains(err.Error(), "cannot reach "+f.Host()) {
		t.Errorf("a closed server: %v", err)
	}
}

func TestARequestGitLabWillNeverTakeIsAPlainError(t *testing.T) {
	s := newFake(t)
	iid := s.AddIssue(proj, forge.Issue{Title: "x"})
	f := newForge(t, s, 0)

	blank := ""
	_, err := f.Update(context.Background(), proj, iid, forge.Update{Title: &blank})
	if err == nil || forge.IsGone(err) || forge.IsAuth(err) || forge.IsUnavailable(err) {
		t.Fatalf("got %v", err)
	}
	if !strings.Contains(err.Error(), "refused the change to "+proj+"#1 (400)") || !strings.Contains(err.Error(), "can't be blank") {
		t.Errorf("message %q", err)
	}
	if got, _ := s.Issue(proj, iid); got.Title != "x" {
		t.Errorf("title %q", got.Title)
	}
}

// BenchmarkList1000Issues lists 1,000 issues (10 pages) from the fake: the
// adapter's share of an import.
func BenchmarkList1000Issues(b *testing.B) {
	s := gitlabfake.New()
	defer s.Close()
	for i := range 1000 {
		s.AddIssue(proj, forge.Issue{Title: fmt.Sprint("issue ", i), Body: "some text", Labels: []string{"bug", "P2"}})
	}
	f, err := gitlab.New(gitlab.Options{Host: s.URL(), Token: s.Token()})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		n := 0
		err := f.List(context.Background(), proj, forge.ListOptions{}, func(p []forge.Issue) error { n += len(p); return nil })
		if err != nil || n != 1000 {
			b.Fatalf("%d issues, %v", n, err)
		}
	}
}
