package postgres

import (
	"testing"

	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/storetest"
)

// TestContract runs the engine's contract suite against PostgreSQL, each
// scenario in a namespace of its own.
func TestContract(t *testing.T) {
	requireServer(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		return openNS(t, testNamespace(), false) // Run closes it
	})
}
