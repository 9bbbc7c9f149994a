package postgres

import (
	"context"
	"testing"

	"github.com/agent-backlog/backlog/engine/enginetest"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/storetest"
)

// TestContract runs the store contract against PostgreSQL, each scenario
// in a namespace of its own.
func TestContract(t *testing.T) {
	requireServer(t)
	storetest.Run(t, storetest.Backend{
		Open: func(t *testing.T) store.Store { return openNS(t, testNamespace(), false) }, // Run closes it
		Reopen: func(t *testing.T, s store.Store) store.Store {
			ns := s.(*Store).Namespace()
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			r, err := Open(context.Background(), testURL(), ns)
			if err != nil {
				t.Fatal(err)
			}
			return r
		},
		Leftovers: leftovers,
	})
}

// TestEngineContract runs the engine's contract suite against PostgreSQL,
// each scenario in a namespace of its own.
func TestEngineContract(t *testing.T) {
	requireServer(t)
	enginetest.Run(t, func(t *testing.T) store.Store {
		return openNS(t, testNamespace(), false) // Run closes it
	})
}

// leftovers fails unless the purged task's row, doc and search text are
// gone.
func leftovers(t *testing.T, st store.Store, uuid string) {
	s := st.(*Store)
	for _, q := range []string{
		"SELECT count(*) FROM docs WHERE backlog = $1",
		"SELECT count(*) FROM tasks WHERE backlog = $1 AND search LIKE '%note%'",
		"SELECT count(*) FROM tasks WHERE backlog = $1 AND uuid = '" + uuid + "'",
	} {
		var n int
		if err := s.pool.QueryRow(context.Background(), q, s.backlog).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s = %d after purge", q, n)
		}
	}
}
