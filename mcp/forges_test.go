package mcp

import (
	"context"
	"sync"
	"testing"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/store"
)

// recordingForges counts deliveries and what they found owed, and answers
// task_sync with what it was asked.
type recordingForges struct {
	mu     sync.Mutex
	pushes int
	owed   int
	pushed chan struct{}
}

func (r *recordingForges) Push(ctx context.Context, e *engine.Engine) error {
	var n int
	err := e.Store().Read(ctx, func(tx store.Tx) error {
		items, err := tx.Owed(ctx, 0)
		n = len(items)
		return err
	})
	r.mu.Lock()
	r.pushes++
	r.owed += n
	r.mu.Unlock()
	select {
	case r.pushed <- struct{}{}:
	default:
	}
	return err
}

func (r *recordingForges) Sync(ctx context.Context, e *engine.Engine, kind, filter string) (any, error) {
	return map[string]any{"forge": kind, "filter": filter, "pulled": []any{}}, nil
}

func TestAnImportedTaskDoneOverMCPIsDeliveredInTheBackgroundWithItsNoteAndClose(t *testing.T) {
	rf := &recordingForges{pushed: make(chan struct{}, 8)}
	f := newFixture(t, fixtureOptions{opts: Options{Forges: rf}})
	e := engine.New(f.st, engine.Options{Agent: "planner", Clock: clock})
	src := &backlog.Source{Type: "github", Host: "github.com", Project: "acme/app", IID: 3}
	if _, err := e.ImportIssues(context.Background(), []engine.IssueTask{{Task: &backlog.Task{Description: "Fix it", Source: src}}}, "import"); err != nil {
		t.Fatal(err)
	}
	f.add(map[string]any{"description": "Local work"})
	f.ok("task_done", map[string]any{"id": "2", "note": "local only"})
	select {
	case <-rf.pushed:
		t.Fatal("a local task's completion woke the pusher")
	case <-time.After(100 * time.Millisecond):
	}
	got := task(f.ok("task_done", map[string]any{"id": "1", "note": "shipped", "close": "yes"}))
	if got["status"] != "completed" {
		t.Errorf("task_done = %v", got)
	}
	select {
	case <-rf.pushed:
	case <-time.After(10 * time.Second):
		t.Fatal("the background pusher did not run after task_done on an imported task")
	}
	var items []*store.OutboxItem
	if err := f.st.Read(context.Background(), func(tx store.Tx) error {
		var err error
		items, err = tx.Owed(context.Background(), 0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Event != `{"op":"done","close":true,"note":"shipped"}` {
		t.Errorf("owed = %+v", items)
	}
	res := f.ok("task_sync", map[string]any{"forge": "github", "filter": "project:x"})
	if res["forge"] != "github" || res["filter"] != "project:x" {
		t.Errorf("task_sync = %v", res)
	}
	before := rf.pushes
	f.srv.Close()
	if rf.pushes <= before {
		t.Errorf("Close did not make a last delivery (%d pushes before, %d after)", before, rf.pushes)
	}
}

func TestWithoutForgesThereIsNoTaskSyncAndNoPusher(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	if _, ok := f.tools["task_sync"]; ok {
		t.Error("task_sync is served without forges")
	}
	f.add(map[string]any{"description": "x"})
	f.ok("task_done", map[string]any{"id": "1", "close": true})
	if f.srv.push.started {
		t.Error("a pusher started without forges")
	}
}
