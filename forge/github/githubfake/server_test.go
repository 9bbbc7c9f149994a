package githubfake_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agent-backlog/backlog/forge"
	"github.com/agent-backlog/backlog/forge/github/githubfake"
)

type client struct {
	t *testing.T
	s *githubfake.Server
}

// do sends a request with the server's token (or tok when given) and
// decodes the JSON answer into out when out is not nil.
func (c client) do(method, path, body string, out any, tok ...string) *http.Response {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.s.URL()+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	token := c.s.Token()
	if len(tok) > 0 {
		token = tok[0]
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			c.t.Fatalf("%s %s: %v in %s", method, path, err, data)
		}
	}
	return resp
}

type item struct {
	Number      int64  `json:"number"`
	Title       string `json:"title"`
	State       string `json:"state"`
	HTMLURL     string `json:"html_url"`
	PullRequest *struct {
		URL string `json:"url"`
	} `json:"pull_request"`
	Labels []struct {
		Name string `json:"name"`
	} `json:"labels"`
	Assignee *struct {
		Login string `json:"login"`
	} `json:"assignee"`
	Assignees []struct {
		Login string `json:"login"`
	} `json:"assignees"`
	Milestone *struct {
		Number int    `json:"number"`
		Title  string `json:"title"`
	} `json:"milestone"`
	Body *string `json:"body"`
}

func numbers(items []item) []int64 {
	var out []int64
	for _, i := range items {
		out = append(out, i.Number)
	}
	return out
}

// links reads a Link header into the page number of each rel.
func links(h string) map[string]string {
	out := map[string]string{}
	for _, part := range strings.Split(h, ",") {
		target, rel, ok := strings.Cut(strings.TrimSpace(part), ">; rel=")
		if !ok {
			continue
		}
		u, err := url.Parse(strings.TrimPrefix(target, "<"))
		if err == nil {
			out[strings.Trim(rel, `"`)] = u.Query().Get("page")
		}
	}
	return out
}

func newServer(t *testing.T) (*githubfake.Server, client) {
	s := githubfake.New()
	t.Cleanup(s.Close)
	return s, client{t, s}
}

func TestListingAPageAtATimeLinksTheNextAndLastPages(t *testing.T) {
	s, c := newServer(t)
	for n := 1; n <= 65; n++ {
		s.AddIssue("o/r", forge.Issue{Title: fmt.Sprintf("issue %d", n)})
	}
	for _, prefix := range []string{"", "/api/v3"} {
		var first []item
		resp := c.do("GET", prefix+"/repos/o/r/issues", "", &first)
		if len(first) != 30 || first[0].Number != 65 {
			t.Fatalf("%q: first page has %d issues starting at %v, want 30 newest first", prefix, len(first), numbers(first))
		}
		link := resp.Header.Get("Link")
		if l := links(link); l["next"] != "2" || l["last"] != "3" || l["prev"] != "" || !strings.Contains(link, s.URL()+prefix+"/repos/o/r/issues?") {
			t.Fatalf("%q: Link = %s", prefix, link)
		}
		var last []item
		resp = c.do("GET", prefix+"/repos/o/r/issues?page=3", "", &last)
		if l := links(resp.Header.Get("Link")); len(last) != 5 || l["next"] != "" || l["prev"] != "2" || l["first"] != "1" {
			t.Fatalf("%q: last page has %d issues, Link %s", prefix, len(last), resp.Header.Get("Link"))
		}
	}
	var big []item
	c.do("GET", "/repos/o/r/issues?per_page=500", "", &big)
	if len(big) != 65 {
		t.Fatalf("per_page=500 gave %d issues, want all 65 (at most 100 a page)", len(big))
	}
}

