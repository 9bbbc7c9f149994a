package enginetest

import (
	"encoding/json"
	"errors"
	"strings"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/store"
)

// issue is a task imported from acme/app's issue n.
func issue(n int64, title string) engine.IssueTask {
	return engine.IssueTask{Task: &backlog.Task{Description: title, Project: "app", Source: &backlog.Source{
		Type: "github", Host: "github.com", Project: "acme/app", IID: n,
		URL: "https://github.com/acme/app/issues/" + sprintf("%d", n),
	}}}
}

// importIssues imports as alice and fails on an error.
func (h *H) importIssues(items ...engine.IssueTask) *engine.IssueImport {
	h.Helper()
	r, err := h.E.ImportIssues(h.Ctx, items, "import from github.com/acme/app")
	if err != nil {
		h.Fatalf("import issues: %v", err)
	}
	h.track(r.Imported...)
	return r
}

// owed is the outbox as "op:json" lines, oldest first.
func (h *H) owed() []*store.OutboxItem {
	h.Helper()
	var out []*store.OutboxItem
	if err := h.Store.Read(h.Ctx, func(tx store.Tx) error {
		var err error
		out, err = tx.Owed(h.Ctx, 0)
		return err
	}); err != nil {
		h.Fatalf("owed: %v", err)
	}
	return out
}

