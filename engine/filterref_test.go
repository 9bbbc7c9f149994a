package engine_test

import (
	"context"
	"errors"
	"testing"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/store/memstore"
)

// prefixBacklog holds tasks 1 and 2, whose UUIDs share the prefix aaaaaaaa,
// and task 3.
func prefixBacklog(t *testing.T) *engine.Engine {
	t.Helper()
	now := time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC)
	e := engine.New(memstore.New(), engine.Options{Agent: "tester", Clock: func() time.Time { return now }})
	_, err := e.Import(context.Background(), []byte(`[
		{"uuid":"aaaaaaaa-1111-4111-8111-111111111111","description":"first"},
		{"uuid":"aaaaaaaa-2222-4222-8222-222222222222","description":"second"},
		{"uuid":"bbbbbbbb-3333-4333-8333-333333333333","description":"third"}]`), engine.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestAmbiguousPrefixInAFilterIsRefused(t *testing.T) {
	ctx := context.Background()
	const want = `UUID prefix "aaaaaaaa" matches tasks 1 and 2: give more digits`
	commands := []struct {
		name string
		run  func(e *engine.Engine, filter string) error
	}{
		{"count", func(e *engine.Engine, f string) error { _, err := e.Count(ctx, f); return err }},
		{"list", func(e *engine.Engine, f string) error {
			_, err := e.List(ctx, engine.ListOptions{Filter: f})
			return err
		}},
		{"export", func(e *engine.Engine, f string) error { _, err := e.Export(ctx, f); return err }},
		{"modify", func(e *engine.Engine, f string) error {
			c, err := engine.ParseMods([]string{"+x"}, false)
			if err != nil {
				return err
			}
			_, err = e.Modify(ctx, f, c, true)
			return err
		}},
		{"claim", func(e *engine.Engine, f string) error {
			_, err := e.Claim(ctx, engine.ClaimOptions{Filter: f})
			return err
		}},
	}
	for _, c := range commands {
		for _, f := range []string{"aaaaaaaa", "AAAAAAAA +READY", "3 or aaaaaaaa", "bbbbbbbb aaaaaaaa"} {
			t.Run(c.name+" "+f+" is refused, naming both tasks, and changes nothing", func(t *testing.T) {
				e := prefixBacklog(t)
				err := c.run(e, f)
				if err == nil || err.Error() != want || !errors.Is(err, backlog.ErrInvalid) {
					t.Fatalf("error %v, want %q (invalid input)", err, want)
				}
				tasks, err := e.Export(ctx, "status.any:")
				if err != nil {
					t.Fatal(err)
				}
				for _, task := range tasks {
					if len(task.Tags) > 0 || task.Agent != "" {
						t.Errorf("task %d changed: tags %v, agent %q", task.ID, task.Tags, task.Agent)
					}
				}
			})
		}
	}
}

func TestUUIDsInAFilterSelectEachTask(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		filter string
		want   int
	}{
		{"aaaaaaaa-1", 1},
		{"aaaaaaaa-1 bbbbbbbb", 2},
		{"aaaaaaaa-1111-4111-8111-111111111111 aaaaaaaa-2222-4222-8222-222222222222", 2},
		{"2 bbbbbbbb", 2},
		{"cccccccc", 0},
		{"cccccccc bbbbbbbb", 1},
	}
	e := prefixBacklog(t)
	for _, tt := range tests {
		t.Run(tt.filter+" counts "+string(rune('0'+tt.want)), func(t *testing.T) {
			n, err := e.Count(ctx, tt.filter)
			if err != nil || n != tt.want {
				t.Errorf("Count = %d, %v; want %d", n, err, tt.want)
			}
		})
	}
	t.Run("modify of two UUIDs changes both", func(t *testing.T) {
		c, err := engine.ParseMods([]string{"+x"}, false)
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.Modify(ctx, "aaaaaaaa-1 bbbbbbbb", c, false)
		if err != nil || res.Modified != 2 {
			t.Fatalf("Modify = %+v, %v; want 2 modified", res, err)
		}
	})
}