func TestIssueListsCarryPullRequestsMarkedAsSuch(t *testing.T) {
	s, c := newServer(t)
	s.AddIssue("o/r", forge.Issue{Title: "an issue"})
	pr := s.AddPullRequest("o/r", "a change")
	var got []item
	c.do("GET", "/repos/o/r/issues", "", &got)
	if len(got) != 2 || got[0].Number != pr || got[0].PullRequest == nil || got[1].PullRequest != nil {
		t.Fatalf("got %+v, want the pull request first with pull_request set", got)
	}
	if !strings.HasSuffix(got[0].HTMLURL, "/o/r/pull/2") || got[1].HTMLURL != s.URL()+"/o/r/issues/1" {
		t.Fatalf("html_url %s and %s", got[0].HTMLURL, got[1].HTMLURL)
	}
	if _, ok := s.Issue("o/r", pr); ok {
		t.Fatal("Issue returned a pull request")
	}
}

func TestListFiltersByStateLabelsAndSince(t *testing.T) {
	s, c := newServer(t)
	old := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	s.AddIssue("o/r", forge.Issue{Title: "old bug", Labels: []string{"Bug"}, UpdatedAt: old})
	s.AddIssue("o/r", forge.Issue{Title: "closed bug", Labels: []string{"bug", "ui"}, Closed: true, UpdatedAt: old.Add(time.Hour)})
	s.AddIssue("o/r", forge.Issue{Title: "new ui bug", Labels: []string{"bug", "UI"}, UpdatedAt: old.Add(2 * time.Hour)})
	cases := []struct {
		name, query string
		want        []int64
	}{
		{"open is the default state", "", []int64{3, 1}},
		{"closed only", "?state=closed", []int64{2}},
		{"all states", "?state=all", []int64{3, 2, 1}},
		{"every label named, without case", "?state=all&labels=bug,ui", []int64{3, 2}},
		{"since is inclusive", "?state=all&since=2024-01-01T01:00:00Z", []int64{3, 2}},
		{"oldest first", "?state=all&direction=asc", []int64{1, 2, 3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []item
			c.do("GET", "/repos/o/r/issues"+tc.query, "", &got)
			if fmt.Sprint(numbers(got)) != fmt.Sprint(tc.want) {
				t.Fatalf("got %v, want %v", numbers(got), tc.want)
			}
		})
	}
	if resp := c.do("GET", "/repos/o/r/issues?state=bogus", "", nil); resp.StatusCode != 422 {
		t.Fatalf("state=bogus answered %d, want 422", resp.StatusCode)
	}
	if resp := c.do("GET", "/repos/o/missing/issues", "", nil); resp.StatusCode != 404 {
		t.Fatalf("an unknown repository answered %d, want 404", resp.StatusCode)
	}
}

func TestSearchReadsQualifiersAndFreeWords(t *testing.T) {
	s, c := newServer(t)
	s.AddIssue("o/r", forge.Issue{Title: "Login fails", Body: "on Safari", Labels: []string{"needs review", "bug"}})
	s.AddIssue("o/r", forge.Issue{Title: "Logout", Labels: []string{"bug"}, Closed: true})
	s.AddPullRequest("o/r", "Fix login")
	s.AddIssue("o/other", forge.Issue{Title: "login elsewhere"})
	cases := []struct {
		q    string
		want []int64
	}{
		{`repo:o/r is:issue is:open login`, []int64{1}},
		{`repo:o/r is:issue LOGIN`, []int64{1}},
		{`repo:o/r is:issue label:"needs review"`, []int64{1}},
		{`repo:o/r is:issue label:bug is:closed`, []int64{2}},
		{`repo:o/r is:issue label:bug -label:"needs review"`, []int64{2}},
		{`repo:o/r safari`, []int64{1}},
		{`repo:o/r is:pr`, []int64{3}},
		{`repo:o/r "login fails"`, []int64{1}},
		{`repo:o/r is:issue nothing-like-this`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.q, func(t *testing.T) {
			var got struct {
				Total int    `json:"total_count"`
				Items []item `json:"items"`
			}
			c.do("GET", "/api/v3/search/issues?q="+url.QueryEscape(tc.q), "", &got)
			if fmt.Sprint(numbers(got.Items)) != fmt.Sprint(tc.want) || got.Total != len(tc.want) {
				t.Fatalf("got %v (total %d), want %v", numbers(got.Items), got.Total, tc.want)
			}
		})
	}
	if resp := c.do("GET", "/search/issues", "", nil); resp.StatusCode != 422 {
		t.Fatalf("a search without q answered %d, want 422", resp.StatusCode)
	}
}

