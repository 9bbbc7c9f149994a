package enginetest_test

import (
	"testing"

	"github.com/agent-backlog/backlog/engine/enginetest"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/memstore"
)

// TestMemstore runs the contract against the in-memory reference store.
func TestMemstore(t *testing.T) {
	enginetest.Run(t, func(t *testing.T) store.Store { return memstore.New() })
}
