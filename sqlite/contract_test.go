package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/agent-backlog/backlog/engine/enginetest"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/storetest"
)

// TestContract runs the store contract against SQLite.
func TestContract(t *testing.T) {
	storetest.Run(t, storetest.Backend{
		Open: func(t *testing.T) store.Store { return openFile(t, filepath.Join(t.TempDir(), "sub", "backlog.db")) },
		Reopen: func(t *testing.T, s store.Store) store.Store {
			path := s.(*Store).Path()
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			return openFile(t, path)
		},
		Leftovers: leftovers,
		DenseSeq:  true,
	})
}

// TestEngineContract runs the engine's contract suite against SQLite.
func TestEngineContract(t *testing.T) {
	enginetest.Run(t, func(t *testing.T) store.Store {
		return openFile(t, filepath.Join(t.TempDir(), "backlog.db"))
	})
}

// openFile opens the backlog at path; the caller closes it.
func openFile(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// leftovers fails unless the purged task is gone from every table,
// the search index included, and the search index is intact.
func leftovers(t *testing.T, st store.Store, uuid string) {
	s := st.(*Store)
	for _, q := range []string{
		"SELECT count(*) FROM task_tags WHERE task_id NOT IN (SELECT tid FROM tasks)",
		"SELECT count(*) FROM task_deps WHERE task_id NOT IN (SELECT tid FROM tasks)",
		"SELECT count(*) FROM docs",
		"SELECT count(*) FROM task_fts WHERE task_fts MATCH '\"note\"'",
		"SELECT count(*) FROM tasks WHERE uuid = '" + uuid + "'",
	} {
		var n int
		if err := s.db.QueryRow(q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s = %d after purge", q, n)
		}
	}
	if err := s.db.QueryRow("INSERT INTO task_fts(task_fts, rank) VALUES ('integrity-check', 1)").Err(); err != nil {
		t.Errorf("search index integrity: %v", err)
	}
}
