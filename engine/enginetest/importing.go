package enginetest

import (
	"encoding/json"
	"fmt"
	"strings"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
)

// Taskwarrior UUIDs for the `task export` sample.
const (
	twActive    = "a1111111-1111-4111-8111-111111111111"
	twDone      = "a2222222-2222-4222-8222-222222222222"
	twWaiting   = "a3333333-3333-4333-8333-333333333333"
	twDepArray  = "a4444444-4444-4444-8444-444444444444"
	twDepString = "a5555555-5555-4555-8555-555555555555"
	twTemplate  = "a6666666-6666-4666-8666-666666666666"
	twInstance  = "a7777777-7777-4777-8777-777777777777"
	twDeleted   = "a8888888-8888-4888-8888-888888888888"
)

// twExport is what Taskwarrior's `task export` prints (3.x depends as an
// array, 2.x as a comma string), with its computed fields.
const twExport = `[
{"id":1,"description":"Write tests","entry":"20260301T143000Z","modified":"20260302T090000Z","start":"20260302T080000Z","status":"pending","uuid":"` + twActive + `","tags":["test","go"],"project":"web","priority":"H","due":"20260310T000000Z","urgency":9.3,"annotations":[{"entry":"20260301T150000Z","description":"started on the parser"}],"estimate":"3h","points":5},
{"id":0,"description":"Shipped","entry":"20260220T100000Z","end":"20260225T170000Z","modified":"20260225T170000Z","status":"completed","uuid":"` + twDone + `","urgency":0},
{"id":2,"description":"Later","entry":"20260301T143000Z","modified":"20260301T143000Z","status":"waiting","wait":"20260401T000000Z","uuid":"` + twWaiting + `","urgency":-2.1},
{"id":3,"description":"Depends as an array","entry":"20260301T143000Z","modified":"20260301T143000Z","status":"pending","uuid":"` + twDepArray + `","depends":["` + twActive + `","` + twWaiting + `"],"urgency":-4},
{"id":4,"description":"Depends as a string","entry":"20260301T143000Z","modified":"20260301T143000Z","status":"pending","uuid":"` + twDepString + `","depends":"` + twActive + `,` + twWaiting + `","urgency":-4},
{"id":0,"description":"Weekly review","entry":"20260301T143000Z","modified":"20260301T143000Z","status":"recurring","uuid":"` + twTemplate + `","recur":"weekly","due":"20260306T170000Z","mask":"-+","urgency":0},
{"id":5,"description":"Weekly review","entry":"20260301T143000Z","modified":"20260301T143000Z","status":"pending","uuid":"` + twInstance + `","recur":"weekly","due":"20260313T170000Z","parent":"` + twTemplate + `","imask":1,"urgency":3.5},
{"id":0,"description":"Gone","entry":"20260220T100000Z","end":"20260226T100000Z","modified":"20260226T100000Z","status":"deleted","uuid":"` + twDeleted + `","urgency":0}
]`

