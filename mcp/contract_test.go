package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agent-backlog/backlog/engine"

	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/memstore"
)

// The tools of TOOLS.md: the 24 compatible ones, then the multi-agent ones.
var toolNames = []string{
	"task_list", "task_count", "task_info", "task_projects", "task_tags",
	"task_add", "task_log", "task_duplicate", "task_import",
	"task_modify", "task_start", "task_stop", "task_done", "task_delete", "task_purge",
	"task_annotate", "task_denotate", "task_undo",
	"task_doc_write", "task_doc_read", "task_doc_delete",
	"task_archive", "task_archive_list", "task_archive_load",
	"task_claim", "task_release", "task_summary",
}

// The hints TOOLS.md gives each tool.
var (
	readTools        = []string{"task_list", "task_count", "task_info", "task_projects", "task_tags", "task_doc_read", "task_archive_list", "task_archive_load", "task_summary"}
	destructiveTools = []string{"task_purge", "task_doc_delete", "task_modify"}
	idempotentWrites = []string{"task_start", "task_stop", "task_done", "task_delete", "task_purge", "task_denotate", "task_doc_write", "task_doc_delete", "task_archive", "task_release"}
)

func TestToolsListServesEveryToolOfTheContract(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	var got []string
	for name := range f.tools {
		got = append(got, name)
	}
	want := slices.Clone(toolNames)
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("tools:\n got %v\nwant %v", got, want)
	}
}

func TestEveryToolGivesAllFourHintsAsTOOLSmdSays(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	// Read the hints from the wire, to see that every one is present.
	for _, name := range toolNames {
		b, err := json.Marshal(f.tools[name].Annotations)
		if err != nil {
			t.Fatal(err)
		}
		var hints map[string]any
		json.Unmarshal(b, &hints)
		read := slices.Contains(readTools, name)
		want := map[string]any{
			"readOnlyHint":    read,
			"destructiveHint": slices.Contains(destructiveTools, name),
			"idempotentHint":  read || slices.Contains(idempotentWrites, name),
			"openWorldHint":   false,
		}
		for k, v := range want {
			if got, ok := hints[k]; !ok || got != v {
				t.Errorf("%s: %s = %v (present %v), want %v", name, k, got, ok, v)
			}
		}
	}
}

func TestEveryInputSchemaRejectsUnknownArgumentsAndAcceptsStrings(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	for _, name := range toolNames {
		tool := f.tools[name]
		s := tool.InputSchema.(map[string]any)
		if s["type"] != "object" || s["additionalProperties"] != false {
			t.Errorf("%s: input schema %s does not forbid unknown arguments", name, show(s))
		}
		props, _ := s["properties"].(map[string]any)
		for arg, p := range props {
			if err := validate(p, "x"); err != nil && arg != "tasks" && arg != "extra" {
				t.Errorf("%s.%s: a string is refused by %s", name, arg, show(p))
			}
		}
		if err := validate(tool.InputSchema, map[string]any{"no_such_argument": "1"}); err == nil {
			t.Errorf("%s: the schema accepts an unknown argument", name)
		}
		if tool.OutputSchema == nil {
			t.Errorf("%s: no output schema", name)
		}
		if tool.Description == "" || len(tool.Description) > 300 {
			t.Errorf("%s: description of %d bytes", name, len(tool.Description))
		}
	}
}

func TestUnknownArgumentIsAnErrorForEveryTool(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	for _, name := range toolNames {
		got := f.fail(name, map[string]any{"bogus": "1"})
		if !strings.HasPrefix(got, `unknown argument "bogus": `+name+" takes") {
			t.Errorf("%s: %q", name, got)
		}
	}
	f.wantFail("task_projects", map[string]any{"filter": "x"}, `unknown argument "filter": task_projects takes no arguments`)
	f.wantFail("task_done", map[string]any{"id": "1", "ID": "2"}, `unknown argument "ID": task_done takes id, note, close`)
}

func TestProtocolErrorsFollowTheSpec(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	t.Run("an unknown tool is a JSON-RPC invalid params error", func(t *testing.T) {
		if e := f.protocolErr("task_frobnicate", map[string]any{}); e.Code != jsonrpc.CodeInvalidParams || !strings.Contains(e.Message, "task_frobnicate") {
			t.Errorf("got %d %q", e.Code, e.Message)
		}
	})
	t.Run("arguments that are not an object are malformed", func(t *testing.T) {
		e := f.protocolErr("task_info", json.RawMessage(`["1"]`))
		if e.Code != jsonrpc.CodeInvalidParams || e.Message != "arguments of task_info must be a JSON object" {
			t.Errorf("got %d %q", e.Code, e.Message)
		}
	})
	t.Run("a bad value is a tool error the agent can correct", func(t *testing.T) {
		f.wantFail("task_list", map[string]any{"limit": "ten"}, `argument "limit" must be a whole number such as 30, got "ten"`)
		f.wantFail("task_info", map[string]any{}, `task_info needs the argument "id"`)
		f.wantFail("task_info", map[string]any{"id": true}, `argument "id" must be a task id such as 12 or a UUID, got true`)
		f.wantFail("task_add", map[string]any{"description": 12}, `argument "description" must be a string, got a number`)
	})
}

