package backlog

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

func validTask() *Task {
	return &Task{ID: 1, UUID: "0b6a9c1e-3f7d-4a5b-9c2d-1e8f7a6b5c4d", Description: "Fix login", Status: StatusPending}
}

func TestValidateRejectsBadFields(t *testing.T) {
	long := strings.Repeat("é", 251) // 502 bytes, 251 characters
	tests := []struct {
		name string
		edit func(*Task)
		want string // the whole sentence; "" means valid
	}{
		{"a plain task is valid", func(*Task) {}, ""},
		{"an empty description", func(t *Task) { t.Description = "  " }, "description must not be empty"},
		{"a two-line description", func(t *Task) { t.Description = "a\nb" }, "description must be one line (put longer text in the task's doc)"},
		{"500 bytes of description", func(t *Task) { t.Description = strings.Repeat("a", 500) }, ""},
		{"501 bytes of description", func(t *Task) { t.Description = strings.Repeat("a", 501) },
			"description is 501 bytes, more than the 500 allowed (put longer text in the task's doc)"},
		{"sizes count UTF-8 bytes", func(t *Task) { t.Description = long },
			"description is 502 bytes, more than the 500 allowed (put longer text in the task's doc)"},
		{"invalid UTF-8", func(t *Task) { t.Description = "a\xffb" }, "description is not valid UTF-8"},
		{"a NUL character", func(t *Task) { t.Description = "a\x00b" }, "description contains a NUL character"},
		{"waiting is never stored", func(t *Task) { t.Status = StatusWaiting }, `status must be pending, completed, deleted or recurring, got "waiting"`},
		{"an unknown status", func(t *Task) { t.Status = "done" }, `status must be pending, completed, deleted or recurring, got "done"`},
		{"a hierarchical project", func(t *Task) { t.Project = "web.ui-2_x" }, ""},
		{"a Unicode project", func(t *Task) { t.Project = "café" }, ""},
		{"a project with a space", func(t *Task) { t.Project = "my web" },
			`project "my web" contains ' ': use letters, digits, '_' and '-', with '.' between parts`},
		{"a project with an empty part", func(t *Task) { t.Project = "web..ui" },
			`project "web..ui" has an empty part: use letters, digits, '_' and '-', with '.' between parts`},
		{"a project ending in a dot", func(t *Task) { t.Project = "web." },
			`project "web." has an empty part: use letters, digits, '_' and '-', with '.' between parts`},
		{"a bad priority", func(t *Task) { t.Priority = "X" }, `priority must be H, M, L or empty, got "X"`},
		{"a tag with a space", func(t *Task) { t.Tags = []string{"a b"} }, `tag "a b" contains ' ', which a tag cannot hold`},
		{"a tag with a comma", func(t *Task) { t.Tags = []string{"a,b"} }, `tag "a,b" contains ',', which a tag cannot hold`},
		{"a tag starting with +", func(t *Task) { t.Tags = []string{"+a"} }, `tag "+a" must not start with "+"`},
		{"a virtual tag", func(t *Task) { t.Tags = []string{"READY"} }, `"READY" is a virtual tag, computed from the task; it cannot be set`},
		{"an upper-case ordinary tag", func(t *Task) { t.Tags = []string{"URGENT"} }, ""},
		{"a tag twice", func(t *Task) { t.Tags = []string{"a", "a"} }, `tag "a" is given twice`},
		{"a template without recur", func(t *Task) { t.Status = StatusRecurring; t.Due = time.Now() },
			"a recurring task needs a recurrence period (recur)"},
		{"a template without due", func(t *Task) { t.Status = StatusRecurring; t.Recur = "weekly" }, "a recurring task needs a due date"},
		{"a dependency that is not a UUID", func(t *Task) { t.Depends = []string{"12"} }, `depends holds "12", which is not a task UUID`},
		{"a dependency twice", func(t *Task) {
			t.Depends = []string{"0b6a9c1e-3f7d-4a5b-9c2d-000000000001", "0b6a9c1e-3f7d-4a5b-9c2d-000000000001"}
		}, "depends holds 0b6a9c1e-3f7d-4a5b-9c2d-000000000001 twice"},
		{"a tag that is not UTF-8", func(t *Task) { t.Tags = []string{"a\xff"} }, `tag "a\xff" is not valid UTF-8`},
		{"an agent that is not UTF-8", func(t *Task) { t.Agent = "a\xff" }, `agent id "a\xff" is not valid UTF-8`},
		{"a dependency on itself", func(t *Task) { t.Depends = []string{t.UUID} }, "task 1 cannot depend on itself"},
		{"a bad UUID", func(t *Task) { t.UUID = "xyz" }, `"xyz" is not a UUID`},
		{"an empty annotation", func(t *Task) { t.Annotations = []Annotation{{Description: " "}} }, "annotation 0: annotation text must not be empty"},
		{"a UDA named like a built-in", func(t *Task) { t.Extra = map[string]any{"due": "x"} }, `"due" is a built-in attribute, not a user-defined one`},
		{"a UDA with a bad name", func(t *Task) { t.Extra = map[string]any{"a b": "x"} },
			`"a b" cannot be a user-defined attribute name: use letters, digits and '_', starting with a letter`},
		{"a UDA holding a list", func(t *Task) { t.Extra = map[string]any{"size": []any{1.0}} },
			`user-defined attribute "size" must be a string, a number or a boolean`},
		{"UDAs of each JSON type", func(t *Task) { t.Extra = map[string]any{"a": "x", "b": 2.5, "c": true} }, ""},
		{"as many tags as allowed", func(t *Task) { t.Tags = names("t", MaxTags) }, ""},
		{"one tag too many", func(t *Task) { t.Tags = names("t", MaxTags+1) }, "a task can hold at most 100 tags, got 101"},
		{"one dependency too many", func(t *Task) { t.Depends = uuids(MaxDepends + 1) }, "a task can depend on at most 1000 tasks, got 1001"},
		{"as many UDAs as allowed", func(t *Task) { t.Extra = udas(MaxUDAs) }, ""},
		{"one UDA too many", func(t *Task) { t.Extra = udas(MaxUDAs + 1) }, "a task can hold at most 100 user-defined attributes, got 101"},
		{"a UDA value at the limit", func(t *Task) { t.Extra = map[string]any{"note": strings.Repeat("a", MaxUDAValue)} }, ""},
		{"a UDA value over the limit", func(t *Task) { t.Extra = map[string]any{"note": strings.Repeat("a", MaxUDAValue+1)} },
			`user-defined attribute "note" is 10001 bytes, more than the 10000 allowed`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			task := validTask()
			tt.edit(task)
			err := task.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Validate() = %v, want %q", err, tt.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error is not ErrInvalid")
			}
		})
	}
}

