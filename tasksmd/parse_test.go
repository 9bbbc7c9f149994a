package tasksmd

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseReadsTasksAsTheReferenceDoes(t *testing.T) {
	const src = "# Tasks\n" +
		"- [ ] before any heading\n" +
		"## P0\n" +
		"- [ ] Fix auth (@alice - in progress)\n" +
		"  - **ID**: auth-fix\n" +
		"  - **Tags**: backend, Auth\n" +
		"  - **Details**: first line\n" +
		"    second line\n" +
		"\n" +
		"  - **Due Date**: friday\n" +
		"  - [ ] sub one\n" +
		"  - [x] sub two\n" +
		"## P1 - High\n" +
		"- [ ] Rate limit (@bob.v2)\n" +
		"  - **Blocked by**: `auth-fix`, other\n" +
		"  - **Last-enriched**: 2025-01-02\n" +
		"stray text\n" +
		"  - **ID**: orphan\n" +
		"##P2\n"
	f := Parse("TASKS.md", []byte(src))
	if len(f.Tasks) != 2 {
		t.Fatalf("got %d tasks, want 2", len(f.Tasks))
	}
	a, b := f.Tasks[0], f.Tasks[1]
	t.Run("a claim with in progress is split off the summary", func(t *testing.T) {
		if a.Summary != "Fix auth" || a.Claimed != "@alice - in progress" || a.Agent() != "alice" {
			t.Errorf("summary %q claimed %q agent %q", a.Summary, a.Claimed, a.Agent())
		}
	})
	t.Run("metadata keeps its order and camel-cases custom labels", func(t *testing.T) {
		var names []string
		for _, m := range a.Metadata {
			names = append(names, m.Name)
		}
		if want := []string{"id", "tags", "details", "dueDate"}; !reflect.DeepEqual(names, want) {
			t.Errorf("names %v, want %v", names, want)
		}
		if got := a.Field("details").Value; got != "first line\nsecond line" {
			t.Errorf("details %q", got)
		}
		if !reflect.DeepEqual(a.Tags(), []string{"backend", "Auth"}) {
			t.Errorf("tags %q", a.Tags())
		}
	})
	t.Run("sub-tasks and positions are kept", func(t *testing.T) {
		if !reflect.DeepEqual(a.Subtasks, []string{"sub one", "sub two"}) {
			t.Errorf("subtasks %q", a.Subtasks)
		}
		if a.StartLine != 4 || a.EndLine != 12 || len(a.RawLines) != 8 {
			t.Errorf("lines %d-%d raw %d", a.StartLine, a.EndLine, len(a.RawLines))
		}
	})
	t.Run("a heading with text does not open a section and a dotted claim is summary", func(t *testing.T) {
		if b.Priority != 0 || b.Summary != "Rate limit (@bob.v2)" || b.Claimed != "" {
			t.Errorf("priority %d summary %q claimed %q", b.Priority, b.Summary, b.Claimed)
		}
		if !reflect.DeepEqual(b.BlockedBy(), []string{"auth-fix", "other"}) {
			t.Errorf("blocked by %q", b.BlockedBy())
		}
		if b.Field("last-enriched").Name != "lastEnriched" {
			t.Errorf("name %q", b.Field("last-enriched").Name)
		}
	})
	t.Run("a line at column 0 ends a task and orphans the metadata after it", func(t *testing.T) {
		if b.EndLine != 16 {
			t.Errorf("end %d", b.EndLine)
		}
		if !reflect.DeepEqual(f.Unknown, []int{2, 13, 17, 18, 19}) {
			t.Errorf("unknown %v", f.Unknown)
		}
	})
}

