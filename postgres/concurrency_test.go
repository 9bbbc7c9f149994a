package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store"
)

// barrier lets n goroutines wait for each other once.
type barrier struct {
	wg sync.WaitGroup
}

func newBarrier(n int) *barrier {
	b := &barrier{}
	b.wg.Add(n)
	return b
}

// meet waits (up to 10 s) until all n have arrived.
func (b *barrier) meet(t *testing.T) {
	b.wg.Done()
	done := make(chan struct{})
	go func() { b.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Error("the other writer never arrived")
	}
}

// TestNoLostUpdate: two commands read the same task at once and each adds
// an annotation: the second to write meets the first's change, runs again
// on a fresh snapshot, and both annotations are kept.
func TestNoLostUpdate(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	task := addTasks(t, s, 1, "shared")[0]
	before := s.Conflicts()
	b := newBarrier(2)
	var wg sync.WaitGroup
	var runs atomic.Int32
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			first := true
			err := s.Write(ctx, func(tx store.Tx) error {
				runs.Add(1)
				cur, err := tx.TaskByUUID(ctx, task.UUID)
				if err != nil {
					return err
				}
				if first {
					first = false
					b.meet(t) // both have read the task
				}
				cur.Annotations = append(cur.Annotations, backlog.Annotation{Entry: clock, Description: fmt.Sprintf("note %d", g)})
				return tx.Update(ctx, cur)
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	read(t, s, func(tx store.Tx) error {
		cur, err := tx.TaskByUUID(ctx, task.UUID)
		if err != nil {
			return err
		}
		if len(cur.Annotations) != 2 {
			t.Errorf("annotations %v: an update was lost", cur.Annotations)
		}
		return nil
	})
	if runs.Load() != 3 || s.Conflicts()-before != 1 {
		t.Errorf("%d runs and %d conflicts, want 3 and 1", runs.Load(), s.Conflicts()-before)
	}
}

// TestNewReferenceMeetsChange: a command that adds a dependency on a task
// and one that completes that task, at once, write different rows; the
// reference touches the task depended on, so the two conflict and one runs
// again, seeing the other (no write skew).
func TestNewReferenceMeetsChange(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	ts := addTasks(t, s, 2, "ref")
	dependent, dependedOn := ts[0], ts[1]
	before := s.Conflicts()
	b := newBarrier(2)
	var wg sync.WaitGroup
	var sawCompleted atomic.Bool
	do := func(fn func(tx store.Tx) error) {
		defer wg.Done()
		first := true
		err := s.Write(ctx, func(tx store.Tx) error {
			if _, err := tx.Graph(ctx); err != nil { // the snapshot
				return err
			}
			if first {
				first = false
				b.meet(t)
			}
			return fn(tx)
		})
		if err != nil {
			t.Error(err)
		}
	}
	wg.Add(2)
	go do(func(tx store.Tx) error {
		d, err := tx.TaskByUUID(ctx, dependedOn.UUID)
		if err != nil {
			return err
		}
		sawCompleted.Store(d.Status == backlog.StatusCompleted)
		cur, err := tx.TaskByUUID(ctx, dependent.UUID)
		if err != nil {
			return err
		}
		cur.Depends = []string{dependedOn.UUID}
		return tx.Update(ctx, cur)
	})
	go do(func(tx store.Tx) error {
		cur, err := tx.TaskByUUID(ctx, dependedOn.UUID)
		if err != nil {
			return err
		}
		cur.Status, cur.End = backlog.StatusCompleted, clock
		return tx.Update(ctx, cur)
	})
	wg.Wait()
	if s.Conflicts()-before != 1 {
		t.Errorf("%d conflicts, want 1", s.Conflicts()-before)
	}
	t.Logf("the dependency was written after the completion: %v", sawCompleted.Load())
}

// TestBusyAfterRepeatedConflicts: a command that meets a conflict on every
// attempt gives up after maxAttempts with one sentence wrapping ErrConflict,
// and changes nothing.
func TestBusyAfterRepeatedConflicts(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	attempts := 0
	err := s.Write(ctx, func(tx store.Tx) error {
		attempts++
		if _, err := tx.Graph(ctx); err != nil { // the snapshot
			return err
		}
		// A writer that is not this store's (it takes no gate) moves the
		// counter after the snapshot, every time.
		if _, err := server.admin.Exec(ctx, "UPDATE "+pgx.Identifier{s.schema, "id_counters"}.Sanitize()+
			" SET last_id = last_id + 1 WHERE backlog = $1", s.backlog); err != nil {
			t.Fatal(err)
		}
		id, err := tx.NextID(ctx)
		if err != nil {
			return err
		}
		return tx.Insert(ctx, &backlog.Task{ID: id, UUID: uuid1, Description: "never", Status: backlog.StatusPending})
	})
	want := "the backlog is busy: another writer kept changing the same tasks; nothing was changed, try again"
	if !errors.Is(err, backlog.ErrConflict) || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
	if attempts != maxAttempts {
		t.Errorf("%d attempts, want %d", attempts, maxAttempts)
	}
	read(t, s, func(tx store.Tx) error {
		if n := countOf(t, tx, "status.any:"); n != 0 {
			t.Errorf("%d tasks kept", n)
		}
		return nil
	})
}

// TestRefusedWritesKeepTheTransaction: a refused insert or update (a key
// taken) and text PostgreSQL cannot hold are errors the engine may handle
// and go on; the transaction stays usable and commits the rest.
func TestRefusedWritesKeepTheTransaction(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	write(t, s, func(tx store.Tx) error {
		if err := tx.Insert(ctx, &backlog.Task{ID: 1, UUID: uuid1, Description: "one", Status: "pending"}); err != nil {
			return err
		}
		if err := tx.Insert(ctx, &backlog.Task{ID: 2, UUID: uuid1, Description: "dup", Status: "pending"}); !errors.Is(err, backlog.ErrConflict) {
			t.Errorf("duplicate UUID: %v", err)
		}
		if err := tx.Insert(ctx, &backlog.Task{ID: 2, UUID: uuid2, Description: "two", Status: "pending"}); err != nil {
			return err
		}
		err := tx.Update(ctx, &backlog.Task{ID: 1, UUID: uuid2, Description: "two", Status: "pending"})
		if !errors.Is(err, backlog.ErrConflict) || err.Error() != "another task already has id 1" {
			t.Errorf("update to a taken id: %v", err)
		}
		err = tx.Insert(ctx, &backlog.Task{ID: 3, UUID: uuid3, Description: "nul \x00 byte", Status: "pending"})
		if !errors.Is(err, backlog.ErrInvalid) || !strings.Contains(err.Error(), "NUL") {
			t.Errorf("a NUL in the description: %v", err)
		}
		if err := tx.SetDoc(ctx, uuid1, "a\x00b"); !errors.Is(err, backlog.ErrInvalid) {
			t.Errorf("a NUL in a doc: %v", err)
		}
		// Values PostgreSQL cannot take as text leave the filter to Go.
		if w := compileWhere(&filter.WordExpr{Text: "a\x00b"}, clock); w.Exact || w.SQL != "TRUE" {
			t.Errorf("a NUL in a filter compiles to %s", w.SQL)
		}
		if ts, err := tx.Select(ctx, store.Query{Filter: &filter.WordExpr{Text: "a\x00b"}, Now: clock}); err != nil || len(ts) != 0 {
			t.Errorf("a NUL in a filter: %v, %v", ts, err)
		}
		return tx.SetDoc(ctx, uuid2, "kept")
	})
	read(t, s, func(tx store.Tx) error {
		if n := countOf(t, tx, "status.any:"); n != 2 {
			t.Errorf("%d tasks, want 2", n)
		}
		doc, err := tx.Doc(ctx, uuid2)
		if err != nil || doc != "kept" {
			t.Errorf("doc %q, %v", doc, err)
		}
		return nil
	})
}

// TestMigrateOnce: servers opening a new schema at once migrate it once;
// a schema newer than the binary is refused in one sentence.
func TestMigrateOnce(t *testing.T) {
	ctx := context.Background()
	u, err := url.Parse(requireServer(t))
	if err != nil {
		t.Fatal(err)
	}
	schema := strings.ReplaceAll(testNamespace(), "-", "_")
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	t.Cleanup(func() {
		var extSchema string
		server.admin.QueryRow(ctx, `SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
			WHERE e.extname = 'pg_trgm'`).Scan(&extSchema)
		if extSchema == schema {
			t.Errorf("pg_trgm was created in the test schema %s; not dropping it", schema)
			return
		}
		if _, err := server.admin.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Error(err)
		}
	})
	const servers = 6
	var wg sync.WaitGroup
	stores := make([]*Store, servers)
	for i := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(ctx, u.String(), "shared")
			if err != nil {
				t.Error(err)
				return
			}
			stores[i] = s
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	defer func() {
		for _, s := range stores {
			s.Close()
		}
	}()
	for _, s := range stores[1:] {
		if s.backlog != stores[0].backlog {
			t.Errorf("the servers made different backlogs: %d and %d", s.backlog, stores[0].backlog)
		}
	}
	ms, _ := listMigrations()
	var n, backlogs int
	server.admin.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{schema, "schema_migrations"}.Sanitize()).Scan(&n)
	server.admin.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{schema, "backlogs"}.Sanitize()).Scan(&backlogs)
	if n != len(ms) || backlogs != 1 {
		t.Errorf("%d migrations and %d backlogs recorded, want %d and 1", n, backlogs, len(ms))
	}
	// The store works in its schema, ids and all.
	addTasks(t, stores[0], 3, "in a schema of its own")
	read(t, stores[servers-1], func(tx store.Tx) error {
		if n := countOf(t, tx, "status.any:"); n != 3 {
			t.Errorf("%d tasks, want 3", n)
		}
		return nil
	})
	// A newer schema is refused.
	if _, err := server.admin.Exec(ctx, "INSERT INTO "+pgx.Identifier{schema, "schema_migrations"}.Sanitize()+
		" (version, name) VALUES (99, '0099_future.sql')"); err != nil {
		t.Fatal(err)
	}
	_, err = Open(ctx, u.String(), "shared")
	want := fmt.Sprintf("the backlog tables in schema %q on PostgreSQL at %s have schema version 99, newer than the %d this backlog binary knows: upgrade backlog to use them",
		schema, stores[0].Server(), len(ms))
	if err == nil || err.Error() != want {
		t.Errorf("opening a newer schema: %v", err)
	}
}

