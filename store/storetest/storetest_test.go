package storetest_test

import (
	"testing"

	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/memstore"
	"github.com/agent-backlog/backlog/store/storetest"
)

// TestMemstore runs the contract against the in-memory reference store,
// which keeps nothing past Close and numbers its journal from 1.
func TestMemstore(t *testing.T) {
	storetest.Run(t, storetest.Backend{
		Open:     func(t *testing.T) store.Store { return memstore.New() },
		DenseSeq: true,
	})
}
