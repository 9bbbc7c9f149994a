package s3store_test

import (
	"testing"
	"time"

	"github.com/agent-backlog/backlog/engine/enginetest"
	"github.com/agent-backlog/backlog/s3store"
	"github.com/agent-backlog/backlog/s3store/s3test"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/storetest"
)

// TestContract runs the store contract on a backlog kept in gofakes3.
func TestContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, backend(s3test.Fake(t)))
}

// TestEngineContract runs the engine's contract suite on a backlog kept in
// gofakes3.
func TestEngineContract(t *testing.T) {
	t.Parallel() // some minutes of writes, mostly waiting: beside the other slow tests
	srv := s3test.Fake(t)
	enginetest.Run(t, func(t *testing.T) store.Store { return open(t, srv, s3test.Key("engine"), t.TempDir()) })
}

// TestContractOnVersitygw runs the store contract on a real S3-compatible
// server (versitygw, which .ci/run starts); it skips without one. The
// engine's suite runs on gofakes3 alone: what S3 servers differ in is the
// store's to meet, and the engine's hundreds of writes a scenario would
// only repeat it, slowly.
func TestContractOnVersitygw(t *testing.T) {
	t.Parallel()
	storetest.Run(t, backend(s3test.Real(t)))
}

// backend opens each scenario's backlog under a key of its own; a reopen
// is another machine: the same object, a new cache.
func backend(srv *s3test.Server) storetest.Backend {
	return storetest.Backend{
		Open: func(t *testing.T) store.Store { return open(t, srv, s3test.Key("contract"), t.TempDir()) },
		Reopen: func(t *testing.T, s store.Store) store.Store {
			key := s.(*s3store.Store).Key()
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			return open(t, srv, key, t.TempDir())
		},
		DenseSeq: true,
	}
}

// open opens the backlog at key with its cache in dir.
func open(t testing.TB, srv *s3test.Server, key, dir string) *s3store.Store {
	t.Helper()
	s, err := s3store.Open(s3store.Options{Client: srv.Client(t), Key: key, Cache: dir, PollEvery: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
