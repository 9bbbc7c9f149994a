package enginetest

import (
	"encoding/json"
	"strings"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/store"
)

// lcDocInStep checks that a task's has_doc, its doc tag, the +DOC and
// has_doc: filters and the store's doc all agree that it has a doc or not.
func lcDocInStep(h *H, ref string, want bool) {
	h.Helper()
	t := h.Info(ref)
	eq(h, "task "+ref+" has_doc", t.HasDoc, want)
	eq(h, "task "+ref+" doc tag", t.HasTag("doc"), want)
	_, stored := h.StoredDoc(t.UUID)
	eq(h, "task "+ref+" doc in the store", stored, want)
	for _, f := range []string{"+DOC", "has_doc:yes", "+doc"} {
		got := lcContainsID(ids(h.Export(f)), t.ID)
		eq(h, "task "+ref+" matches "+f, got, want)
	}
	for _, f := range []string{"-DOC", "has_doc:no"} {
		got := lcContainsID(ids(h.Export(f)), t.ID)
		eq(h, "task "+ref+" matches "+f, got, !want)
	}
	j, err := json.Marshal(t)
	if err != nil {
		h.Fatal(err)
	}
	eq(h, "task "+ref+" JSON has \"has_doc\":true", strings.Contains(string(j), `"has_doc":true`), want)
}

// lcDocConsistent checks that has_doc, the doc tag, the store's doc and the
// filters agree, whichever way, and returns whether the task has a doc.
func lcDocConsistent(h *H, ref string) bool {
	h.Helper()
	t := h.Info(ref)
	if t.HasTag("doc") != t.HasDoc {
		h.Errorf("task %s: has_doc is %v but the doc tag is %s (tags %q)", ref, t.HasDoc, map[bool]string{true: "set", false: "not set"}[t.HasTag("doc")], t.Tags)
		return t.HasDoc
	}
	lcDocInStep(h, ref, t.HasDoc)
	return t.HasDoc
}

func lcDocDelete(h *H, ref string) *engine.Result {
	h.Helper()
	r, err := h.E.DocDelete(h.Ctx, ref)
	if err != nil {
		h.Fatalf("doc delete %s: %v", ref, err)
	}
	h.trackResult(r)
	return r
}

