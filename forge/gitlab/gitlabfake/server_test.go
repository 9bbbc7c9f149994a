package gitlabfake_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agent-backlog/backlog/forge"
	"github.com/agent-backlog/backlog/forge/gitlab/gitlabfake"
)

const proj = "group/sub/project"

type answer struct {
	status int
	header http.Header
	body   string
}

// call sends one request with the fake's token (unless header overrides
// it) and reads the whole answer.
func call(t *testing.T, s *gitlabfake.Server, method, path, contentType, body string, header ...string) answer {
	t.Helper()
	a, err := send(s, method, path, contentType, body, header...)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func send(s *gitlabfake.Server, method, path, contentType, body string, header ...string) (answer, error) {
	req, err := http.NewRequest(method, s.URL()+path, strings.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("PRIVATE-TOKEN", s.Token())
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Del("PRIVATE-TOKEN")
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(b)}, err
}

func decode[T any](t *testing.T, a answer) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(a.body), &v); err != nil {
		t.Fatalf("%d %s: %v", a.status, a.body, err)
	}
	return v
}

func newServer(t *testing.T) *gitlabfake.Server {
	t.Helper()
	s := gitlabfake.New()
	t.Cleanup(s.Close)
	return s
}

func TestATokenOtherThanTheFakesGets401(t *testing.T) {
	s := newServer(t)
	s.AddIssue(proj, forge.Issue{Title: "x"})
	path := "/api/v4/projects/group%2Fsub%2Fproject/issues/1"

	for _, h := range [][]string{{"PRIVATE-TOKEN", "glpat-other"}, {"X-None", "x"}} {
		a := call(t, s, "GET", path, "", "", h...)
		if a.status != 401 || a.body != `{"message":"401 Unauthorized"}` {
			t.Errorf("with %v: %d %s", h, a.status, a.body)
		}
	}
	if a := call(t, s, "GET", path, "", "", "Authorization", "Bearer "+s.Token()); a.status != 200 {
		t.Errorf("a bearer token: %d %s", a.status, a.body)
	}
	reqs := s.Requests()
	if len(reqs) != 3 || reqs[0].Path != path || reqs[0].Auth != "glpat-other" || reqs[0].Status != 401 {
		t.Errorf("recorded %+v", reqs)
	}
}