var importScenarios = []scenario{
	{"import reads Taskwarrior's task export shape", func(h *H) {
		r := h.Import(twExport)
		eq(h, "imported", r.Imported, 8)
		h.eqIDs("ids in input order", ids(r.Tasks), []int64{1, 2, 3, 4, 5, 6, 7, 8})
		eq(h, "tasks in the backlog (the template has its instance)", len(h.Export("")), 8)

		a := h.Stored(twActive)
		eq(h, "id", a.ID, int64(1))
		eq(h, "status", a.Status, backlog.StatusPending)
		eq(h, "description", a.Description, "Write tests")
		h.sameTime("entry", a.Entry, utc(2026, 3, 1, 14, 30, 0))
		h.sameTime("start", a.Start, utc(2026, 3, 2, 8, 0, 0))
		h.sameTime("due", a.Due, utc(2026, 3, 10, 0, 0, 0))
		eq(h, "project", a.Project, "web")
		eq(h, "priority", a.Priority, backlog.PriorityHigh)
		h.eqStrings("tags", a.Tags, []string{"test", "go"})
		if len(a.Annotations) != 1 || a.Annotations[0].Description != "started on the parser" {
			h.Errorf("annotations = %v", a.Annotations)
		} else {
			h.sameTime("annotation entry", a.Annotations[0].Entry, utc(2026, 3, 1, 15, 0, 0))
		}
		eq[any](h, "UDA estimate (top level)", a.Extra["estimate"], "3h")
		eq[any](h, "UDA points (top level)", a.Extra["points"], 5.0)
		for _, computed := range []string{"id", "urgency", "imask", "modified"} {
			if _, ok := a.Extra[computed]; ok {
				h.Errorf("Taskwarrior's %q became a UDA", computed)
			}
		}
		h.eqIDs("+ACTIVE", ids(h.List("+ACTIVE", "", 0)), []int64{1})

		d := h.Stored(twDone)
		eq(h, "completed status", d.Status, backlog.StatusCompleted)
		h.sameTime("completed end", d.End, utc(2026, 2, 25, 17, 0, 0))

		w := h.Stored(twWaiting)
		eq(h, "waiting is stored pending", w.Status, backlog.StatusPending)
		h.sameTime("wait", w.Wait, utc(2026, 4, 1, 0, 0, 0))
		eq(h, "waiting shows as waiting", h.Info(twWaiting).Status, backlog.StatusWaiting)

		h.eqStrings("depends from an array", h.Stored(twDepArray).Depends, []string{twActive, twWaiting})
		h.eqStrings("depends from a string", h.Stored(twDepString).Depends, []string{twActive, twWaiting})
		h.eqIDs("+BLOCKED", ids(h.List("+BLOCKED", "id+", 0)), []int64{4, 5})

		tpl := h.Stored(twTemplate)
		eq(h, "template status", tpl.Status, backlog.StatusRecurring)
		eq(h, "template recur", tpl.Recur, "weekly")
		eq(h, "template mask", tpl.Mask, "-+")
		inst := h.Stored(twInstance)
		eq(h, "instance status", inst.Status, backlog.StatusPending)
		eq(h, "instance parent", inst.Parent, twTemplate)
		if _, ok := inst.Extra["imask"]; ok {
			h.Errorf("imask became a UDA")
		}
		h.eqIDs("pending instances of the template", ids(pendingInstances(h, twTemplate)), []int64{7})

		del := h.Stored(twDeleted)
		eq(h, "deleted status", del.Status, backlog.StatusDeleted)
		h.sameTime("deleted end", del.End, utc(2026, 2, 26, 10, 0, 0))
	}},

	{"import reads Taskwarrior's older JSON-lines export", func(h *H) {
		lines := `{"description":"One","entry":"20260301T143000Z","status":"pending","uuid":"` + twActive + `"}
{"description":"Two","entry":"20260301T143000Z","status":"pending","uuid":"` + twDone + `","depends":"` + twActive + `"}`
		r := h.Import(lines)
		eq(h, "imported", r.Imported, 2)
		h.eqStrings("depends", h.Stored(twDone).Depends, []string{twActive})
	}},

	{"import reads our own shape; computed fields are ignored", func(h *H) {
		r := h.Import(`[{"id":77,"description":"Ours","status":"pending","project":"web","priority":"m","tags":["a","b"],
			"due":"2026-03-10T12:00:00Z","scheduled":"2026-03-09T12:00:00Z","agent":"claude","urgency":4.2,
			"extra":{"estimate":"2h","points":3,"ok":true},
			"annotations":[{"entry":"2026-03-01T10:00:00Z","description":"note"}]},
			{"description":"Done already","status":"completed","end":"2026-03-02T10:00:00Z"},
			{"description":"Due by expression","due":"friday"}]`)
		eq(h, "imported", r.Imported, 3)
		t := h.Stored(r.Tasks[0].UUID)
		eq(h, "id (77 ignored)", t.ID, int64(1))
		eq(h, "project", t.Project, "web")
		eq(h, "priority", t.Priority, backlog.PriorityMedium)
		h.eqStrings("tags", t.Tags, []string{"a", "b"})
		h.sameTime("due", t.Due, utc(2026, 3, 10, 12, 0, 0))
		h.sameTime("scheduled", t.Scheduled, utc(2026, 3, 9, 12, 0, 0))
		eq(h, "agent", t.Agent, "claude")
		eq[any](h, "estimate", t.Extra["estimate"], "2h")
		eq[any](h, "points", t.Extra["points"], 3.0)
		eq[any](h, "ok", t.Extra["ok"], true)
		h.sameTime("entry defaults to now", t.Entry, utc(2026, 3, 4, 8, 0, 0))
		if len(t.Annotations) != 1 {
			h.Errorf("annotations = %v", t.Annotations)
		}
		c := h.Stored(r.Tasks[1].UUID)
		eq(h, "completed", c.Status, backlog.StatusCompleted)
		h.sameTime("end", c.End, utc(2026, 3, 2, 10, 0, 0))
		h.sameTime("due by expression", h.Stored(r.Tasks[2].UUID).Due, utc(2026, 3, 5, 22, 0, 0))
	}},

	{"refs let tasks of one batch depend on each other, forwards and backwards", func(h *H) {
		existing := h.Add("Existing")
		r := h.Import(`[
			{"ref":"docs","description":"Write docs","depends":["ui","1"]},
			{"ref":"schema","description":"Design schema"},
			{"ref":"api","description":"Build API","depends":["schema"]},
			{"ref":"ui","description":"Build UI","depends":"api,schema"}]`)
		eq(h, "imported", r.Imported, 4)
		h.eqIDs("ids in input order", ids(r.Tasks), []int64{2, 3, 4, 5})
		u := map[string]string{}
		for _, t := range r.Tasks {
			u[t.Description] = t.UUID
		}
		h.eqStrings("docs depends", h.Stored(u["Write docs"]).Depends, []string{u["Build UI"], existing.UUID})
		h.eqStrings("api depends", h.Stored(u["Build API"]).Depends, []string{u["Design schema"]})
		h.eqStrings("ui depends", h.Stored(u["Build UI"]).Depends, []string{u["Build API"], u["Design schema"]})
		h.eqIDs("+READY", ids(h.List("+READY", "id+", 0)), []int64{1, 3})
		for _, t := range h.Export("") {
			if _, ok := t.Extra["ref"]; ok {
				h.Errorf("task %d keeps ref as a UDA", t.ID)
			}
		}
	}},

	{"a doc field attaches a doc", func(h *H) {
		r := h.Import(`[{"description":"Specified","doc":"# Spec\n\nDetails."},{"description":"Plain"}]`)
		t := h.Stored(r.Tasks[0].UUID)
		eq(h, "has_doc", t.HasDoc, true)
		h.eqStrings("tags", t.Tags, []string{"doc"})
		eq(h, "doc", docRead(h, "1"), "# Spec\n\nDetails.")
		eq(h, "imported task shows has_doc", r.Tasks[0].HasDoc, true)
		h.Rejects("task 2 has no doc", backlog.ErrNotFound, func() error { _, err := h.E.DocRead(h.Ctx, "2"); return err })
	}},

	{"a recurring task imported without an instance gets its first instance", func(h *H) {
		r := h.Import(`[{"description":"Chore","status":"recurring","recur":"weekly","due":"2026-03-06T10:00:00Z"},{"description":"Next"}]`)
		eq(h, "imported", r.Imported, 2)
		tpl := h.Stored(r.Tasks[0].UUID)
		eq(h, "template status", tpl.Status, backlog.StatusRecurring)
		inst := pendingInstances(h, tpl.UUID)
		if len(inst) != 1 {
			h.Fatalf("instances = %v, want one", ids(inst))
		}
		h.sameTime("instance due", inst[0].Due, tpl.Due)
		eq(h, "template id", tpl.ID, int64(1))
		if r.Tasks[1].ID <= tpl.ID {
			h.Errorf("ids: template %d, next object %d; want them in input order", tpl.ID, r.Tasks[1].ID)
		}
	}},

	{"re-importing a template that has a pending instance does not create a second one", func(h *H) {
		r := h.AddR("Chore recur:weekly due:friday")
		tpl := r.Task
		h.Import(`[{"uuid":"` + tpl.UUID + `","description":"Chore, renamed","status":"recurring","recur":"weekly","due":"2026-03-05T22:00:00Z"}]`)
		eq(h, "template id", h.Stored(tpl.UUID).ID, int64(1))
		eq(h, "template description", h.Stored(tpl.UUID).Description, "Chore, renamed")
		h.eqIDs("pending instances", ids(pendingInstances(h, tpl.UUID)), []int64{2})
	}},

	{"a template imported with only completed instances gets a pending one", func(h *H) {
		h.Import(`[
			{"uuid":"` + twTemplate + `","description":"Weekly review","entry":"20260201T100000Z","status":"recurring","recur":"weekly","due":"20260206T170000Z","mask":"++"},
			{"uuid":"` + twInstance + `","description":"Weekly review","entry":"20260201T100000Z","status":"completed","end":"20260227T170000Z","recur":"weekly","due":"20260227T170000Z","parent":"` + twTemplate + `","imask":3}]`)
		if got := pendingInstances(h, twTemplate); len(got) != 1 {
			h.Errorf("pending instances of the imported template = %v, want one (else the series never goes on)", ids(got))
		}
	}},

	{"an invalid object rejects the whole batch with its index, changing nothing", func(h *H) {
		h.Add("Existing")
		good := `{"description":"Good %d"}`
		batch := func(bad string) string {
			objs := []string{fmt.Sprintf(good, 0), fmt.Sprintf(good, 1), `{"ref":"a","description":"Ref a"}`, bad, fmt.Sprintf(good, 4)}
			return "[" + strings.Join(objs, ",") + "]"
		}
		cases := []struct {
			bad, want string
			kind      error
		}{
			{`{"description":"Bad","priority":"X"}`, `task 3: priority must be H, M, L or empty, got "X"`, backlog.ErrInvalid},
			{`{"description":"Bad","due":"notadate"}`, `task 3: cannot parse date "notadate" for due`, backlog.ErrInvalid},
			{`{"description":""}`, `task 3: description must not be empty`, backlog.ErrInvalid},
			{`{"description":"Bad","bogus":1}`, `task 3: unknown field "bogus"`, backlog.ErrInvalid},
			{`{"description":"Bad","depends":["nosuch"]}`, `task 3: depends names "nosuch", which is neither a ref of this batch nor a task`, backlog.ErrInvalid},
			{`{"description":"Bad","project":"a b"}`, `task 3: project "a b" contains ' ': use letters, digits, '_' and '-', with '.' between parts`, backlog.ErrInvalid},
			{`{"description":"Bad","status":"done"}`, `task 3: status must be pending, completed, deleted, recurring or waiting, got "done"`, backlog.ErrInvalid},
			{`{"description":"Bad","uuid":"not-a-uuid"}`, `task 3: "not-a-uuid" is not a UUID`, backlog.ErrInvalid},
			{`{"description":"Bad","tags":["READY"]}`, `task 3: "READY" is a virtual tag, computed from the task; it cannot be set`, backlog.ErrInvalid},
			{`{"ref":"a","description":"Bad"}`, `task 3: ref "a" is used twice in the batch`, backlog.ErrInvalid},
			{`{"description":"Bad","recur":"sometimes","due":"friday"}`, `task 3: recur must be a period such as daily, weekly, weekdays, monthly, 2w or P1M, got "sometimes"`, backlog.ErrInvalid},
			{`"just a string"`, `task 3: not a JSON object`, backlog.ErrInvalid},
			{`{"description":"Bad","doc":"` + strings.Repeat("x", 1<<20) + `y"}`, `task 3: doc is 1048577 bytes, more than the 1048576 allowed`, backlog.ErrInvalid},
			{`{"description":"Bad","annotations":[{"entry":"2026-03-01T10:00:00Z","description":""}]}`, `task 3: annotation 0: annotation text must not be empty`, backlog.ErrInvalid},
		}
		for _, c := range cases {
			h.Case(clip(c.bad), func(h *H) {
				h.Rejects(c.want, c.kind, func() error {
					_, err := h.E.Import(h.Ctx, []byte(batch(c.bad)), engine.ImportOptions{})
					return err
				})
			})
		}
	}},

	{"a UUID given twice in a batch rejects it, naming the index", func(h *H) {
		h.Rejects("task 2: UUID "+uuidA1+" appears twice in the batch", backlog.ErrInvalid, func() error {
			_, err := h.E.Import(h.Ctx, []byte(`[{"uuid":"`+uuidA1+`","description":"A"},{"description":"B"},{"uuid":"`+strings.ToUpper(uuidA1)+`","description":"C"}]`), engine.ImportOptions{})
			return err
		})
	}},

	{"a dependency cycle inside a batch rejects it", func(h *H) {
		h.Rejects("task 0: dependency cycle: 1 -> 2 -> 1", backlog.ErrConflict, func() error {
			_, err := h.E.Import(h.Ctx, []byte(`[{"ref":"a","description":"A","depends":["b"]},{"ref":"b","description":"B","depends":["a"]}]`), engine.ImportOptions{})
			return err
		})
	}},

	{"an empty or malformed import is an error", func(h *H) {
		for _, c := range []struct{ data, want string }{
			{``, "nothing to import: give a JSON array of task objects"},
			{`[]`, "nothing to import: give a JSON array of task objects"},
			{`[{"description":"x"}`, "the import is not a valid JSON array: unexpected end of JSON input"},
		} {
			h.Rejects(c.want, backlog.ErrInvalid, func() error {
				_, err := h.E.Import(h.Ctx, []byte(c.data), engine.ImportOptions{})
				return err
			})
		}
	}},

	{"importing a known UUID replaces that task and keeps its id", func(h *H) {
		first := h.Add("Original project:web +a")
		h.Add("Second")
		r := h.Import(`[{"uuid":"` + strings.ToUpper(first.UUID) + `","description":"Replaced","status":"pending","project":"api"},{"description":"New"}]`)
		eq(h, "imported", r.Imported, 2)
		h.eqIDs("ids", ids(r.Tasks), []int64{1, 3})
		s := h.Stored(first.UUID)
		eq(h, "id kept", s.ID, int64(1))
		eq(h, "description replaced", s.Description, "Replaced")
		eq(h, "project replaced", s.Project, "api")
		h.eqStrings("tags replaced (whole)", s.Tags, nil)
		eq(h, "tasks in all", len(h.Export("")), 3)
		eq(h, "the next id", h.Add("Later").ID, int64(4))
	}},

	{"re-importing an export changes nothing that matters: ids, fields and docs are kept", func(h *H) {
		h.Add("Dependency project:web +a priority:H due:friday estimate:3h")
		h.Add("Dependent depends:1 +b")
		annotate(h, "2", "a note")
		docWrite(h, "2", "# Spec")
		h.Log("Done already")
		data, err := json.Marshal(h.Export(""))
		if err != nil {
			h.Fatalf("marshal: %v", err)
		}
		before := h.Export("")
		r := h.Import(string(data))
		eq(h, "imported", r.Imported, 3)
		after := h.Export("")
		h.eqIDs("ids", ids(after), ids(before))
		for i := range before {
			b, a := *before[i], *after[i]
			b.Modified = a.Modified
			jb, _ := json.Marshal(&b)
			ja, _ := json.Marshal(&a)
			if string(jb) != string(ja) {
				h.Errorf("task %d changed by a round trip:\nbefore %s\nafter  %s", b.ID, jb, ja)
			}
		}
		if doc, ok := h.StoredDoc(before[1].UUID); !ok || doc != "# Spec" {
			h.Errorf("doc after the round trip = %q, %v", doc, ok)
		}
	}},
}