// TestDependencyOnATaskInsertedMeanwhile: one command adds a task that
// depends on a UUID no task has yet, while another inserts the task of that
// UUID (two imports at once). Neither sees the other's rows; task_refs makes
// them conflict, so the dependency's liveness is right afterwards.
func TestDependencyOnATaskInsertedMeanwhile(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	// The id counter is past the ids inserted, so that the two do not meet
	// there.
	write(t, s, func(tx store.Tx) error {
		for range 5 {
			if _, err := tx.NextID(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	before := s.Conflicts()
	b := newBarrier(2)
	var wg sync.WaitGroup
	insert := func(task *backlog.Task) {
		defer wg.Done()
		first := true
		err := s.Write(ctx, func(tx store.Tx) error {
			if _, err := tx.Graph(ctx); err != nil { // the snapshot
				return err
			}
			if first {
				first = false
				b.meet(t)
			}
			return tx.Insert(ctx, task)
		})
		if err != nil {
			t.Error(err)
		}
	}
	wg.Add(2)
	go insert(&backlog.Task{ID: 1, UUID: uuid1, Description: "depends", Status: backlog.StatusPending, Depends: []string{uuid2}})
	go insert(&backlog.Task{ID: 2, UUID: uuid2, Description: "depended on", Status: backlog.StatusPending})
	wg.Wait()
	read(t, s, func(tx store.Tx) error {
		if n := countOf(t, tx, "+BLOCKED"); n != 1 {
			t.Errorf("%d blocked, want 1", n)
		}
		if n := countOf(t, tx, "depends:2"); n != 1 {
			t.Errorf("%d depend on id 2, want 1", n)
		}
		return nil
	})
	if s.Conflicts()-before != 1 {
		t.Errorf("%d conflicts, want 1", s.Conflicts()-before)
	}
}