func TestSearchResultsArePaginated(t *testing.T) {
	s, c := newServer(t)
	for n := 0; n < 7; n++ {
		s.AddIssue("o/r", forge.Issue{Title: "match"})
	}
	var got struct {
		Total int    `json:"total_count"`
		Items []item `json:"items"`
	}
	resp := c.do("GET", "/search/issues?per_page=3&page=2&q=match", "", &got)
	if l := links(resp.Header.Get("Link")); got.Total != 7 || len(got.Items) != 3 || l["next"] != "3" || l["last"] != "3" {
		t.Fatalf("total %d, %d items, Link %s", got.Total, len(got.Items), resp.Header.Get("Link"))
	}
}

func TestAWrongTokenIsRefusedWithGitHubsMessage(t *testing.T) {
	s, c := newServer(t)
	s.AddIssue("o/r", forge.Issue{Title: "x"})
	var got struct{ Message string }
	resp := c.do("GET", "/repos/o/r/issues/1", "", &got, "wrong")
	if resp.StatusCode != 401 || got.Message != "Bad credentials" {
		t.Fatalf("answered %d %q, want 401 Bad credentials", resp.StatusCode, got.Message)
	}
	if r := s.Requests(); len(r) != 1 || r[0].Auth != "Bearer wrong" || r[0].Status != 401 {
		t.Fatalf("recorded %+v", r)
	}
}

func TestADeletedIssueAnswers404Everywhere(t *testing.T) {
	s, c := newServer(t)
	n := s.AddIssue("o/r", forge.Issue{Title: "x"})
	s.Delete("o/r", n)
	for _, r := range []struct{ method, path, body string }{
		{"GET", "/repos/o/r/issues/1", ""},
		{"PATCH", "/repos/o/r/issues/1", `{"title":"y"}`},
		{"POST", "/repos/o/r/issues/1/comments", `{"body":"hi"}`},
		{"GET", "/repos/o/r/issues/1/comments", ""},
		{"POST", "/repos/o/r/issues/1/labels", `{"labels":["a"]}`},
	} {
		if resp := c.do(r.method, r.path, r.body, nil); resp.StatusCode != 404 {
			t.Errorf("%s %s answered %d, want 404", r.method, r.path, resp.StatusCode)
		}
	}
	if s.Writes() != 0 {
		t.Fatalf("Writes = %d after refused writes", s.Writes())
	}
}

func TestPatchChangesAnIssueAndBadInputChangesNothing(t *testing.T) {
	s, c := newServer(t)
	n := s.AddIssue("o/r", forge.Issue{Title: "x", Labels: []string{"a"}, Milestone: "v1"})
	s.AddIssue("o/r", forge.Issue{Title: "y", Milestone: "v2"})
	var got item
	resp := c.do("PATCH", "/repos/o/r/issues/1", `{"title":"new","body":"text","state":"closed","labels":["b",{"name":"c"}],"assignees":["ann","bob"],"milestone":2}`, &got)
	if resp.StatusCode != 200 || got.Title != "new" || got.State != "closed" || *got.Body != "text" ||
		len(got.Labels) != 2 || got.Assignee.Login != "ann" || len(got.Assignees) != 2 || got.Milestone.Title != "v2" {
		t.Fatalf("answered %d %+v", resp.StatusCode, got)
	}
	iss, _ := s.Issue("o/r", n)
	if !iss.Closed || iss.Milestone != "v2" || fmt.Sprint(iss.Labels) != "[b c]" || fmt.Sprint(iss.Assignees) != "[ann bob]" {
		t.Fatalf("server holds %+v", iss)
	}
	for _, body := range []string{`{"state":"gone"}`, `{"milestone":9}`, `{"title":"z","labels":7}`, `not json`} {
		if resp := c.do("PATCH", "/repos/o/r/issues/1", body, nil); resp.StatusCode/100 != 4 {
			t.Errorf("%s answered %d, want 4xx", body, resp.StatusCode)
		}
	}
	if after, _ := s.Issue("o/r", n); after.Title != "new" || !after.Closed {
		t.Fatalf("a refused PATCH changed the issue: %+v", after)
	}
	if c.do("PATCH", "/repos/o/r/issues/1", `{"body":null,"milestone":null,"assignee":null}`, &got); got.Body != nil || got.Milestone != nil || got.Assignee != nil {
		t.Fatalf("nulls did not clear: %+v", got)
	}
	if s.Writes() != 2 {
		t.Fatalf("Writes = %d, want 2", s.Writes())
	}
}

