package hook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/hook"
	"github.com/agent-backlog/backlog/sqlite"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/memstore"
)

var now = time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC)

// fixture is a backlog in memory and the Env hooks run with; it counts the
// times an event opened the backlog, and how.
type fixture struct {
	eng    *engine.Engine
	env    map[string]string
	opened []bool // the write argument of each open
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return &fixture{
		eng: engine.New(memstore.New(), engine.Options{Agent: "test", Clock: func() time.Time { return now }}),
		env: map[string]string{},
	}
}

func (f *fixture) hookEnv() hook.Env {
	return hook.Env{
		Engine: func(write bool) (*engine.Engine, error) {
			f.opened = append(f.opened, write)
			return f.eng, nil
		},
		Getenv:      func(k string) string { return f.env[k] },
		SummaryText: func(s *engine.Summary) string { b, _ := json.Marshal(s); return string(b) + "\n" },
	}
}

// run feeds input to the event and returns its stdout and error.
func (f *fixture) run(t *testing.T, event, input string) (string, error) {
	t.Helper()
	ev, ok := hook.Lookup(event)
	if !ok {
		t.Fatalf("no event %q", event)
	}
	var out bytes.Buffer
	err := hook.Run(context.Background(), ev, strings.NewReader(input), &out, f.hookEnv())
	return out.String(), err
}

