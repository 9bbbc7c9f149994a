package mcp

import (
	"context"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestSubscribedDocsNotifyOnChange: a client subscribed to a task's doc hears
// when the doc is written (by any agent, through any engine on the store),
// deleted, or the task purged; it hears nothing for other tasks or for
// changes that leave the doc alone, and nothing after unsubscribing.
func TestSubscribedDocsNotifyOnChange(t *testing.T) {
	for _, protocol := range []string{"", "2025-11-25"} {
		t.Run("protocol "+protocol, func(t *testing.T) { subscribedDocs(t, protocol) })
	}
}

func subscribedDocs(t *testing.T, protocol string) {
	f := newFixture(t, fixtureOptions{})
	f.add(map[string]any{"description": "Watched"})
	f.add(map[string]any{"description": "Other"})
	uuid := task(f.ok("task_info", map[string]any{"id": 1}))["uuid"].(string)

	got := make(chan string, 16)
	ctx := context.Background()
	st, ct := sdk.NewInMemoryTransports()
	ss, err := f.srv.sdk.Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	client := sdk.NewClient(&sdk.Implementation{Name: "watcher", Version: "1"}, &sdk.ClientOptions{
		ResourceUpdatedHandler: func(_ context.Context, req *sdk.ResourceUpdatedNotificationRequest) {
			got <- req.Params.URI
		},
	})
	cs, err := client.Connect(ctx, ct, &sdk.ClientSessionOptions{ProtocolVersion: protocol})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close(); ss.Wait() })

	byUUID, byID := "backlog://task/"+uuid+"/doc", "backlog://task/1/doc"
	for _, uri := range []string{byUUID, byID} {
		if err := cs.Subscribe(ctx, &sdk.SubscribeParams{URI: uri}); err != nil {
			t.Fatalf("subscribe %s: %v", uri, err)
		}
	}
	// The newest protocol subscribes through a background stream whose
	// refusal the SDK's client does not return; the older ones say no.
	if protocol != "" {
		if err := cs.Subscribe(ctx, &sdk.SubscribeParams{URI: "backlog://task/99/doc"}); err == nil {
			t.Error("subscribing to a task that does not exist succeeded")
		}
	}
	expect := func(what string, want ...string) {
		t.Helper()
		seen := map[string]bool{}
		deadline := time.After(5 * time.Second)
		for len(seen) < len(want) {
			select {
			case uri := <-got:
				seen[uri] = true
			case <-deadline:
				t.Fatalf("%s: notified %v, want %v", what, seen, want)
			}
		}
		for _, w := range want {
			if !seen[w] {
				t.Fatalf("%s: notified %v, want %v", what, seen, want)
			}
		}
	}
	quiet := func(what string) {
		t.Helper()
		select {
		case uri := <-got:
			t.Fatalf("%s: unexpected notification for %s", what, uri)
		case <-time.After(300 * time.Millisecond):
		}
	}

	f.ok("task_annotate", map[string]any{"id": 1, "text": "no doc change"})
	f.ok("task_doc_write", map[string]any{"id": 2, "content": "other task"})
	quiet("changes that leave the doc alone")
	f.ok("task_doc_write", map[string]any{"id": 1, "content": "# v1"})
	expect("doc write", byUUID, byID)
	f.ok("task_doc_delete", map[string]any{"id": 1})
	expect("doc delete", byUUID, byID)
	if err := cs.Unsubscribe(ctx, &sdk.UnsubscribeParams{URI: byID}); err != nil {
		t.Fatal(err)
	}
	// The newest protocol unsubscribes by ending a stream, which the server
	// handles asynchronously: wait until it has.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		f.srv.subs.mu.Lock()
		_, still := f.srv.subs.uuidOf[byID]
		f.srv.subs.mu.Unlock()
		if !still {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the server kept the subscription after unsubscribe")
		}
	}
	f.ok("task_doc_write", map[string]any{"id": 1, "content": "# v2"})
	expect("after unsubscribing one URI", byUUID)
	quiet("the unsubscribed URI")
	f.ok("task_delete", map[string]any{"id": 1})
	quiet("a delete keeps the doc")
	f.ok("task_purge", map[string]any{"id": 1})
	expect("purge", byUUID)
}