func TestLabelAndAssigneeRoutesAddAndRemove(t *testing.T) {
	s, c := newServer(t)
	n := s.AddIssue("o/r", forge.Issue{Title: "x", Labels: []string{"To Do"}})
	c.do("POST", "/repos/o/r/issues/1/labels", `{"labels":["Doing","priority/P1"]}`, nil)
	if resp := c.do("DELETE", "/repos/o/r/issues/1/labels/To%20Do", "", nil); resp.StatusCode != 200 {
		t.Fatalf("DELETE label answered %d", resp.StatusCode)
	}
	if resp := c.do("DELETE", "/repos/o/r/issues/1/labels/priority%2FP1", "", nil); resp.StatusCode != 200 {
		t.Fatalf("DELETE of a label with a slash answered %d", resp.StatusCode)
	}
	if resp := c.do("DELETE", "/repos/o/r/issues/1/labels/nope", "", nil); resp.StatusCode != 404 {
		t.Fatalf("DELETE of a label the issue lacks answered %d, want 404", resp.StatusCode)
	}
	if resp := c.do("POST", "/repos/o/r/issues/1/assignees", `{"assignees":["ann","bob"]}`, nil); resp.StatusCode != 201 {
		t.Fatalf("POST assignees answered %d", resp.StatusCode)
	}
	c.do("DELETE", "/repos/o/r/issues/1/assignees", `{"assignees":["ann"]}`, nil)
	iss, _ := s.Issue("o/r", n)
	if fmt.Sprint(iss.Labels) != "[Doing]" || fmt.Sprint(iss.Assignees) != "[bob]" {
		t.Fatalf("labels %v, assignees %v", iss.Labels, iss.Assignees)
	}
	if s.Writes() != 5 {
		t.Fatalf("Writes = %d, want 5 (the refused DELETE not counted)", s.Writes())
	}
}

func TestCommentsArePostedAndListedOldestFirstByPage(t *testing.T) {
	s, c := newServer(t)
	n := s.AddIssue("o/r", forge.Issue{Title: "x"})
	for k := 0; k < 35; k++ {
		if resp := c.do("POST", "/repos/o/r/issues/1/comments", fmt.Sprintf(`{"body":"c%d"}`, k), nil); resp.StatusCode != 201 {
			t.Fatalf("POST comment answered %d", resp.StatusCode)
		}
	}
	var page []struct {
		Body string
		User struct{ Login string }
	}
	resp := c.do("GET", "/repos/o/r/issues/1/comments?page=2", "", &page)
	if len(page) != 5 || page[0].Body != "c30" || page[0].User.Login != githubfake.Login || links(resp.Header.Get("Link"))["prev"] != "1" {
		t.Fatalf("second page %+v, Link %s", page, resp.Header.Get("Link"))
	}
	if got := s.Comments("o/r", n); len(got) != 35 || got[0] != "c0" {
		t.Fatalf("Comments = %v", got)
	}
	if resp := c.do("POST", "/repos/o/r/issues/1/comments", `{"body":""}`, nil); resp.StatusCode != 422 {
		t.Fatalf("an empty comment answered %d, want 422", resp.StatusCode)
	}
}