// measureToolsList returns the bytes of the tools/list answer as they travel:
// the whole JSON-RPC response, for a client of the protocol version.
func measureToolsList(t *testing.T, opts Options, protocol string) int {
	t.Helper()
	srv := NewServer(nil, opts)
	ctx := context.Background()
	st, ct := sdk.NewInMemoryTransports()
	rec := &recordingTransport{Transport: st}
	ss, err := srv.sdk.Connect(ctx, rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "size", Version: "1"}, nil).Connect(ctx, ct, &sdk.ClientSessionOptions{ProtocolVersion: protocol})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { cs.Close(); ss.Wait() }()
	rec.start()
	if _, err := cs.ListTools(ctx, nil); err != nil {
		t.Fatal(err)
	}
	return rec.largest()
}

// noForges is a Forges that reaches nothing, so that task_sync is served.
type noForges struct{}

func (noForges) Push(context.Context, *engine.Engine) error { return nil }
func (noForges) Sync(context.Context, *engine.Engine, string, string) (any, error) {
	return map[string]any{}, nil
}

func TestToolsListStaysUnder16KB(t *testing.T) {
	for _, protocol := range []string{"", "2025-11-25", "2025-03-26"} {
		n := measureToolsList(t, Options{Forges: noForges{}}, protocol)
		t.Logf("tools/list answer (protocol %q): %d bytes", protocol, n)
		if n >= 16000 {
			t.Errorf("tools/list is %d bytes for protocol %q, over the 16 KB budget", n, protocol)
		}
	}
}

func TestToolsetsAndReadOnlyChooseTheTools(t *testing.T) {
	cases := []struct {
		name string
		opts Options
		want []string
	}{
		{"docs alone", Options{Toolsets: []string{"docs"}}, []string{"task_doc_delete", "task_doc_read", "task_doc_write"}},
		{"agents and archive", Options{Toolsets: []string{"agents", "archive"}},
			[]string{"task_archive", "task_archive_list", "task_archive_load", "task_claim", "task_release", "task_summary"}},
		{"read-only", Options{ReadOnly: true}, readTools},
		{"read-only core", Options{ReadOnly: true, Toolsets: []string{"core"}},
			[]string{"task_count", "task_info", "task_list", "task_projects", "task_tags"}},
		{"all", Options{Toolsets: []string{"all"}}, toolNames},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, fixtureOptions{opts: c.opts})
			var got []string
			for name := range f.tools {
				got = append(got, name)
			}
			want := slices.Clone(c.want)
			sort.Strings(got)
			sort.Strings(want)
			if !slices.Equal(got, want) {
				t.Errorf("got %v\nwant %v", got, want)
			}
			if _, err := f.raw(nil, "task_add", map[string]any{"description": "x"}); !slices.Contains(want, "task_add") && err == nil {
				t.Errorf("a tool that is not served could be called")
			}
		})
	}
}

func TestOptionsFromEnv(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	o, err := OptionsFromEnv(env("BACKLOG_AGENT_ID", "lead", "BACKLOG_TOOLSETS", "core, docs", "BACKLOG_READ_ONLY", "yes",
		"BACKLOG_LOG", "debug", "BACKLOG_HTTP_TOKEN", "tok", "BACKLOG_HTTP_ORIGINS", "https://board.example"))
	if err != nil {
		t.Fatal(err)
	}
	if o.Agent != "lead" || !slices.Equal(o.Toolsets, []string{"core", "docs"}) || !o.ReadOnly || o.Token != "tok" ||
		!slices.Equal(o.AllowedOrigins, []string{"https://board.example"}) ||
		!o.Logger.Enabled(context.Background(), -4) {
		t.Errorf("options: %+v", o)
	}
	for _, c := range []struct{ key, value, want string }{
		{"BACKLOG_TOOLSETS", "core,web", `BACKLOG_TOOLSETS: unknown toolset "web": use core, docs, archive, agents, forges, tasksmd or all`},
		{"BACKLOG_READ_ONLY", "maybe", `BACKLOG_READ_ONLY must be true or false, got "maybe"`},
		{"BACKLOG_LOG", "loud", `BACKLOG_LOG must be debug, info, warn or error, got "loud"`},
	} {
		if _, err := OptionsFromEnv(env(c.key, c.value)); err == nil || err.Error() != c.want {
			t.Errorf("%s=%s: got %v, want %q", c.key, c.value, err, c.want)
		}
	}
}

func TestTheStoreOpensOnTheFirstToolCallOnly(t *testing.T) {
	open, opened := countingOpen(nil)
	f := &fixture{t: t, srv: NewServer(open, Options{Clock: clock})}
	f.cs = f.connect("", "")
	if _, err := f.cs.ListTools(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.cs.ListPrompts(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if n := opened(); n != 0 {
		t.Errorf("the store was opened %d times before any tool call", n)
	}
}

func TestAFailingOpenIsAToolErrorAndIsRetried(t *testing.T) {
	var mu sync.Mutex
	fails := true
	f := &fixture{t: t, srv: NewServer(func(context.Context) (store.Store, error) {
		mu.Lock()
		defer mu.Unlock()
		if fails {
			return nil, errors.New("disk on fire")
		}
		return memstore.New(), nil
	}, Options{Clock: clock, Logger: quietLogger()})}
	f.cs = f.connect("", "")
	res, err := f.raw(nil, "task_count", map[string]any{})
	if err != nil || !res.IsError || text(res) != "cannot open the backlog: disk on fire" {
		t.Fatalf("got %v %v %q", err, res.IsError, text(res))
	}
	mu.Lock()
	fails = false
	mu.Unlock()
	if res, err := f.raw(nil, "task_count", map[string]any{}); err != nil || res.IsError {
		t.Fatalf("second call: %v %q", err, text(res))
	}
}