// events is the outbox's events, one string each, and empties it.
func (h *H) drainEvents() string {
	h.Helper()
	var evs []string
	if err := h.Store.Write(h.Ctx, func(tx store.Tx) error {
		evs = nil
		items, err := tx.Owed(h.Ctx, 0)
		if err != nil {
			return err
		}
		for _, it := range items {
			evs = append(evs, it.Source.Ref()+" "+it.Event)
			if err := tx.Settle(h.Ctx, it.Seq); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		h.Fatalf("drain the outbox: %v", err)
	}
	return strings.Join(evs, "\n")
}

var sourceScenarios = []scenario{
	{"an imported issue keeps its source: stored, in JSON, filterable, unique, carried by export, import and archive", func(h *H) {
		r := h.importIssues(issue(42, "Login fails"), issue(43, "Signup is slow"))
		h.Add("Local work")
		eq(h, "imported", len(r.Imported), 2)
		t := h.Stored(r.Imported[0].UUID)
		if t.Source == nil || t.Source.Key() != "github.com/acme/app#42" || t.Source.URL != "https://github.com/acme/app/issues/42" {
			h.Fatalf("stored source = %+v", t.Source)
		}
		j, _ := h.Info("1").MarshalJSON()
		if !strings.Contains(string(j), `"source":{"type":"github","host":"github.com","project":"acme/app","iid":42,"url":"https://github.com/acme/app/issues/42"}`) {
			h.Errorf("task JSON lacks the source: %s", j)
		}
		eq(h, "source:github", len(h.List("source:github", "id+", 0)), 2)
		eq(h, "source.none:", len(h.List("source.none:", "id+", 0)), 1)
		eq(h, "source:gitlab", len(h.List("source:gitlab", "id+", 0)), 0)

		h.Case("importing an issue again finds it here, also within one batch", func(h *H) {
			r := h.importIssues(issue(42, "Login fails (edited)"), issue(44, "New"), issue(44, "New twice"))
			eq(h, "imported", len(r.Imported), 1)
			eq(h, "already here", len(r.Already), 2)
			eq(h, "description kept", h.Info("1").Description, "Login fails")
		})
		h.Case("a second task linked to the same issue is refused as a conflict", func(h *H) {
			_, err := h.E.Import(h.Ctx, []byte(`[{"description":"Copy","source":{"type":"github","host":"GitHub.com","project":"Acme/App","iid":42}}]`), engine.ImportOptions{})
			if !errors.Is(err, backlog.ErrConflict) || !strings.Contains(strings.ToLower(err.Error()), "acme/app#42") {
				h.Errorf("import of a taken source: %v, want a conflict naming it", err)
			}
		})
		h.Case("export then import elsewhere carries the source", func(h *H) {
			ex := h.Export("source:github")
			eq(h, "exported", len(ex), 3)
			if ex[0].Source == nil || ex[0].Source.IID != 42 {
				h.Errorf("exported source = %+v", ex[0].Source)
			}
		})
		h.Case("an archived issue is still here for an import", func(h *H) {
			if _, err := h.E.Done(h.Ctx, "2"); err != nil {
				h.Fatal(err)
			}
			h.drainEvents()
			h.Clock.Advance(200 * 24 * time.Hour)
			if n, err := h.E.Archive(h.Ctx, 90); err != nil || n != 1 {
				h.Fatalf("archive: %d %v", n, err)
			}
			r := h.importIssues(issue(43, "Signup is slow"))
			eq(h, "imported after archive", len(r.Imported), 0)
			eq(h, "found in the archive", len(r.Already), 1)
		})
	}},
	{"each local change of an imported task owes its issue an event, in the same transaction; others owe nothing", func(h *H) {
		h.importIssues(issue(7, "Fix the login"))
		h.Add("Local only +x")
		eq(h, "an import owes nothing", h.drainEvents(), "")
		bob := h.Engine("bob")
		step := func(what, want string, fn func() error) {
			h.Helper()
			if err := fn(); err != nil {
				h.Fatalf("%s: %v", what, err)
			}
			eq(h, what, h.drainEvents(), want)
		}
		step("claim", `acme/app#7 {"op":"claim","agent":"bob"}`, func() error {
			_, err := bob.Claim(h.Ctx, engine.ClaimOptions{ID: "1", Agent: "bob"})
			return err
		})
		step("modify", `acme/app#7 {"op":"edit","title":"Fix the login page","add":["auth"]}`, func() error {
			_, err := bob.Modify(h.Ctx, "1", h.Mods("Fix the login page +auth"), false)
			return err
		})
		step("doc write", `acme/app#7 {"op":"edit","body":"# Plan"}`, func() error {
			_, err := bob.DocWrite(h.Ctx, "1", "# Plan")
			return err
		})
		step("annotate", `acme/app#7 {"op":"comment","text":"halfway"}`, func() error {
			_, err := bob.Annotate(h.Ctx, "1", "halfway")
			return err
		})
		step("release with a note", `acme/app#7 {"op":"release","agent":"bob"}`+"\n"+`acme/app#7 {"op":"comment","text":"over to you"}`, func() error {
			_, err := bob.Release(h.Ctx, "1", "over to you", false)
			return err
		})
		step("done with close and a note", `acme/app#7 {"op":"done","close":true,"note":"shipped in v2"}`, func() error {
			_, err := bob.DoneWith(h.Ctx, "1", engine.DoneOptions{Close: true, Note: "shipped in v2"})
			return err
		})
		step("undo reopens", `acme/app#7 {"op":"reopen"}`, func() error {
			_, err := bob.Undo(h.Ctx)
			return err
		})
		step("a failed command owes nothing", "", func() error {
			if _, err := bob.Stop(h.Ctx, "1"); err == nil {
				h.Errorf("stop of a task that is not active succeeded")
			}
			return nil
		})
		step("a local task owes nothing", "", func() error {
			_, err := bob.Done(h.Ctx, "2")
			return err
		})
		step("a quiet change owes nothing", "", func() error {
			_, err := bob.Annotate(engine.Quietly(h.Ctx), "1", "upstream issue gone (404)")
			return err
		})
		step("delete and purge never touch upstream", "", func() error {
			if _, err := bob.Delete(h.Ctx, "1"); err != nil {
				return err
			}
			_, err := bob.Purge(h.Ctx, "1")
			return err
		})
	}},
	{"the outbox keeps its items in order with their attempts, and settings are kept per backlog", func(h *H) {
		h.importIssues(issue(1, "One"), issue(2, "Two"))
		for _, ref := range []string{"1", "2", "1"} {
			if _, err := h.E.Annotate(h.Ctx, ref, "note on "+ref); err != nil {
				h.Fatal(err)
			}
		}
		items := h.owed()
		if len(items) != 3 || items[0].Source.IID != 1 || items[1].Source.IID != 2 || items[2].Source.IID != 1 ||
			!(items[0].Seq < items[1].Seq && items[1].Seq < items[2].Seq) {
			h.Fatalf("owed = %+v", items)
		}
		eq(h, "agent", items[0].Agent, "alice")
		eq(h, "at", items[0].At, h.Now().UTC())
		next := h.Now().Add(time.Minute).UTC()
		if err := h.Store.Write(h.Ctx, func(tx store.Tx) error {
			if err := tx.Defer(h.Ctx, items[0].Seq, 2, next, "github.com answered 503"); err != nil {
				return err
			}
			if err := tx.Settle(h.Ctx, items[1].Seq); err != nil {
				return err
			}
			if err := tx.SetMeta(h.Ctx, "sync:github.com/acme/app", "2026-03-04T08:00:00Z"); err != nil {
				return err
			}
			return tx.SetMeta(h.Ctx, "gone", "")
		}); err != nil {
			h.Fatal(err)
		}
		items = h.owed()
		eq(h, "left", len(items), 2)
		eq(h, "attempts", items[0].Attempts, 2)
		eq(h, "next", items[0].NextAt, next)
		eq(h, "error", items[0].LastError, "github.com answered 503")
		var ev engine.UpstreamEvent
		if err := json.Unmarshal([]byte(items[1].Event), &ev); err != nil || ev.Op != "comment" || ev.Text != "note on 1" {
			h.Errorf("event = %s (%v)", items[1].Event, err)
		}
		var v, none string
		if err := h.Store.Read(h.Ctx, func(tx store.Tx) error {
			var err error
			if v, err = tx.Meta(h.Ctx, "sync:github.com/acme/app"); err != nil {
				return err
			}
			none, err = tx.Meta(h.Ctx, "unset")
			return err
		}); err != nil {
			h.Fatal(err)
		}
		eq(h, "meta", v, "2026-03-04T08:00:00Z")
		eq(h, "unset meta", none, "")
	}},
	{"a pull from upstream changes tasks, journals them, and owes nothing back", func(h *H) {
		r := h.importIssues(issue(5, "Old title"))
		u := r.Imported[0].UUID
		got, err := h.E.PullIssues(h.Ctx, []string{u, "00000000-0000-0000-0000-000000000000"}, func(t *backlog.Task, doc *string) engine.PullChange {
			t.Description = "New title"
			t.Status = backlog.StatusCompleted
			t.Tags = []string{"bug"}
			body := "Steps"
			return engine.PullChange{Task: t, Doc: &body}
		})
		if err != nil {
			h.Fatal(err)
		}
		eq(h, "changed", len(got), 1)
		t := h.Info("1")
		eq(h, "title", t.Description, "New title")
		eq(h, "status", t.Status, backlog.StatusCompleted)
		eq(h, "end", t.End, h.Now().UTC())
		eq(h, "tags", strings.Join(t.Tags, ","), "bug,doc")
		doc, _ := h.StoredDoc(u)
		eq(h, "doc", doc, "Steps")
		eq(h, "owed", h.drainEvents(), "")
		eq(h, "journal", h.Last().Command, "sync")
		got, err = h.E.PullIssues(h.Ctx, []string{u}, func(t *backlog.Task, doc *string) engine.PullChange {
			t.Status = backlog.StatusPending
			return engine.PullChange{Task: t}
		})
		if err != nil || len(got) != 1 || !h.Info("1").End.IsZero() {
			h.Errorf("reopen: %v %v", got, err)
		}
		eq(h, "owed after reopen", h.drainEvents(), "")
	}},
}
