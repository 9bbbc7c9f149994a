package mcp

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agent-backlog/backlog/store/memstore"
)

// mdSrc is the TASKS.md the TASKS.md tool tests start from. Lines: 5 Fix
// auth crash (blocks line 13), 9 Rotate keys (claimed), 13 Add rate
// limiting (blocked), 18 Update README.
const mdSrc = `# Tasks

## P0

- [ ] Fix auth crash
  - **ID**: auth-fix
  - **Tags**: backend

- [ ] Rotate keys (@carol)

## P1

- [ ] Add rate limiting
  - **Blocked by**: auth-fix

## P2

- [ ] Update README
`

// mdFixture is a server with the tasksmd toolset over a temporary
// directory holding one TASKS.md, whose store must never be opened.
type mdFixture struct {
	*fixture
	dir    string
	opened func() int
}

func newMDFixture(t *testing.T, src string, opts Options) *mdFixture {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "TASKS.md"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if opts.Toolsets == nil {
		opts.Toolsets = []string{TasksMDToolset}
	}
	opts.TasksMDDir, opts.Clock, opts.Logger = dir, clock, quietLogger()
	open, opened := countingOpen(memstore.New())
	f := &mdFixture{fixture: &fixture{t: t, srv: NewServer(open, opts)}, dir: dir, opened: opened}
	f.cs = f.connect("", "")
	res, err := f.cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	f.tools = map[string]*sdk.Tool{}
	for _, tl := range res.Tools {
		f.tools[tl.Name] = tl
	}
	t.Cleanup(func() {
		if n := opened(); n != 0 {
			t.Errorf("the TASKS.md tools opened the backlog %d time(s)", n)
		}
	})
	return f
}

// call runs a tool and returns its one text block and whether it is an
// error; a result with structuredContent or several blocks fails the test.
func (f *mdFixture) call(name string, args map[string]any) (string, bool) {
	f.t.Helper()
	if err := validate(f.tools[name].InputSchema, args); err != nil {
		f.t.Errorf("%s %s: arguments do not match the input schema: %v", name, show(args), err)
	}
	res, err := f.raw(nil, name, args)
	if err != nil {
		f.t.Fatalf("%s %s: %v", name, show(args), err)
	}
	if len(res.Content) != 1 || res.StructuredContent != nil {
		f.t.Fatalf("%s: %d content blocks and structuredContent %v, want one text block alone", name, len(res.Content), res.StructuredContent)
	}
	return text(res), res.IsError
}

func (f *mdFixture) file() string {
	f.t.Helper()
	b, err := os.ReadFile(filepath.Join(f.dir, "TASKS.md"))
	if err != nil {
		f.t.Fatal(err)
	}
	return string(b)
}

