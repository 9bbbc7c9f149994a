package enginetest

import (
	"encoding/json"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
)

// The lifecycle scenarios drive recurring series over a year or more of a
// fixed clock stepped forward by hand, and check every generated due date
// against an oracle written here from the spec, independently of the
// engine's generator: the period dates of a series are the template's due
// plus k periods, counted from the template's due (so monthly on the 31st
// clamps to each month's end without drifting), and the next instance is due
// at the first period date after the later of the old due and now.

// lcPeriods enumerates the period dates of a series, k = 0, 1, 2, ...
type lcPeriods func(k int) time.Time

// lcDaysIn is the number of days of a month.
func lcDaysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// lcAddMonths adds n months to t in its zone, clamping the day to the end of
// a shorter month.
func lcAddMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	hh, mm, ss := t.Clock()
	first := time.Date(y, m+time.Month(n), 1, hh, mm, ss, 0, t.Location())
	return time.Date(first.Year(), first.Month(), min(d, lcDaysIn(first.Year(), first.Month())), hh, mm, ss, 0, t.Location())
}

// lcEveryMonths: the k-th date is anchor + k*n months, clamped.
func lcEveryMonths(anchor time.Time, n int) lcPeriods {
	return func(k int) time.Time { return lcAddMonths(anchor, k*n) }
}

// lcEveryDays: the k-th date is anchor + k*n calendar days, same wall clock.
func lcEveryDays(anchor time.Time, n int) lcPeriods {
	return func(k int) time.Time {
		y, m, d := anchor.Date()
		hh, mm, ss := anchor.Clock()
		return time.Date(y, m, d+k*n, hh, mm, ss, 0, anchor.Location())
	}
}

// lcWeekdays: the anchor, then every Monday to Friday after it at the same
// wall-clock time.
func lcWeekdays(anchor time.Time) lcPeriods {
	var dates []time.Time
	return func(k int) time.Time {
		if len(dates) == 0 {
			dates = append(dates, anchor)
		}
		for len(dates) <= k {
			t := dates[len(dates)-1]
			for {
				y, m, d := t.Date()
				hh, mm, ss := t.Clock()
				t = time.Date(y, m, d+1, hh, mm, ss, 0, t.Location())
				if t.Weekday() != time.Saturday && t.Weekday() != time.Sunday {
					break
				}
			}
			dates = append(dates, t)
		}
		return dates[k]
	}
}

// lcFirstAfter is the first period date strictly after t.
func lcFirstAfter(p lcPeriods, t time.Time) time.Time {
	for k := 0; ; k++ {
		if d := p(k); d.After(t) {
			return d
		}
	}
}

// lcIsPeriod reports whether t is one of the period dates.
func lcIsPeriod(p lcPeriods, t time.Time) bool {
	for k := 0; ; k++ {
		d := p(k)
		if d.Equal(t) {
			return true
		}
		if d.After(t) {
			return false
		}
	}
}

// lcStep is how one instance is finished: at its due plus at (the clock
// never goes back: a time already past is now), by done or by delete.
type lcStep struct {
	at     time.Duration
	delete bool
}

func lcOnTime() lcStep                  { return lcStep{at: 30 * time.Minute} }
func lcEarly(d time.Duration) lcStep    { return lcStep{at: -d} }
func lcLate(d time.Duration) lcStep     { return lcStep{at: d} }
func lcDeleted(at time.Duration) lcStep { return lcStep{at: at, delete: true} }

