package tsbacklog

import (
	"encoding/json"
	"testing"

	"github.com/agent-backlog/backlog/importers"
)

// FuzzRecord: any stored record becomes a valid task, or none.
func FuzzRecord(f *testing.F) {
	f.Add(`{"_id":"aaaaaaaa-0000-4000-8000-000000000001","description":"x","status":"recurring","recur":"weekly","id":1.5,"tags":["a b","doc"],"depends":["aaaaaaaa-0000-4000-8000-000000000001"],"annotations":[{"entry":"bad","description":"a\nb"}],"due":"2026-01-01T00:00:00Z","until":"2025-01-01T00:00:00Z","x":[1]}`)
	f.Add(`{"_id":"nope"}`)
	f.Fuzz(func(t *testing.T, s string) {
		var rec record
		if json.Unmarshal([]byte(s), &rec) != nil {
			return
		}
		r := &reader{dir: t.TempDir(), docs: map[string]string{}}
		x, err := r.task(rec)
		if err != nil || x == nil {
			return
		}
		importers.Fit(x, r.docs, &r.notes)
		if err := x.Validate(); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	})
}
