package beads

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzRead: whatever a file holds, Read either refuses it with an error
// or returns tasks that are all valid.
func FuzzRead(f *testing.F) {
	seed, _ := os.ReadFile(fixture)
	f.Add(seed)
	f.Add([]byte(`{"id":"bd-1","title":"a\nb","status":"weird","priority":-3,"labels":["", " "],"dependencies":[{"depends_on_id":"bd-1","type":"blocks"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "issues.jsonl")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		b, err := Read(p)
		if err != nil {
			return
		}
		for _, x := range b.Tasks {
			if err := x.Validate(); err != nil {
				t.Fatalf("task %v: %v", x.Extra["beads_id"], err)
			}
		}
	})
}
