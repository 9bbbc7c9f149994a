package hook_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/hook"
	"github.com/agent-backlog/backlog/sqlite"
)

// BenchmarkEvents answers each event in-process on a SQLite backlog of
// 10,000 tasks (three quarters completed, 50 projects), opening the store
// for every event as a hook process does. The whole process, start-up
// included, is timed by go run ./bench -hooks.
func BenchmarkEvents(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "backlog.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	seed := engine.New(st, engine.Options{Agent: "bench"})
	var buf strings.Builder
	buf.WriteString("[")
	for i := 0; i < 10_000; i++ {
		if i > 0 {
			buf.WriteString(",")
		}
		fmt.Fprintf(&buf, `{"description":"Task %d of the benchmark","project":"p%d"`, i, i%50)
		if i%4 != 0 {
			fmt.Fprintf(&buf, `,"status":"completed","end":"now-%dd"`, i%300)
		}
		buf.WriteString("}")
	}
	buf.WriteString("]")
	if _, err := seed.Import(ctx, []byte(buf.String()), engine.ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	st.Close()

	env := func() (hook.Env, func()) {
		var st *sqlite.Store
		return hook.Env{
				Engine: func(bool) (*engine.Engine, error) {
					var err error
					st, err = sqlite.Open(ctx, path)
					return engine.New(st, engine.Options{Agent: "claude-code-hook"}), err
				},
				Getenv:      func(k string) string { return map[string]string{hook.ClaimSetting: "p3"}[k] },
				SummaryText: func(*engine.Summary) string { return "" },
			}, func() {
				if st != nil {
					st.Close()
				}
			}
	}
	answer := func(b *testing.B, event, input string) {
		ev, _ := hook.Lookup(event)
		e, done := env()
		defer done()
		if err := hook.Run(ctx, ev, strings.NewReader(input), io.Discard, e); err != nil {
			b.Fatal(err)
		}
	}
	run := func(b *testing.B, event string, input func(i int) string) {
		for i := 0; b.Loop(); i++ {
			answer(b, event, input(i))
		}
	}
	// Each mirror is made once and completed once, across runs of the
	// sub-benchmarks (-count): seq numbers Claude's tasks, open holds
	// those mirrored and not completed yet.
	var seq int
	var open []int
	task := func(event string, id int) string {
		return fmt.Sprintf(`{"session_id":"bench","hook_event_name":%q,"task_id":"%d","task_subject":"Benchmark task %d"}`, event, id, id)
	}
	b.Run("session-start", func(b *testing.B) {
		run(b, "session-start", func(int) string { return `{"hook_event_name":"SessionStart","source":"startup"}` })
	})
	b.Run("task-created", func(b *testing.B) {
		for b.Loop() {
			seq++
			answer(b, "task-created", task("TaskCreated", seq))
			open = append(open, seq)
		}
	})
	b.Run("task-completed", func(b *testing.B) {
		for b.Loop() {
			if len(open) == 0 {
				b.StopTimer()
				seq++
				answer(b, "task-created", task("TaskCreated", seq))
				open = append(open, seq)
				b.StartTimer()
			}
			id := open[0]
			open = open[1:]
			answer(b, "task-completed", task("TaskCompleted", id))
		}
	})
	b.Run("subagent-start", func(b *testing.B) {
		run(b, "subagent-start", func(i int) string {
			return fmt.Sprintf(`{"hook_event_name":"SubagentStart","agent_id":"a%d","agent_type":"p3"}`, i)
		})
	})
	b.Run("decode only", func(b *testing.B) {
		ev, _ := hook.Lookup("task-created")
		in := []byte(task("TaskCreated", 1))
		for b.Loop() {
			if _, err := hook.Decode(ev, bytes.NewReader(in)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