func TestParseReadsContinuationsAndSubtasksByIndent(t *testing.T) {
	tests := []struct {
		name, src     string
		wantDetails   string
		wantSubtasks  []string
		wantFieldKeys []string
	}{
		{"a sub-task indented four spaces continues the details", "# Tasks\n## P1\n- [ ] t\n  - **Details**: d\n    - [ ] s\n", "d\n- [ ] s", nil, []string{"details"}},
		{"a continuation after a list field is dropped", "# Tasks\n## P1\n- [ ] t\n  - **Tags**: a\n    more\n", "", nil, []string{"tags"}},
		{"an empty value is not metadata", "# Tasks\n## P1\n- [ ] t\n  - **Blocked**:\n", "", nil, nil},
		{"a label set twice keeps its first place", "# Tasks\n## P1\n- [ ] t\n  - **Details**: a\n  - **ID**: x\n  - **Details**: b\n", "b", nil, []string{"details", "id"}},
		{"a two-space sub-task is a sub-task", "# Tasks\n## P1\n- [ ] t\n  - [ ] s\n", "", []string{"s"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := Parse("T", []byte(tc.src))
			if len(f.Tasks) != 1 {
				t.Fatalf("%d tasks", len(f.Tasks))
			}
			task := f.Tasks[0]
			var keys []string
			for _, m := range task.Metadata {
				keys = append(keys, m.Key)
			}
			if !reflect.DeepEqual(keys, tc.wantFieldKeys) {
				t.Errorf("keys %q, want %q", keys, tc.wantFieldKeys)
			}
			if d := task.Field("details"); d != nil && d.Value != tc.wantDetails {
				t.Errorf("details %q, want %q", d.Value, tc.wantDetails)
			}
			if !reflect.DeepEqual(task.Subtasks, tc.wantSubtasks) {
				t.Errorf("subtasks %q, want %q", task.Subtasks, tc.wantSubtasks)
			}
		})
	}
}

func TestParseReadsCRLFAndRenderKeepsIt(t *testing.T) {
	lf := "# Tasks\n\n## P1\n\n- [ ] one (@a)\n  - **ID**: one\n\n<!-- policy: be nice -->\n"
	crlf := strings.ReplaceAll(lf, "\n", "\r\n")
	f := Parse("T", []byte(crlf))
	g := Parse("T", []byte(lf))
	if len(f.Tasks) != 1 || f.Tasks[0].ID() != "one" || f.Tasks[0].Claimed != "@a" {
		t.Fatalf("CRLF file read as %+v", f.Tasks)
	}
	if !reflect.DeepEqual(f.Tasks, g.Tasks) || !reflect.DeepEqual(f.Policies, g.Policies) {
		t.Errorf("CRLF and LF files read differently")
	}
	if got := string(Render(f)); got != crlf {
		t.Errorf("render changed the bytes: %q", got)
	}
}

func TestParsePoliciesInComments(t *testing.T) {
	src := "# Tasks\n<!-- policy: run tests -->\n## P1\n<!--\n  Policy:  ask first\n-->\n<!-- policy: -->\npolicy: outside\n"
	got := Parse("T", []byte(src)).Policies
	want := []Policy{{Text: "run tests", Scope: "file", Line: 2}, {Text: "ask first", Scope: "P1", Line: 6}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("policies %+v, want %+v", got, want)
	}
}

var renderSeeds = []string{
	"", "\n", "\r\n", "# Tasks", "# Tasks\r\n## P0\r\n- [ ] a (@b)\r\n", "\r", "a\r\r\n\n",
	"# Tasks\n## P1\n- [ ] t\n  - **Details**: d\n    more\n\n  - [ ] s\n- [x] done\n<!-- policy: x\n",
	"\xff\xfe# Tasks\n", "## P0\n- [ ]  \n-\t[]\tx\n",
}

func FuzzParseRender(f *testing.F) {
	for _, s := range renderSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file := Parse("TASKS.md", data)
		if got := Render(file); string(got) != string(data) {
			t.Fatalf("render(parse(%q)) = %q", data, got)
		}
		for _, task := range file.Tasks {
			if task.StartLine < 1 || task.EndLine < task.StartLine || task.EndLine > len(file.Lines) {
				t.Fatalf("task lines %d-%d out of %d", task.StartLine, task.EndLine, len(file.Lines))
			}
		}
	})
}
