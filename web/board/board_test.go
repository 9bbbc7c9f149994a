package board

import (
	"bufio"
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/store"
)

// client does not follow redirects, so that a test sees where an action
// sends the browser.
var client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func get(t *testing.T, s *seeded, path string) (int, string) {
	t.Helper()
	resp, err := client.Get(s.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		b.WriteString(sc.Text() + "\n")
	}
	return resp.StatusCode, b.String()
}

func post(t *testing.T, s *seeded, path string, form url.Values, header http.Header) *http.Response {
	t.Helper()
	req, err := http.NewRequest("POST", s.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// flashOf reads the message an action left for the next page.
func flashOf(t *testing.T, resp *http.Response) flash {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == flashCookie {
			req := &http.Request{Header: http.Header{"Cookie": {c.String()}}}
			rec := &headerSink{h: http.Header{}}
			if f := takeFlash(rec, req); f != nil {
				return *f
			}
		}
	}
	t.Fatalf("the action left no message (status %d)", resp.StatusCode)
	return flash{}
}

type headerSink struct{ h http.Header }

func (s *headerSink) Header() http.Header         { return s.h }
func (s *headerSink) Write(b []byte) (int, error) { return len(b), nil }
func (s *headerSink) WriteHeader(int)             {}

func info(t *testing.T, s *seeded, ref string) *backlog.Task {
	t.Helper()
	task, err := s.board.Info(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

func TestPagesEscapeEveryUserString(t *testing.T) {
	s := seed(t)
	ctx := context.Background()
	if _, err := s.board.Annotate(ctx, idHTML, `<script>alert("note")</script>`); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/", "/tasks/" + idHTML, "/?filter=" + url.QueryEscape(`"<b>x</b>" )`), "/agents", "/projects"} {
		t.Run("the page "+path, func(t *testing.T) {
			status, body := get(t, s, path)
			if status != http.StatusOK && status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d", status)
			}
			for _, raw := range []string{"<img src=x", "<script>alert", "<b>x</b>"} {
				if strings.Contains(body, raw) {
					t.Errorf("the page holds %q unescaped", raw)
				}
			}
		})
	}
	_, body := get(t, s, "/tasks/"+idHTML)
	if !strings.Contains(body, "&lt;img src=x onerror=alert(1)&gt;") {
		t.Error("the task page does not show the HTML title as text")
	}
}

func TestDocsAreRenderedAndSanitised(t *testing.T) {
	tests := []struct {
		name, doc string
		want, not []string
	}{
		{"task lists keep their checkboxes", "- [x] a\n- [ ] b", []string{`<input checked="" disabled="" type="checkbox"`, `<input disabled="" type="checkbox"`}, nil},
		{"raw HTML is left out", "hi <script>alert(1)</script> <img src=x onerror=alert(1)>", []string{"hi"}, []string{"<script", "<img", "onerror"}},
		{"a javascript link loses its target", "[x](javascript:alert(1))", nil, []string{"javascript:"}},
		{"tables render", "| a |\n|---|\n| 1 |", []string{"<table>", "<td>1</td>"}, nil},
		{"links are kept with nofollow", "[site](https://example.com)", []string{`href="https://example.com"`, `rel="nofollow"`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(renderMarkdown(tt.doc))
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("%q lacks %q", got, w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(got, n) {
					t.Errorf("%q holds %q", got, n)
				}
			}
		})
	}
}

func TestFilterErrorsArePlacedWhereTheyAre(t *testing.T) {
	tests := []struct {
		src               string
		wantPos           bool
		before, at, after string
		column            int
	}{
		{src: "project:web )", wantPos: true, before: "project:web ", at: ")", column: 13},
		{src: "due.before:garbage +bug", wantPos: true, before: "", at: "due.before:garbage", after: " +bug", column: 1},
		{src: "é (", wantPos: true, before: "é (", column: 4},
	}
	s := seed(t)
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			body, err := s.server().board(context.Background(), s.board, tt.src)
			if err != nil {
				t.Fatal(err)
			}
			fe := body.FilterError
			if fe == nil {
				t.Fatal("no error reported")
			}
			if fe.HasPos != tt.wantPos || fe.Before != tt.before || fe.At != tt.at || fe.After != tt.after || fe.Column != tt.column {
				t.Errorf("got %+v", *fe)
			}
			if len(body.Columns) != len(columns) {
				t.Error("the board lost its columns over a bad filter")
			}
		})
	}
	t.Run("the page answers 422 and shows the message", func(t *testing.T) {
		status, page := get(t, s, "/?filter="+url.QueryEscape("project:web )"))
		if status != http.StatusUnprocessableEntity || !strings.Contains(page, `unexpected &#34;)&#34;, at character 13`) {
			t.Errorf("status %d", status)
		}
	})
}

