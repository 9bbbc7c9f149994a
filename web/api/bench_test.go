package api

// The REST list on a 10,000-task backlog in SQLite, through the handler
// (routing, the engine's query, encoding), without the network:
//
//	go test ./web/api -run '^$' -bench . -benchtime 20x

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/sqlite"
	"github.com/agent-backlog/backlog/store"
)

const benchTasks = 10_000

// benchHandler is the API over a new SQLite file of benchTasks pending
// tasks, each with a project, 0-2 tags, some with a due date and a note.
func benchHandler(b *testing.B) *handler {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "backlog.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	tags := []string{"bug", "perf", "ux", "next", "docs", "infra"}
	err = st.Write(ctx, func(tx store.Tx) error {
		for i := 0; i < benchTasks; i++ {
			id, err := tx.NextID(ctx)
			if err != nil {
				return err
			}
			t := &backlog.Task{
				ID: id, UUID: uuid.NewString(), Description: fmt.Sprintf("Task number %d of the bench, with a description of ordinary length", i),
				Status: backlog.StatusPending, Project: fmt.Sprintf("p%d", i%50),
				Entry: now.Add(-time.Duration(i) * time.Minute), Modified: now,
			}
			for k := 0; k < i%3; k++ {
				t.Tags = append(t.Tags, tags[(i+k*2)%len(tags)])
			}
			if i%4 == 0 {
				t.Due = now.Add(time.Duration(i%30-10) * 24 * time.Hour)
			}
			if i%10 == 0 {
				t.Annotations = []backlog.Annotation{{Entry: now, Description: "a note on the way"}}
			}
			if err := tx.Insert(ctx, t); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return Handler(Deps{Engine: func(ctx context.Context, agent string) (*engine.Engine, error) {
		return engine.New(st, engine.Options{Agent: agent, Clock: func() time.Time { return now }}), nil
	}}).(*handler)
}

func BenchmarkList(b *testing.B) {
	h := benchHandler(b)
	for _, c := range []struct{ name, path string }{
		{"default limit (100 most urgent)", "/api/v1/tasks"},
		{"a project (200 tasks)", "/api/v1/tasks?filter=project:p7&limit=0"},
		{"every task (10,000)", "/api/v1/tasks?limit=0"},
	} {
		b.Run(c.name, func(b *testing.B) {
			var size int
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest("GET", c.path, nil))
				if w.Code != 200 {
					b.Fatalf("%d %s", w.Code, w.Body)
				}
				size = w.Body.Len()
			}
			b.ReportMetric(float64(size), "bytes/answer")
		})
	}
}

// BenchmarkChangeStream measures how long a commit takes to reach a client
// of the event stream, over HTTP on loopback, with the store in SQLite (a
// second engine over its own handle writes, as another process would).
func BenchmarkChangeStream(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "backlog.db")
	serverStore, err := sqlite.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer serverStore.Close()
	writerStore, err := sqlite.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer writerStore.Close()
	h := Handler(Deps{Engine: func(ctx context.Context, agent string) (*engine.Engine, error) {
		return engine.New(serverStore, engine.Options{Agent: agent}), nil
	}})
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/api/v1/changes")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	writer := engine.New(writerStore, engine.Options{Agent: "writer"})
	desc := "a change"
	for b.Loop() {
		if _, err := writer.Add(ctx, &engine.Changes{Description: &desc}); err != nil {
			b.Fatal(err)
		}
		for lines.Scan() && !strings.HasPrefix(lines.Text(), "data: ") {
		}
		if lines.Err() != nil {
			b.Fatal(lines.Err())
		}
	}
}