func TestInjectedFailuresAnswerOnceThenTheServerRecovers(t *testing.T) {
	s, c := newServer(t)
	s.AddIssue("o/r", forge.Issue{Title: "x"})
	s.Fail("PATCH", 1, 429, 1500*time.Millisecond)
	s.Fail("", 1, 503, 0)
	resp := c.do("GET", "/repos/o/r/issues/1", "", nil)
	if resp.StatusCode != 503 {
		t.Fatalf("first GET answered %d, want the injected 503", resp.StatusCode)
	}
	if resp := c.do("GET", "/repos/o/r/issues/1", "", nil); resp.StatusCode != 200 {
		t.Fatalf("second GET answered %d", resp.StatusCode)
	}
	resp = c.do("PATCH", "/repos/o/r/issues/1", `{"title":"y"}`, nil)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" {
		t.Fatalf("PATCH answered %d Retry-After %q, want 429 and 2", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	var statuses []int
	for _, r := range s.Requests() {
		statuses = append(statuses, r.Status)
	}
	if fmt.Sprint(statuses) != "[503 200 429]" || s.Writes() != 0 {
		t.Fatalf("statuses %v, writes %d", statuses, s.Writes())
	}
}

func TestAHangingRequestAnswersNothingUntilTheClientGivesUp(t *testing.T) {
	s, c := newServer(t)
	s.AddIssue("o/r", forge.Issue{Title: "x"})
	s.Hang("GET", 1)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL()+"/repos/o/r/issues/1", nil)
	req.Header.Set("Authorization", "Bearer "+s.Token())
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("a hanging request answered %d", resp.StatusCode)
	}
	if resp := c.do("GET", "/repos/o/r/issues/1", "", nil); resp.StatusCode != 200 {
		t.Fatalf("the next request answered %d", resp.StatusCode)
	}
	if r := s.Requests(); len(r) != 2 || r[0].Status != 0 {
		t.Fatalf("recorded %+v", r)
	}
}

func TestCloseDoesNotWaitForAHangingRequest(t *testing.T) {
	s := githubfake.New()
	s.Hang("", 1)
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest("GET", s.URL()+"/repos/o/r/issues", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	for len(s.Requests()) == 0 {
		time.Sleep(time.Millisecond)
	}
	s.Close()
	if err := <-done; err == nil {
		t.Fatal("the hanging request got an answer")
	}
}

func TestConcurrentWritesAreAllKept(t *testing.T) {
	s, c := newServer(t)
	n := s.AddIssue("o/r", forge.Issue{Title: "x"})
	var wg sync.WaitGroup
	for k := 0; k < 20; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", s.URL()+"/api/v3/repos/o/r/issues/1/comments", strings.NewReader(fmt.Sprintf(`{"body":"c%d"}`, k)))
			req.Header.Set("Authorization", "token "+s.Token())
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
		}()
	}
	wg.Wait()
	if got := len(s.Comments("o/r", n)); got != 20 || s.Writes() != 20 {
		t.Fatalf("%d comments, %d writes, want 20 of each", got, s.Writes())
	}
	_ = c
}

func TestEditBumpsUpdatedAtFromTheServersClock(t *testing.T) {
	s, _ := newServer(t)
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return at })
	n := s.AddIssue("o/r", forge.Issue{Title: "x"})
	at = at.Add(time.Hour)
	s.Edit("o/r", n, func(i *forge.Issue) { i.Title = "y"; i.Closed = true })
	got, _ := s.Issue("o/r", n)
	if got.Title != "y" || !got.Closed || !got.UpdatedAt.Equal(at) {
		t.Fatalf("after Edit: %+v", got)
	}
}