// lcSeries adds a recurring task and finishes its instances one by one as
// steps say, checking after each that the next instance is the one the
// oracle gives (or none past until), that it is the series' only pending
// instance, that it carries the template's fields and wait/scheduled
// offsets, and that dues strictly increase. It returns every instance's due
// date, the first included.
func lcSeries(h *H, add string, p lcPeriods, steps []lcStep) (tpl *backlog.Task, dues []time.Time) {
	h.Helper()
	r := h.AddR(add)
	tpl = r.Task
	cur := r.Next
	if cur == nil {
		h.Fatalf("%q: no first instance", add)
	}
	h.sameTime("first instance due", cur.Due, p(0))
	dues = append(dues, cur.Due)
	tasks := len(h.Export(""))
	for i, s := range steps {
		at := cur.Due.Add(s.at)
		if at.Before(h.Clock.Now()) {
			at = h.Clock.Now()
		}
		h.Clock.Set(at)
		ref := itoa(cur.ID)
		var res *engine.Result
		if s.delete {
			res = h.Do(h.E.Delete, ref)
		} else {
			res = h.Do(h.E.Done, ref)
		}
		after := cur.Due
		if h.Now().After(after) {
			after = h.Now()
		}
		want := lcFirstAfter(p, after)
		if !tpl.Until.IsZero() && want.After(tpl.Until) {
			if res.Next != nil {
				h.Errorf("step %d (%s at %s): instance %d due %s created past until %s", i, ref, fmtTime(h.Now()), res.Next.ID, fmtTime(res.Next.Due), fmtTime(tpl.Until))
			}
			if pend := pendingInstances(h, tpl.UUID); len(pend) != 0 {
				h.Errorf("step %d: pending instances %v after the series ended", i, ids(pend))
			}
			return tpl, dues
		}
		if res.Next == nil {
			h.Fatalf("step %d: finishing instance %s (due %s) at %s created no next instance; want one due %s",
				i, ref, fmtTime(cur.Due), fmtTime(h.Now()), fmtTime(want))
		}
		next := res.Next
		if !next.Due.Equal(want) {
			h.Errorf("step %d: finishing instance %s (due %s) at %s: next due %s, want %s",
				i, ref, fmtTime(cur.Due), fmtTime(h.Now()), fmtTime(next.Due), fmtTime(want))
		}
		if !next.Due.After(cur.Due) {
			h.Errorf("step %d: next due %s does not follow %s", i, fmtTime(next.Due), fmtTime(cur.Due))
		}
		eq(h, "next parent", next.Parent, tpl.UUID)
		eq(h, "next description", next.Description, tpl.Description)
		lcOffsets(h, tpl, next)
		pend := pendingInstances(h, tpl.UUID)
		if len(pend) != 1 || pend[0].ID != next.ID {
			h.Fatalf("step %d: pending instances %v, want exactly [%d]", i, ids(pend), next.ID)
		}
		tasks++
		if n := len(h.Export("")); n != tasks {
			h.Fatalf("step %d: %d tasks in all, want %d: finishing one instance must create exactly one", i, n, tasks)
		}
		dues = append(dues, next.Due)
		cur = next
	}
	return tpl, dues
}

// lcOffsets checks that an instance keeps the template's wait and scheduled
// offsets from its due date (and its until).
func lcOffsets(h *H, tpl, inst *backlog.Task) {
	h.Helper()
	if tpl.Wait.IsZero() {
		h.sameTime("instance wait", inst.Wait, time.Time{})
	} else {
		h.sameTime("instance wait", inst.Wait, inst.Due.Add(tpl.Wait.Sub(tpl.Due)))
	}
	if tpl.Scheduled.IsZero() {
		h.sameTime("instance scheduled", inst.Scheduled, time.Time{})
	} else {
		h.sameTime("instance scheduled", inst.Scheduled, inst.Due.Add(tpl.Scheduled.Sub(tpl.Due)))
	}
	h.sameTime("instance until", inst.Until, tpl.Until)
}

// lcRepeat makes n steps from a pattern: step i is pick(i).
func lcRepeat(n int, pick func(i int) lcStep) []lcStep {
	out := make([]lcStep, n)
	for i := range out {
		out[i] = pick(i)
	}
	return out
}