// tasks lists every task of the backlog, of any status.
func (f *fixture) tasks(t *testing.T) []*backlog.Task {
	t.Helper()
	ts, err := f.eng.Export(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func event(name string, fields map[string]any) string {
	fields["hook_event_name"] = name
	if _, ok := fields["session_id"]; !ok {
		fields["session_id"] = "8d3f0c52-5b1e-4a7e-9f3e-2c1d0b9a8e7f"
	}
	b, _ := json.Marshal(fields)
	return string(b)
}

func TestDecode(t *testing.T) {
	ev, _ := hook.Lookup("task-created")
	for _, c := range []struct {
		name, input string
		ignored     bool
	}{
		{"the documented event is read", `{"hook_event_name":"TaskCreated","task_id":"1","task_subject":"x"}`, false},
		{"an event without its name is read", `{"task_id":"1"}`, false},
		{"unknown fields are ignored", `{"hook_event_name":"TaskCreated","task_id":"1","future":{"a":[1,2]}}`, false},
		{"an empty input is ignored", "", true},
		{"white space is ignored", " \n\t", true},
		{"text that is not JSON is ignored", "task_id=1", true},
		{"a JSON array is ignored", `[{"task_id":"1"}]`, true},
		{"two objects are ignored", `{"task_id":"1"}{"task_id":"2"}`, true},
		{"a number where a string belongs is ignored", `{"hook_event_name":"TaskCreated","task_id":1}`, true},
		{"another event is ignored", `{"hook_event_name":"TaskCompleted","task_id":"1"}`, true},
		{"a truncated object is ignored", `{"hook_event_name":"TaskCreated","task_id":"1"`, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := hook.Decode(ev, strings.NewReader(c.input))
			if (err != nil) != c.ignored || (err != nil && !hook.IsIgnored(err)) {
				t.Fatalf("Decode(%q) = %v, want ignored %v", c.input, err, c.ignored)
			}
		})
	}
	t.Run("an input over the limit is ignored without reading it all", func(t *testing.T) {
		big := strings.NewReader(`{"task_subject":"` + strings.Repeat("a", hook.MaxInput) + `"}`)
		if _, err := hook.Decode(ev, big); !hook.IsIgnored(err) {
			t.Fatalf("Decode of %d bytes = %v, want ignored", big.Size(), err)
		}
	})
}

func TestTaskCreatedMirrorsTheTaskOnce(t *testing.T) {
	f := newFixture(t)
	in := event("TaskCreated", map[string]any{"task_id": "3", "task_subject": "Add the\tlogin  form", "task_description": "Validate\nthe email."})
	for i := 0; i < 2; i++ {
		out, err := f.run(t, "task-created", in)
		if err != nil || out != "" {
			t.Fatalf("run %d: out %q, err %v; want nothing", i, out, err)
		}
	}
	ts := f.tasks(t)
	if len(ts) != 1 {
		t.Fatalf("%d tasks after the event twice, want 1", len(ts))
	}
	got := ts[0]
	if got.Description != "Add the login form" || got.Status != backlog.StatusPending || !got.HasDoc ||
		got.Extra[hook.LinkUDA] != "8d3f0c52-5b1e-4a7e-9f3e-2c1d0b9a8e7f/3" {
		t.Errorf("mirror = %+v", got)
	}
	doc, err := f.eng.DocRead(context.Background(), got.Ref())
	if err != nil || doc != "Validate\nthe email." {
		t.Errorf("doc = %q, %v", doc, err)
	}
	if len(f.opened) != 2 || !f.opened[0] {
		t.Errorf("opens %v, want two for writing", f.opened)
	}
}

func TestTaskCompletedCompletesTheLinkedTaskOnly(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// A task with the same text, not linked: never completed by the hook.
	desc := "Run the migrations"
	if _, err := f.eng.Add(ctx, &engine.Changes{Description: &desc}); err != nil {
		t.Fatal(err)
	}
	created := event("TaskCreated", map[string]any{"task_id": "1", "task_subject": desc})
	if _, err := f.run(t, "task-created", created); err != nil {
		t.Fatal(err)
	}
	other := event("TaskCompleted", map[string]any{"task_id": "1", "task_subject": desc, "session_id": "another-session"})
	if _, err := f.run(t, "task-completed", other); !hook.IsIgnored(err) {
		t.Fatalf("completion in another session: %v, want ignored", err)
	}
	for _, tk := range f.tasks(t) {
		if tk.Status != backlog.StatusPending {
			t.Fatalf("task %d is %s after the completion of another session's task", tk.ID, tk.Status)
		}
	}
	done := event("TaskCompleted", map[string]any{"task_id": "1", "task_subject": "a subject edited since"})
	if _, err := f.run(t, "task-completed", done); err != nil {
		t.Fatal(err)
	}
	status := map[int64]backlog.Status{}
	for _, tk := range f.tasks(t) {
		status[tk.ID] = tk.Status
	}
	if status[1] != backlog.StatusPending || status[2] != backlog.StatusCompleted {
		t.Errorf("statuses %v, want task 1 pending and its namesake 2 (the mirror) completed", status)
	}
	if _, err := f.run(t, "task-completed", done); !hook.IsIgnored(err) {
		t.Errorf("a second completion: %v, want ignored", err)
	}
	if f.opened[len(f.opened)-1] {
		t.Errorf("the completion opened the backlog for writing, which would create one where there is none")
	}
}

func TestTheTaskListNamesTheLink(t *testing.T) {
	f := newFixture(t)
	mk := func(fields map[string]any) string {
		fields["task_subject"] = "Same subject"
		return event("TaskCreated", fields)
	}
	inputs := []string{
		mk(map[string]any{"task_id": "1", "session_id": "s1"}),
		mk(map[string]any{"task_id": "1", "session_id": "s2"}),
		mk(map[string]any{"task_id": "1", "session_id": "s1", "team_name": "t1"}),
		mk(map[string]any{"task_id": "1/x", "session_id": "s1"}),
		mk(map[string]any{"task_id": "x", "session_id": "s1/1"}),
	}
	for _, in := range inputs {
		if _, err := f.run(t, "task-created", in); err != nil {
			t.Fatal(err)
		}
	}
	f.env["CLAUDE_CODE_TASK_LIST_ID"] = "shared-list"
	if _, err := f.run(t, "task-created", inputs[0]); err != nil {
		t.Fatal(err)
	}
	links := map[string]bool{}
	for _, tk := range f.tasks(t) {
		links[fmt.Sprint(tk.Extra[hook.LinkUDA])] = true
	}
	want := []string{"s1/1", "s2/1", "t1/1", "s1/1/x", "s1/1/x", "shared-list/1"}
	for _, w := range want {
		if !links[w] {
			t.Errorf("no mirror linked to %q among %v", w, links)
		}
	}
	if n := len(f.tasks(t)); n != 6 {
		t.Errorf("%d mirrors, want 6: one per task list and id (s1/1/x names two)", n)
	}
}

func TestTaskCreatedIgnoresWhatItCannotLink(t *testing.T) {
	for _, c := range []struct {
		name   string
		fields map[string]any
	}{
		{"no task id", map[string]any{"task_subject": "x"}},
		{"an empty task id", map[string]any{"task_id": " ", "task_subject": "x"}},
		{"no subject", map[string]any{"task_id": "1"}},
		{"a subject of white space and control characters", map[string]any{"task_id": "1", "task_subject": " \n\x00\x07 "}},
		{"no session", map[string]any{"task_id": "1", "task_subject": "x", "session_id": ""}},
		{"a task id with a newline", map[string]any{"task_id": "1\n2", "task_subject": "x"}},
		{"a task id too long to be one", map[string]any{"task_id": strings.Repeat("9", 300), "task_subject": "x"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			_, err := f.run(t, "task-created", event("TaskCreated", c.fields))
			if !hook.IsIgnored(err) {
				t.Fatalf("err %v, want ignored", err)
			}
			if len(f.opened) != 0 {
				t.Errorf("the backlog was opened for input that was ignored")
			}
		})
	}
}

func TestALongSubjectIsCutAndKeptWholeInTheDoc(t *testing.T) {
	f := newFixture(t)
	subject := strings.Repeat("é", 400) // 800 bytes
	if _, err := f.run(t, "task-created", event("TaskCreated", map[string]any{"task_id": "1", "task_subject": subject, "task_description": "why"})); err != nil {
		t.Fatal(err)
	}
	tk := f.tasks(t)[0]
	if len(tk.Description) > backlog.MaxDescription || !strings.HasSuffix(tk.Description, "...") {
		t.Errorf("description of %d bytes: %q", len(tk.Description), tk.Description)
	}
	doc, _ := f.eng.DocRead(context.Background(), tk.Ref())
	if doc != subject+"\n\nwhy" {
		t.Errorf("doc = %.40q..., want the whole subject, then the description", doc)
	}
}

func TestSessionStartAddsTheSummaryAndOnlyReads(t *testing.T) {
	f := newFixture(t)
	desc := "Write the release notes"
	if _, err := f.eng.Add(context.Background(), &engine.Changes{Description: &desc}); err != nil {
		t.Fatal(err)
	}
	out, err := f.run(t, "session-start", event("SessionStart", map[string]any{"source": "startup"}))
	if err != nil {
		t.Fatal(err)
	}
	var got hook.Output
	if err := json.Unmarshal([]byte(out), &got); err != nil || !strings.HasSuffix(out, "}\n") || strings.Count(out, "\n") != 1 {
		t.Fatalf("output %q is not one line of JSON: %v", out, err)
	}
	if s := got.HookSpecificOutput; s == nil || s.HookEventName != "SessionStart" || !strings.Contains(s.AdditionalContext, desc) {
		t.Errorf("output %s does not carry the summary", out)
	}
	if len(f.opened) != 1 || f.opened[0] {
		t.Errorf("opens %v, want one, read-only", f.opened)
	}
}

func TestSubagentStartClaimsOnlyWhenConfigured(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name, setting, agentType string
		claims                   bool
	}{
		{"unset: nothing", "", "backend", false},
		{"another type: nothing", "frontend,docs", "backend", false},
		{"a listed type", "frontend, backend", "backend", true},
		{"a listed type in another case", "Backend", "backend", true},
		{"all", "all", "frontend", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.env[hook.ClaimSetting] = c.setting
			for _, d := range []string{"Tune the queries +backend", "Style the page +frontend"} {
				ch, err := engine.ParseNew(strings.Fields(d))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := f.eng.Add(ctx, ch); err != nil {
					t.Fatal(err)
				}
			}
			out, err := f.run(t, "subagent-start", event("SubagentStart", map[string]any{"agent_id": "a1", "agent_type": c.agentType}))
			if err != nil {
				t.Fatal(err)
			}
			if !c.claims {
				if out != "" || len(f.opened) != 0 {
					t.Fatalf("out %q, opens %v: want nothing, the backlog not opened", out, f.opened)
				}
				return
			}
			var got hook.Output
			if err := json.Unmarshal([]byte(out), &got); err != nil || got.HookSpecificOutput == nil || got.HookSpecificOutput.HookEventName != "SubagentStart" {
				t.Fatalf("output %q: %v", out, err)
			}
			held := 0
			for _, tk := range f.tasks(t) {
				if tk.Agent != "" {
					held++
					if tk.Agent != c.agentType || tk.Start.IsZero() {
						t.Errorf("task %d held by %q, started %v", tk.ID, tk.Agent, tk.Start)
					}
					if !strings.Contains(got.HookSpecificOutput.AdditionalContext, `task_done {"id":"`+tk.Ref()+`"}`) {
						t.Errorf("the context does not say how to complete task %s: %s", tk.Ref(), got.HookSpecificOutput.AdditionalContext)
					}
				}
			}
			if held != 1 {
				t.Errorf("%d tasks held, want 1", held)
			}
		})
	}
	t.Run("a role takes its own work, never another role's", func(t *testing.T) {
		f := newFixture(t)
		f.env[hook.ClaimSetting] = "all"
		ch, _ := engine.ParseNew(strings.Fields("Style the page +frontend priority:H"))
		if _, err := f.eng.Add(ctx, ch); err != nil {
			t.Fatal(err)
		}
		out, err := f.run(t, "subagent-start", event("SubagentStart", map[string]any{"agent_id": "a1", "agent_type": "backend"}))
		if err != nil || out != "" {
			t.Fatalf("out %q, err %v: want nothing (the only task is frontend's)", out, err)
		}
	})
}

