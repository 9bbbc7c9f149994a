package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/agent-backlog/backlog/sqlite"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/storetest"
)

// TestContract runs the engine's contract suite against SQLite.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "backlog.db"))
		if err != nil {
			t.Fatal(err)
		}
		return st
	})
}