// server is the seeded board's server, for tests of its parts.
func (s *seeded) server() *server {
	return &server{deps: Deps{Engine: func(context.Context) (*engine.Engine, error) { return s.board, nil }, StaleAfter: DefaultStaleAfter}, pages: parsePages()}
}

func TestActionsGoThroughTheEngine(t *testing.T) {
	s := seed(t)
	t.Run("done completes the task and returns to the page", func(t *testing.T) {
		resp := post(t, s, "/tasks/"+idOverdue+"/done", url.Values{"back": {"/?filter=project:web"}}, nil)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/?filter=project:web" {
			t.Fatalf("status %d, location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if f := flashOf(t, resp); f.Text != "Task 1 done." || f.Error || !f.Undo {
			t.Errorf("message %+v", f)
		}
		if got := info(t, s, idOverdue).Status; got != backlog.StatusCompleted {
			t.Errorf("status %s", got)
		}
	})
	t.Run("undo reverses it", func(t *testing.T) {
		resp := post(t, s, "/undo", url.Values{"back": {"/"}}, nil)
		if f := flashOf(t, resp); !strings.HasPrefix(f.Text, "Undone: done") {
			t.Errorf("message %+v", f)
		}
		if got := info(t, s, idOverdue).Status; got != backlog.StatusPending {
			t.Errorf("status %s after undo", got)
		}
	})
	t.Run("a bad due date changes nothing and says why", func(t *testing.T) {
		resp := post(t, s, "/tasks/"+idOverdue+"/modify", url.Values{"field": {"due"}, "value": {"someday soon"}}, nil)
		if f := flashOf(t, resp); !f.Error || !strings.Contains(f.Text, "someday soon") {
			t.Errorf("message %+v", f)
		}
		if resp.Header.Get("Location") != "/tasks/1" {
			t.Errorf("went to %q", resp.Header.Get("Location"))
		}
	})
	t.Run("priority, project and tags are set one at a time", func(t *testing.T) {
		for field, value := range map[string]string{"priority": "L", "project": "web.login", "tags": "bug ux"} {
			if f := flashOf(t, post(t, s, "/tasks/"+idOverdue+"/modify", url.Values{"field": {field}, "value": {value}}, nil)); f.Error {
				t.Fatalf("%s: %s", field, f.Text)
			}
		}
		got := info(t, s, idOverdue)
		if got.Priority != "L" || got.Project != "web.login" || strings.Join(got.Tags, " ") != "bug ux" {
			t.Errorf("task 1 is %s %s %v", got.Priority, got.Project, got.Tags)
		}
	})
	t.Run("a modify names one task, never a filter", func(t *testing.T) {
		f := flashOf(t, post(t, s, "/tasks/"+url.PathEscape("1 or 2")+"/modify", url.Values{"field": {"priority"}, "value": {"H"}}, nil))
		if !f.Error {
			t.Error("a filter was taken for a task")
		}
	})
	t.Run("claim for an agent, annotate, and write the doc", func(t *testing.T) {
		for _, step := range []struct {
			action string
			form   url.Values
		}{
			{"claim", url.Values{"agent": {"frontend"}}},
			{"annotate", url.Values{"text": {"looked at it"}}},
			{"doc", url.Values{"content": {"# Plan\r\n\r\nsteps"}}},
		} {
			if f := flashOf(t, post(t, s, "/tasks/"+idHTML+"/"+step.action, step.form, nil)); f.Error {
				t.Fatalf("%s: %s", step.action, f.Text)
			}
		}
		got := info(t, s, idHTML)
		doc, _ := s.board.DocRead(context.Background(), idHTML)
		if got.Agent != "frontend" || len(got.Annotations) == 0 || doc != "# Plan\n\nsteps" {
			t.Errorf("task 3: agent %q, notes %v, doc %q", got.Agent, got.Annotations, doc)
		}
	})
	t.Run("dragging maps to the command of the column", func(t *testing.T) {
		if f := flashOf(t, post(t, s, "/tasks/"+idHTML+"/move", url.Values{"to": {"ready"}}, nil)); f.Error || !strings.Contains(f.Text, "released") {
			t.Errorf("to ready: %+v", f)
		}
		if f := flashOf(t, post(t, s, "/tasks/"+idHTML+"/move", url.Values{"to": {"active"}}, nil)); f.Error || !strings.Contains(f.Text, "started") {
			t.Errorf("to active: %+v", f)
		}
		if f := flashOf(t, post(t, s, "/tasks/"+idHTML+"/move", url.Values{"to": {"blocked"}}, nil)); !f.Error || !strings.Contains(f.Text, "depends") {
			t.Errorf("to blocked: %+v", f)
		}
	})
	t.Run("a form from another site is refused and changes nothing", func(t *testing.T) {
		resp := post(t, s, "/tasks/"+idWaiting+"/done", nil, http.Header{"Sec-Fetch-Site": {"cross-site"}})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("status %d", resp.StatusCode)
		}
		if info(t, s, idWaiting).Status == backlog.StatusCompleted {
			t.Error("the task was completed")
		}
	})
	t.Run("a return address off the board is ignored", func(t *testing.T) {
		for _, back := range []string{"//evil.example/", "https://evil.example/", `/\evil.example`} {
			resp := post(t, s, "/tasks/"+idWaiting+"/annotate", url.Values{"text": {"x"}, "back": {back}}, nil)
			if loc := resp.Header.Get("Location"); loc != "/tasks/7" {
				t.Errorf("back %q went to %q", back, loc)
			}
		}
	})
	t.Run("an unknown action is not found", func(t *testing.T) {
		if resp := post(t, s, "/tasks/1/explode", nil, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("status %d", resp.StatusCode)
		}
	})
}

