package mcp

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/memstore"
)

// pipeSession is what a shell pipe sends: initialize, initialized, three
// tool calls, then the end of input.
const pipeSession = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"sh","version":"1"}}}
{"jsonrpc":"2.0","method":"notifications/initialized","params":{}}
{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"task_add","arguments":{"description":"one"}}}
{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"task_add","arguments":{"description":"two","tags":"a,b"}}}
{"jsonrpc":"2.0","id":"four","method":"tools/call","params":{"name":"task_info","arguments":{"id":99}}}
`

// serveStdio runs a session of input lines through ServeStdio over pipes and
// returns the answers by id.
func serveStdio(t *testing.T, st store.Store, input string) map[string]map[string]any {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	srv := NewServer(func(context.Context) (store.Store, error) { return st, nil }, Options{Clock: clock, Logger: quietLogger()})
	done := make(chan error, 1)
	go func() {
		done <- srv.ServeStdio(context.Background(), inR, outW)
		outW.Close()
	}()
	go func() {
		io.WriteString(inW, input)
		inW.Close()
	}()
	answers := map[string]map[string]any{}
	sc := bufio.NewScanner(outR)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var msg map[string]any
		if err := json.Unmarshal(sc.Bytes(), &msg); err != nil {
			t.Fatalf("stdout holds a line that is not JSON: %s", sc.Text())
		}
		answers[show(msg["id"])] = msg
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ServeStdio: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ServeStdio did not return after stdin closed")
	}
	return answers
}

func TestStdioAnswersEveryRequestReadBeforeStdinCloses(t *testing.T) {
	// Slow writes keep the calls in flight when stdin closes.
	st := memstore.New()
	answers := serveStdio(t, slowStore{Store: st, delay: 100 * time.Millisecond}, pipeSession)
	for _, id := range []string{"1", "2", "3", `"four"`} {
		if answers[id] == nil {
			t.Errorf("no answer to request %s; answers: %s", id, show(answers))
		}
	}
	res, _ := answers["3"]["result"].(map[string]any)
	if sc, _ := res["structuredContent"].(map[string]any); sc == nil || !strings.Contains(show(sc), `"tags":["a","b"]`) {
		t.Errorf("task_add answer: %s", show(answers["3"]))
	}
	if res, _ := answers[`"four"`]["result"].(map[string]any); res["isError"] != true || !strings.Contains(show(res), "no task with id 99") {
		t.Errorf("task_info answer: %s", show(answers[`"four"`]))
	}
	if len(answers) != 4 {
		t.Errorf("%d answers, want 4 (a notification gets none)", len(answers))
	}
}

func TestStdioSurvivesManySessions(t *testing.T) {
	for range 20 {
		answers := serveStdio(t, memstore.New(), pipeSession)
		if len(answers) != 4 {
			t.Fatalf("%d answers, want 4: %s", len(answers), show(answers))
		}
	}
}

func TestStdioStopsWhenTheContextIsCancelled(t *testing.T) {
	inR, _ := io.Pipe()
	srv := NewServer(nil, Options{Logger: quietLogger()})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ServeStdio(ctx, inR, io.Discard) }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ServeStdio: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ServeStdio did not return after cancel")
	}
}

// Lines a stdio client sends before and after the line under test.
const (
	initLine        = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"sh","version":"1"}}}`
	initializedLine = `{"jsonrpc":"2.0","method":"notifications/initialized","params":{}}`
	countLine       = `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"task_count","arguments":{}}}`
)

// stdioClient drives ServeStdio line by line, as an agent does.
type stdioClient struct {
	t       *testing.T
	in      *io.PipeWriter
	answers chan map[string]any
	done    chan error
}

// startStdio serves stdio over pipes with the options, on an empty store.
func startStdio(t *testing.T, opts Options) *stdioClient {
	t.Helper()
	return startStdioOn(t, memstore.New(), opts)
}

// startStdioOn serves stdio over pipes with the options, on st.
func startStdioOn(t *testing.T, st store.Store, opts Options) *stdioClient {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	opts.Clock, opts.Logger = clock, quietLogger()
	srv := NewServer(func(context.Context) (store.Store, error) { return st, nil }, opts)
	c := &stdioClient{t: t, in: inW, answers: make(chan map[string]any, 16), done: make(chan error, 1)}
	go func() {
		c.done <- srv.ServeStdio(context.Background(), inR, outW)
		outW.Close()
	}()
	go func() {
		defer close(c.answers)
		sc := bufio.NewScanner(outR)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var msg map[string]any
			if err := json.Unmarshal(sc.Bytes(), &msg); err != nil {
				msg = map[string]any{"not JSON": sc.Text()}
			}
			c.answers <- msg
		}
	}()
	t.Cleanup(func() {
		inW.Close()
		for range c.answers {
		}
	})
	return c
}

// send writes text to the server's input as it is.
func (c *stdioClient) send(text string) {
	c.t.Helper()
	if _, err := io.WriteString(c.in, text); err != nil {
		c.t.Fatalf("the server stopped reading: %v", err)
	}
}