// names makes n distinct names with the prefix: t0, t1, ...
func names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strconv.Itoa(i)
	}
	return out
}

// uuids makes n distinct UUIDs.
func uuids(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("0b6a9c1e-3f7d-4a5b-9c2d-%012d", i+100)
	}
	return out
}

// udas makes n user-defined attributes.
func udas(n int) map[string]any {
	out := map[string]any{}
	for _, k := range names("u", n) {
		out[k] = 1.0
	}
	return out
}

func TestParsePriorityAndStatus(t *testing.T) {
	for in, want := range map[string]Priority{"H": PriorityHigh, "m": PriorityMedium, " l ": PriorityLow, "": PriorityNone} {
		if got, err := ParsePriority(in); err != nil || got != want {
			t.Errorf("ParsePriority(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParsePriority("high"); err == nil {
		t.Error(`ParsePriority("high") accepted`)
	}
	if got, err := ParseStatus("Completed"); err != nil || got != StatusCompleted {
		t.Errorf("ParseStatus(Completed) = %q, %v", got, err)
	}
	if PriorityNone.Rank() >= PriorityLow.Rank() || PriorityLow.Rank() >= PriorityMedium.Rank() || PriorityMedium.Rank() >= PriorityHigh.Rank() {
		t.Error("priorities are not ordered '' < L < M < H")
	}
}

func TestEffectiveStatus(t *testing.T) {
	now := time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC)
	task := validTask()
	task.Wait = now.Add(time.Second)
	if got := task.EffectiveStatus(now); got != StatusWaiting {
		t.Errorf("wait in the future: %s, want waiting", got)
	}
	task.Wait = now
	if got := task.EffectiveStatus(now); got != StatusPending {
		t.Errorf("wait reached: %s, want pending", got)
	}
	task.Status, task.Wait = StatusCompleted, now.Add(time.Hour)
	if got := task.EffectiveStatus(now); got != StatusCompleted {
		t.Errorf("completed with a wait date: %s, want completed", got)
	}
}

func TestMarshalJSONPrintsOnlySetFields(t *testing.T) {
	task := validTask()
	got, err := json.Marshal(task)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":1,"uuid":"0b6a9c1e-3f7d-4a5b-9c2d-1e8f7a6b5c4d","description":"Fix login","status":"pending","urgency":0}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}

	zone := time.FixedZone("X", 2*3600)
	task.Description = `Say "hi" <b> & ✓`
	task.Project = "web"
	task.Priority = PriorityHigh
	task.Tags = []string{"bug", "next"}
	task.Due = time.Date(2026, 11, 20, 0, 0, 0, 0, zone)
	task.Annotations = []Annotation{{Entry: time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC), Description: "tab\there"}}
	task.HasDoc = true
	task.Extra = map[string]any{"size": 3.5, "owner": "a<n>a", "ok": true}
	task.Urgency = 12.345678
	got, err = task.MarshalJSON() // json.Marshal would HTML-escape it again
	if err != nil {
		t.Fatal(err)
	}
	want = `{"id":1,"uuid":"0b6a9c1e-3f7d-4a5b-9c2d-1e8f7a6b5c4d","description":"Say \"hi\" <b> & ✓","status":"pending",` +
		`"project":"web","priority":"H","tags":["bug","next"],"due":"2026-11-19T22:00:00Z",` +
		`"annotations":[{"entry":"2026-11-18T10:00:00Z","description":"tab\there"}],"has_doc":true,` +
		`"urgency":12.3457,"extra":{"ok":true,"owner":"a<n>a","size":3.5}}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	var back map[string]any
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatalf("output is not valid JSON: %v", err)
	}
}

func TestCloneSharesNothing(t *testing.T) {
	a := validTask()
	a.Tags = []string{"x"}
	a.Extra = map[string]any{"k": "v"}
	b := a.Clone()
	b.Tags[0] = "y"
	b.Extra["k"] = "w"
	if a.Tags[0] != "x" || a.Extra["k"] != "v" {
		t.Error("Clone shares slices or maps with the original")
	}
}

func TestIndexAnswersDependencyQuestions(t *testing.T) {
	u := func(n byte) string {
		return "00000000-0000-4000-8000-0000000000" + string([]byte{'0' + n/10, '0' + n%10})
	}
	tasks := []*Task{
		{ID: 1, UUID: u(1), Status: StatusPending},
		{ID: 2, UUID: u(2), Status: StatusPending, Depends: []string{u(1)}},
		{ID: 3, UUID: u(3), Status: StatusCompleted},
		{ID: 4, UUID: u(4), Status: StatusPending, Depends: []string{u(3), u(99)}}, // done and missing deps
		{ID: 5, UUID: u(5), Status: StatusCompleted, Depends: []string{u(1)}},
		{ID: 7, UUID: u(7), Status: StatusDeleted},
	}
	ix := NewIndex(tasks)
	checks := []struct {
		name string
		got  bool
		want bool
	}{
		{"a task depending on a pending task is blocked", ix.Blocked(tasks[1]), true},
		{"a task whose dependencies are done or gone is not blocked", ix.Blocked(tasks[3]), false},
		{"a completed task is never blocked", ix.Blocked(tasks[4]), false},
		{"a pending task others wait for is blocking", ix.Blocking(tasks[0]), true},
		{"a completed dependency is not blocking", ix.Blocking(tasks[2]), false},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v", c.name, c.got)
		}
	}
	if ix.LatestID() != 7 {
		t.Errorf("LatestID = %d, want 7", ix.LatestID())
	}
	if id, ok := ix.IDOf(u(4)); !ok || id != 4 {
		t.Errorf("IDOf = %d, %v", id, ok)
	}
}
