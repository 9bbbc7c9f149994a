package backlogmd

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzRead: whatever a task file holds, Read either refuses it with an
// error, skips it with a note, or returns valid tasks.
func FuzzRead(f *testing.F) {
	seed, _ := os.ReadFile("testdata/repo/backlog/tasks/task-1 - Set-up-the-login-page.md")
	f.Add(seed)
	f.Add([]byte("---\nid: task-1\ntitle: [a, b]\nassignee: {x: 1}\n---\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := filepath.Join(t.TempDir(), "backlog", "tasks")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "task-1 - Fuzz.md"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		b, err := Read(filepath.Dir(filepath.Dir(dir)))
		if err != nil {
			return
		}
		for _, x := range b.Tasks {
			if err := x.Validate(); err != nil {
				t.Fatalf("%v", err)
			}
		}
	})
}
