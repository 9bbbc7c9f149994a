package postgres

import (
	"math/rand/v2"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter/filtertest"
)

// The property test (where_test.go) uses the same generators as the SQLite
// store's, so that both stores are checked on the same tasks and filters.
func randomTasks(r *rand.Rand, n int) []*backlog.Task { return filtertest.RandomTasks(r, n, clock) }

var localZone = filtertest.LocalZone