// lcCheckDues checks a series' dues: strictly increasing, each a period date.
func lcCheckDues(h *H, p lcPeriods, dues []time.Time) {
	h.Helper()
	for i, d := range dues {
		if i > 0 && !d.After(dues[i-1]) {
			h.Errorf("due %d (%s) does not follow due %d (%s)", i, fmtTime(d), i-1, fmtTime(dues[i-1]))
		}
		if !lcIsPeriod(p, d) {
			h.Errorf("due %d (%s) is not one of the series' period dates", i, fmtTime(d))
		}
	}
}

// lcLocal formats dates in the scenario's zone, for literal comparisons.
func lcLocal(ts []time.Time) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.In(Zone).Format("2006-01-02 15:04 Mon")
	}
	return out
}

var lifecycleRecurScenarios = []scenario{
	{"daily for a year, on time, early, late and after a long pause: every due date is the next period date", func(h *H) {
		p := lcEveryDays(local(2026, 3, 5, 9, 0, 0), 1)
		steps := lcRepeat(365, func(i int) lcStep {
			switch {
			case i == 200:
				return lcLate(40 * day) // a long pause: one instance, not forty
			case i%30 == 7:
				return lcEarly(20 * time.Hour) // the evening before
			case i%45 == 11:
				return lcLate(2*day + 3*time.Hour)
			case i%50 == 13:
				return lcDeleted(time.Hour)
			}
			return lcOnTime()
		})
		tpl, dues := lcSeries(h, "Daily review recur:daily due:2026-03-05T09:00 project:ops", p, steps)
		lcCheckDues(h, p, dues)
		eq(h, "instances", len(dues), 366)
		h.sameTime("template due unchanged", h.Stored(tpl.UUID).Due, local(2026, 3, 5, 9, 0, 0))
		// A spot check of the oracle itself: the first two, and the one after the pause.
		h.sameTime("second due", dues[1], local(2026, 3, 6, 9, 0, 0))
		pauseDue := dues[200]
		h.sameTime("due after the pause", dues[201], pauseDue.AddDate(0, 0, 41))
		if dues[365].Before(local(2027, 3, 5, 9, 0, 0)) {
			h.Errorf("a year of daily instances ends at %s, before a year has passed", fmtTime(dues[365]))
		}
	}},

	{"weekly for a year with deletes, early and late completions", func(h *H) {
		p := lcEveryDays(local(2026, 3, 6, 18, 0, 0), 7) // Fridays 18:00
		steps := lcRepeat(52, func(i int) lcStep {
			switch i % 6 {
			case 1:
				return lcEarly(3 * day) // Tuesday
			case 2:
				return lcLate(9 * day) // past the next Friday: skip to the one after
			case 3:
				return lcDeleted(-2 * day)
			case 4:
				return lcDeleted(26 * time.Hour)
			}
			return lcOnTime()
		})
		_, dues := lcSeries(h, "Weekly report recur:weekly due:2026-03-06T18:00", p, steps)
		deletes := 0
		for _, s := range steps {
			if s.delete {
				deletes++
			}
		}
		lcCheckDues(h, p, dues)
		for i, d := range dues {
			if wd := d.In(Zone).Weekday(); wd != time.Friday {
				h.Errorf("weekly due %d is a %s (%s)", i, wd, fmtTime(d))
			}
		}
		eq(h, "instances", len(dues), 53)
		eq(h, "completed", count(h, "status:completed"), 52-deletes)
		eq(h, "deleted", count(h, "status:deleted"), deletes)
	}},

	{"monthly on the 31st clamps to 30, 28 and 29 without drifting, for two years", func(h *H) {
		anchor := local(2026, 3, 31, 9, 0, 0)
		_, dues := lcSeries(h, "Invoice recur:monthly due:2026-03-31T09:00", lcEveryMonths(anchor, 1), lcRepeat(24, func(int) lcStep { return lcOnTime() }))
		want := []string{
			"2026-03-31", "2026-04-30", "2026-05-31", "2026-06-30", "2026-07-31", "2026-08-31",
			"2026-09-30", "2026-10-31", "2026-11-30", "2026-12-31", "2027-01-31", "2027-02-28",
			"2027-03-31", "2027-04-30", "2027-05-31", "2027-06-30", "2027-07-31", "2027-08-31",
			"2027-09-30", "2027-10-31", "2027-11-30", "2027-12-31", "2028-01-31", "2028-02-29",
			"2028-03-31",
		}
		got := lcLocal(dues)
		for i := range got {
			if l := dues[i].In(Zone); l.Hour() != 9 || l.Minute() != 0 {
				h.Errorf("due %d is at %s, not 09:00", i, got[i])
			}
			got[i] = got[i][:10]
		}
		h.eqStrings("monthly dues", got, want)
	}},

	{"monthly on the 31st completed late and early: the first period date after the later of due and now", func(h *H) {
		anchor := local(2026, 3, 31, 9, 0, 0)
		p := lcEveryMonths(anchor, 1)
		steps := []lcStep{
			lcOnTime(),         // 31 Mar -> 30 Apr
			lcLate(5 * day),    // 30 Apr done 5 May -> 31 May (not 5 June, not 30 May)
			lcEarly(20 * day),  // 31 May done 11 May -> 30 Jun
			lcLate(35 * day),   // 30 Jun done 4 Aug -> 31 Aug (July is skipped)
			lcDeleted(2 * day), // 31 Aug deleted 2 Sep -> 30 Sep
			lcLate(150 * day),  // 30 Sep done late Feb -> 28 Feb 2027
			lcOnTime(),         // 28 Feb -> 31 Mar 2027: back to the 31st, no drift
		}
		_, dues := lcSeries(h, "Invoice recur:monthly due:2026-03-31T09:00", p, steps)
		got := lcLocal(dues)
		for i := range got {
			got[i] = got[i][:10]
		}
		h.eqStrings("dues", got, []string{"2026-03-31", "2026-04-30", "2026-05-31", "2026-06-30", "2026-08-31", "2026-09-30", "2027-02-28", "2027-03-31"})
	}},

	{"quarterly from 31 March keeps its anchor; two missed quarters make one instance", func(h *H) {
		p := lcEveryMonths(local(2026, 3, 31, 8, 0, 0), 3)
		_, dues := lcSeries(h, "Quarterly close recur:quarterly due:2026-03-31T08:00", p, lcRepeat(8, func(i int) lcStep {
			if i == 5 {
				return lcLate(200 * day)
			}
			return lcOnTime()
		}))
		lcCheckDues(h, p, dues)
		got := lcLocal(dues)
		for i := range got {
			got[i] = got[i][:10]
		}
		h.eqStrings("quarterly dues", got, []string{"2026-03-31", "2026-06-30", "2026-09-30", "2026-12-31", "2027-03-31",
			"2027-06-30", "2028-03-31", "2028-06-30", "2028-09-30"})
	}},

	{"yearly from the leap day: 28 February in common years, 29 February again in leap years", func(h *H) {
		h.Clock.Set(local(2028, 1, 10, 9, 0, 0))
		p := lcEveryMonths(local(2028, 2, 29, 12, 0, 0), 12)
		_, dues := lcSeries(h, "Leap review recur:yearly due:2028-02-29T12:00", p, lcRepeat(5, func(i int) lcStep {
			if i == 2 {
				return lcEarly(100 * day)
			}
			return lcOnTime()
		}))
		got := lcLocal(dues)
		for i := range got {
			got[i] = got[i][:10]
		}
		h.eqStrings("yearly dues", got, []string{"2028-02-29", "2029-02-28", "2030-02-28", "2031-02-28", "2032-02-29", "2033-02-28"})
	}},

	{"weekdays for a year skip every weekend, also when completed on a weekend or after a pause", func(h *H) {
		p := lcWeekdays(local(2026, 3, 9, 9, 0, 0)) // a Monday
		steps := lcRepeat(260, func(i int) lcStep {
			switch {
			case i == 100:
				return lcLate(12 * day)
			case i%20 == 4:
				return lcLate(26 * time.Hour) // a Friday's done on Saturday: next Monday
			case i%20 == 9:
				return lcEarly(15 * time.Hour)
			case i%25 == 3:
				return lcDeleted(time.Minute)
			}
			return lcOnTime()
		})
		_, dues := lcSeries(h, "Stand-up recur:weekdays due:2026-03-09T09:00", p, steps)
		lcCheckDues(h, p, dues)
		for i, d := range dues {
			if wd := d.In(Zone).Weekday(); wd == time.Saturday || wd == time.Sunday {
				h.Errorf("weekdays due %d is on a %s (%s)", i, wd, fmtTime(d))
			}
		}
		h.sameTime("second due", dues[1], local(2026, 3, 10, 9, 0, 0))
		h.sameTime("fifth due (a Friday's successor)", dues[5], local(2026, 3, 16, 9, 0, 0))
	}},

	{"a long pause creates one instance, not a flood, in one journal entry", func(h *H) {
		for _, c := range []struct{ recur, due string }{
			{"daily", "2026-03-05T09:00"}, {"weekdays", "2026-03-05T09:00"}, {"weekly", "2026-03-05T09:00"},
			{"monthly", "2026-03-31T09:00"}, {"quarterly", "2026-03-31T09:00"}, {"2d", "2026-03-05T09:00"},
			{"12h", "2026-03-05T09:00"},
		} {
			h.Case(c.recur, func(h *H) {
				tpl := h.AddR("Chore recur:" + c.recur + " due:" + c.due).Task
				inst := pendingInstances(h, tpl.UUID)[0]
				h.Clock.Set(local(2027, 7, 14, 15, 30, 0))
				n := len(h.Export(""))
				j := h.JournalLen()
				r := h.Do(h.E.Done, itoa(inst.ID))
				if r.Next == nil {
					h.Fatalf("no next instance after the pause")
				}
				if !r.Next.Due.After(h.Now()) {
					h.Errorf("next due %s is not after now %s", fmtTime(r.Next.Due), fmtTime(h.Now()))
				}
				eq(h, "tasks created", len(h.Export(""))-n, 1)
				eq(h, "journal entries", h.JournalLen()-j, 1)
				eq(h, "tasks in the done entry", len(h.Last().Changes), 2)
				eq(h, "pending instances", len(pendingInstances(h, tpl.UUID)), 1)
			})
		}
	}},

	{"a monthly series twenty years on: the next instance is the first period date after now, not a later one", func(h *H) {
		tpl := h.AddR("Rent recur:monthly due:2026-03-15T09:00").Task
		h.Clock.Set(local(2046, 3, 1, 9, 0, 0))
		r := h.Do(h.E.Done, "2")
		if r.Next == nil {
			h.Fatalf("no next instance")
		}
		h.sameTime("next due", r.Next.Due, local(2046, 3, 15, 9, 0, 0))
		// Completed on time, an instance of an old series is followed by the next month's.
		cur := r.Next
		h.Clock.Set(cur.Due.Add(30 * time.Minute))
		r = h.Do(h.E.Done, itoa(cur.ID))
		if r.Next == nil {
			h.Fatalf("no next instance")
		}
		h.sameTime("next due, completed on time", r.Next.Due, cur.Due.In(Zone).AddDate(0, 1, 0))
		eq(h, "pending instances", len(pendingInstances(h, tpl.UUID)), 1)
	}},

	{"deleting the template deletes its instance also while the instance is waiting", func(h *H) {
		tpl := h.AddR("Report recur:weekly due:2026-03-13T18:00 wait:2026-03-12T18:00").Task
		inst := pendingInstances(h, tpl.UUID)
		if len(inst) != 1 || inst[0].Status != backlog.StatusWaiting {
			h.Fatalf("the first instance: %+v, want one waiting", inst)
		}
		r := h.Do(h.E.Delete, "1")
		if r.Next != nil {
			h.Errorf("deleting the template created instance %d", r.Next.ID)
		}
		eq(h, "instance status", h.Stored(inst[0].UUID).Status, backlog.StatusDeleted)
		eq(h, "pending instances", len(pendingInstances(h, tpl.UUID)), 0)
		h.Clock.Set(local(2026, 3, 14, 9, 0, 0))
		lcSelect(h, "")
	}},

	{"until ends the series: weekly until a date between two period dates", func(h *H) {
		p := lcEveryDays(local(2026, 3, 6, 18, 0, 0), 7)
		tpl, dues := lcSeries(h, "Sprint review recur:weekly due:2026-03-06T18:00 until:2026-06-01", p, lcRepeat(20, func(i int) lcStep {
			if i == 3 {
				return lcDeleted(time.Hour)
			}
			return lcOnTime()
		}))
		eq(h, "instances", len(dues), 13) // 6 March .. 29 May
		h.sameTime("last due", dues[len(dues)-1], local(2026, 5, 29, 18, 0, 0))
		for _, d := range dues {
			if d.After(tpl.Until) {
				h.Errorf("instance due %s after until %s", fmtTime(d), fmtTime(tpl.Until))
			}
		}
		eq(h, "template still recurring", h.Stored(tpl.UUID).Status, backlog.StatusRecurring)
		h.Clock.Advance(400 * day)
		h.eqIDs("nothing pending a year later", ids(h.List("", "", 0)), nil)
	}},

	{"until ends the series: a long pause past until creates nothing", func(h *H) {
		tpl := h.AddR("Chore recur:daily due:2026-03-05T09:00 until:2026-04-01").Task
		h.Clock.Set(local(2026, 5, 1, 9, 0, 0))
		r := h.Do(h.E.Done, "2")
		if r.Next != nil {
			h.Errorf("an instance due %s was created after until %s", fmtTime(r.Next.Due), fmtTime(tpl.Until))
		}
		eq(h, "pending instances", len(pendingInstances(h, tpl.UUID)), 0)
		eq(h, "tasks", len(h.Export("")), 2)
	}},

	{"until ends the series: a template whose until is before its due has no instance due after until", func(h *H) {
		r, err := h.E.Add(h.Ctx, h.Mods("Too late recur:daily due:2026-03-10T09:00 until:2026-03-05"))
		if err != nil {
			return // refusing the series is fine too
		}
		h.trackResult(r)
		for _, inst := range pendingInstances(h, r.Task.UUID) {
			h.Errorf("add created instance %d due %s, after until %s", inst.ID, fmtTime(inst.Due), fmtTime(r.Task.Until))
		}
	}},

	{"until ends the series: monthly on the 31st until the last day of the year", func(h *H) {
		p := lcEveryMonths(local(2026, 3, 31, 9, 0, 0), 1)
		_, dues := lcSeries(h, "Invoice recur:monthly due:2026-03-31T09:00 until:2026-12-31T09:00", p, lcRepeat(12, func(int) lcStep { return lcOnTime() }))
		h.sameTime("last due (until itself is a period date)", dues[len(dues)-1], local(2026, 12, 31, 9, 0, 0))
		eq(h, "instances", len(dues), 10)
	}},

	{"wait and scheduled offsets are carried to every instance, and a waiting instance still counts as the pending one", func(h *H) {
		// Due at 09:00 on the 31st; scheduled the day before at 12:00, hidden until three days before.
		p := lcEveryMonths(local(2026, 3, 31, 9, 0, 0), 1)
		h.Clock.Set(local(2026, 3, 20, 9, 0, 0))
		add := "Invoice recur:monthly due:2026-03-31T09:00 scheduled:2026-03-30T12:00 wait:2026-03-28T09:00"
		steps := lcRepeat(13, func(i int) lcStep {
			switch i % 4 {
			case 1:
				return lcEarly(10 * day) // done while still waiting
			case 2:
				return lcDeleted(-5 * day) // deleted while waiting
			}
			return lcOnTime()
		})
		tpl, dues := lcSeries(h, add, p, steps)
		h.sameTime("template wait", tpl.Wait, local(2026, 3, 28, 9, 0, 0))
		h.sameTime("template scheduled", tpl.Scheduled, local(2026, 3, 30, 12, 0, 0))
		eq(h, "instances", len(dues), 14)
		// The last instance: waiting until three days before its due.
		last := pendingInstances(h, tpl.UUID)[0]
		h.Clock.Set(last.Due.Add(-4 * day))
		eq(h, "status four days before", h.Info(itoa(last.ID)).Status, backlog.StatusWaiting)
		h.eqIDs("default list four days before", ids(h.List("", "", 0)), nil)
		h.eqIDs("+WAITING four days before", ids(h.List("+WAITING", "", 0)), []int64{last.ID})
		h.Clock.Set(last.Due.Add(-2 * day))
		h.eqIDs("default list two days before", ids(h.List("", "", 0)), []int64{last.ID})
		h.eqIDs("+READY two days before (scheduled tomorrow)", ids(h.List("+READY", "", 0)), nil)
		h.Clock.Set(last.Due.Add(-12 * time.Hour))
		h.eqIDs("+READY after scheduled", ids(h.List("+READY", "", 0)), []int64{last.ID})
	}},

	{"modifying the template changes future instances, not the current one", func(h *H) {
		tpl := h.AddR("Water plants recur:weekly due:2026-03-06T18:00 project:home priority:L +garden").Task
		cur := h.Stored(pendingInstances(h, tpl.UUID)[0].UUID)
		n := h.JournalLen()
		c := h.Edits("project:house priority:H +weekly wait:2026-03-05T18:00")
		c.Description = ptr("Water the plants")
		r := modify(h, "1", c)
		h.eqIDs("modified", ids(r.Tasks), []int64{1})
		eq(h, "journal entries", h.JournalLen()-n, 1)
		eq(h, "tasks in the modify entry", len(h.Last().Changes), 1)
		if got := h.Stored(cur.UUID); !lcSameStored(got, cur) {
			h.Errorf("modifying the template changed its current instance:\nbefore %+v\nafter  %+v", cur, got)
		}
		// The current instance is finished; the next one follows the template as it is now.
		h.Clock.Set(local(2026, 3, 6, 19, 0, 0))
		next := h.Do(h.E.Done, itoa(cur.ID)).Next
		if next == nil {
			h.Fatalf("no next instance")
		}
		eq(h, "next description", next.Description, "Water the plants")
		eq(h, "next project", next.Project, "house")
		eq(h, "next priority", next.Priority, backlog.PriorityHigh)
		h.eqStrings("next tags", next.Tags, []string{"garden", "weekly"})
		h.sameTime("next due", next.Due, local(2026, 3, 13, 18, 0, 0))
		h.sameTime("next wait (the template's new offset)", next.Wait, local(2026, 3, 12, 18, 0, 0))

		// Moving the template's due moves the series' period dates, from the next instance on.
		h.Modify("1", "due:2026-03-07T10:00 recur:2w")
		eq(h, "current instance due unchanged", h.Stored(next.UUID).Due.Equal(local(2026, 3, 13, 18, 0, 0)), true)
		eq(h, "current instance recur unchanged", h.Stored(next.UUID).Recur, "weekly")
		h.Clock.Set(local(2026, 3, 13, 19, 0, 0))
		after := h.Do(h.E.Done, itoa(next.ID)).Next
		if after == nil {
			h.Fatalf("no instance after the template's due moved")
		}
		h.sameTime("due on the new anchor (7 March + 2 weeks)", after.Due, local(2026, 3, 21, 10, 0, 0))
		eq(h, "recur of the new instance", after.Recur, "2w")
		h.sameTime("wait keeps the template's offset from its new due", after.Wait, local(2026, 3, 19, 18, 0, 0))
	}},

	{"deleting an instance creates the next, and undoing the delete takes the next back", func(h *H) {
		tpl := h.AddR("Chore recur:weekly due:2026-03-06T18:00").Task
		h.Clock.Set(local(2026, 3, 6, 10, 0, 0))
		r := h.Do(h.E.Delete, "2")
		eq(h, "deleted", r.Task.Status, backlog.StatusDeleted)
		if r.Next == nil {
			h.Fatalf("deleting an instance created no next instance")
		}
		h.sameTime("next due", r.Next.Due, local(2026, 3, 13, 18, 0, 0))
		h.eqIDs("pending instances", ids(pendingInstances(h, tpl.UUID)), []int64{3})
		// Deleting again is refused and creates nothing.
		h.Rejects("task 2 is already deleted", backlog.ErrConflict, func() error { _, err := h.E.Delete(h.Ctx, "2"); return err })
		undo(h, h.E)
		h.eqIDs("pending instances after undo", ids(pendingInstances(h, tpl.UUID)), []int64{2})
		eq(h, "tasks after undo", len(h.Export("")), 2)
		// Deleting a completed instance creates nothing more.
		h.Do(h.E.Done, "2")
		n := len(h.Export(""))
		if r := h.Do(h.E.Delete, "2"); r.Next != nil {
			h.Errorf("deleting a completed instance created instance %d", r.Next.ID)
		}
		eq(h, "tasks", len(h.Export("")), n)
		eq(h, "pending instances", len(pendingInstances(h, tpl.UUID)), 1)
	}},

	{"an unknown or empty recurrence pattern is an error that changes nothing", func(h *H) {
		h.AddR("Chore recur:weekly due:2026-03-06T18:00")
		for _, bad := range []string{"fortnightly-ish", "0d", "0", "-1w", "PT0S", "weekday", "3x", "1.5d"} {
			want := `recur must be a period such as daily, weekly, weekdays, monthly, 2w or P1M, got "` + bad + `"`
			h.Case(bad, func(h *H) {
				h.Rejects(want, backlog.ErrInvalid, func() error {
					_, err := h.E.Add(h.Ctx, &engine.Changes{Description: ptr("New"), Recur: ptr(bad), Due: ptr("tomorrow")})
					return err
				})
				h.Rejects(want, backlog.ErrInvalid, func() error {
					_, err := h.E.Modify(h.Ctx, "1", &engine.Changes{Recur: ptr(bad)}, false)
					return err
				})
				h.Rejects(want, backlog.ErrInvalid, func() error {
					_, err := h.E.Modify(h.Ctx, "2", &engine.Changes{Recur: ptr(bad)}, false)
					return err
				})
				h.Rejects("task 0: "+want, backlog.ErrInvalid, func() error {
					_, err := h.E.Import(h.Ctx, []byte(`[{"description":"New","due":"2026-03-10T09:00:00Z","recur":"`+bad+`"}]`), engine.ImportOptions{})
					return err
				})
			})
		}
		// The series goes on as before.
		r := h.Do(h.E.Done, "2")
		if r.Next == nil || r.Next.Recur != "weekly" {
			h.Fatalf("the series did not go on: %+v", r.Next)
		}
	}},
}

// sameStored compares two stored images, as JSON.
func lcSameStored(a, b *backlog.Task) bool {
	ja, jb := *a, *b
	ja.Urgency, jb.Urgency = 0, 0
	x, _ := json.Marshal(&ja)
	y, _ := json.Marshal(&jb)
	return string(x) == string(y)
}
