package atomicfile_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/internal/atomicfile"
)

// A claim edits the file only when the task is still free: the function
// sees the bytes as they are under the lock, and a refusal writes nothing.
func ExampleEdit() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "TASKS.md")
	os.WriteFile(path, []byte("## P1\n- [ ] Fix the login page\n"), 0o644)

	claim := func(agent string) func([]byte) ([]byte, error) {
		return func(old []byte) ([]byte, error) {
			free := []byte("- [ ] Fix the login page\n")
			if !bytes.Contains(old, free) {
				return nil, backlog.Invalidf("%q is already claimed", "Fix the login page")
			}
			return bytes.Replace(old, free, []byte("- [ ] Fix the login page @"+agent+"\n"), 1), nil
		}
	}
	ctx := context.Background()
	changed, err := atomicfile.Edit(ctx, path, claim("alice"))
	fmt.Println(changed, err)
	changed, err = atomicfile.Edit(ctx, path, claim("bob"))
	fmt.Println(changed, err)
	data, _ := atomicfile.Read(ctx, path)
	fmt.Print(string(data))
	// Output:
	// true <nil>
	// false "Fix the login page" is already claimed
	// ## P1
	// - [ ] Fix the login page @alice
}
