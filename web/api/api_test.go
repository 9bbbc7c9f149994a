package api

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/memstore"
)

// now is the fixed clock of the tests.
var now = time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)

// fixture is the API over an in-memory store.
type fixture struct {
	t  *testing.T
	st store.Store
	h  *handler
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := memstore.New()
	h := Handler(Deps{Engine: func(ctx context.Context, agent string) (*engine.Engine, error) {
		return engine.New(st, engine.Options{Agent: agent, Clock: func() time.Time { return now }}), nil
	}}).(*handler)
	return &fixture{t: t, st: st, h: h}
}

// answer is a response, read whole.
type answer struct {
	status int
	header http.Header
	body   string
}

// json decodes the body into a map.
func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(a.body), &m); err != nil {
		t.Fatalf("the answer is not a JSON object: %v: %q", err, a.body)
	}
	return m
}

// do sends a request to the handler; a body is sent as JSON.
func (f *fixture) do(method, path, body string, header ...string) answer {
	f.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, path, rd)
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return answer{w.Code, w.Header(), w.Body.String()}
}

// must sends a request that must succeed with status.
func (f *fixture) must(status int, method, path, body string) map[string]any {
	f.t.Helper()
	a := f.do(method, path, body)
	if a.status != status {
		f.t.Fatalf("%s %s: status %d, want %d: %s", method, path, a.status, status, a.body)
	}
	if ct := a.header.Get("Content-Type"); ct != "application/json" {
		f.t.Fatalf("%s %s: Content-Type %q, want application/json", method, path, ct)
	}
	if strings.Contains(a.body, "\n ") || strings.Count(a.body, "\n") != 1 {
		f.t.Fatalf("%s %s: the answer is not one line of compact JSON: %q", method, path, a.body)
	}
	return a.json(f.t)
}

// task is the "task" member of an answer.
func task(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	tk, ok := m["task"].(map[string]any)
	if !ok {
		t.Fatalf("the answer has no task: %v", m)
	}
	return tk
}

