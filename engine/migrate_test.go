package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/postgres"
	"github.com/agent-backlog/backlog/sqlite"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/memstore"
)

// migrateClock is a clock tests move by hand.
type migrateClock struct{ now time.Time }

func (c *migrateClock) Now() time.Time { return c.now }

// fillBacklog writes every kind of data into s as agents alice and bob:
// pending, completed, deleted and dependent tasks, UDAs, annotations, docs,
// an archive with a doc in it, and an undone command.
func fillBacklog(t *testing.T, s store.Store) *migrateClock {
	t.Helper()
	ctx := context.Background()
	clock := &migrateClock{now: time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)}
	alice := engine.New(s, engine.Options{Agent: "alice", Clock: clock.Now})
	bob := engine.New(s, engine.Options{Agent: "bob", Clock: clock.Now})
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	add := func(e *engine.Engine, words ...string) {
		t.Helper()
		c, err := engine.ParseMods(words, true)
		must("parse "+strings.Join(words, " "), err)
		_, err = e.Add(ctx, c)
		must("add "+strings.Join(words, " "), err)
	}
	add(alice, "Old done", "+a", "project:web")
	add(alice, "Old deleted")
	add(bob, "Spec'd and done")
	add(alice, "Still pending", "priority:H", "est:3")
	add(bob, "Waits on 1", "depends:1")
	add(alice, "Pending with a doc", "due:2026-04-01")
	_, err := alice.DocWrite(ctx, "3", "# spec of 3")
	must("doc 3", err)
	_, err = bob.DocWrite(ctx, "6", "# spec of 6")
	must("doc 6", err)
	_, err = alice.Annotate(ctx, "4", "a note")
	must("annotate", err)
	_, err = alice.Done(ctx, "1")
	must("done 1", err)
	_, err = bob.Delete(ctx, "2")
	must("delete 2", err)
	_, err = bob.Done(ctx, "3")
	must("done 3", err)
	clock.now = clock.now.Add(100 * 24 * time.Hour)
	n, err := alice.Archive(ctx, 90)
	must("archive", err)
	if n != 3 {
		t.Fatalf("archived %d tasks, want 3", n)
	}
	add(alice, "Added and undone")
	_, err = alice.Undo(ctx)
	must("undo", err)
	add(bob, "Bob's last")
	clock.now = clock.now.Add(time.Minute)
	return clock
}

// snapshot describes a backlog in words that do not depend on the store:
// its tasks, docs, archive and journal (sequence numbers as positions).
type snapshot struct {
	Tasks    []string
	Docs     map[int64]string
	Archive  []string
	ArchDocs map[int64]string
	Journal  []string
}

