package enginetest

import (
	"context"
	"errors"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/store"
)

const day = 24 * time.Hour

// archived sets up: 1 done and 2 deleted on 4 March (2026-Q1), 3 done on 13
// April (Q2), 4 pending with a doc, 5 pending depending on 1, 6 done with a
// doc on 4 March; then moves the clock to 22 July and archives what ended
// more than 90 days ago (1, 2, 3 and 6).
func archived(h *H) {
	h.Helper()
	h.Add("Old done +a")
	h.Add("Old deleted")
	h.Add("Spring done")
	h.Add("Still pending")
	h.Add("Waits on 1 depends:1")
	h.Add("Done with spec")
	h.Do(h.E.Done, "1")
	h.Do(h.E.Delete, "2")
	h.Do(func(ctx context.Context, ref string) (*engine.Result, error) {
		return h.E.DocWrite(ctx, ref, "# spec of 6")
	}, "6")
	h.Do(func(ctx context.Context, ref string) (*engine.Result, error) {
		return h.E.DocWrite(ctx, ref, "# spec of 4")
	}, "4")
	h.Do(h.E.Done, "6")
	h.Clock.Advance(40 * day)
	h.Do(h.E.Done, "3")
	h.Clock.Advance(100 * day)
	n, err := h.E.Archive(h.Ctx, 90)
	if err != nil {
		h.Fatalf("archive: %v", err)
	}
	if n != 4 {
		h.Fatalf("archived %d tasks, want 4", n)
	}
}

