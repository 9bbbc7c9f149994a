package enginetest

import (
	"github.com/agent-backlog/backlog/engine"
)

var roleScenarios = []scenario{
	{"an agent named without a filter takes its role's work, then unlabelled work, never another role's", func(h *H) {
		tasks := []struct {
			words   string
			takenBy []string // the roles that take it when it is the only task
		}{
			{"Own tag +docs", []string{"docs"}},
			{"Own project project:docs", []string{"docs"}},
			{"Own sub-project project:docs.api", []string{"docs"}},
			{"Another role tag +implementation", []string{"implementation"}},
			{"A topic tag +bug", nil},
			{"Another project project:web", nil},
			{"Project prefix is not the project project:docsite", nil},
			{"No labels at all", []string{"docs", "implementation", "Claude Code"}},
		}
		for _, task := range tasks {
			for _, role := range []string{"docs", "implementation", "Claude Code"} {
				want := false
				for _, r := range task.takenBy {
					want = want || r == role
				}
				h.Case(role+" on "+task.words, func(h *H) {
					t := h.Add(task.words)
					got := h.claim(h.E, engine.ClaimOptions{Agent: role})
					if (got != nil) != want {
						h.Errorf("%q took %q: %v, want %v", role, task.words, got != nil, want)
					}
					if got != nil {
						eq(h, "holder", got.Agent, role)
						if _, err := h.E.Release(h.Ctx, t.UUID, "", true); err != nil {
							h.Fatal(err)
						}
					}
					h.Do(h.E.Delete, t.UUID)
				})
			}
		}
	}},
	{"a role takes its own work before unlabelled work however urgent, and a task with only a doc is unlabelled", func(h *H) {
		h.Add("Urgent but unlabelled priority:H")
		h.Add("Own +docs")
		h.Add("Specified")
		if _, err := h.E.DocWrite(h.Ctx, "3", "# spec"); err != nil {
			h.Fatal(err)
		}
		var got []int64
		for range 4 {
			if t := h.claim(h.E, engine.ClaimOptions{Agent: "docs"}); t != nil {
				got = append(got, t.ID)
			}
		}
		h.eqIDs("claimed in turn", got, []int64{2, 1, 3})
	}},
	{"an id or a filter overrides the role", func(h *H) {
		h.Add("Implementation +implementation")
		h.Add("Also implementation +implementation priority:H")
		if got := h.claim(h.E, engine.ClaimOptions{Agent: "docs"}); got != nil {
			h.Fatalf("docs took task %d, another role's", got.ID)
		}
		if got := h.claim(h.E, engine.ClaimOptions{Agent: "docs", Filter: "+implementation"}); got == nil || got.ID != 2 {
			h.Errorf("with a filter: %+v, want task 2", got)
		}
		if got := h.claim(h.E, engine.ClaimOptions{Agent: "docs", ID: "1"}); got == nil || got.Agent != "docs" {
			h.Errorf("by id: %+v, want task 1 for docs", got)
		}
	}},
	{"without an agent named, a claim takes any READY task", func(h *H) {
		h.Add("Implementation +implementation")
		if got := h.claim(h.Engine("docs"), engine.ClaimOptions{}); got == nil || got.Agent != "docs" {
			h.Errorf("the engine's own agent claimed %+v, want task 1", got)
		}
	}},
}
