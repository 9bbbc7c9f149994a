package enginetest

import (
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/store"
)

// lcArchiveFixture: 1 done with a doc, depending on 2 (done); 3 deleted with
// a doc; 4 pending with a doc, depending on 1; 5 done in the second quarter
// with a doc, depending on 3; 6 pending, depending on 5; 7 a weekly template
// whose first instance 8 is completed (9 is the next). The clock then moves
// to 1 October.
func lcArchiveFixture(h *H) {
	h.Helper()
	h.Add("Specced and done +a")                       // 1
	h.Add("Base")                                      // 2
	h.Add("Dropped idea")                              // 3
	h.Add("Follow-up depends:1")                       // 4
	h.Add("Spring work depends:3")                     // 5
	h.Add("Needs spring work depends:5")               // 6
	h.AddR("Report recur:weekly due:2026-03-06T18:00") // 7, 8
	h.Modify("1", "depends:2")
	docWrite(h, "1", "# spec of 1")
	docWrite(h, "3", "# spec of 3")
	docWrite(h, "4", "# spec of 4")
	docWrite(h, "5", "# spec of 5")
	h.Do(h.E.Done, "2")
	h.Do(h.E.Done, "1")
	h.Do(h.E.Delete, "3")
	h.Clock.Set(local(2026, 3, 6, 19, 0, 0))
	h.Do(h.E.Done, "8") // 9 is next
	h.Clock.Set(local(2026, 4, 20, 9, 0, 0))
	h.Do(h.E.Done, "5")
	h.Clock.Set(local(2026, 10, 1, 9, 0, 0))
}