func TestPagesAnswerWithTheirHeadersAndStatuses(t *testing.T) {
	s := seed(t)
	tests := []struct {
		path   string
		status int
		ctype  string
	}{
		{"/", 200, "text/html; charset=utf-8"},
		{"/tasks/2", 200, "text/html; charset=utf-8"},
		{"/tasks/999", 404, "text/html; charset=utf-8"},
		{"/tasks/nonsense", 422, "text/html; charset=utf-8"},
		{"/agents", 200, "text/html; charset=utf-8"},
		{"/projects", 200, "text/html; charset=utf-8"},
		{"/nowhere", 404, "text/html; charset=utf-8"},
		{"/static/htmx.min.js", 200, "text/javascript; charset=utf-8"},
		{"/static/sse.min.js", 200, "text/javascript; charset=utf-8"},
		{"/static/board.css", 200, "text/css; charset=utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, err := client.Get(s.srv.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status || resp.Header.Get("Content-Type") != tt.ctype {
				t.Errorf("status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			csp := resp.Header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("CSP %q", csp)
			}
			if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Error("no nosniff")
			}
		})
	}
}

func TestTheEventStreamReportsCommitsOfAnyWriter(t *testing.T) {
	s := seed(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.srv.URL+"/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("type %q", ct)
	}
	lines := bufio.NewScanner(resp.Body)
	lines.Scan() // the opening comment
	other := engine.New(s.store, engine.Options{Agent: "elsewhere"})
	if _, err := other.Add(ctx, &engine.Changes{Description: ptr("from elsewhere")}); err != nil {
		t.Fatal(err)
	}
	for lines.Scan() {
		if lines.Text() == "event: change" {
			return
		}
	}
	t.Fatalf("no change event: %v", lines.Err())
}