// next returns the next line the server writes.
func (c *stdioClient) next() map[string]any {
	c.t.Helper()
	select {
	case msg, ok := <-c.answers:
		if !ok {
			c.t.Fatal("the server closed its output")
		}
		if msg["not JSON"] != nil {
			c.t.Fatalf("the server wrote a line that is not JSON: %s", msg["not JSON"])
		}
		return msg
	case <-time.After(5 * time.Second):
		c.t.Fatal("no answer within 5s")
	}
	return nil
}

// initialize opens the MCP session.
func (c *stdioClient) initialize() {
	c.t.Helper()
	c.send(initLine + "\n")
	if got := c.next(); got["id"] != 1.0 || got["result"] == nil {
		c.t.Fatalf("initialize: %s", show(got))
	}
	c.send(initializedLine + "\n")
}

// wantCount sends a task_count call and checks it is answered.
func (c *stdioClient) wantCount() {
	c.t.Helper()
	c.send(countLine + "\n")
	got := c.next()
	if res, _ := got["result"].(map[string]any); got["id"] != 2.0 || res == nil || res["isError"] == true {
		c.t.Fatalf("task_count after the bad line: %s", show(got))
	}
}

// finish closes the input and checks that ServeStdio returns cleanly.
func (c *stdioClient) finish() {
	c.t.Helper()
	c.in.Close()
	select {
	case err := <-c.done:
		if err != nil {
			c.t.Errorf("ServeStdio: %v", err)
		}
	case <-time.After(5 * time.Second):
		c.t.Fatal("ServeStdio did not return after stdin closed")
	}
}

// wantError checks a JSON-RPC error answer: its code, id and sentence.
func wantError(t *testing.T, got map[string]any, code float64, id any, says string) {
	t.Helper()
	e, _ := got["error"].(map[string]any)
	if e == nil {
		t.Fatalf("want an error, got %s", show(got))
	}
	if v, ok := got["id"]; !ok || v != id {
		t.Errorf("id %s (present: %v), want %v", show(v), ok, id)
	}
	if e["code"] != code {
		t.Errorf("code %v, want %v", e["code"], code)
	}
	if msg, _ := e["message"].(string); !strings.Contains(msg, says) {
		t.Errorf("message %q, want it to say %q", msg, says)
	}
	if msg, _ := e["message"].(string); strings.Contains(msg, ". ") || strings.Contains(msg, "\n") {
		t.Errorf("message %q is more than one sentence", msg)
	}
}

func TestStdioAnswersEachBadLineAndServesTheNext(t *testing.T) {
	const parse, invalid = -32700, -32600
	tooLong := `{"jsonrpc":"2.0","id":3,"method":"ping","params":{"x":"` + strings.Repeat("a", DefaultMaxBodyBytes) + `"}}`
	for _, c := range []struct {
		name string
		line string
		code float64
		id   any
		says string
	}{
		{"a word that is not JSON", "hello", parse, nil, "line 3 is not JSON: invalid character 'h' looking for beginning of value"},
		{"a request followed by garbage", `{"jsonrpc":"2.0","id":3,"method":"ping"} garbage`, parse, nil, "line 3 goes on after its JSON value, at offset 41"},
		{"two requests on one line", `{"jsonrpc":"2.0","id":3,"method":"ping"}{"jsonrpc":"2.0","id":4,"method":"ping"}`, parse, nil, "line 3 goes on after its JSON value"},
		{"a line over the limit", tooLong, parse, nil, fmt.Sprintf("line 3 of %d bytes exceeds the limit of %d bytes", len(tooLong), DefaultMaxBodyBytes)},
		{"arrays nested 10,001 deep", strings.Repeat("[", 10001) + strings.Repeat("]", 10001), parse, nil, "line 3 nests deeper than 1000 levels"},
		{"objects nested 1,001 deep", strings.Repeat(`{"a":`, 1001) + "1" + strings.Repeat("}", 1001), parse, nil, "line 3 nests deeper than 1000 levels"},
		{"a request cut short", `{"jsonrpc":"2.0","id":9,"method":`, parse, nil, "line 3 is not JSON: it ends in the middle of a value"},
		{"bytes that are not UTF-8 in a string", "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\",\"params\":{\"x\":\"\xff\xfe\"}}", parse, nil, "line 3 is not valid UTF-8: byte 0xff at offset 55"},
		{"bytes that are not UTF-8 alone", "\xc3\x28", parse, nil, "line 3 is not valid UTF-8: byte 0xc3 at offset 0"},
		{"a NUL byte in a string", "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"pi\x00ng\"}", parse, nil, `line 3 is not JSON: invalid character '\x00' in string literal`},
		{"an empty batch", "[]", invalid, nil, "line 3 is an empty batch: this server takes one message per line, not batches"},
		{"a batch of one request", `[{"jsonrpc":"2.0","id":3,"method":"ping"}]`, invalid, nil, "line 3 is a batch (a JSON array)"},
		{"a JSON number", "42", invalid, nil, "line 3 is a JSON number, not a JSON-RPC message"},
		{"a JSON string", `"ping"`, invalid, nil, "line 3 is a JSON string, not a JSON-RPC message"},
		{"JSON null", "null", invalid, nil, "line 3 is a JSON null, not a JSON-RPC message"},
		{"a request whose id is an object", `{"jsonrpc":"2.0","id":{"n":3},"method":"ping"}`, invalid, nil, `line 3 has the id {"n":3}: an id must be a string or a whole number`},
		{"a request whose id is a boolean", `{"jsonrpc":"2.0","id":true,"method":"ping"}`, invalid, nil, "line 3 has the id true"},
		{"a request whose id is a fraction", `{"jsonrpc":"2.0","id":3.5,"method":"ping"}`, invalid, nil, "line 3 has the id 3.5"},
		{"a request whose id is 2^63", `{"jsonrpc":"2.0","id":9223372036854775808,"method":"ping"}`, invalid, nil, "line 3 has the id 9223372036854775808"},
		{"a request without jsonrpc, its id kept", `{"id":3,"method":"ping"}`, invalid, 3.0, `line 3 has no "jsonrpc" member`},
		{"a request of JSON-RPC 1.0, its id kept", `{"jsonrpc":"1.0","id":"three","method":"ping"}`, invalid, "three", `line 3 has "jsonrpc": "1.0", but only "2.0" is served`},
		{"a method that is a number", `{"jsonrpc":"2.0","id":3,"method":7}`, invalid, 3.0, "line 3 has a method that is a JSON number: a method must be a string"},
		{"params that are a string", `{"jsonrpc":"2.0","id":3,"method":"ping","params":"x"}`, invalid, 3.0, "line 3 has params that are a JSON string"},
		{"an object with neither method nor id", `{"jsonrpc":"2.0","params":{}}`, invalid, nil, "line 3 is neither a request (it has no method) nor a response (it has no id)"},
		{"a response with neither result nor error", `{"jsonrpc":"2.0","id":3}`, invalid, 3.0, `line 3 is a response that must have exactly one of "result" and "error"`},
	} {
		t.Run(c.name+" gets an error and the next request is answered", func(t *testing.T) {
			client := startStdio(t, Options{})
			client.initialize()
			client.send(c.line + "\n")
			wantError(t, client.next(), c.code, c.id, c.says)
			client.wantCount()
			client.finish()
		})
	}
}