func TestEachTaskRouteRunsItsCommandAndAnswersInTheToolsShape(t *testing.T) {
	f := newFixture(t)

	a := f.do("POST", "/api/v1/tasks", `{"description":"Fix login","project":"web","tags":["bug"],"priority":"H","due":"2026-03-10"}`)
	if a.status != http.StatusCreated || a.header.Get("Location") != "/api/v1/tasks/1" {
		t.Fatalf("add: %d, Location %q: %s", a.status, a.header.Get("Location"), a.body)
	}
	added := task(t, a.json(t))
	if added["id"] != 1.0 || added["status"] != "pending" || added["project"] != "web" || added["due"] != "2026-03-10T00:00:00Z" {
		t.Fatalf("add gave %v", added)
	}
	f.must(201, "POST", "/api/v1/tasks", `{"description":"Write docs","depends":[1]}`)

	list := f.must(200, "GET", "/api/v1/tasks?filter=project:web", "")
	tasks := list["tasks"].([]any)
	if len(tasks) != 1 || tasks[0].(map[string]any)["uuid"] != nil {
		t.Fatalf("the list of project:web is %v; want task 1 without uuid (as task_list leaves it out)", tasks)
	}
	if l := f.must(200, "GET", "/api/v1/tasks?limit=1&fields=description", ""); l["more"] != 1.0 || len(l["tasks"].([]any)[0].(map[string]any)) != 2 {
		t.Fatalf("limit=1&fields=description gave %v; want one task with id and description, and more: 1", l)
	}
	if c := f.must(200, "GET", "/api/v1/tasks/count?filter=%2BREADY", ""); c["count"] != 1.0 {
		t.Fatalf("count +READY = %v, want 1 (task 2 waits on task 1)", c)
	}
	uuid, _ := task(t, f.must(200, "GET", "/api/v1/tasks/1", ""))["uuid"].(string)
	if uuid == "" {
		t.Fatal("get leaves out the uuid")
	}
	for _, ref := range []string{uuid, strings.ToUpper(uuid), uuid[:8]} {
		if got := task(t, f.must(200, "PATCH", "/api/v1/tasks/"+ref, `{"scheduled":"2026-03-05"}`)); got["id"] != 1.0 {
			t.Fatalf("modify by %q changed %v", ref, got)
		}
	}
	if got := task(t, f.must(200, "PATCH", "/api/v1/tasks/1", `{"priority":"L","tags":["+ui"]}`)); got["priority"] != "L" || len(got["tags"].([]any)) != 2 {
		t.Fatalf("modify gave %v", got)
	}
	if got := task(t, f.must(200, "PATCH", "/api/v1/tasks/1", `{"priority":"L"}`)); got["priority"] != "L" {
		t.Fatalf("a modify that changes nothing gave %v; want the task as it is", got)
	}
	if m := f.must(200, "PATCH", "/api/v1/tasks?filter=project:web", `{"project":"app"}`); m["modified"] != 1.0 {
		t.Fatalf("modify by filter gave %v", m)
	}
	if got := task(t, f.must(200, "POST", "/api/v1/tasks/1/start", "")); got["start"] == nil {
		t.Fatalf("start gave %v", got)
	}
	if got := task(t, f.must(200, "POST", "/api/v1/tasks/1/stop", "")); got["start"] != nil {
		t.Fatalf("stop gave %v", got)
	}
	if got := task(t, f.must(200, "POST", "/api/v1/tasks/1/annotations", `{"text":"found the cause"}`)); len(got["annotations"].([]any)) != 1 {
		t.Fatalf("annotate gave %v", got)
	}
	if got := task(t, f.must(200, "PUT", "/api/v1/tasks/1/doc", `{"content":"# Spec\n"}`)); got["has_doc"] != true {
		t.Fatalf("doc write gave %v", got)
	}
	if d := f.must(200, "GET", "/api/v1/tasks/1/doc", ""); d["content"] != "# Spec\n" {
		t.Fatalf("doc read gave %v", d)
	}
	if got := task(t, f.must(200, "DELETE", "/api/v1/tasks/1/doc", "")); got["has_doc"] != nil {
		t.Fatalf("doc delete gave %v", got)
	}
	done := f.must(200, "POST", "/api/v1/tasks/1/done", `{"note":"shipped"}`)
	if task(t, done)["status"] != "completed" || len(done["unblocked"].([]any)) != 1 {
		t.Fatalf("done gave %v; want completed, unblocking task 2", done)
	}
	claimed := task(t, f.must(200, "POST", "/api/v1/claim", `{"agent":"backend"}`))
	if claimed["id"] != 2.0 || claimed["agent"] != "backend" {
		t.Fatalf("claim gave %v", claimed)
	}
	if c := f.must(200, "POST", "/api/v1/claim", `{"agent":"backend"}`); c["task"] != nil {
		t.Fatalf("a claim with nothing left gave %v; want task null", c)
	}
	if got := task(t, f.must(200, "POST", "/api/v1/tasks/2/release", `{"note":"hand-off","force":true}`)); got["agent"] != nil {
		t.Fatalf("release gave %v", got)
	}
	if s := f.must(200, "GET", "/api/v1/summary", ""); s["counts"] == nil {
		t.Fatalf("summary gave %v", s)
	}
	if p := f.must(200, "GET", "/api/v1/projects", ""); len(p["items"].([]any)) != 0 {
		t.Fatalf("projects gave %v; want none pending (task 2 has no project)", p)
	}
	if got := task(t, f.must(200, "DELETE", "/api/v1/tasks/2", "")); got["status"] != "deleted" {
		t.Fatalf("delete gave %v", got)
	}
}

func TestEveryWriteIsJournalledUnderTheRequestsAgentAndUndoable(t *testing.T) {
	f := newFixture(t)
	f.must(201, "POST", "/api/v1/tasks", `{"description":"One"}`)
	f.must(201, "POST", "/api/v1/tasks", `{"description":"Two"}`)
	if a := f.do("POST", "/api/v1/tasks/1/done", "", AgentHeader, "alice"); a.status != 200 {
		t.Fatalf("done as alice: %d %s", a.status, a.body)
	}
	// Undo is per agent: the default agent's last command is the add of
	// task 2, alice's the done of task 1.
	undone := f.must(200, "POST", "/api/v1/undo", "")
	if u, _ := undone["undone"].(string); !strings.Contains(u, "Two") {
		t.Fatalf("undo as %s gave %v; want the add of task 2 reversed", DefaultAgent, undone)
	}
	a := f.do("POST", "/api/v1/undo", "", AgentHeader, "alice")
	if u, _ := a.json(t)["undone"].(string); a.status != 200 || !strings.HasPrefix(u, "done") {
		t.Fatalf("undo as alice: %d %s; want her done reversed", a.status, a.body)
	}
	if got := task(t, f.must(200, "GET", "/api/v1/tasks/1", "")); got["status"] != "pending" {
		t.Fatalf("after alice's undo task 1 is %v", got)
	}
	if a := f.do("POST", "/api/v1/undo", "", AgentHeader, strings.Repeat("a", 1000)); a.status != 400 {
		t.Fatalf("a bad %s header: %d %s", AgentHeader, a.status, a.body)
	}
}

