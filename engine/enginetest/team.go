package enginetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
)

var teamScenarios = []scenario{
	{"assign-all holds every free pending task the filter selects for one agent, as one command", func(h *H) {
		h.Add("One project:web")
		h.Add("Two project:web agent:other")
		h.Add("Three project:api")
		h.Log("Four project:web")
		r, err := h.E.AssignAll(h.Ctx, "backend", "project:web")
		if err != nil {
			h.Fatal(err)
		}
		h.eqIDs("assigned", ids(r.Tasks), []int64{1})
		eq(h, "agent", h.Info("1").Agent, "backend")
		eq(h, "not started", h.Info("1").Start.IsZero(), true)
		eq(h, "journal", h.Last().Summary, "assign 1 task to backend")
		h.Rejects("assign-all needs an agent id", backlog.ErrInvalid,
			func() error { _, err := h.E.AssignAll(h.Ctx, " ", ""); return err })
	}},
	{"remove deletes and purges at once, and undo brings the task back with its doc", func(h *H) {
		h.Add("Doomed")
		h.Add("Depends depends:1")
		if _, err := h.E.DocWrite(h.Ctx, "1", "# doc"); err != nil {
			h.Fatal(err)
		}
		r, err := h.E.Remove(h.Ctx, "1")
		if err != nil {
			h.Fatal(err)
		}
		h.eqIDs("dependents", r.Dependents, []int64{2})
		h.Rejects("no task with id 1", backlog.ErrNotFound, func() error { _, err := h.E.Info(h.Ctx, "1"); return err })
		undo(h, h.E)
		eq(h, "status after undo", h.Info("1").Status, backlog.StatusPending)
		if doc, ok := h.StoredDoc(h.Info("1").UUID); !ok || doc != "# doc" {
			h.Errorf("doc after undo: %q %v", doc, ok)
		}
	}},
	{"reclaim returns claims not renewed for the given time, with an annotation", func(h *H) {
		h.Add("Claimed long ago")
		h.Add("Claimed and worked on")
		h.Add("Claimed recently")
		bob, carol := h.Engine("bob"), h.Engine("carol")
		if _, err := bob.Claim(h.Ctx, engine.ClaimOptions{ID: "1"}); err != nil {
			h.Fatal(err)
		}
		if _, err := carol.Claim(h.Ctx, engine.ClaimOptions{ID: "2"}); err != nil {
			h.Fatal(err)
		}
		h.Clock.Advance(3 * time.Hour)
		if _, err := carol.Annotate(h.Ctx, "2", "still on it"); err != nil { // renews carol's claim
			h.Fatal(err)
		}
		if _, err := h.E.Annotate(h.Ctx, "1", "a note by someone else"); err != nil { // does not renew bob's
			h.Fatal(err)
		}
		if _, err := h.E.Claim(h.Ctx, engine.ClaimOptions{ID: "3", Agent: "dave"}); err != nil { // a claim made for dave
			h.Fatal(err)
		}
		stale, err := h.E.Reclaim(h.Ctx, 2*time.Hour)
		if err != nil {
			h.Fatal(err)
		}
		if len(stale) != 1 || stale[0].Task.ID != 1 || stale[0].Agent != "bob" {
			h.Fatalf("reclaimed %+v, want task 1 from bob", stale)
		}
		t := h.Info("1")
		eq(h, "agent cleared", t.Agent, "")
		eq(h, "start cleared", t.Start.IsZero(), true)
		eq(h, "annotation", t.Annotations[len(t.Annotations)-1].Description,
			"reclaimed from bob: no change by it since 2026-03-04T08:00:00Z")
		eq(h, "carol keeps hers", h.Info("2").Agent, "carol")
		eq(h, "dave keeps his", h.Info("3").Agent, "dave")
		h.Rejects("a claim is stale after a positive time, such as 2h; got 0s", backlog.ErrInvalid,
			func() error { _, err := h.E.Reclaim(h.Ctx, 0); return err })
		undo(h, h.E)
		eq(h, "undo gives the claim back", h.Info("1").Agent, "bob")
	}},
	{"history lists who did what to the tasks a filter selects, oldest first", func(h *H) {
		h.Add("First +a")
		h.Add("Second")
		bob := h.Engine("bob")
		if _, err := bob.Modify(h.Ctx, "1", h.Mods("priority:H"), false); err != nil {
			h.Fatal(err)
		}
		if _, err := h.E.Done(h.Ctx, "1"); err != nil {
			h.Fatal(err)
		}
		evs, err := h.E.History(h.Ctx, "1", 0)
		if err != nil {
			h.Fatal(err)
		}
		var got []string
		for _, ev := range evs {
			got = append(got, ev.Agent+" "+ev.Command)
		}
		h.eqStrings("history of 1", got, []string{"alice add", "bob modify", "alice done"})
		all, err := h.E.History(h.Ctx, "", 2)
		if err != nil || len(all) != 2 || all[1].Command != "done" {
			h.Errorf("last two events: %+v, %v", all, err)
		}
	}},
	{"watch delivers every committed change exactly once and in order to a consumer started before the writers", func(h *H) {
		const writers, changes = 4, 250
		ctx, cancel := context.WithCancel(h.Ctx)
		defer cancel()
		type got struct {
			seq   int64
			agent string
			desc  string
		}
		var mu sync.Mutex
		var seen []got
		done := make(chan error, 1)
		started := make(chan struct{})
		go func() {
			close(started)
			_, err := h.E.Watch(ctx, "", 0, func(ev engine.Event) error {
				mu.Lock()
				defer mu.Unlock()
				seen = append(seen, got{ev.Seq, ev.Agent, ev.Task.Description})
				if len(seen) == writers*changes {
					cancel()
				}
				return nil
			})
			done <- err
		}()
		<-started
		var wg sync.WaitGroup
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				e := h.Engine(fmt.Sprintf("writer%d", w))
				for i := 0; i < changes; i++ {
					c, _ := engine.ParseMods([]string{fmt.Sprintf("w%d-%d", w, i)}, true)
					if _, err := e.Add(h.Ctx, c); err != nil {
						h.Errorf("writer %d: %v", w, err)
						return
					}
				}
			}(w)
		}
		wg.Wait()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cancel()
			<-done
		}
		mu.Lock()
		defer mu.Unlock()
		if len(seen) != writers*changes {
			h.Fatalf("watch saw %d changes, want %d", len(seen), writers*changes)
		}
		next := map[string]int{}
		for i, g := range seen {
			if i > 0 && g.seq <= seen[i-1].seq {
				h.Fatalf("out of order: seq %d after %d", g.seq, seen[i-1].seq)
			}
			w, n, _ := strings.Cut(g.desc, "-")
			if want := fmt.Sprintf("%d", next[w]); n != want {
				h.Fatalf("%s's changes out of order or repeated: got %s, want %s", w, n, want)
			}
			next[w]++
		}
	}},
	{"watch filters changes by the task after the change", func(h *H) {
		ctx, cancel := context.WithCancel(h.Ctx)
		defer cancel()
		var seen []string
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _ = h.E.Watch(ctx, "+web", 0, func(ev engine.Event) error {
				seen = append(seen, ev.Task.Description)
				if len(seen) == 2 {
					cancel()
				}
				return nil
			})
		}()
		h.Add("Not web")
		h.Add("Web one +web")
		h.Add("Web two +web")
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cancel()
			<-done
		}
		h.eqStrings("seen", seen, []string{"Web one", "Web two"})
	}},
}