func TestTasksMDToolsGiveTheReferenceTexts(t *testing.T) {
	long := strings.Repeat("very long summary ", 12) + "end"
	tests := []struct {
		name    string
		src     string // default mdSrc
		tool    string
		args    map[string]any
		want    string
		isError bool
		file    string // the file after the call; "" means unchanged
	}{
		{name: "claim_task by ID drops a leading @", tool: "claim_task", args: map[string]any{"query": "`AUTH-FIX`", "agent_name": "@bob"},
			want: `Claimed "Fix auth crash" for (@bob) in TASKS.md:5`,
			file: strings.Replace(mdSrc, "Fix auth crash\n", "Fix auth crash (@bob)\n", 1)},
		{name: "claim_task of a claimed task", tool: "claim_task", args: map[string]any{"query": "rotate", "agent_name": "bob"},
			want: `Task "Rotate keys" is already claimed by @carol.`, isError: true},
		{name: "claim_task of nothing", tool: "claim_task", args: map[string]any{"query": "nope", "agent_name": "bob"},
			want: `No task found matching "nope".`, isError: true},
		{name: "claim_task with a name that would not read back", tool: "claim_task", args: map[string]any{"query": "readme", "agent_name": "bob.v2"},
			want: `Invalid agent name 'bob.v2' — must be letters, numbers, underscores or hyphens`, isError: true},
		{name: "claim_task with an empty query", tool: "claim_task", args: map[string]any{"query": " ", "agent_name": "bob"},
			want: `query must name a task: its ID or words of its summary, got " "`, isError: true},
		{name: "claim_task without agent_name", tool: "claim_task", args: map[string]any{"query": "readme"},
			want: `claim_task needs the argument "agent_name"`, isError: true},
		{name: "claim_task of a long summary keeps the whole sentence", tool: "claim_task",
			src:  "# Tasks\n\n## P1\n\n- [ ] " + long + " (@carol)\n",
			args: map[string]any{"query": "end", "agent_name": "bob"},
			want: `Task "` + long + `" is already claimed by @carol.`, isError: true},

		{name: "unclaim_task", tool: "unclaim_task", args: map[string]any{"query": "Rotate"},
			want: `Unclaimed "Rotate keys" (was @carol) in TASKS.md:9`,
			file: strings.Replace(mdSrc, " (@carol)", "", 1)},
		{name: "unclaim_task of a free task", tool: "unclaim_task", args: map[string]any{"query": "auth-fix"},
			want: `Task "Fix auth crash" is not claimed by anyone.`, isError: true},
		{name: "unclaim_task of nothing", tool: "unclaim_task", args: map[string]any{"query": "zzz"},
			want: `No task found matching "zzz".`, isError: true},

		{name: "complete_task removes the block", tool: "complete_task", args: map[string]any{"query": "auth-fix"},
			want: `Removed "Fix auth crash" (P0) from TASKS.md (lines 5-7)`,
			file: strings.Replace(mdSrc, "- [ ] Fix auth crash\n  - **ID**: auth-fix\n  - **Tags**: backend\n\n", "", 1)},
		{name: "complete_task of nothing", tool: "complete_task", args: map[string]any{"query": "zzz"},
			want: `No task found matching "zzz".`, isError: true},

		{name: "add_task with every field, lists as arrays and strings", tool: "add_task",
			args: map[string]any{"summary": "Write docs", "priority": "p1", "id": "write-docs", "tags": "Docs, web",
				"details": "The API", "files": []string{"a.go", "b.go"}, "acceptance": "Reviewed", "blocked_by": `["auth-fix"]`},
			want: `Added "Write docs" (P1) to TASKS.md`,
			file: strings.Replace(mdSrc, "  - **Blocked by**: auth-fix\n\n## P2", "  - **Blocked by**: auth-fix\n"+
				"- [ ] Write docs\n  - **ID**: write-docs\n  - **Tags**: docs, web\n  - **Details**: The API\n"+
				"  - **Files**: a.go, b.go\n  - **Acceptance**: Reviewed\n  - **Blocked by**: auth-fix\n\n\n## P2", 1)},
		{name: "add_task defaults to P2", tool: "add_task", args: map[string]any{"summary": "Later", "file": "TASKS.md"},
			want: `Added "Later" (P2) to TASKS.md`, file: mdSrc + "- [ ] Later\n\n"},
		{name: "add_task with a bad priority", tool: "add_task", args: map[string]any{"summary": "x", "priority": "P5"},
			want: `Invalid priority 'P5' — must be P0, P1, P2, or P3`, isError: true},
		{name: "add_task with a bad ID", tool: "add_task", args: map[string]any{"summary": "x", "id": "Bad ID"},
			want: `Invalid ID 'Bad ID' — must be kebab-case (lowercase letters, numbers, hyphens)`, isError: true},
		{name: "add_task with a taken ID", tool: "add_task", args: map[string]any{"summary": "x", "id": "auth-fix"},
			want: `ID 'auth-fix' is already used by "Fix auth crash" in TASKS.md:5.`, isError: true},
		{name: "add_task to a file not in the queue", tool: "add_task", args: map[string]any{"summary": "x", "file": "docs/TASKS.md"},
			want: `No TASKS.md named "docs/TASKS.md" in the queue.`, isError: true},
		{name: "add_task to a file outside the tree", tool: "add_task", args: map[string]any{"summary": "x", "file": "/etc/TASKS.md"},
			want: `file "/etc/TASKS.md" is outside <dir>, whose TASKS.md files this server edits`, isError: true},

		{name: "pick_task: P0, unblocking first", tool: "pick_task", args: map[string]any{},
			want: "Picked \"Fix auth crash\" (P0)\n  File: TASKS.md:5\n  ID: auth-fix\n  Tags: backend\n  Unblocks: 1 task(s)\n  Candidates: 2"},
		{name: "pick_task with tags no task has keeps all", tool: "pick_task", args: map[string]any{"tags": "docs"},
			want: "Picked \"Fix auth crash\" (P0)\n  File: TASKS.md:5\n  ID: auth-fix\n  Tags: backend\n  Unblocks: 1 task(s)\n  Candidates: 2"},
		{name: "pick_task with agent_name claims the pick", tool: "pick_task", args: map[string]any{"agent_name": "bob"},
			want: "Picked \"Fix auth crash\" (P0)\n  File: TASKS.md:5\n  ID: auth-fix\n  Tags: backend\n  Unblocks: 1 task(s)\n  Candidates: 2\n" +
				`Claimed "Fix auth crash" for (@bob) in TASKS.md:5`,
			file: strings.Replace(mdSrc, "Fix auth crash\n", "Fix auth crash (@bob)\n", 1)},
		{name: "pick_task resumes the agent's own claim", tool: "pick_task", args: map[string]any{"agent_name": "Carol"},
			want: "Picked \"Rotate keys\" (P0)\n  File: TASKS.md:9\n  Candidates: 1\nResumed your claim (@Carol)."},
		{name: "pick_task of a given task", tool: "pick_task", args: map[string]any{"task_id": "readme"},
			want: "Picked \"Update README\" (P2)\n  File: TASKS.md:18\n  Candidates: 1"},
		{name: "pick_task of a given task claims it", tool: "pick_task", args: map[string]any{"task_id": "auth-fix", "agent_name": "bob"},
			want: "Picked \"Fix auth crash\" (P0)\n  File: TASKS.md:5\n  ID: auth-fix\n  Tags: backend\n  Unblocks: 1 task(s)\n  Candidates: 1\n" +
				`Claimed "Fix auth crash" for (@bob) in TASKS.md:5`,
			file: strings.Replace(mdSrc, "Fix auth crash\n", "Fix auth crash (@bob)\n", 1)},
		{name: "pick_task of a task another agent holds", tool: "pick_task", args: map[string]any{"task_id": "rotate", "agent_name": "bob"},
			want: `Task "Rotate keys" is already claimed by @carol.`, isError: true},
		{name: "pick_task of nothing", tool: "pick_task", args: map[string]any{"task_id": "nope"},
			want: `No task found matching "nope".`, isError: true},
		{name: "pick_task with nothing eligible", tool: "pick_task", src: "# Tasks\n\n## P0\n\n- [ ] Taken (@carol)\n",
			args: map[string]any{"agent_name": "bob"},
			want: "No eligible tasks found (all claimed, blocked, or empty queue)."},

		{name: "list_tasks with a bad priority", tool: "list_tasks", args: map[string]any{"priority": "P7"},
			want: `Invalid priority 'P7' — must be P0, P1, P2, or P3`, isError: true},
		{name: "list_tasks with an unknown argument", tool: "list_tasks", args: map[string]any{"status": "open"},
			want: `unknown argument "status": list_tasks takes priority, tag, unclaimed_only, unblocked_only`, isError: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.src
			if src == "" {
				src = mdSrc
			}
			f := newMDFixture(t, src, Options{})
			res, err := f.raw(nil, tc.tool, tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Content) != 1 || res.StructuredContent != nil {
				t.Fatalf("%d content blocks and structuredContent %v, want one text block alone", len(res.Content), res.StructuredContent)
			}
			want := strings.ReplaceAll(tc.want, "<dir>", f.dir)
			if got := text(res); got != want || res.IsError != tc.isError {
				t.Errorf("got %q (isError %v)\nwant %q (isError %v)", got, res.IsError, want, tc.isError)
			}
			wantFile := tc.file
			if wantFile == "" {
				wantFile = src
			}
			if got := f.file(); got != wantFile {
				t.Errorf("the file is\n%s\nwant\n%s", got, wantFile)
			}
		})
	}
}