// TestTheEventStreamEndsABurstWithItsLastChange commits a burst of
// changes, which the stream may send as fewer events, and checks that the
// last event it sends names the last change: a page that re-reads itself
// on it misses nothing.
func TestTheEventStreamEndsABurstWithItsLastChange(t *testing.T) {
	s := seed(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.srv.URL+"/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	lines.Scan() // the opening comment: the stream has read the newest change
	other := engine.New(s.store, engine.Options{Agent: "elsewhere"})
	const burst = 20
	for i := range burst {
		if _, err := other.Add(ctx, &engine.Changes{Description: ptr(fmt.Sprintf("burst %d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	var last int64
	err = s.store.Read(ctx, func(tx store.Tx) error {
		es, err := tx.Entries(ctx, 0, "", 0)
		if len(es) > 0 {
			last = es[len(es)-1].Seq
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	events := 0
	for lines.Scan() {
		data, ok := strings.CutPrefix(lines.Text(), "data: ")
		if !ok {
			continue
		}
		events++
		if data == strconv.FormatInt(last, 10) {
			t.Logf("%d commits came as %d events", burst, events)
			return
		}
	}
	t.Fatalf("after %d events the stream never named the last change, %d: %v", events, last, lines.Err())
}

// TestThrottleSendsTheFirstChangeAndTheLastOfABurst feeds the throttle
// of the event stream bursts: the first change goes on, and the last one
// goes on when the gap ends or the feed closes, whatever came between.
func TestThrottleSendsTheFirstChangeAndTheLastOfABurst(t *testing.T) {
	// run feeds seqs to a throttle, closing the feed after them when
	// closeAfter, and returns what went on until want or the end.
	run := func(gap time.Duration, seqs []int64, closeAfter bool, want int64) []int64 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		in := make(chan int64)
		out := throttle(ctx, in, gap)
		go func() {
			for _, seq := range seqs {
				select {
				case in <- seq:
				case <-ctx.Done():
					return
				}
			}
			if closeAfter {
				close(in)
			}
		}()
		var got []int64
		for seq := range out {
			got = append(got, seq)
			if seq == want {
				break
			}
		}
		return got
	}
	if got := run(time.Second, []int64{1, 2, 3, 4, 5}, false, 5); len(got) < 2 || got[0] != 1 || got[len(got)-1] != 5 {
		t.Errorf("a burst of 1..5 went on as %v, want 1 first and 5 last", got)
	}
	if got := run(time.Hour, []int64{1, 2, 3}, true, -1); len(got) != 2 || got[0] != 1 || got[1] != 3 {
		t.Errorf("a burst of 1..3 and the feed's end went on as %v, want [1 3]", got)
	}
}

// cardTemplate is how the board's template wrote a card before cardsHTML
// took it over: the reference that cardsHTML must match byte for byte.
const cardTemplate = `{{define "hidden"}}{{with .CSRF}}<input type="hidden" name="csrf_token" value="{{.}}">{{end}}<input type="hidden" name="back" value="{{.Self}}">{{end}}` +
	`{{define "cards"}}{{$p := .Page}}{{range .Cards}}{{$ref := .Ref}}<li class="card" id="task-{{.Ref}}" draggable="true" data-ref="{{.Ref}}">
<div class="card-head"><a class="ref" href="/tasks/{{.Ref}}">#{{.Ref}}</a>{{if .Priority}} <span class="pri pri-{{.Priority}}" title="Priority {{.Priority}}">{{.Priority}}</span>{{end}}{{if .Doc}} <span class="badge" title="Has a doc">doc</span>{{end}} <span class="urgency" title="Urgency">{{.Urgency}}</span></div>
<a class="desc" href="/tasks/{{.Ref}}">{{.Description}}</a>
<div class="meta">{{if .Project}}<span class="project">{{.Project}}</span> {{end}}{{range .Tags}}<span class="tag">+{{.}}</span> {{end}}{{if .Due}}<span class="due{{if .Overdue}} overdue{{end}}">due {{.Due}}{{if .Overdue}}, overdue{{end}}</span> {{end}}{{if .Agent}}<span class="agent">held by {{.Agent}}</span>{{end}}</div>
{{if .Actions}}<form class="acts" method="post" action="/tasks/{{.Ref}}/done">{{template "hidden" $p}}{{range .Actions}}<button type="submit" formaction="/tasks/{{$ref}}/{{.}}" aria-label="{{label .}} task {{$ref}}">{{label .}}</button>{{end}}</form>{{end}}
</li>
{{end}}{{end}}`

// TestCardsAreWrittenAsTheTemplateWouldWriteThem writes cards holding
// every character HTML gives a meaning to, and bytes that are not UTF-8,
// in every field, with cardsHTML and with the template it replaces, and
// compares the two.
func TestCardsAreWrittenAsTheTemplateWouldWriteThem(t *testing.T) {
	ref := template.Must(template.New("ref").Funcs(template.FuncMap{"label": actionLabel}).Parse(cardTemplate))
	nasty := []string{`<script>alert(1)</script>`, `" onmouseover="alert(1)`, `' x='`, "a+b & c > d", "nul\x00byte", "bad \xff\xfe utf-8", "é ☃ \U0001F600", `javascript:alert(1)`}
	var cards []card
	for i, s := range nasty {
		cards = append(cards, card{
			Ref: fmt.Sprint(i + 1), Description: s, Project: s, Priority: s, Tags: []string{s, "ok"}, Due: s,
			Overdue: i%2 == 0, Agent: s, Doc: i%3 == 0, Urgency: s, Actions: [][]string{nil, {"start", "done"}, {"stop", "release", "done"}}[i%3],
		})
	}
	cards = append(cards, card{Ref: "1a2b3c4d", Description: "a task known by its UUID", Urgency: "0.0", Actions: []string{"done"}})
	for _, p := range []*page{{CSRF: `tok"en<>`, Self: `/?filter=a"b<c>&d`}, {Self: "/"}} {
		var want strings.Builder
		if err := ref.ExecuteTemplate(&want, "cards", map[string]any{"Page": p, "Cards": cards}); err != nil {
			t.Fatal(err)
		}
		var hidden strings.Builder
		if err := ref.ExecuteTemplate(&hidden, "hidden", p); err != nil {
			t.Fatal(err)
		}
		if got := string(cardsHTML(cards, template.HTML(hidden.String()))); got != want.String() {
			t.Errorf("cardsHTML writes\n%s\nthe template\n%s", got, want.String())
		}
	}
}