// TestSubagentsStartingAtOnceGetDifferentTasks starts eight sub-agents of
// one type at once, each with its own connection to one SQLite file, as
// eight hook processes would: each gets its own task.
func TestSubagentsStartingAtOnceGetDifferentTasks(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "backlog.db")
	open := func() store.Store {
		st, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	seed := engine.New(open(), engine.Options{Agent: "lead"})
	var b strings.Builder
	b.WriteString("[")
	for i := 0; i < 8; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"description":"Task %d","tags":["worker"]}`, i)
	}
	b.WriteString("]")
	if _, err := seed.Import(ctx, []byte(b.String()), engine.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	ev, _ := hook.Lookup("subagent-start")
	outs := make([]string, 8)
	var wg sync.WaitGroup
	for i := range outs {
		eng := engine.New(open(), engine.Options{Agent: "claude-code-hook"})
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out bytes.Buffer
			env := hook.Env{
				Engine: func(bool) (*engine.Engine, error) { return eng, nil },
				Getenv: func(k string) string { return map[string]string{hook.ClaimSetting: "worker"}[k] },
			}
			in := event("SubagentStart", map[string]any{"agent_id": fmt.Sprint("a", i), "agent_type": "worker"})
			if err := hook.Run(ctx, ev, strings.NewReader(in), &out, env); err != nil {
				t.Error(err)
			}
			outs[i] = out.String()
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, out := range outs {
		var got hook.Output
		if err := json.Unmarshal([]byte(out), &got); err != nil || got.HookSpecificOutput == nil {
			t.Fatalf("output %q: %v", out, err)
		}
		task := got.HookSpecificOutput.AdditionalContext
		task = task[strings.Index(task, "task ")+5:]
		task = task[:strings.IndexByte(task, ' ')]
		if seen[task] {
			t.Errorf("task %s handed to two sub-agents", task)
		}
		seen[task] = true
	}
}
