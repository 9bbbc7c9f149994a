package backlogmd

import (
	"context"
	"slices"
	"strings"
	"testing"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/store/memstore"
)

// fixture is a repository written by Backlog.md's own command line (see
// testdata/README.md).
const fixture = "testdata/repo"

func TestReadMapsBacklogMDsTasks(t *testing.T) {
	b, err := Read(fixture)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Tasks) != 12 {
		t.Fatalf("read %d tasks, want 12", len(b.Tasks))
	}
	m := map[string]*backlog.Task{}
	for _, x := range b.Tasks {
		m[x.Extra["backlog_md_id"].(string)] = x
		if err := x.Validate(); err != nil {
			t.Errorf("%s: %v", x.Extra["backlog_md_id"], err)
		}
	}
	login, hash := m["TASK-1"], m["TASK-2"]
	tests := []struct {
		name string
		ok   bool
	}{
		{"a task keeps its number", login.ID == 1 && hash.ID == 2 && m["TASK-9"].ID == 9},
		{"subtasks and drafts get numbers of their own", m["TASK-1.1"].ID == 0 && m["DRAFT-1"].ID == 0},
		{"In Progress is started", login.Status == backlog.StatusPending && !login.Start.IsZero()},
		{"a custom status is a tag", slices.Contains(hash.Tags, "in-review")},
		{"priority high is H", login.Priority == "H" && m["TASK-3"].Priority == "M"},
		{"the first assignee is the agent, the others a note", hash.Agent == "bob" && hash.Annotations[0].Description == "also assigned: @carol"},
		{"dependencies keep their targets", slices.Equal(m["TASK-3"].Depends, []string{login.UUID, hash.UUID})},
		{"Done is completed", m["TASK-5"].Status == backlog.StatusCompleted && !m["TASK-5"].End.IsZero()},
		{"completed/ is completed", m["TASK-7"].Status == backlog.StatusCompleted},
		{"archive/tasks/ is archived, and deleted when not done", m["TASK-8"].Status == backlog.StatusDeleted && m["TASK-8"].Archived != ""},
		{"drafts are tagged draft", slices.Contains(m["DRAFT-1"].Tags, "draft")},
		{"the parent is kept", m["TASK-1.1"].Extra["backlog_md_parent"] == "TASK-1"},
		{"the milestone is its title", m["TASK-9"].Extra["milestone"] == "v1.0"},
		{"comments are notes", len(m["TASK-6"].Annotations) == 1 && m["TASK-6"].Annotations[0].Description == "@carol: Design signed off the palette."},
		{"the body is the doc, without section markers", strings.Contains(b.Docs[login.UUID], "## Implementation Plan\n\n1. Markup") && !strings.Contains(b.Docs[login.UUID], "<!--")},
		{"the comments are not in the doc", !strings.Contains(b.Docs[m["TASK-6"].UUID], "Comments")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.ok {
				t.Fail()
			}
		})
	}
}

func TestMigratingTwiceCopiesOnce(t *testing.T) {
	ctx := context.Background()
	eng := engine.New(memstore.New(), engine.Options{Agent: "tester"})
	for i, want := range []int{12, 0} {
		b, err := Read(fixture)
		if err != nil {
			t.Fatal(err)
		}
		res, err := eng.MigrateIn(ctx, b.Source, b.Tasks, b.Docs)
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Tasks + res.Archived; got != want || res.TasksSkipped+res.ArchivedSkipped != 12-want || len(res.Renumbered) != 0 {
			t.Errorf("run %d copied %d (%+v); want %d", i+1, got, res, want)
		}
	}
}
