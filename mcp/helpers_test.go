package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/memstore"
)

// now is the fixed clock of every test: Monday 2 March 2026, 09:00 UTC.
var now = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func clock() time.Time { return now }

// fixture is a server over an in-memory store and a client connected to it
// in-process, through the SDK.
type fixture struct {
	t     *testing.T
	srv   *Server
	st    *memstore.Store
	cs    *sdk.ClientSession
	tools map[string]*sdk.Tool
}

// fixtureOptions tune newFixture.
type fixtureOptions struct {
	opts     Options
	client   string // the client's name; default "test-agent"
	protocol string // the protocol version to ask for; default the newest
	store    *memstore.Store
}

func newFixture(t *testing.T, fo fixtureOptions) *fixture {
	t.Helper()
	if fo.store == nil {
		fo.store = memstore.New()
	}
	if fo.opts.Clock == nil {
		fo.opts.Clock = clock
	}
	st := fo.store
	srv := NewServer(func(context.Context) (store.Store, error) { return st, nil }, fo.opts)
	f := &fixture{t: t, srv: srv, st: st}
	f.cs = f.connect(fo.client, fo.protocol)
	res, err := f.cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	f.tools = map[string]*sdk.Tool{}
	for _, tl := range res.Tools {
		f.tools[tl.Name] = tl
	}
	return f
}

// connect opens another client session on the fixture's server.
func (f *fixture) connect(name, protocol string) *sdk.ClientSession {
	f.t.Helper()
	if name == "" {
		name = "test-agent"
	}
	ctx := context.Background()
	st, ct := sdk.NewInMemoryTransports()
	ss, err := f.srv.sdk.Connect(ctx, st, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	client := sdk.NewClient(&sdk.Implementation{Name: name, Version: "1.0"}, nil)
	cs, err := client.Connect(ctx, ct, &sdk.ClientSessionOptions{ProtocolVersion: protocol})
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() {
		cs.Close()
		ss.Wait()
	})
	return cs
}

// raw calls a tool as the fixture's client.
func (f *fixture) raw(cs *sdk.ClientSession, name string, args any) (*sdk.CallToolResult, error) {
	if cs == nil {
		cs = f.cs
	}
	return cs.CallTool(context.Background(), &sdk.CallToolParams{Name: name, Arguments: args})
}

// ok calls a tool that must succeed and checks the result's contract: its
// arguments validate against the input schema, its structuredContent
// against the output schema, and its one text block holds the same data as
// compact JSON. It returns the structuredContent.
func (f *fixture) ok(name string, args any) map[string]any {
	f.t.Helper()
	return f.okAs(nil, name, args)
}

func (f *fixture) okAs(cs *sdk.ClientSession, name string, args any) map[string]any {
	f.t.Helper()
	tool := f.tools[name]
	if tool == nil {
		f.t.Fatalf("%s is not served", name)
	}
	if err := validate(tool.InputSchema, args); err != nil {
		f.t.Errorf("%s %s: arguments do not match the input schema: %v", name, show(args), err)
	}
	res, err := f.raw(cs, name, args)
	if err != nil {
		f.t.Fatalf("%s %s: %v", name, show(args), err)
	}
	if res.IsError {
		f.t.Fatalf("%s %s: unexpected error %q", name, show(args), text(res))
	}
	checkResult(f.t, tool, res)
	m, _ := res.StructuredContent.(map[string]any)
	return m
}

// checkResult checks a successful result against its tool's contract.
func checkResult(t *testing.T, tool *sdk.Tool, res *sdk.CallToolResult) {
	t.Helper()
	if err := validate(tool.OutputSchema, res.StructuredContent); err != nil {
		t.Errorf("%s: structuredContent does not match the output schema: %v\n%s", tool.Name, err, show(res.StructuredContent))
	}
	if len(res.Content) != 1 {
		t.Fatalf("%s: %d content blocks, want 1", tool.Name, len(res.Content))
	}
	txt := text(res)
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(txt)); err != nil || buf.String() != txt {
		t.Errorf("%s: text is not compact JSON: %s", tool.Name, txt)
	}
	if strings.Contains(txt, `\u003c`) || strings.Contains(txt, `\u003e`) || strings.Contains(txt, `\u0026`) {
		t.Errorf("%s: text is HTML-escaped: %s", tool.Name, txt)
	}
	var fromText any
	if err := json.Unmarshal([]byte(txt), &fromText); err != nil {
		t.Fatalf("%s: text is not JSON: %v", tool.Name, err)
	}
	if !reflect.DeepEqual(fromText, res.StructuredContent) {
		t.Errorf("%s: text and structuredContent differ:\n%s\n%s", tool.Name, txt, show(res.StructuredContent))
	}
}

// fail calls a tool that must fail with isError and returns its sentence.
func (f *fixture) fail(name string, args any) string {
	f.t.Helper()
	return f.failAs(nil, name, args)
}