var lifecycleDocScenarios = []scenario{
	{"a doc of 1 MiB is accepted, counted in UTF-8 bytes; a 2 MiB doc is rejected with one sentence and changes nothing", func(h *H) {
		h.Add("With a doc")
		h.Add("Without a doc")
		mib := strings.Repeat("é", 1<<19) // 1,048,576 bytes, 524,288 characters
		docWrite(h, "1", mib)
		eq(h, "1 MiB doc read back", len(docRead(h, "1")), 1<<20)
		twoMiB := strings.Repeat("# spec\n", 2<<20/7) + strings.Repeat("x", 2<<20%7)
		eq(h, "test doc size", len(twoMiB), 2<<20)
		for _, ref := range []string{"1", "2"} {
			h.Rejects("doc is 2097152 bytes, more than the 1048576 allowed", backlog.ErrInvalid, func() error {
				_, err := h.E.DocWrite(h.Ctx, ref, twoMiB)
				return err
			})
		}
		over := strings.Repeat("x", 1<<20-3) + "😀" // the last character crosses the limit
		h.Rejects("doc is 1048577 bytes, more than the 1048576 allowed", backlog.ErrInvalid, func() error {
			_, err := h.E.DocWrite(h.Ctx, "2", over)
			return err
		})
		eq(h, "doc of 1 unchanged", docRead(h, "1") == mib, true)
		lcDocInStep(h, "1", true)
		lcDocInStep(h, "2", false)
	}},

	{"doc write, overwrite and delete are each undone, doc, has_doc and tag together", func(h *H) {
		h.Add("Task +a")
		lcDocInStep(h, "1", false)
		before := h.Snapshot()

		h.Clock.Advance(time.Minute)
		docWrite(h, "1", "# v1")
		lcDocInStep(h, "1", true)
		eq(h, "undone", *undo(h, h.E).Undone, `doc write 1 "Task"`)
		h.unchangedTasks(before, "undoing the doc write")
		lcDocInStep(h, "1", false)
		h.Rejects("task 1 has no doc", backlog.ErrNotFound, func() error { _, err := h.E.DocRead(h.Ctx, "1"); return err })

		h.Clock.Advance(time.Minute)
		docWrite(h, "1", "# v1")
		withV1 := h.Snapshot()
		h.Clock.Advance(time.Minute)
		docWrite(h, "1", "# v2")
		eq(h, "overwritten", docRead(h, "1"), "# v2")
		eq(h, "undone", *undo(h, h.E).Undone, `doc write 1 "Task"`)
		h.unchangedTasks(withV1, "undoing the overwrite")
		eq(h, "back to v1", docRead(h, "1"), "# v1")
		lcDocInStep(h, "1", true)

		h.Clock.Advance(time.Minute)
		lcDocDelete(h, "1")
		lcDocInStep(h, "1", false)
		eq(h, "undone", *undo(h, h.E).Undone, `doc delete 1 "Task"`)
		h.unchangedTasks(withV1, "undoing the doc delete")
		eq(h, "v1 again", docRead(h, "1"), "# v1")
		lcDocInStep(h, "1", true)
		h.eqStrings("tags", h.Info("1").Tags, []string{"a", "doc"})

		// Each undo was one journal entry; undoing the first write too leaves no doc.
		undo(h, h.E)
		lcDocInStep(h, "1", false)
	}},

	{"a doc is purged with its task, and undoing the purge brings both back", func(h *H) {
		one, two := h.Add("Specced"), h.Add("Also specced")
		docWrite(h, "1", "# one")
		docWrite(h, "2", "# two")
		h.Do(h.E.Delete, "1")
		withDoc := h.Snapshot()
		r := h.Do(h.E.Purge, "1")
		eq(h, "purge returns the task as it was", r.Task.HasDoc, true)
		if _, ok := h.StoredDoc(one.UUID); ok {
			h.Errorf("the doc of a purged task is still in the store")
		}
		h.Rejects("no task with id 1", backlog.ErrNotFound, func() error { _, err := h.E.DocRead(h.Ctx, "1"); return err })
		h.Rejects("no task with id 1", backlog.ErrNotFound, func() error { _, err := h.E.DocWrite(h.Ctx, "1", "# back"); return err })
		if d, ok := h.StoredDoc(two.UUID); !ok || d != "# two" {
			h.Errorf("the other task's doc: %q, %v", d, ok)
		}
		eq(h, "purge entry has the doc's image", lcDocImage(h.Last(), one.UUID), "# one")
		undo(h, h.E)
		h.unchangedTasks(withDoc, "undoing the purge")
		if d, ok := h.StoredDoc(one.UUID); !ok || d != "# one" {
			h.Errorf("the doc after undoing the purge: %q, %v", d, ok)
		}
	}},

	{"has_doc, the doc tag and the filters stay in step through tag edits; info shows has_doc", func(h *H) {
		h.Add("Specced +a")
		h.Add("Plain")
		docWrite(h, "1", "# spec")
		lcDocInStep(h, "1", true)
		lcDocInStep(h, "2", false)
		for _, words := range []string{"-doc", "tags:b", "tags:", "tags:b,c", "-b -c"} {
			h.Clock.Advance(time.Minute)
			h.Modify("1", words)
			lcDocInStep(h, "1", true)
		}
		h.eqStrings("tags after the edits", h.Info("1").Tags, []string{"doc"})
		lcDocDelete(h, "1")
		lcDocInStep(h, "1", false)
		h.eqStrings("tags after the doc is deleted", h.Info("1").Tags, nil)
	}},

	{"a copy of a task with a doc keeps has_doc and the doc tag in step", func(h *H) {
		h.Add("Specced +a")
		docWrite(h, "1", "# spec")
		r, err := h.E.Duplicate(h.Ctx, "1", &engine.Changes{})
		if err != nil {
			h.Fatal(err)
		}
		h.trackResult(r)
		if lcDocConsistent(h, itoa(r.Task.ID)) {
			if d := docRead(h, itoa(r.Task.ID)); d != "# spec" {
				h.Errorf("the copy has a doc %q that is not the original's", d)
			}
		}
		lcDocInStep(h, "1", true)
	}},

	{"instances of a template with a doc keep has_doc and the doc tag in step", func(h *H) {
		tpl := h.AddR("Weekly report recur:weekly due:2026-03-06T18:00 +report").Task
		docWrite(h, "1", "# how to write the report")
		h.Clock.Set(local(2026, 3, 6, 19, 0, 0))
		next := h.Do(h.E.Done, "2").Next
		if next == nil {
			h.Fatalf("no next instance")
		}
		lcDocInStep(h, "1", true)
		lcDocConsistent(h, itoa(next.ID))
		lcDocConsistent(h, "2")
		eq(h, "instance parent", next.Parent, tpl.UUID)
	}},
}

// lcDocImage returns the before image of a task's doc in a journal entry.
func lcDocImage(e *store.Entry, uuid string) string {
	for _, c := range e.Changes {
		if c.UUID == uuid && c.Doc != nil && c.Doc.Before != nil {
			return *c.Doc.Before
		}
	}
	return "(none)"
}