func TestIssueListsPageAsGitLabDoes(t *testing.T) {
	s := newServer(t)
	for i := range 45 {
		s.AddIssue(proj, forge.Issue{Title: fmt.Sprint("issue ", i+1)})
	}
	s.AddPullRequest(proj, "an MR")
	id := s.AddProject(proj)

	first := call(t, s, "GET", "/api/v4/projects/group%2Fsub%2Fproject/issues", "", "")
	for k, want := range map[string]string{"X-Page": "1", "X-Per-Page": "20", "X-Total": "45", "X-Total-Pages": "3", "X-Next-Page": "2", "X-Prev-Page": ""} {
		if got := first.header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if link := first.header.Get("Link"); !strings.Contains(link, `page=2&per_page=20>; rel="next"`) || !strings.Contains(link, `rel="last"`) {
		t.Errorf("Link %q", link)
	}
	issues := decode[[]map[string]any](t, first)
	if len(issues) != 20 || issues[0]["iid"] != 45.0 || issues[0]["state"] != "opened" {
		t.Errorf("first page starts with %v, want the newest of 20", issues[0])
	}

	last := call(t, s, "GET", fmt.Sprintf("/api/v4/projects/%d/issues?page=3&per_page=20", id), "", "")
	if got := decode[[]map[string]any](t, last); len(got) != 5 || last.header.Get("X-Next-Page") != "" || last.header.Get("X-Prev-Page") != "2" {
		t.Errorf("last page by numeric id: %d issues, headers %v", len(got), last.header)
	}
	big := call(t, s, "GET", "/api/v4/projects/group%2Fsub%2Fproject/issues?per_page=500", "", "")
	if got := decode[[]map[string]any](t, big); len(got) != 45 || big.header.Get("X-Per-Page") != "100" {
		t.Errorf("per_page=500: %d issues, X-Per-Page %q", len(got), big.header.Get("X-Per-Page"))
	}
	for _, is := range decode[[]map[string]any](t, big) {
		if strings.Contains(is["title"].(string), "MR") {
			t.Errorf("a merge request among issues: %v", is)
		}
	}
	mrs := decode[[]map[string]any](t, call(t, s, "GET", "/api/v4/projects/group%2Fsub%2Fproject/merge_requests", "", ""))
	if len(mrs) != 1 || mrs[0]["iid"] != 1.0 {
		t.Errorf("merge requests %v", mrs)
	}
	if a := call(t, s, "GET", "/api/v4/projects/group%2Fnope/issues", "", ""); a.status != 404 || a.body != `{"message":"404 Project Not Found"}` {
		t.Errorf("a missing project: %d %s", a.status, a.body)
	}
}

func TestIssueListsFilterByStateLabelsSearchAndTime(t *testing.T) {
	s := newServer(t)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s.AddIssue(proj, forge.Issue{Title: "Crash on start", Labels: []string{"bug", "P1"}, UpdatedAt: t0})
	s.AddIssue(proj, forge.Issue{Title: "Docs", Body: "explain the crash", Labels: []string{"docs"}, UpdatedAt: t0.Add(time.Hour)})
	s.AddIssue(proj, forge.Issue{Title: "Old bug", Labels: []string{"Bug"}, Closed: true, UpdatedAt: t0.Add(2 * time.Hour)})

	for query, want := range map[string][]string{
		"state=opened":                       {"Docs", "Crash on start"},
		"state=closed":                       {"Old bug"},
		"labels=bug":                         {"Old bug", "Crash on start"},
		"labels=bug%2CP1":                    {"Crash on start"},
		"labels=None":                        nil,
		"search=CRASH":                       {"Docs", "Crash on start"},
		"search=crash&in=title":              {"Crash on start"},
		"updated_after=2026-03-01T13:00:00Z": {"Old bug", "Docs"},
		"order_by=updated_at&sort=asc":       {"Crash on start", "Docs", "Old bug"},
	} {
		a := call(t, s, "GET", "/api/v4/projects/group%2Fsub%2Fproject/issues?"+query, "", "")
		var got []string
		for _, is := range decode[[]map[string]any](t, a) {
			got = append(got, is["title"].(string))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", query, got, want)
		}
	}
	if a := call(t, s, "GET", "/api/v4/projects/group%2Fsub%2Fproject/issues?updated_after=yesterday", "", ""); a.status != 400 {
		t.Errorf("a bad time: %d %s", a.status, a.body)
	}
}

func TestAPutTakesLabelsAsACommaStringOrAListAndChangesNothingWhenAValueIsBad(t *testing.T) {
	s := newServer(t)
	iid := s.AddIssue(proj, forge.Issue{Title: "x", Labels: []string{"a"}, Assignees: []string{"carol"}, Milestone: "v1"})
	path := "/api/v4/projects/group%2Fsub%2Fproject/issues/1"
	form := "application/x-www-form-urlencoded"

	if a := call(t, s, "PUT", path, form, "labels=b,c&state_event=close"); a.status != 200 {
		t.Fatalf("%d %s", a.status, a.body)
	}
	if got, _ := s.Issue(proj, iid); !slices.Equal(got.Labels, []string{"b", "c"}) || !got.Closed {
		t.Errorf("after the form PUT: %+v", got)
	}
	a := call(t, s, "PUT", path, "application/json", `{"add_labels":["d"],"remove_labels":"B","assignee_ids":[0],"milestone_id":null,"state_event":"reopen"}`)
	if a.status != 200 {
		t.Fatalf("%d %s", a.status, a.body)
	}
	got, _ := s.Issue(proj, iid)
	if !slices.Equal(got.Labels, []string{"c", "d"}) || len(got.Assignees) != 0 || got.Milestone != "" || got.Closed {
		t.Errorf("after the JSON PUT: %+v", got)
	}
	if is := decode[map[string]any](t, a); is["web_url"] != s.URL()+"/group/sub/project/-/issues/1" || is["assignee"] != nil {
		t.Errorf("answered %v", is)
	}

	writes := s.Writes()
	for body, want := range map[string]int{
		`{"labels":"x","state_event":"shut"}`: 400,
		`{"title":"  ","labels":"x"}`:         400,
		`{"confidential":true}`:               400,
	} {
		if a := call(t, s, "PUT", path, "application/json", body); a.status != want {
			t.Errorf("%s: %d %s", body, a.status, a.body)
		}
	}
	if after, _ := s.Issue(proj, iid); !slices.Equal(after.Labels, got.Labels) || after.Title != "x" || s.Writes() != writes {
		t.Errorf("a refused PUT changed %+v or counted a write", after)
	}
}

func TestNotesArePeoplesAndSystemOnesNewestFirstByDefault(t *testing.T) {
	s := newServer(t)
	iid := s.AddIssue(proj, forge.Issue{Title: "x"})
	path := "/api/v4/projects/group%2Fsub%2Fproject/issues/1/notes"

	if a := call(t, s, "POST", path, "application/json", `{"body":"first"}`); a.status != 201 {
		t.Fatalf("%d %s", a.status, a.body)
	}
	s.Edit(proj, iid, func(is *forge.Issue) { is.Labels = []string{"Doing"} })
	call(t, s, "POST", path, "application/x-www-form-urlencoded", "body=second")
	if a := call(t, s, "POST", path, "application/json", `{"body":""}`); a.status != 400 {
		t.Errorf("an empty note: %d", a.status)
	}

	var got []string
	for _, n := range decode[[]map[string]any](t, call(t, s, "GET", path, "", "")) {
		got = append(got, fmt.Sprintf("%v %v", n["system"], n["body"]))
	}
	want := []string{"false second", "true added ~Doing label", "false first"}
	if !slices.Equal(got, want) {
		t.Errorf("notes %q, want %q", got, want)
	}
	if c := s.Comments(proj, iid); !slices.Equal(c, []string{"first", "second"}) {
		t.Errorf("Comments %q", c)
	}
	if s.Writes() != 2 {
		t.Errorf("%d writes, want 2", s.Writes())
	}
}

func TestUsersAreFoundByUsernameUnlessNamedUnknown(t *testing.T) {
	s := newServer(t)
	s.NoUser("ghost")
	for name, want := range map[string]int{"octo-bot": 1, "ghost": 0} {
		a := call(t, s, "GET", "/api/v4/users?username="+url.QueryEscape(name), "", "")
		users := decode[[]map[string]any](t, a)
		if len(users) != want || (want == 1 && users[0]["username"] != name) {
			t.Errorf("%s: %v", name, users)
		}
	}
}

func TestADeletedIssueIs404Everywhere(t *testing.T) {
	s := newServer(t)
	iid := s.AddIssue(proj, forge.Issue{Title: "x"})
	s.Delete(proj, iid)
	for _, r := range []struct{ method, path string }{
		{"GET", "/api/v4/projects/group%2Fsub%2Fproject/issues/1"},
		{"PUT", "/api/v4/projects/group%2Fsub%2Fproject/issues/1"},
		{"GET", "/api/v4/projects/group%2Fsub%2Fproject/issues/1/notes"},
		{"POST", "/api/v4/projects/group%2Fsub%2Fproject/issues/1/notes"},
	} {
		if a := call(t, s, r.method, r.path, "application/json", `{"title":"y","body":"z"}`); a.status != 404 {
			t.Errorf("%s %s: %d", r.method, r.path, a.status)
		}
	}
	if _, ok := s.Issue(proj, iid); ok {
		t.Error("Issue still finds it")
	}
	if s.Writes() != 0 {
		t.Errorf("%d writes", s.Writes())
	}
}

func TestFailuresAnswerTheStatusForTheMethodNamed(t *testing.T) {
	s := newServer(t)
	s.AddIssue(proj, forge.Issue{Title: "x"})
	path := "/api/v4/projects/group%2Fsub%2Fproject/issues/1"
	s.Fail("PUT", 1, 429, 2*time.Second)
	s.Fail("", 1, 503, 0)

	if a := call(t, s, "GET", path, "", ""); a.status != 503 {
		t.Errorf("GET: %d", a.status)
	}
	a := call(t, s, "PUT", path, "application/json", `{"title":"y"}`)
	if a.status != 429 || a.header.Get("Retry-After") != "2" {
		t.Errorf("PUT: %d, Retry-After %q", a.status, a.header.Get("Retry-After"))
	}
	if a := call(t, s, "PUT", path, "application/json", `{"title":"y"}`); a.status != 200 || s.Writes() != 1 {
		t.Errorf("then: %d, %d writes", a.status, s.Writes())
	}
}

func TestAHungRequestEndsWhenTheServerCloses(t *testing.T) {
	s := gitlabfake.New()
	s.AddIssue(proj, forge.Issue{Title: "x"})
	s.Hang("GET", 1)
	done := make(chan error, 1)
	go func() {
		_, err := http.Get(s.URL() + "/api/v4/projects/group%2Fsub%2Fproject/issues/1")
		done <- err
	}()
	for len(s.Requests()) == 0 {
		time.Sleep(time.Millisecond)
	}
	s.Close()
	if err := <-done; err == nil {
		t.Error("the hung request got an answer")
	}
	if r := s.Requests(); r[0].Status != 0 {
		t.Errorf("recorded status %d", r[0].Status)
	}
}

func TestConcurrentChangesAreEachKept(t *testing.T) {
	s := newServer(t)
	iid := s.AddIssue(proj, forge.Issue{Title: "x"})
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if _, err := send(s, "PUT", "/api/v4/projects/group%2Fsub%2Fproject/issues/1", "application/json", fmt.Sprintf(`{"add_labels":"l%d"}`, i)); err != nil {
				t.Error(err)
			}
			if _, err := send(s, "POST", "/api/v4/projects/group%2Fsub%2Fproject/issues/1/notes", "application/json", `{"body":"hi"}`); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, _ := s.Issue(proj, iid)
	if len(got.Labels) != 20 || len(s.Comments(proj, iid)) != 20 || s.Writes() != 40 || len(s.Requests()) != 40 {
		t.Errorf("%d labels, %d comments, %d writes, %d requests", len(got.Labels), len(s.Comments(proj, iid)), s.Writes(), len(s.Requests()))
	}
}