func (f *fixture) failAs(cs *sdk.ClientSession, name string, args any) string {
	f.t.Helper()
	res, err := f.raw(cs, name, args)
	if err != nil {
		f.t.Fatalf("%s %s: protocol error %v, want a tool error", name, show(args), err)
	}
	if !res.IsError {
		f.t.Fatalf("%s %s: succeeded with %s, want an error", name, show(args), text(res))
	}
	if res.StructuredContent != nil {
		f.t.Errorf("%s: an error result carries structuredContent %s", name, show(res.StructuredContent))
	}
	if len(res.Content) != 1 {
		f.t.Fatalf("%s: %d content blocks, want 1", name, len(res.Content))
	}
	return text(res)
}

// wantFail checks that a call fails with exactly the sentence.
func (f *fixture) wantFail(name string, args any, sentence string) {
	f.t.Helper()
	if got := f.fail(name, args); got != sentence {
		f.t.Errorf("%s %s:\n got %q\nwant %q", name, show(args), got, sentence)
	}
}

// protocolErr calls a tool that must fail with a JSON-RPC error, and
// returns it.
func (f *fixture) protocolErr(name string, args any) *jsonrpc.Error {
	f.t.Helper()
	res, err := f.raw(nil, name, args)
	if err == nil {
		f.t.Fatalf("%s %s: got result %s, want a protocol error", name, show(args), text(res))
	}
	var werr *jsonrpc.Error
	if !errors.As(err, &werr) {
		f.t.Fatalf("%s: error %v is not a JSON-RPC error", name, err)
	}
	return werr
}

// task returns the {"task": …} of a result.
func task(m map[string]any) map[string]any {
	t, _ := m["task"].(map[string]any)
	return t
}

// tasks returns the {"tasks": […]} of a result.
func tasks(m map[string]any) []map[string]any {
	var out []map[string]any
	for _, t := range m["tasks"].([]any) {
		out = append(out, t.(map[string]any))
	}
	return out
}

// ids returns the ids of tasks.
func ids(ts []map[string]any) []float64 {
	out := []float64{}
	for _, t := range ts {
		out = append(out, t["id"].(float64))
	}
	return out
}

// add creates a task and returns it.
func (f *fixture) add(args map[string]any) map[string]any {
	f.t.Helper()
	return task(f.ok("task_add", args))
}

func text(res *sdk.CallToolResult) string {
	if len(res.Content) == 0 {
		return ""
	}
	if tc, ok := res.Content[0].(*sdk.TextContent); ok {
		return tc.Text
	}
	return ""
}

func show(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// validate checks a value against a JSON Schema given as any JSON value.
func validate(schema, v any) error {
	b, err := json.Marshal(schema)
	if err != nil {
		return err
	}
	var s jsonschema.Schema
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	rs, err := s.Resolve(nil)
	if err != nil {
		return err
	}
	// Validate what the wire carries: the value as JSON decodes it.
	b, err = json.Marshal(v)
	if err != nil {
		return err
	}
	var inst any
	if err := json.Unmarshal(b, &inst); err != nil {
		return err
	}
	if inst == nil {
		inst = map[string]any{}
	}
	return rs.Validate(inst)
}

// slowStore delays every write, to keep handlers in flight.
type slowStore struct {
	store.Store
	delay time.Duration
}

func (s slowStore) Write(ctx context.Context, fn func(store.Tx) error) error {
	time.Sleep(s.delay)
	return s.Store.Write(ctx, fn)
}

// countingOpen returns an open function that counts its calls.
func countingOpen(st store.Store) (func(context.Context) (store.Store, error), func() int) {
	var mu sync.Mutex
	n := 0
	return func(context.Context) (store.Store, error) {
			mu.Lock()
			defer mu.Unlock()
			n++
			return st, nil
		}, func() int {
			mu.Lock()
			defer mu.Unlock()
			return n
		}
}

// recordingTransport records the size of every response the server writes,
// as it goes on the wire, once started.
type recordingTransport struct {
	sdk.Transport
	mu    sync.Mutex
	on    bool
	sizes []int
}

func (r *recordingTransport) Connect(ctx context.Context) (sdk.Connection, error) {
	c, err := r.Transport.Connect(ctx)
	return &recordingConn{Connection: c, r: r}, err
}

func (r *recordingTransport) start() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.on, r.sizes = true, nil
}

func (r *recordingTransport) largest() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Max(append(r.sizes, 0))
}

type recordingConn struct {
	sdk.Connection
	r *recordingTransport
}

func (c *recordingConn) Write(ctx context.Context, msg jsonrpc.Message) error {
	if resp, ok := msg.(*jsonrpc.Response); ok {
		b, err := jsonrpc.EncodeMessage(resp)
		if err != nil {
			return err
		}
		c.r.mu.Lock()
		if c.r.on {
			c.r.sizes = append(c.r.sizes, len(b))
		}
		c.r.mu.Unlock()
	}
	return c.Connection.Write(ctx, msg)
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