func TestErrorsAreProblemDocumentsWithTheEnginesSentence(t *testing.T) {
	f := newFixture(t)
	f.must(201, "POST", "/api/v1/tasks", `{"description":"One"}`)
	f.must(200, "POST", "/api/v1/tasks/1/done", "")
	cases := []struct {
		name, method, path, body string
		status                   int
		detail                   string
	}{
		{"a missing task is 404", "GET", "/api/v1/tasks/999", "", 404, "no task with id 999"},
		{"modifying a missing task is 404", "PATCH", "/api/v1/tasks/999", `{"project":"x"}`, 404, "no task with id 999"},
		{"a modify without changes is 400", "PATCH", "/api/v1/tasks/1", `{}`, 400, "nothing to modify"},
		{"a bulk modify needs a filter", "PATCH", "/api/v1/tasks", `{"project":"x"}`, 400, "modify needs a filter"},
		{"a bad value is 400", "POST", "/api/v1/tasks", `{"description":"x","priority":"X"}`, 400, `priority must be H, M, L or empty, got "X"`},
		{"an unknown field is 400", "POST", "/api/v1/tasks", `{"description":"x","colour":"red"}`, 400, `unknown field "colour"`},
		{"a field of the wrong type is 400", "POST", "/api/v1/tasks", `{"description":7}`, 400, `field "description" must be a string`},
		{"a missing description is 400", "POST", "/api/v1/tasks", `{"project":"x"}`, 400, `needs the field "description"`},
		{"broken JSON is 400", "POST", "/api/v1/tasks", `{"description":`, 400, "not valid JSON"},
		{"an unknown query parameter is 400", "GET", "/api/v1/tasks?colour=red", "", 400, `unknown query parameter "colour"`},
		{"a bad filter is 400", "GET", "/api/v1/tasks?filter=due:notadate", "", 400, "notadate"},
		{"a refused transition is 409", "POST", "/api/v1/tasks/1/done", "", 409, "task 1 is already completed"},
		{"a list of ids is no task reference", "PATCH", "/api/v1/tasks/1,2", `{"project":"x"}`, 400, "not a task reference"},
		{"an unknown route is 404", "GET", "/api/v1/nothing", "", 404, "no route GET /api/v1/nothing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := f.do(c.method, c.path, c.body)
			if a.status != c.status {
				t.Fatalf("status %d, want %d: %s", a.status, c.status, a.body)
			}
			if ct := a.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("Content-Type %q, want application/problem+json", ct)
			}
			p := a.json(t)
			if p["status"] != float64(c.status) || p["title"] != http.StatusText(c.status) || p["type"] != "about:blank" {
				t.Fatalf("problem %v", p)
			}
			if d, _ := p["detail"].(string); !strings.Contains(d, c.detail) {
				t.Fatalf("detail %q, want it to say %q", d, c.detail)
			}
		})
	}
	t.Run("a body that is not JSON is 415", func(t *testing.T) {
		a := f.do("POST", "/api/v1/tasks", "description=x", "Content-Type", "application/x-www-form-urlencoded")
		if a.status != http.StatusUnsupportedMediaType {
			t.Fatalf("status %d: %s", a.status, a.body)
		}
	})
	t.Run("a refused command changes nothing", func(t *testing.T) {
		if c := f.must(200, "GET", "/api/v1/tasks/count?filter=status.any:", ""); c["count"] != 1.0 {
			t.Fatalf("count of every task is %v, want 1", c)
		}
	})
}