func TestListTasksFiltersAndReturnsTheJSONText(t *testing.T) {
	tests := []struct {
		name    string
		args    map[string]any
		summary string
		tasks   []string
	}{
		{"no filter", map[string]any{}, "Found 4 task(s) across 1 file(s).",
			[]string{"Fix auth crash", "Rotate keys", "Add rate limiting", "Update README"}},
		{"priority in any case", map[string]any{"priority": "p1"}, "Found 1 task(s) across 1 file(s).", []string{"Add rate limiting"}},
		{"tag", map[string]any{"tag": "BACKEND"}, "Found 1 task(s) across 1 file(s).", []string{"Fix auth crash"}},
		{"unclaimed and unblocked, as a string and a boolean", map[string]any{"unclaimed_only": "yes", "unblocked_only": true},
			"Found 2 task(s) across 1 file(s).", []string{"Fix auth crash", "Update README"}},
		{"nothing matches", map[string]any{"tag": "nope"}, "No tasks found matching the filters.", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newMDFixture(t, mdSrc, Options{})
			got, isErr := f.call("list_tasks", tc.args)
			if isErr {
				t.Fatalf("error %q", got)
			}
			if !strings.HasPrefix(got, "{\n  \"summary\": \""+tc.summary+"\",\n  \"tasks\": [") {
				t.Errorf("list_tasks text:\n%s", got)
			}
			var seen []string
			for _, line := range strings.Split(got, "\n") {
				if s, ok := strings.CutPrefix(line, `      "summary": "`); ok {
					seen = append(seen, strings.TrimSuffix(s, `",`))
				}
			}
			if !slices.Equal(seen, tc.tasks) {
				t.Errorf("tasks %q, want %q\n%s", seen, tc.tasks, got)
			}
		})
	}
	f := newMDFixture(t, mdSrc, Options{})
	got, _ := f.call("list_tasks", map[string]any{"priority": "P1"})
	for _, want := range []string{`"claimed": null`, `"blocked": true`, `"blockedBy": [`, `"file": "TASKS.md"`, `"line": 13`} {
		if !strings.Contains(got, want) {
			t.Errorf("list_tasks text lacks %s:\n%s", want, got)
		}
	}
}

