package storetest_test

import (
	"testing"

	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/memstore"
	"github.com/agent-backlog/backlog/store/storetest"
)

// TestMemstore runs the contract against the in-memory reference store.
func TestMemstore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return memstore.New() })
}
