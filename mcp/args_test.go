package mcp

import (
	"encoding/json"
	"errors"
	"testing"

	backlog "github.com/agent-backlog/backlog"
)

// FuzzReadArgs checks that no arguments make the reader panic, and that
// whatever it refuses, it refuses with a sentence of the right kind.
func FuzzReadArgs(f *testing.F) {
	for _, seed := range []string{
		`{}`, `null`, `[]`, `{"id":12}`, `{"tags":"a,b"}`, `{"tags":"[\"a\"]"}`, `{"depends":[1,"2"]}`,
		`{"limit":"30"}`, `{"confirm":"yes"}`, `{"extra":{"x":1}}`, `{"extra":"{\"x\":1}"}`, `{"tasks":"[{}]"}`,
		`{"id":1e3}`, `{"bogus":1}`, `{"limit":""}`, `{"tags":[1]}`,
	} {
		f.Add(seed)
	}
	args := []arg{
		{name: "id", kind: kRef}, {name: "tags", kind: kList}, {name: "depends", kind: kRefs},
		{name: "limit", kind: kInt}, {name: "confirm", kind: kBool}, {name: "tasks", kind: kTasks},
		{name: "extra", kind: kExtra}, {name: "description", kind: kString},
	}
	f.Fuzz(func(t *testing.T, raw string) {
		a, err := readArgs("task_fuzz", args, json.RawMessage(raw))
		var perr *protocolError
		switch {
		case err == nil:
			if _, err := a.changes(); err != nil && !errors.Is(err, backlog.ErrInvalid) {
				t.Errorf("changes of %s: %v is not an invalid-input error", raw, err)
			}
		case errors.As(err, &perr):
		case !errors.Is(err, backlog.ErrInvalid):
			t.Errorf("%s: %v is neither a protocol error nor invalid input", raw, err)
		}
	})
}
