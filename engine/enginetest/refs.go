package enginetest

import (
	"strings"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
)

const (
	uuidA1 = "abcdef01-0000-4000-8000-000000000001"
	uuidA2 = "abcdef01-0000-4000-8000-000000000002"
	uuidD  = "12345678-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
)

var refScenarios = []scenario{
	{"ids are unique and increase in order of creation", func(h *H) {
		var got []int64
		for range 12 {
			got = append(got, h.Add("Task").ID)
		}
		h.eqIDs("ids", got, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
		uuids := map[string]bool{}
		for _, t := range h.Export("") {
			if uuids[t.UUID] {
				h.Errorf("UUID %s is given to two tasks", t.UUID)
			}
			uuids[t.UUID] = true
		}
	}},

	{"an id is never reused after a purge", func(h *H) {
		h.Add("One")
		h.Add("Two")
		h.Add("Three")
		h.Do(h.E.Delete, "3")
		h.Do(h.E.Purge, "3")
		eq(h, "id after purging the newest task", h.Add("Four").ID, int64(4))
		h.Do(h.E.Delete, "4")
		h.Do(h.E.Purge, "4")
		eq(h, "id after purging again", h.Add("Five").ID, int64(5))
	}},

	{"an id is never reused after undoing an add", func(h *H) {
		h.Add("One")
		h.Add("Two")
		undo(h, h.E)
		h.Rejects("no task with id 2", backlog.ErrNotFound, func() error { _, err := h.E.Info(h.Ctx, "2"); return err })
		eq(h, "id after undoing add", h.Add("Three").ID, int64(3))
	}},

	{"a task is found by id, by full UUID in any case and by a UUID prefix of 8 or more hex digits", func(h *H) {
		h.Add("Other")
		t := h.Add("Target")
		h.Add("Another")
		for _, ref := range []string{
			"2", " 2 ", "02", t.UUID, strings.ToUpper(t.UUID), prefix8(t.UUID), strings.ToUpper(prefix8(t.UUID)),
			t.UUID[:13], t.UUID[:20], t.UUID[:35],
		} {
			got, err := h.E.Info(h.Ctx, ref)
			if err != nil {
				h.Errorf("info %q: %v", ref, err)
				continue
			}
			eq(h, "task found by "+ref, got.ID, int64(2))
		}
		r, err := h.E.Start(h.Ctx, strings.ToUpper(t.UUID))
		if err != nil {
			h.Fatalf("start by upper-case UUID: %v", err)
		}
		eq(h, "started task", r.Task.ID, int64(2))
	}},

	{"a UUID prefix that matches several tasks is an error that lists them", func(h *H) {
		h.Import(`[{"uuid":"` + uuidA1 + `","description":"A"},{"uuid":"` + uuidA2 + `","description":"B"},{"description":"C"}]`)
		for _, ref := range []string{"abcdef01", "ABCDEF01", "abcdef01-0000", "abcdef01-0000-4000-8000-00000000000"} {
			want := `UUID prefix "` + ref + `" matches tasks 1 and 2: give more digits`
			h.Rejects(want, backlog.ErrInvalid, func() error { _, err := h.E.Info(h.Ctx, ref); return err })
			h.Rejects(want, backlog.ErrInvalid, func() error { _, err := h.E.Start(h.Ctx, ref); return err })
		}
		eq(h, "the full UUID still finds one", h.Info(uuidA2).ID, int64(2))
	}},

	{"a reference of digits only is always an id, even when a UUID starts with those digits", func(h *H) {
		h.Import(`[{"uuid":"` + uuidD + `","description":"Digits"}]`)
		h.Rejects("no task with id 12345678", backlog.ErrNotFound, func() error { _, err := h.E.Info(h.Ctx, "12345678"); return err })
		h.Rejects("no task with id 12345678", backlog.ErrNotFound, func() error { _, err := h.E.Done(h.Ctx, "12345678"); return err })
		eq(h, "the task by a prefix with a letter", h.Info("12345678-a").ID, int64(1))
	}},

	{"a reference that is not an id or a UUID is an error, and an unknown one is not found", func(h *H) {
		t := h.Add("Only")
		bad := `%q is not a task id or UUID: use a number like 12, a UUID, or a UUID prefix of at least 8 hex digits`
		cases := []struct {
			ref, want string
			kind      error
		}{
			{"1abc", sprintf(bad, "1abc"), backlog.ErrInvalid},
			{"auth", sprintf(bad, "auth"), backlog.ErrInvalid},
			{"abcdef0", sprintf(bad, "abcdef0"), backlog.ErrInvalid}, // 7 hex digits
			{"#1", sprintf(bad, "#1"), backlog.ErrInvalid},
			{"-1", sprintf(bad, "-1"), backlog.ErrInvalid},
			{"", "a task reference is required: give an id like 12 or a UUID", backlog.ErrInvalid},
			{"999", "no task with id 999", backlog.ErrNotFound},
			{"0", "no task with id 0", backlog.ErrNotFound},
			{"99999999999999999999", "no task with id 99999999999999999999", backlog.ErrNotFound},
			{"deadbeef", `no task with a UUID starting "deadbeef"`, backlog.ErrNotFound},
			{"00000000-0000-4000-8000-000000000000", "no task with UUID 00000000-0000-4000-8000-000000000000", backlog.ErrNotFound},
		}
		if strings.HasPrefix(t.UUID, "deadbeef") {
			h.Skip("the random UUID starts with deadbeef")
		}
		commands := []struct {
			name string
			run  func(ref string) error
		}{
			{"info", func(ref string) error { _, err := h.E.Info(h.Ctx, ref); return err }},
			{"start", func(ref string) error { _, err := h.E.Start(h.Ctx, ref); return err }},
			{"done", func(ref string) error { _, err := h.E.Done(h.Ctx, ref); return err }},
			{"delete", func(ref string) error { _, err := h.E.Delete(h.Ctx, ref); return err }},
			{"annotate", func(ref string) error { _, err := h.E.Annotate(h.Ctx, ref, "note"); return err }},
			{"doc write", func(ref string) error { _, err := h.E.DocWrite(h.Ctx, ref, "# doc"); return err }},
			{"doc read", func(ref string) error { _, err := h.E.DocRead(h.Ctx, ref); return err }},
			{"duplicate", func(ref string) error { _, err := h.E.Duplicate(h.Ctx, ref, &engine.Changes{}); return err }},
			{"modify", func(ref string) error { _, err := h.E.Modify(h.Ctx, "1", h.Edits("depends:+"+ref), false); return err }},
		}
		for _, c := range cases {
			h.Case(sprintf("%q", c.ref), func(h *H) {
				for _, cmd := range commands {
					h.Case(cmd.name, func(h *H) {
						h.Rejects(c.want, c.kind, func() error { return cmd.run(c.ref) })
					})
				}
			})
		}
	}},
}