func TestTinytownRoutesKeepTinytownsShapes(t *testing.T) {
	f := newFixture(t)
	added := f.must(201, "POST", "/v1/backlog", `{"description":"Investigate flaky test","tags":["test","backend"]}`)
	uuid, _ := added["task_id"].(string)
	if len(uuid) != 36 || added["description"] != "Investigate flaky test" {
		t.Fatalf("add gave %v", added)
	}
	f.must(201, "POST", "/v1/backlog", `{"description":"Document tokens"}`)
	f.must(201, "POST", "/v1/backlog", `{"description":"Third"}`)

	list := f.must(200, "GET", "/v1/backlog", "")
	if list["count"] != 3.0 {
		t.Fatalf("list gave %v", list)
	}
	for _, it := range list["backlog"].([]any) {
		item := it.(map[string]any)
		if _, ok := item["tags"].([]any); !ok || item["task_id"] == nil {
			t.Fatalf("a backlog item lacks task_id or a tags array: %v", item)
		}
	}
	claimed := f.must(200, "POST", "/v1/backlog/"+uuid+"/claim", `{"agent":"backend"}`)
	if claimed["task_id"] != uuid || claimed["agent_id"] != "backend" || claimed["agent_name"] != "backend" {
		t.Fatalf("claim gave %v", claimed)
	}
	if l := f.must(200, "GET", "/v1/backlog", ""); l["count"] != 2.0 {
		t.Fatalf("after a claim the backlog is %v; want the 2 unclaimed", l)
	}
	removed := f.must(200, "DELETE", "/v1/backlog/3", "")
	if removed["removed"] != true || removed["task_id"] == nil {
		t.Fatalf("remove gave %v", removed)
	}
	assigned := f.must(200, "POST", "/v1/backlog/assign-all", `{"agent":"docs"}`)
	if assigned["assigned"] != 1.0 || len(assigned["tasks"].([]any)) != 1 {
		t.Fatalf("assign-all gave %v", assigned)
	}
	if a := f.do("DELETE", "/v1/backlog/00000000-0000-4000-8000-000000000000", ""); a.status != 404 {
		t.Fatalf("removing a task that does not exist: %d %s", a.status, a.body)
	}
	if a := f.do("POST", "/v1/backlog/assign-all", `{}`); a.status != 400 || !strings.Contains(a.body, `needs the field \"agent\"`) {
		t.Fatalf("assign-all without an agent: %d %s", a.status, a.body)
	}
}

func TestTheChangeStreamSendsEachCommittedChangeAsAnEvent(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.h)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // a guard against hanging, not a measure
	defer cancel()

	if a := f.do("GET", "/api/v1/changes?filter=%28", ""); a.status != 400 {
		t.Fatalf("a bad filter opened the stream: %d %s", a.status, a.body)
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/v1/changes?filter=project:web", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" {
		t.Fatalf("status %d, Content-Type %q", resp.StatusCode, ct)
	}
	lines := bufio.NewScanner(resp.Body)
	next := func() string {
		if !lines.Scan() {
			t.Fatalf("the stream ended: %v", lines.Err())
		}
		return lines.Text()
	}
	if l := next(); !strings.HasPrefix(l, "retry: ") {
		t.Fatalf("first line %q, want the retry delay", l)
	}
	next()
	// The stream is open from now: a change made after it shows, one of
	// another project does not.
	f.must(201, "POST", "/api/v1/tasks", `{"description":"elsewhere","project":"ops"}`)
	f.must(201, "POST", "/api/v1/tasks", `{"description":"Fix <login>","project":"web"}`)
	if l := next(); l != "id: 2" {
		t.Fatalf("got %q, want the id of the second change", l)
	}
	if l := next(); l != "event: change" {
		t.Fatalf("got %q", l)
	}
	data, ok := strings.CutPrefix(next(), "data: ")
	var ev engine.Event
	if !ok || json.Unmarshal([]byte(data), &ev) != nil || ev.Task.Description != "Fix <login>" || ev.Agent != DefaultAgent || ev.Command != "add" {
		t.Fatalf("data %q is not the add of task 2", data)
	}

	t.Run("Last-Event-ID resumes after the change it names", func(t *testing.T) {
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/v1/changes", nil)
		req.Header.Set("Last-Event-ID", "1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "id: ") {
				if sc.Text() != "id: 2" {
					t.Fatalf("the first event is %q, want id: 2", sc.Text())
				}
				return
			}
		}
		t.Fatalf("the stream ended without an event: %v", sc.Err())
	})
}
