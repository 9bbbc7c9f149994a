package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/store/memstore"
)

// TestListsOverTheCapsAreRefusedBeforeAnyWork: a client that sends 100,000
// tags or dependencies gets one sentence at once (the edit used to compare
// every entry with every other), and nothing is stored.
func TestListsOverTheCapsAreRefusedBeforeAnyWork(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC)
	e := engine.New(memstore.New(), engine.Options{Agent: "tester", Clock: func() time.Time { return now }})
	many := func(prefix string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("%s%d", prefix, i+1)
		}
		return out
	}
	if _, err := e.Add(ctx, &engine.Changes{Description: ptr("Target")}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		changes engine.Changes
		want    string
	}{
		{"100,000 tags", engine.Changes{Tags: engine.ParseListEdit(many("t", 100_000))}, "a task can hold at most 100 tags, got 100000"},
		{"101 tags added one by one", engine.Changes{Tags: engine.ParseListEdit(many("+t", 101))}, "a task can hold at most 100 tags, got 101"},
		{"100,000 dependencies", engine.Changes{Depends: engine.ParseListEdit(many("", 100_000))}, "a task can hold at most 1000 dependencies, got 100000"},
		{"101 attributes", engine.Changes{UDAs: udas(101)}, "a task can hold at most 100 user-defined attributes, got 101"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.changes
			c.Description = ptr("Too much")
			_, err := e.Add(ctx, &c)
			if err == nil || err.Error() != tt.want || !errors.Is(err, backlog.ErrInvalid) {
				t.Errorf("add: %v, want %q", err, tt.want)
			}
			c.Description = nil
			_, err = e.Modify(ctx, "1", &c, false)
			if err == nil || err.Error() != tt.want {
				t.Errorf("modify: %v, want %q", err, tt.want)
			}
		})
	}
	data := `[{"description":"Imported","tags":["` + strings.Join(many("t", 101), `","`) + `"]}]`
	if _, err := e.Import(ctx, []byte(data), engine.ImportOptions{}); err == nil || !strings.Contains(err.Error(), "a task can hold at most 100 tags, got 101") {
		t.Errorf("import: %v", err)
	}
	if n, err := e.Count(ctx, "status.any:"); err != nil || n != 1 {
		t.Errorf("the backlog holds %d tasks (%v), want only the first", n, err)
	}
}

func ptr(s string) *string { return &s }

func udas(n int) map[string]any {
	out := map[string]any{}
	for i := range n {
		out[fmt.Sprintf("u%d", i)] = 1.0
	}
	return out
}

// TestImportRefusesBytesThatAreNotUTF8: the JSON decoder would store them as
// U+FFFD without a word.
func TestImportRefusesBytesThatAreNotUTF8(t *testing.T) {
	e := engine.New(memstore.New(), engine.Options{Agent: "tester"})
	data := "[{\"description\":\"fine\"},\n{\"description\":\"bad \xff here\"}]"
	_, err := e.Import(context.Background(), []byte(data), engine.ImportOptions{})
	if err == nil || err.Error() != "the import is not valid UTF-8: byte 45 (line 2) is 0xff" {
		t.Errorf("import: %v", err)
	}
}