func TestStdioServesBlankLinesCRLFAndALastLineWithoutNewline(t *testing.T) {
	client := startStdio(t, Options{})
	client.send("\n  \r\n" + initLine + "\r\n\r\n\t\n")
	if got := client.next(); got["id"] != 1.0 || got["result"] == nil {
		t.Fatalf("initialize: %s", show(got))
	}
	client.send(initializedLine + "\r\n" + countLine)
	client.in.Close()
	if got := client.next(); got["id"] != 2.0 || got["result"] == nil {
		t.Fatalf("the last line, without a newline: %s", show(got))
	}
	client.finish()
}

func TestStdioRefusesALongLineWithItsSize(t *testing.T) {
	client := startStdio(t, Options{MaxBodyBytes: 4096})
	client.initialize()
	// The line arrives in pieces, the limit passed in the middle of one.
	for range 5 {
		client.send(strings.Repeat("x", 1000))
	}
	client.send("\r\n")
	wantError(t, client.next(), -32700, nil, "line 3 of 5001 bytes exceeds the limit of 4096 bytes")
	client.wantCount()
	// A line of exactly the limit is read.
	head, tail := `{"jsonrpc":"2.0","id":5,"method":"ping","params":{"x":"`, `"}}`
	line := head + strings.Repeat("y", 4096-len(head)-len(tail)) + tail
	client.send(line + "\n")
	if got := client.next(); got["id"] != 5.0 || got["result"] == nil {
		t.Errorf("a line of exactly the limit: %s", show(got))
	}
	client.finish()
}

func TestStdioDropsALineThatStopsPartWay(t *testing.T) {
	client := startStdio(t, Options{LineTimeout: 100 * time.Millisecond})
	client.initialize()
	start := time.Now()
	client.send(`{"jsonrpc":"2.0","id":9,"method":`)
	wantError(t, client.next(), -32700, nil, "line 3 stopped after 33 bytes with no newline and no new byte for 100ms, so it was dropped")
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("dropped after %v, before the timeout", d)
	}
	client.wantCount()
	client.finish()
}

func TestStdioWaitsForALineThatKeepsComing(t *testing.T) {
	client := startStdio(t, Options{LineTimeout: 200 * time.Millisecond})
	client.initialize()
	// Each piece comes within the timeout, the whole line well after it.
	for _, piece := range strings.SplitAfter(countLine, ",") {
		client.send(piece)
		time.Sleep(60 * time.Millisecond)
	}
	client.send("\n")
	if got := client.next(); got["id"] != 2.0 || got["result"] == nil {
		t.Errorf("a slow line: %s", show(got))
	}
	client.finish()
}
