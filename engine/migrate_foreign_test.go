package engine_test

import (
	"context"
	"errors"
	"testing"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/store/memstore"
)

func foreign(id int64, uuid, desc string) *backlog.Task {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	return &backlog.Task{ID: id, UUID: uuid, Description: desc, Status: backlog.StatusPending, Entry: at, Modified: at}
}

const (
	uA = "11111111-0000-4000-8000-000000000001"
	uB = "11111111-0000-4000-8000-000000000002"
	uC = "11111111-0000-4000-8000-000000000003"
)

// TestMigrateInNumbersTasks: ids are kept when the backlog never gave them,
// given anew otherwise, and never given twice.
func TestMigrateInNumbersTasks(t *testing.T) {
	ctx := context.Background()
	t.Run("an id the backlog has given goes to a new number; one above its counter is kept", func(t *testing.T) {
		e := engine.New(memstore.New(), engine.Options{Agent: "tester"})
		desc := "Already here"
		if _, err := e.Add(ctx, &engine.Changes{Description: &desc}); err != nil {
			t.Fatal(err)
		}
		res, err := e.MigrateIn(ctx, "test", []*backlog.Task{foreign(1, uA, "Clashes with 1"), foreign(7, uB, "Keeps 7")}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Renumbered) != 1 || res.Renumbered[0].From != 1 || res.Renumbered[0].To != 8 || res.Renumbered[0].Holder != "" {
			t.Fatalf("renumbered %+v; want 1 -> 8 for the backlog's own 1", res.Renumbered)
		}
		if got, _ := e.Info(ctx, "7"); got == nil || got.UUID != uB {
			t.Errorf("task 7 is %v, want %s", got, uB)
		}
		next := "Next"
		r, err := e.Add(ctx, &engine.Changes{Description: &next})
		if err != nil || r.Task.ID != 9 {
			t.Errorf("the next task got id %v (%v); want 9", r, err)
		}
	})
	t.Run("two tasks with one id: the one made first keeps it", func(t *testing.T) {
		e := engine.New(memstore.New(), engine.Options{Agent: "tester"})
		later := foreign(3, uA, "Made later")
		later.Entry = later.Entry.Add(time.Hour)
		res, err := e.MigrateIn(ctx, "test", []*backlog.Task{later, foreign(3, uB, "Made first"), foreign(0, uC, "No id")}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Renumbered) != 1 || res.Renumbered[0].UUID != uA || res.Renumbered[0].Holder != uB {
			t.Fatalf("renumbered %+v; want the later one, held by the first", res.Renumbered)
		}
		for ref, want := range map[string]string{"3": uB, "4": uA, "5": uC} {
			if got, err := e.Info(ctx, ref); err != nil || got.UUID != want {
				t.Errorf("task %s is %v (%v), want %s", ref, got, err, want)
			}
		}
	})
}

// TestMigrateInRefusesInvalidTasks: one bad task, and nothing is written.
func TestMigrateInRefusesInvalidTasks(t *testing.T) {
	ctx := context.Background()
	bad := foreign(2, uB, "")
	archived := foreign(3, uC, "Archived badly")
	archived.Status, archived.End, archived.Archived = backlog.StatusCompleted, archived.Entry, "last year"
	for _, tt := range []struct {
		name string
		task *backlog.Task
		docs map[string]string
		want string
	}{
		{"an empty description", bad, nil, "cannot migrate task 2: description must not be empty; nothing changed"},
		{"a segment that is not a quarter", archived, nil, `cannot migrate task 3: an archive segment is named like 2026-Q3, got "last year"; nothing changed`},
		{"a doc that is not text", foreign(4, uB, "Doc"), map[string]string{uB: "a\x00b"}, "cannot migrate the doc of task 4: doc contains a NUL character; nothing changed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := engine.New(memstore.New(), engine.Options{Agent: "tester"})
			_, err := e.MigrateIn(ctx, "test", []*backlog.Task{foreign(1, uA, "Fine"), tt.task}, tt.docs)
			if err == nil || err.Error() != tt.want || !errors.Is(err, backlog.ErrInvalid) {
				t.Fatalf("got %v\nwant %s", err, tt.want)
			}
			if n, _ := e.Count(ctx, "status.any:"); n != 0 {
				t.Errorf("%d tasks written", n)
			}
		})
	}
}

// TestMigrateInKeepsDocsAndArchive: a doc sets has_doc and the doc tag
// (and a doc tag without a doc goes); an archived task lands in its segment.
func TestMigrateInKeepsDocsAndArchive(t *testing.T) {
	ctx := context.Background()
	e := engine.New(memstore.New(), engine.Options{Agent: "tester"})
	withDoc, tagOnly, old := foreign(1, uA, "With a doc"), foreign(2, uB, "Tag only"), foreign(3, uC, "Old")
	tagOnly.Tags = []string{"doc", "web"}
	old.Status, old.End, old.Archived = backlog.StatusCompleted, old.Entry, "2026-Q1"
	res, err := e.MigrateIn(ctx, "test", []*backlog.Task{withDoc, tagOnly, old}, map[string]string{uA: "# Spec\n", uC: "Old notes\n"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Tasks != 2 || res.Archived != 1 || res.Docs != 2 {
		t.Errorf("copied %+v", res)
	}
	got, _ := e.Info(ctx, "1")
	if !got.HasDoc || !got.HasTag("doc") {
		t.Errorf("task 1: has_doc %v, tags %q", got.HasDoc, got.Tags)
	}
	got, _ = e.Info(ctx, "2")
	if got.HasDoc || got.HasTag("doc") || !got.HasTag("web") {
		t.Errorf("task 2: has_doc %v, tags %q", got.HasDoc, got.Tags)
	}
	seg, err := e.ArchiveLoad(ctx, "2026-Q1")
	if err != nil || len(seg) != 1 || seg[0].UUID != uC {
		t.Errorf("archive 2026-Q1: %v %v", seg, err)
	}
}
