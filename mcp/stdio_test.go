package mcp

import (
	"bufio"
	"context"
	"encoding/json"
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