func TestTwoAgentsClaimingOneTaskAtOnceExactlyOneWins(t *testing.T) {
	f := newMDFixture(t, mdSrc, Options{})
	const n = 8
	var wg sync.WaitGroup
	texts := make([]string, n)
	errs := make([]bool, n)
	for i := range n {
		cs := f.connect("", "")
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := f.raw(cs, "claim_task", map[string]any{"query": "auth-fix", "agent_name": "agent" + string(rune('a'+i))})
			if err != nil {
				t.Error(err)
				return
			}
			texts[i], errs[i] = text(res), res.IsError
		}()
	}
	wg.Wait()
	won := 0
	for i := range n {
		if !errs[i] {
			won++
			if texts[i] != `Claimed "Fix auth crash" for (@agent`+string(rune('a'+i))+`) in TASKS.md:5` {
				t.Errorf("winner's text %q", texts[i])
			}
		} else if !strings.HasPrefix(texts[i], `Task "Fix auth crash" is already claimed by @agent`) {
			t.Errorf("loser's text %q", texts[i])
		}
	}
	if won != 1 {
		t.Errorf("%d claims succeeded, want exactly 1: %q", won, texts)
	}
	if c := strings.Count(f.file(), "Fix auth crash (@agent"); c != 1 || strings.Count(f.file(), "(@") != 2 {
		t.Errorf("the file holds %d claims of the task:\n%s", c, f.file())
	}
}