var lifecycleArchiveScenarios = []scenario{
	{"archive then restore is a round trip: tasks, docs and dependencies exactly as before", func(h *H) {
		lcArchiveFixture(h)
		before := h.Snapshot()
		lcSelect(h, "+BLOCKED")
		lcSelect(h, "+READY", 4, 6, 9)

		n, err := h.E.Archive(h.Ctx, 90)
		if err != nil {
			h.Fatal(err)
		}
		eq(h, "archived", n, 5) // 1, 2, 3, 8 in Q1; 5 in Q2
		segs, err := h.E.ArchiveSegments(h.Ctx)
		if err != nil {
			h.Fatal(err)
		}
		eqNames(h, "segments", segs, []store.NameCount{{Name: "2026-Q1", Count: 4}, {Name: "2026-Q2", Count: 1}})
		h.eqIDs("working set", ids(h.Export("")), []int64{4, 6, 7, 9})
		lcSelect(h, "+READY", 4, 6, 9)
		lcSelect(h, "+BLOCKED")

		// Archived tasks keep their docs and dependencies, read-only.
		a := h.Info("1")
		eq(h, "info archived", a.Archived, "2026-Q1")
		eq(h, "info has_doc of an archived task", a.HasDoc, true)
		h.eqStrings("archived depends", a.Depends, []string{h.Info("2").UUID})
		h.eqStrings("archived tags", a.Tags, []string{"a", "doc"})
		q2, err := h.E.ArchiveLoad(h.Ctx, "2026-Q2")
		if err != nil {
			h.Fatal(err)
		}
		if len(q2) != 1 || !q2[0].HasDoc || len(q2[0].Depends) != 1 {
			h.Errorf("segment 2026-Q2: %+v", q2)
		}
		// The series goes on past its archived instance.
		h.Clock.Advance(time.Hour)
		if r := h.Do(h.E.Done, "9"); r.Next == nil {
			h.Errorf("completing an instance whose predecessor is archived created no next instance")
		}
		undo(h, h.E)

		// Restore with a filter first, then the rest.
		back, err := h.E.ArchiveRestore(h.Ctx, "2026-Q1", "+a")
		if err != nil {
			h.Fatal(err)
		}
		h.eqIDs("restored by filter", ids(back), []int64{1})
		if d, ok := h.StoredDoc(h.Info("1").UUID); !ok || d != "# spec of 1" {
			h.Errorf("doc of 1 after restore: %q, %v", d, ok)
		}
		for _, seg := range []string{"2026-Q1", "2026-Q2"} {
			if _, err := h.E.ArchiveRestore(h.Ctx, seg, ""); err != nil {
				h.Fatalf("restore %s: %v", seg, err)
			}
		}
		h.unchangedTasks(before, "archiving and restoring everything")
		segs, _ = h.E.ArchiveSegments(h.Ctx)
		eqNames(h, "segments after restoring all", segs, nil)
		lcSelect(h, "+READY", 4, 6, 9)
		eq(h, "doc of 3", docRead(h, "3"), "# spec of 3")
		eq(h, "doc of 5", docRead(h, "5"), "# spec of 5")

		// A restored deleted task purges with its doc.
		u3 := h.Info("3").UUID
		h.Do(h.E.Purge, "3")
		if _, ok := h.StoredDoc(u3); ok {
			h.Errorf("purging a restored task left its doc")
		}
	}},

	{"restoring a dependency brings back a live edge only when the task is live", func(h *H) {
		h.Add("Dependency")          // 1
		h.Add("Dependent depends:1") // 2
		h.Do(h.E.Delete, "1")
		h.Clock.Advance(100 * day)
		if _, err := h.E.Archive(h.Ctx, 90); err != nil {
			h.Fatal(err)
		}
		lcSelect(h, "+BLOCKED")
		if _, err := h.E.ArchiveRestore(h.Ctx, "2026-Q1", ""); err != nil {
			h.Fatal(err)
		}
		lcSelect(h, "+BLOCKED")
		undo(h, h.E) // archive again
		undo(h, h.E) // undo the archive
		undo(h, h.E) // undo the delete: 1 is live again, 2 blocked again
		lcSelect(h, "+BLOCKED", 2)
		lcSelect(h, "+BLOCKING", 1)
	}},

	{"segment names that are not a quarter are refused by load and restore, and an unknown quarter is not found; nothing changes", func(h *H) {
		lcArchiveFixture(h)
		if _, err := h.E.Archive(h.Ctx, 90); err != nil {
			h.Fatal(err)
		}
		for _, bad := range []string{"../x", "2026-Q1/../2026-Q2", "../../etc/passwd", "2026-Q1 ", "", "2026-Q0", "2026Q1", "2026-Q1'; DROP TABLE tasks; --", "*", "%"} {
			want := `an archive segment is named like 2026-Q3, got "` + bad + `"`
			h.Rejects(want, backlog.ErrInvalid, func() error { _, err := h.E.ArchiveRestore(h.Ctx, bad, ""); return err })
			h.Rejects(want, backlog.ErrInvalid, func() error { _, err := h.E.ArchiveLoad(h.Ctx, bad); return err })
		}
		for _, unknown := range []string{"2025-Q4", "2026-Q3", "9999-Q4"} {
			want := "no archive segment " + unknown + ": the segments are 2026-Q1 and 2026-Q2"
			h.Rejects(want, backlog.ErrNotFound, func() error { _, err := h.E.ArchiveRestore(h.Ctx, unknown, ""); return err })
			h.Rejects(want, backlog.ErrNotFound, func() error { _, err := h.E.ArchiveLoad(h.Ctx, unknown); return err })
		}
	}},

	{"archive never moves live tasks or recurring templates, however old", func(h *H) {
		h.AddR("Old series recur:monthly due:2026-03-31") // 1, 2
		h.Add("Old pending")                              // 3
		h.Add("Old waiting wait:2027-01-01")              // 4
		h.Clock.Set(local(2026, 12, 1, 9, 0, 0))
		n, err := h.E.Archive(h.Ctx, 0)
		if err != nil {
			h.Fatal(err)
		}
		eq(h, "archived", n, 0)
		h.eqIDs("working set", ids(h.Export("")), []int64{1, 2, 3, 4})
	}},
}