var archiveScenarios = []scenario{
	{"archive moves finished tasks older than the cutoff into quarterly segments, keeping ids", func(h *H) {
		archived(h)
		segs, err := h.E.ArchiveSegments(h.Ctx)
		if err != nil {
			h.Fatal(err)
		}
		eqNames(h, "segments", segs, []store.NameCount{{Name: "2026-Q1", Count: 3}, {Name: "2026-Q2", Count: 1}})
		h.eqIDs("working set", ids(h.Export("")), []int64{4, 5})
		ts, err := h.E.ArchiveLoad(h.Ctx, "2026-Q1")
		if err != nil {
			h.Fatal(err)
		}
		h.eqIDs("2026-Q1", ids(ts), []int64{1, 2, 6})
		for _, t := range ts {
			eq(h, "archived field", t.Archived, "2026-Q1")
		}
		if n, _ := h.E.Count(h.Ctx, "status:completed"); n != 0 {
			h.Errorf("count of completed tasks is %d after archiving, want 0", n)
		}
		info := h.Info("1")
		eq(h, "info of an archived task", info.Archived, "2026-Q1")
		eq(h, "its status", info.Status, backlog.StatusCompleted)
		eq(h, "by UUID prefix too", h.Info(prefix8(info.UUID)).ID, int64(1))
	}},
	{"a finished task younger than the cutoff stays, and archiving nothing writes no journal entry", func(h *H) {
		h.Add("Recent")
		h.Do(h.E.Done, "1")
		h.Clock.Advance(10 * day)
		before := h.JournalLen()
		n, err := h.E.Archive(h.Ctx, 90)
		if err != nil || n != 0 {
			h.Fatalf("archive = %d, %v; want 0", n, err)
		}
		eq(h, "journal length", h.JournalLen(), before)
		n, err = h.E.Archive(h.Ctx, 0)
		if err != nil || n != 1 {
			h.Fatalf("archive with 0 days = %d, %v; want 1", n, err)
		}
	}},
	{"commands on an archived task refuse and say how to restore it", func(h *H) {
		archived(h)
		h.Rejects("task 1 is archived in 2026-Q1 and read-only: restore it first (backlog archive restore 2026-Q1 1)",
			backlog.ErrConflict, func() error { _, err := h.E.Delete(h.Ctx, "1"); return err })
		h.Rejects("task 3 is archived in 2026-Q2 and read-only: restore it first (backlog archive restore 2026-Q2 3)",
			backlog.ErrConflict, func() error { _, err := h.E.Annotate(h.Ctx, "3", "x"); return err })
	}},
	{"a dependency on an archived task counts as resolved", func(h *H) {
		archived(h)
		h.eqIDs("blocked", ids(h.List("+BLOCKED", "", 0)), nil)
		h.eqIDs("ready", ids(h.List("+READY", "id+", 0)), []int64{4, 5})
		eq(h, "the dependency is kept", len(h.Info("5").Depends), 1)
	}},
	{"restore brings tasks back with their docs and ids, and empties the segment", func(h *H) {
		archived(h)
		back, err := h.E.ArchiveRestore(h.Ctx, "2026-Q1", "")
		if err != nil {
			h.Fatal(err)
		}
		h.eqIDs("restored", ids(back), []int64{1, 2, 6})
		h.eqIDs("working set", ids(h.Export("")), []int64{1, 2, 4, 5, 6})
		if doc, ok := h.StoredDoc(h.Info("6").UUID); !ok || doc != "# spec of 6" {
			h.Errorf("doc of 6 after restore: %q, %v", doc, ok)
		}
		eq(h, "has_doc", h.Info("6").HasDoc, true)
		eq(h, "archived field cleared", h.Info("6").Archived, "")
		segs, _ := h.E.ArchiveSegments(h.Ctx)
		eqNames(h, "segments", segs, []store.NameCount{{Name: "2026-Q2", Count: 1}})
		if _, err := h.E.Annotate(h.Ctx, "1", "back again"); err != nil {
			h.Errorf("a restored task is writable again: %v", err)
		}
	}},
	{"restore takes a filter", func(h *H) {
		archived(h)
		back, err := h.E.ArchiveRestore(h.Ctx, "2026-Q1", "+a")
		if err != nil {
			h.Fatal(err)
		}
		h.eqIDs("restored", ids(back), []int64{1})
		segs, _ := h.E.ArchiveSegments(h.Ctx)
		eqNames(h, "segments", segs, []store.NameCount{{Name: "2026-Q1", Count: 2}, {Name: "2026-Q2", Count: 1}})
	}},
	{"undo of an archive brings every task back; undo of a restore archives again", func(h *H) {
		archived(h)
		r := undo(h, h.E)
		eq(h, "undone", *r.Undone, "archive 4 tasks older than 90 days")
		h.eqIDs("working set", ids(h.Export("")), []int64{1, 2, 3, 4, 5, 6})
		if doc, ok := h.StoredDoc(h.Info("6").UUID); !ok || doc != "# spec of 6" {
			h.Errorf("doc of 6 after undo: %q, %v", doc, ok)
		}
		if _, err := h.E.Archive(h.Ctx, 90); err != nil {
			h.Fatal(err)
		}
		if _, err := h.E.ArchiveRestore(h.Ctx, "2026-Q2", ""); err != nil {
			h.Fatal(err)
		}
		undo(h, h.E)
		h.eqIDs("working set after undoing the restore", ids(h.Export("")), []int64{4, 5})
		segs, _ := h.E.ArchiveSegments(h.Ctx)
		eqNames(h, "segments", segs, []store.NameCount{{Name: "2026-Q1", Count: 3}, {Name: "2026-Q2", Count: 1}})
	}},
	{"undo of an archive refuses when a task was restored since", func(h *H) {
		archived(h)
		bob := h.Engine("bob")
		if _, err := bob.ArchiveRestore(h.Ctx, "2026-Q2", ""); err != nil {
			h.Fatal(err)
		}
		h.Rejects(`cannot undo "archive 4 tasks older than 90 days": task 3 was changed since by bob (restore 1 task from 2026-Q2); undo refused, nothing changed`,
			backlog.ErrConflict, func() error { _, err := h.E.Undo(h.Ctx); return err })
	}},
	{"ids are never reused after archiving", func(h *H) {
		archived(h)
		eq(h, "next id", h.Add("New").ID, int64(7))
	}},
	{"an archived task's doc is read from the archive", func(h *H) {
		archived(h)
		err := h.Store.Read(h.Ctx, func(tx store.Tx) error {
			six, err := tx.FindArchived(h.Ctx, 6, "", 0)
			if err != nil || len(six) != 1 {
				h.Fatalf("find archived 6: %v, %d tasks", err, len(six))
			}
			one, err := tx.FindArchived(h.Ctx, 1, "", 0)
			if err != nil || len(one) != 1 {
				h.Fatalf("find archived 1: %v, %d tasks", err, len(one))
			}
			doc, err := tx.ArchivedDoc(h.Ctx, six[0].UUID)
			if err != nil {
				h.Fatalf("archived doc of 6: %v", err)
			}
			eq(h, "archived doc of 6", doc, "# spec of 6")
			if _, err := tx.ArchivedDoc(h.Ctx, one[0].UUID); !errors.Is(err, backlog.ErrNotFound) {
				h.Errorf("archived doc of 1 (none): %v, want not found", err)
			}
			live, err := tx.Select(h.Ctx, store.Query{})
			if err != nil {
				h.Fatal(err)
			}
			for _, t := range live {
				if t.ID == 4 {
					if _, err := tx.ArchivedDoc(h.Ctx, t.UUID); !errors.Is(err, backlog.ErrNotFound) {
						h.Errorf("archived doc of live task 4: %v, want not found", err)
					}
				}
			}
			return nil
		})
		if err != nil {
			h.Fatal(err)
		}
	}},
	{"bad segments and ages are refused and change nothing", func(h *H) {
		archived(h)
		h.Rejects(`an archive segment is named like 2026-Q3, got "../x"`, backlog.ErrInvalid,
			func() error { _, err := h.E.ArchiveLoad(h.Ctx, "../x"); return err })
		h.Rejects(`an archive segment is named like 2026-Q3, got "2026-Q5"`, backlog.ErrInvalid,
			func() error { _, err := h.E.ArchiveRestore(h.Ctx, "2026-Q5", ""); return err })
		h.Rejects("no archive segment 2025-Q1: the segments are 2026-Q1 and 2026-Q2", backlog.ErrNotFound,
			func() error { _, err := h.E.ArchiveLoad(h.Ctx, "2025-Q1"); return err })
		h.Rejects(`no task of archive segment 2026-Q1 matches "+nothing"`, backlog.ErrNotFound,
			func() error { _, err := h.E.ArchiveRestore(h.Ctx, "2026-Q1", "+nothing"); return err })
		h.Rejects("older_than_days must be 0 or more, got -1", backlog.ErrInvalid,
			func() error { _, err := h.E.Archive(h.Ctx, -1); return err })
	}},
	{"an empty archive says so", func(h *H) {
		h.Rejects("no archive segment 2026-Q1: the archive is empty", backlog.ErrNotFound,
			func() error { _, err := h.E.ArchiveLoad(h.Ctx, "2026-Q1"); return err })
		segs, err := h.E.ArchiveSegments(h.Ctx)
		if err != nil || len(segs) != 0 || segs == nil {
			h.Errorf("segments of an empty archive: %#v, %v; want an empty list", segs, err)
		}
	}},
}