// mdToolArgs are tasks-mcp's tools with their argument names.
var mdToolArgs = map[string][]string{
	"list_tasks":    {"priority", "tag", "unclaimed_only", "unblocked_only"},
	"pick_task":     {"task_id", "tags", "agent_name"},
	"claim_task":    {"query", "agent_name"},
	"unclaim_task":  {"query"},
	"complete_task": {"query"},
	"add_task":      {"summary", "priority", "id", "tags", "details", "files", "acceptance", "blocked_by", "file"},
}

func TestTasksMDToolsetIsServedOnlyWhenNamed(t *testing.T) {
	all := append(slices.Clone(toolNames), "add_task", "claim_task", "complete_task", "list_tasks", "pick_task", "unclaim_task")
	tests := []struct {
		name string
		opts Options
		want []string
	}{
		{"default: the backlog's tools alone", Options{Toolsets: []string{}}, toolNames},
		{"all: the backlog's tools alone", Options{Toolsets: []string{"all"}}, toolNames},
		{"tasksmd alone: the six tools", Options{Toolsets: []string{"tasksmd"}},
			[]string{"add_task", "claim_task", "complete_task", "list_tasks", "pick_task", "unclaim_task"}},
		{"--tasksmd over the default", Options{Toolsets: WithTasksMD(nil)}, all},
		{"read-only tasksmd: list_tasks alone", Options{Toolsets: []string{"tasksmd"}, ReadOnly: true}, []string{"list_tasks"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newMDFixture(t, mdSrc, tc.opts)
			var got []string
			for name := range f.tools {
				got = append(got, name)
			}
			want := slices.Clone(tc.want)
			sort.Strings(got)
			sort.Strings(want)
			if !slices.Equal(got, want) {
				t.Errorf("got %v\nwant %v", got, want)
			}
		})
	}
}

func TestTasksMDToolsHaveTasksMCPArgumentNamesAndHints(t *testing.T) {
	f := newMDFixture(t, mdSrc, Options{})
	for name, args := range mdToolArgs {
		tl := f.tools[name]
		if tl == nil {
			t.Errorf("%s is not listed", name)
			continue
		}
		b, _ := tl.InputSchema.(map[string]any)
		props, _ := b["properties"].(map[string]any)
		var got []string
		for p := range props {
			got = append(got, p)
		}
		want := slices.Clone(args)
		sort.Strings(got)
		sort.Strings(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s takes %v, want %v", name, got, want)
		}
		if tl.OutputSchema != nil {
			t.Errorf("%s has an outputSchema; its results are text", name)
		}
		a := tl.Annotations
		if a == nil || a.DestructiveHint == nil || a.OpenWorldHint == nil || *a.OpenWorldHint ||
			a.ReadOnlyHint != (name == "list_tasks") || *a.DestructiveHint != (name == "complete_task") {
			t.Errorf("%s hints: %s", name, show(a))
		}
	}
	req := map[string][]string{"claim_task": {"query", "agent_name"}, "add_task": {"summary"}, "complete_task": {"query"}}
	for name, want := range req {
		b, _ := f.tools[name].InputSchema.(map[string]any)
		got, _ := b["required"].([]any)
		if show(got) != show(want) {
			t.Errorf("%s requires %s, want %s", name, show(got), show(want))
		}
	}
}

func TestOptionsFromEnvReadsTasksMCPDir(t *testing.T) {
	env := map[string]string{"BACKLOG_TOOLSETS": "core,tasksmd", "TASKS_MCP_DIR": " /srv/repo "}
	o, err := OptionsFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if o.TasksMDDir != "/srv/repo" || !slices.Equal(o.Toolsets, []string{"core", "tasksmd"}) {
		t.Errorf("options %+v", o)
	}
	if got := WithTasksMD([]string{"core"}); !slices.Equal(got, []string{"core", "tasksmd"}) {
		t.Errorf("WithTasksMD(core) = %v", got)
	}
	if got := WithTasksMD([]string{"tasksmd"}); !slices.Equal(got, []string{"tasksmd"}) {
		t.Errorf("WithTasksMD(tasksmd) = %v", got)
	}
}
