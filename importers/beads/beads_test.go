package beads

import (
	"context"
	"slices"
	"strings"
	"testing"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/store/memstore"
)

// fixture is an export written from beads' documented format (see
// testdata/README.md): every status, priority, link type and long field.
const fixture = "testdata/issues.jsonl"

func byBeadsID(t *testing.T, tasks []*backlog.Task) map[string]*backlog.Task {
	t.Helper()
	m := map[string]*backlog.Task{}
	for _, x := range tasks {
		m[x.Extra["beads_id"].(string)] = x
	}
	return m
}

func TestReadMapsEachField(t *testing.T) {
	b, err := Read(fixture)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Tasks) != 12 {
		t.Fatalf("read %d tasks, want 12", len(b.Tasks))
	}
	m := byBeadsID(t, b.Tasks)
	login, hash, limit := m["bd-c3d4"], m["bd-e5f6"], m["bd-g7h8"]
	tests := []struct {
		name string
		ok   bool
	}{
		{"in_progress is pending and started at the last update", login.Status == backlog.StatusPending && login.Start.Equal(login.Modified) && !login.Start.IsZero()},
		{"priority 0 is H, 2 is M, 4 is L", login.Priority == "H" && limit.Priority == "M" && m["bd-k1l2"].Priority == "L"},
		{"labels and the type are tags", slices.Equal(login.Tags, []string{"web", "auth", "feature"})},
		{"the assignee is the agent", login.Agent == "alice"},
		{"comments are notes with their authors", len(login.Annotations) == 2 && login.Annotations[0].Description == "bob: Can we reuse the signup form's validation?"},
		{"blocks links are dependencies", slices.Equal(limit.Depends, []string{login.UUID, hash.UUID})},
		{"parent-child is beads_parent", hash.Extra["beads_parent"] == "bd-a1b2"},
		{"blocked is a tag", slices.Contains(hash.Tags, "blocked")},
		{"closed is completed at closed_at, with the reason as a note", m["bd-i9j0"].Status == backlog.StatusCompleted && m["bd-i9j0"].End.Format("2006-01-02") == "2026-03-05" && strings.HasPrefix(m["bd-i9j0"].Annotations[len(m["bd-i9j0"].Annotations)-1].Description, "closed: Fixed in PR #42")},
		{"a label with a space becomes a tag with '-'", slices.Contains(m["bd-i9j0"].Tags, "needs-review")},
		{"deferred waits until defer_until", m["bd-k1l2"].Wait.Format("2006-01-02") == "2026-06-01"},
		{"tombstone is deleted", m["bd-m3n4"].Status == backlog.StatusDeleted && !m["bd-m3n4"].End.IsZero()},
		{"a link to an issue not exported is left out", len(m["bd-o5p6"].Depends) == 0},
		{"a cycle loses the dependency that closes it", len(m["bd-q7r8"].Depends)+len(m["bd-s9t0"].Depends) == 1},
		{"single values are attributes", login.Extra["estimated_minutes"] == 240.0 && m["bd-i9j0"].Extra["external_ref"] == "gh-42"},
		{"the long texts are the doc", strings.Contains(b.Docs[login.UUID], "## Design\n\nServer-rendered form") && strings.Contains(b.Docs[login.UUID], "## Acceptance criteria\n\n- Form posts")},
		{"due_at is due", limit.Due.Format("2006-01-02") == "2026-04-15"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.ok {
				t.Fail()
			}
		})
	}
	for _, want := range []string{"bd-zzzz, which is not in the export", "closes a cycle", `field "metadata" of 1 issue`} {
		if !slices.ContainsFunc(b.Skipped, func(s string) bool { return strings.Contains(s, want) }) {
			t.Errorf("Skipped %q does not say %q", b.Skipped, want)
		}
	}
	for _, x := range b.Tasks {
		if err := x.Validate(); err != nil {
			t.Errorf("task %s: %v", x.Extra["beads_id"], err)
		}
	}
}

func TestMigratingTwiceCopiesOnce(t *testing.T) {
	ctx := context.Background()
	eng := engine.New(memstore.New(), engine.Options{Agent: "tester"})
	for i, want := range []int{12, 0} {
		b, err := Read(fixture) // a new read: the UUIDs must be the same
		if err != nil {
			t.Fatal(err)
		}
		res, err := eng.MigrateIn(ctx, b.Source, b.Tasks, b.Docs)
		if err != nil {
			t.Fatal(err)
		}
		if res.Tasks != want || res.TasksSkipped != 12-want {
			t.Errorf("run %d copied %d and found %d; want %d copied", i+1, res.Tasks, res.TasksSkipped, want)
		}
	}
}
