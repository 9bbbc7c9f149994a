package enginetest

import (
	"encoding/json"
	"math"
	"strings"

	backlog "github.com/agent-backlog/backlog"
)

// lcSelect checks that a filter selects exactly the ids, by List (with the
// implicit status:pending) and by Count, which a store answers on its own.
func lcSelect(h *H, filter string, want ...int64) {
	h.Helper()
	h.eqIDs("list "+filter, ids(h.List(filter, "id+", 0)), want)
	eq(h, "count "+filter, count(h, filter), len(want))
}

// lcExport checks that a filter selects exactly the ids among tasks of
// every status.
func lcExport(h *H, filter string, want ...int64) {
	h.Helper()
	h.eqIDs("export "+filter, ids(h.Export(filter)), want)
}

// lcStored returns every stored task image, as JSON by id, to check that a
// read or the passing of time wrote nothing.
func lcStored(h *H) string {
	h.Helper()
	var b strings.Builder
	for _, t := range h.Export("") {
		s := h.Stored(t.UUID)
		j, _ := json.Marshal(s)
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

var lifecycleWaitScenarios = []scenario{
	{"a task waiting until a date is hidden from the list and count, shown by +WAITING and status:waiting, and comes back by itself", func(h *H) {
		h.Add("Visible project:x")                                    // 1
		h.Add("Hidden until Tuesday wait:2026-03-10T09:00 project:x") // 2
		h.Add("Hidden until April wait:2026-04-01T09:00")             // 3
		h.Add("Done while waiting wait:2026-03-10T09:00")             // 4
		h.Do(h.E.Done, "4")
		h.Add("Waited in the past wait:2026-03-01T09:00") // 5: pending, not waiting

		lcSelect(h, "", 1, 5)
		lcSelect(h, "project:x", 1)
		lcSelect(h, "+WAITING", 2, 3)
		lcSelect(h, "status:waiting", 2, 3)
		lcSelect(h, "status:pending", 1, 5)
		lcSelect(h, "-WAITING", 1, 4, 5) // a status tag: no implicit status:pending
		lcSelect(h, "status:pending -WAITING", 1, 5)
		lcSelect(h, "+READY", 1, 5)
		lcExport(h, "+WAITING", 2, 3)
		eq(h, "info status", h.Info("2").Status, backlog.StatusWaiting)
		eq(h, "stored status", h.Stored(h.Info("2").UUID).Status, backlog.StatusPending)
		eq(h, "completed task's status", h.Info("4").Status, backlog.StatusCompleted)
		eq(h, "a past wait is pending", h.Info("5").Status, backlog.StatusPending)

		stored, j := lcStored(h), h.JournalLen()
		h.Clock.Set(local(2026, 3, 10, 8, 59, 59))
		lcSelect(h, "", 1, 5)
		lcSelect(h, "+WAITING", 2, 3)

		h.Clock.Set(local(2026, 3, 10, 9, 0, 0)) // the wait date itself: no longer in the future
		lcSelect(h, "", 1, 2, 5)
		lcSelect(h, "project:x", 1, 2)
		lcSelect(h, "+WAITING", 3)
		lcSelect(h, "status:waiting", 3)
		lcSelect(h, "status:pending", 1, 2, 5)
		lcSelect(h, "+READY", 1, 2, 5)
		eq(h, "info status", h.Info("2").Status, backlog.StatusPending)
		h.sameTime("wait is kept", h.Info("2").Wait, local(2026, 3, 10, 9, 0, 0))

		h.Clock.Set(local(2026, 4, 2, 9, 0, 0))
		lcSelect(h, "", 1, 2, 3, 5)
		lcSelect(h, "+WAITING")
		lcSelect(h, "status:waiting")
		lcExport(h, "status:completed", 4)

		eq(h, "journal entries (no write happened)", h.JournalLen(), j)
		if now := lcStored(h); now != stored {
			h.Errorf("time passing changed stored tasks:\nbefore %s\nafter  %s", stored, now)
		}
	}},

	{"a waiting task's urgency carries the waiting term until its wait passes", func(h *H) {
		h.Add("Twin")                               // 1
		h.Add("Waiting twin wait:2026-03-06T09:00") // 2
		u := func(id string) float64 { return h.Info(id).Urgency }
		lcClose(h, "waiting term", u("2")-u("1"), backlog.DefaultCoefficients.Waiting)
		h.Clock.Set(local(2026, 3, 6, 9, 0, 1))
		lcClose(h, "after the wait", u("2")-u("1"), 0)
	}},

	{"scheduled gates +READY and the urgency's scheduled term, by the clock alone", func(h *H) {
		h.Add("Scheduled Friday scheduled:2026-03-06T09:00 project:p")            // 1
		h.Add("Twin project:p")                                                   // 2
		h.Add("Blocker")                                                          // 3
		h.Add("Scheduled and blocked scheduled:2026-03-01 depends:3")             // 4
		h.Add("Scheduled and waiting scheduled:2026-03-01 wait:2026-03-08T09:00") // 5
		u := func(id string) float64 { return h.Info(id).Urgency }

		lcSelect(h, "+READY", 2, 3)
		lcSelect(h, "", 1, 2, 3, 4) // scheduled does not hide a task; waiting does
		lcSelect(h, "+SCHEDULED", 1, 4)
		lcClose(h, "urgency of 1 minus its twin before scheduled", u("1")-u("2"), 0)

		j := h.JournalLen()
		h.Clock.Set(local(2026, 3, 6, 8, 59, 59))
		lcSelect(h, "+READY", 2, 3)
		lcClose(h, "urgency difference a second before", u("1")-u("2"), 0)

		h.Clock.Set(local(2026, 3, 6, 9, 0, 1))
		lcSelect(h, "+READY", 1, 2, 3)
		lcClose(h, "urgency difference after scheduled", u("1")-u("2"), backlog.DefaultCoefficients.Scheduled)
		h.eqIDs("most urgent first", ids(h.List("project:p", "", 0)), []int64{1, 2})

		h.Clock.Set(local(2026, 3, 8, 9, 0, 0))
		lcSelect(h, "+READY", 1, 2, 3, 5)
		h.Do(h.E.Done, "3")
		lcSelect(h, "+READY", 1, 2, 4, 5)
		eq(h, "journal entries: only the done", h.JournalLen(), j+1)
	}},
}

// lcClose fails unless got is within a rounding error of want.
func lcClose(h *H, what string, got, want float64) {
	h.Helper()
	if math.Abs(got-want) > 1e-3 {
		h.Errorf("%s = %.4f, want %.4f", what, got, want)
	}
}

var lifecycleDepScenarios = []scenario{
	{"dependencies are given by id, UUID in any case and UUID prefix", func(h *H) {
		one, two, three := h.Add("One"), h.Add("Two"), h.Add("Three")
		r := h.Add("Four depends:1," + strings.ToUpper(two.UUID) + "," + prefix8(three.UUID))
		h.eqStrings("depends", h.Stored(r.UUID).Depends, []string{one.UUID, two.UUID, three.UUID})
		h.Modify("4", "depends:-"+prefix8(two.UUID))
		h.eqStrings("depends after removing by prefix", h.Stored(r.UUID).Depends, []string{one.UUID, three.UUID})
		h.Modify("4", "depends:+"+two.UUID)
		h.eqStrings("depends after adding by UUID", h.Stored(r.UUID).Depends, []string{one.UUID, three.UUID, two.UUID})
		h.Modify("4", "depends:-1,-3")
		h.eqStrings("depends after removing by id", h.Stored(r.UUID).Depends, []string{two.UUID})
		lcSelect(h, "depends:2", 4)
		lcSelect(h, "depends:"+two.UUID, 4)
		lcSelect(h, "+BLOCKED", 4)
		lcSelect(h, "+BLOCKING", 2)
	}},

	{"a self-dependency and cycles of any length are refused, naming the cycle, and change nothing", func(h *H) {
		var ts []*backlog.Task
		for i := 1; i <= 7; i++ {
			ts = append(ts, h.Add("Task "+itoa(int64(i))))
		}
		h.Modify("5", "depends:7")
		h.Modify("7", "depends:3")
		three, five := ts[2], ts[4]
		for _, ref := range []string{"3", three.UUID, strings.ToUpper(three.UUID), prefix8(three.UUID)} {
			h.Rejects("task 3 cannot depend on itself", backlog.ErrInvalid, func() error {
				_, err := h.E.Modify(h.Ctx, "3", h.Edits("depends:"+ref), false)
				return err
			})
			h.Rejects("task 3 cannot depend on itself", backlog.ErrInvalid, func() error {
				_, err := h.E.Modify(h.Ctx, "3", h.Edits("depends:+1,+"+ref), false)
				return err
			})
		}
		for _, ref := range []string{"5", five.UUID, prefix8(five.UUID)} {
			h.Rejects("dependency cycle: 3 -> 5 -> 7 -> 3", backlog.ErrConflict, func() error {
				_, err := h.E.Modify(h.Ctx, "3", h.Edits("depends:"+ref), false)
				return err
			})
		}
		h.Rejects("dependency cycle: 3 -> 7 -> 3", backlog.ErrConflict, func() error {
			_, err := h.E.Modify(h.Ctx, "3", h.Edits("depends:7"), false)
			return err
		})
		// One bad task of several rejects the whole modify.
		h.Rejects("task 3: dependency cycle: 3 -> 5 -> 7 -> 3", backlog.ErrConflict, func() error {
			_, err := h.E.Modify(h.Ctx, "1,3", h.Edits("depends:+5"), false)
			return err
		})
		// A new path into 3 makes a new cycle to refuse.
		h.Modify("6", "depends:3")
		h.Rejects("dependency cycle: 3 -> 6 -> 3", backlog.ErrConflict, func() error {
			_, err := h.E.Modify(h.Ctx, "3", h.Edits("depends:6"), false)
			return err
		})
		// A completed task in the loop still closes it: dependencies are edges whatever the status.
		h.Do(h.E.Done, "7")
		h.Rejects("dependency cycle: 3 -> 5 -> 7 -> 3", backlog.ErrConflict, func() error {
			_, err := h.E.Modify(h.Ctx, "3", h.Edits("depends:5"), false)
			return err
		})
		// Without the edge 7 -> 3 the same dependency is fine.
		h.Modify("7", "depends:")
		h.Modify("3", "depends:5")
		h.eqStrings("3 depends on 5", h.Stored(three.UUID).Depends, []string{five.UUID})
	}},

	{"+BLOCKED, +BLOCKING and +READY follow a dependency as it completes, is deleted, undone and archived", func(h *H) {
		h.Add("Dep done")                       // 1
		h.Add("Dep deleted")                    // 2
		h.Add("Dep archived")                   // 3
		h.Add("Needs 1, 2 and 3 depends:1,2,3") // 4
		h.Add("Needs 4 depends:4")              // 5
		h.Add("Free")                           // 6
		state := func(blocked, blocking, ready []int64) {
			h.Helper()
			lcSelect(h, "+BLOCKED", blocked...)
			lcSelect(h, "+BLOCKING", blocking...)
			lcSelect(h, "+READY", ready...)
			lcExport(h, "+BLOCKED", blocked...)
			lcExport(h, "+BLOCKING", blocking...)
			var unblocked []int64
			for _, id := range []int64{1, 2, 3, 4, 5, 6} {
				if t := h.Info(itoa(id)); t.IsLive() && !lcContainsID(blocked, id) {
					unblocked = append(unblocked, id)
				}
			}
			lcSelect(h, "+UNBLOCKED", unblocked...)
		}
		eq(h, "depends of 4", len(h.Info("4").Depends), 3)
		state([]int64{4, 5}, []int64{1, 2, 3, 4}, []int64{1, 2, 3, 6})

		r := h.Do(h.E.Done, "1")
		h.eqIDs("done 1 unblocked", r.Unblocked, nil)
		state([]int64{4, 5}, []int64{2, 3, 4}, []int64{2, 3, 6})

		r = h.Do(h.E.Delete, "2")
		h.eqIDs("delete 2 dependents", r.Dependents, []int64{4})
		h.eqIDs("delete 2 unblocked", r.Unblocked, nil)
		state([]int64{4, 5}, []int64{3, 4}, []int64{3, 6})

		r = h.Do(h.E.Done, "3")
		h.eqIDs("done 3 unblocked", r.Unblocked, []int64{4})
		state([]int64{5}, []int64{4}, []int64{4, 6})

		undo(h, h.E)
		state([]int64{4, 5}, []int64{3, 4}, []int64{3, 6})
		h.Do(h.E.Done, "3")

		h.Clock.Advance(100 * day)
		n, err := h.E.Archive(h.Ctx, 90)
		if err != nil || n != 3 {
			h.Fatalf("archive = %d, %v; want 3", n, err)
		}
		state([]int64{5}, []int64{4}, []int64{4, 6})
		eq(h, "4 keeps its dependencies", len(h.Info("4").Depends), 3)
		h.eqIDs("working set", ids(h.Export("")), []int64{4, 5, 6})

		if _, err := h.E.ArchiveRestore(h.Ctx, "2026-Q1", ""); err != nil {
			h.Fatal(err)
		}
		state([]int64{5}, []int64{4}, []int64{4, 6})

		r = h.Do(h.E.Done, "4")
		h.eqIDs("done 4 unblocked", r.Unblocked, []int64{5})
		h.eqIDs("done 4 blocked by", r.BlockedBy, nil)
		state(nil, nil, []int64{5, 6})
	}},

	{"done on a blocked task is allowed and names the live tasks that still block it", func(h *H) {
		h.Add("Live dep")                    // 1
		h.Add("Waiting dep wait:2026-04-01") // 2
		h.Add("Done dep")                    // 3
		h.Do(h.E.Done, "3")
		h.Add("Deleted dep") // 4
		h.Do(h.E.Delete, "4")
		h.Add("Active dep") // 5
		h.Do(h.E.Start, "5")
		h.Add("Blocked depends:1,2,3,4,5") // 6
		h.Add("After 6 depends:6")         // 7
		lcSelect(h, "+BLOCKED", 6, 7)
		j := h.JournalLen()
		r := h.Do(h.E.Done, "6")
		eq(h, "status", r.Task.Status, backlog.StatusCompleted)
		h.eqIDs("blocked by", r.BlockedBy, []int64{1, 2, 5})
		h.eqIDs("unblocked", r.Unblocked, []int64{7})
		eq(h, "journal entries", h.JournalLen()-j, 1)
		eq(h, "tasks in the entry", len(h.Last().Changes), 1)
		lcSelect(h, "+BLOCKED")
		lcExport(h, "+BLOCKING")
		lcSelect(h, "+READY", 1, 5, 7)
		r = h.Do(h.E.Done, "1")
		h.eqIDs("done 1: nothing blocked it", r.BlockedBy, nil)
		h.eqIDs("done 1: 6 is no longer live, so nothing is unblocked", r.Unblocked, nil)
	}},

	{"delete of a depended-on task reports its live dependents and which of them it unblocked", func(h *H) {
		h.Add("Shared")                                      // 1
		h.Add("Pending dependent depends:1")                 // 2
		h.Add("Waiting dependent depends:1 wait:2026-04-01") // 3
		h.Add("Completed dependent depends:1")               // 4
		h.Do(h.E.Done, "4")
		h.Add("Other")                       // 5
		h.Add("Needs 1 and 5 depends:1,5")   // 6
		h.Add("Deleted dependent depends:1") // 7
		h.Do(h.E.Delete, "7")
		lcExport(h, "+BLOCKED", 2, 3, 6)
		j := h.JournalLen()
		r := h.Do(h.E.Delete, "1")
		eq(h, "status", r.Task.Status, backlog.StatusDeleted)
		h.eqIDs("dependents", r.Dependents, []int64{2, 3, 6})
		h.eqIDs("unblocked", r.Unblocked, []int64{2, 3})
		eq(h, "journal entries", h.JournalLen()-j, 1)
		lcExport(h, "+BLOCKED", 6)
		lcExport(h, "+BLOCKING", 5)
		h.eqStrings("2 keeps the dependency", h.Stored(h.Info("2").UUID).Depends, []string{h.Info("1").UUID})

		undo(h, h.E)
		lcExport(h, "+BLOCKED", 2, 3, 6)
		// A task nothing depends on reports no dependents.
		r = h.Do(h.E.Delete, "5")
		h.eqIDs("dependents of 5", r.Dependents, []int64{6})
		h.eqIDs("unblocked by deleting 5", r.Unblocked, nil)
		r = h.Do(h.E.Delete, "2")
		h.eqIDs("dependents of 2", r.Dependents, nil)
	}},
}

func lcContainsID(list []int64, id int64) bool {
	for _, x := range list {
		if x == id {
			return true
		}
	}
	return false
}