func snap(t *testing.T, s store.Store) snapshot {
	t.Helper()
	ctx := context.Background()
	sn := snapshot{Docs: map[int64]string{}, ArchDocs: map[int64]string{}}
	err := s.Read(ctx, func(tx store.Tx) error {
		ts, err := tx.Select(ctx, store.Query{})
		if err != nil {
			return err
		}
		for _, task := range ts {
			b, err := json.Marshal(task)
			if err != nil {
				return err
			}
			sn.Tasks = append(sn.Tasks, string(b))
			if d, err := tx.Doc(ctx, task.UUID); err == nil {
				sn.Docs[task.ID] = d
			} else if !errors.Is(err, backlog.ErrNotFound) {
				return err
			}
		}
		segs, err := tx.Segments(ctx)
		if err != nil {
			return err
		}
		for _, seg := range segs {
			ts, err := tx.ArchivedTasks(ctx, seg.Name)
			if err != nil {
				return err
			}
			for _, task := range ts {
				b, err := json.Marshal(task)
				if err != nil {
					return err
				}
				sn.Archive = append(sn.Archive, seg.Name+" "+string(b))
				if d, err := tx.ArchivedDoc(ctx, task.UUID); err == nil {
					sn.ArchDocs[task.ID] = d
				} else if !errors.Is(err, backlog.ErrNotFound) {
					return err
				}
			}
		}
		es, err := tx.Entries(ctx, 0, "", 0)
		if err != nil {
			return err
		}
		pos := map[int64]int{}
		for i, e := range es {
			pos[e.Seq] = i + 1
		}
		for i, e := range es {
			sn.Journal = append(sn.Journal, fmt.Sprintf("%d %s %s %s %q undoes=%d undone_by=%d changes=%d",
				i+1, e.At.UTC().Format(time.RFC3339), e.Agent, e.Command, e.Summary, pos[e.Undoes], pos[e.UndoneBy], len(e.Changes)))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sn
}

func TestMigrateCopiesEverythingOnceAndUndoStillWorks(t *testing.T) {
	ctx := context.Background()
	from, to := memstore.New(), memstore.New()
	clock := fillBacklog(t, from)
	want := snap(t, from)

	var last, total int
	res, err := engine.Migrate(ctx, from, to, func(done, tot int) { last, total = done, tot })
	if err != nil {
		t.Fatal(err)
	}
	if last != total || total == 0 {
		t.Errorf("progress ended at %d of %d", last, total)
	}
	wantRes := engine.MigrateResult{Tasks: 4, Docs: 2, Archived: 3, Entries: len(want.Journal)}
	if diff := cmp.Diff(wantRes, res); diff != "" {
		t.Errorf("first run (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, snap(t, to)); diff != "" {
		t.Fatalf("destination differs from the source (-want +got):\n%s", diff)
	}

	res, err = engine.Migrate(ctx, from, to, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantRes = engine.MigrateResult{TasksSkipped: 4, DocsSkipped: 2, ArchivedSkipped: 3, EntriesSkipped: len(want.Journal)}
	if diff := cmp.Diff(wantRes, res); diff != "" {
		t.Errorf("second run (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, snap(t, to)); diff != "" {
		t.Fatalf("second run changed the destination (-want +got):\n%s", diff)
	}

	// Undo works in the destination: bob's last add goes away, then the
	// next add gets a fresh id.
	bob := engine.New(to, engine.Options{Agent: "bob", Clock: clock.Now})
	if _, err := bob.Undo(ctx); err != nil {
		t.Fatalf("undo in the destination: %v", err)
	}
	ts, err := bob.Export(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range ts {
		if task.Description == "Bob's last" && task.Status != backlog.StatusDeleted {
			t.Errorf("after undo, Bob's last is %s", task.Status)
		}
	}
	c, _ := engine.ParseMods([]string{"Fresh"}, true)
	r, err := bob.Add(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if r.Task.ID <= 8 {
		t.Errorf("new task got id %d, which the source used already", r.Task.ID)
	}
}

func TestMigrateMergesByUUIDAndRefusesIDClashes(t *testing.T) {
	ctx := context.Background()
	from := memstore.New()
	fillBacklog(t, from)

	// A destination with a different task 1: a clash, nothing changes.
	clash := memstore.New()
	e := engine.New(clash, engine.Options{Agent: "carol"})
	c, _ := engine.ParseMods([]string{"Someone else's"}, true)
	if _, err := e.Add(ctx, c); err != nil {
		t.Fatal(err)
	}
	before := snap(t, clash)
	_, err := engine.Migrate(ctx, from, clash, nil)
	if !errors.Is(err, backlog.ErrConflict) || !strings.Contains(err.Error(), "task 1 ") {
		t.Fatalf("migrate onto a clashing id: %v, want a conflict naming task 1", err)
	}
	if diff := cmp.Diff(before, snap(t, clash)); diff != "" {
		t.Fatalf("a refused migration changed the destination (-want +got):\n%s", diff)
	}

	// A destination with different tasks at other ids merges.
	other := memstore.New()
	e = engine.New(other, engine.Options{Agent: "carol"})
	for range 20 {
		if _, err := e.Add(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := other.Write(ctx, func(tx store.Tx) error {
		// Move carol's tasks past the source's ids.
		ts, err := tx.Select(ctx, store.Query{})
		if err != nil {
			return err
		}
		for _, task := range ts {
			if task.ID <= 10 {
				if err := tx.Purge(ctx, task.UUID); err != nil {
					return err
				}
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	res, err := engine.Migrate(ctx, from, other, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Tasks != 4 || res.Archived != 3 || res.EntriesSkipped != 0 {
		t.Errorf("merge copied %+v", res)
	}
	got := snap(t, other)
	if len(got.Tasks) != 14 {
		t.Errorf("merged backlog has %d live tasks, want 14", len(got.Tasks))
	}
}

// TestMigrateRoundTripSQLitePostgres copies a backlog from SQLite to
// PostgreSQL and back into a new SQLite file, and compares all three.
func TestMigrateRoundTripSQLitePostgres(t *testing.T) {
	ctx := context.Background()
	url := os.Getenv("BACKLOG_TEST_POSTGRES")
	if url == "" {
		url = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	dir := t.TempDir()
	first, err := sqlite.Open(ctx, filepath.Join(dir, "first.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	fillBacklog(t, first)
	want := snap(t, first)

	ns := fmt.Sprintf("test-migrate-%d-%d", os.Getpid(), time.Now().UnixNano())
	openCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	pg, err := postgres.Open(openCtx, url, ns)
	cancel()
	if err != nil {
		if os.Getenv("BACKLOG_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("PostgreSQL is required (BACKLOG_REQUIRE_POSTGRES=1) but unusable: %v", err)
		}
		t.Skipf("skipping: PostgreSQL at %s is unusable (%v); set BACKLOG_TEST_POSTGRES to a server's URL (BACKLOG_REQUIRE_POSTGRES=1 makes this a failure)", url, err)
	}
	defer pg.Close()
	t.Cleanup(func() { dropTestNamespace(t, url, ns) })

	for _, step := range []struct {
		name     string
		from, to store.Store
	}{{"sqlite to postgres", first, pg}} {
		res, err := engine.Migrate(ctx, step.from, step.to, nil)
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if res.Tasks != 4 || res.Archived != 3 || res.Docs != 2 || res.Entries != len(want.Journal) {
			t.Errorf("%s copied %+v", step.name, res)
		}
	}
	if diff := cmp.Diff(want, snap(t, pg)); diff != "" {
		t.Fatalf("postgres differs from sqlite (-want +got):\n%s", diff)
	}
	back, err := sqlite.Open(ctx, filepath.Join(dir, "back.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	if _, err := engine.Migrate(ctx, pg, back, nil); err != nil {
		t.Fatalf("postgres to sqlite: %v", err)
	}
	if diff := cmp.Diff(want, snap(t, back)); diff != "" {
		t.Fatalf("sqlite after the round trip differs (-want +got):\n%s", diff)
	}
	// Again: nothing new.
	res, err := engine.Migrate(ctx, back, pg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Tasks+res.Docs+res.Archived+res.Entries != 0 {
		t.Errorf("migrating back again copied %+v", res)
	}
	if diff := cmp.Diff(want, snap(t, pg)); diff != "" {
		t.Fatalf("postgres changed on a second run (-want +got):\n%s", diff)
	}
}

// dropTestNamespace deletes the rows of a test namespace.
func dropTestNamespace(t *testing.T, url, ns string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Logf("cleaning up namespace %s: %v", ns, err)
		return
	}
	defer conn.Close(ctx)
	schema := pgx.Identifier{postgres.DefaultSchema}.Sanitize()
	for _, table := range []string{"tasks", "task_deps", "task_refs", "docs", "udas", "journal", "journal_tasks", "archive", "id_counters", "backlogs"} {
		col := "backlog"
		if table == "backlogs" {
			col = "id"
		}
		_, err := conn.Exec(ctx, "DELETE FROM "+schema+"."+table+" WHERE "+col+" IN (SELECT id FROM "+schema+".backlogs WHERE namespace = $1)", ns)
		if err != nil {
			t.Logf("cleaning up namespace %s: %v", ns, err)
		}
	}
}
