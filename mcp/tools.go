package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/store"
)

// Output schemas, as small as they can be while still saying the shape: the
// whole tools/list is paid for at every session start. A task's own shape
// is TOOLS.md's.
const (
	taskSchema   = `{"type":"object"}`
	tasksSchema  = `{"type":"array","items":` + taskSchema + `}`
	namesSchema  = `{"type":"array","items":{"type":"object","required":["name","count"]}}`
	outTask      = `{"type":"object","required":["task"]}`
	outClaim     = `{"type":"object","properties":{"task":{"type":["object","null"]}},"required":["task"]}`
	outTasks     = `{"type":"object","properties":{"tasks":` + tasksSchema + `},"required":["tasks"]}`
	outList      = `{"type":"object","properties":{"tasks":` + tasksSchema + `,"more":{"type":"integer"}},"required":["tasks"]}`
	outCount     = `{"type":"object","properties":{"count":{"type":"integer"}},"required":["count"]}`
	outModify    = `{"type":"object","properties":{"modified":{"type":"integer"},"tasks":` + tasksSchema + `},"required":["modified","tasks"]}`
	outImport    = `{"type":"object","properties":{"imported":{"type":"integer"},"tasks":` + tasksSchema + `},"required":["imported","tasks"]}`
	outItems     = `{"type":"object","properties":{"items":` + namesSchema + `},"required":["items"]}`
	outContent   = `{"type":"object","properties":{"content":{"type":"string"}},"required":["content"]}`
	outUndo      = `{"type":"object","properties":{"undone":{"type":["string","null"]},"tasks":` + tasksSchema + `},"required":["undone","tasks"]}`
	outArchived  = `{"type":"object","properties":{"archived":{"type":"integer"}},"required":["archived"]}`
	outSegments  = `{"type":"object","properties":{"segments":` + namesSchema + `},"required":["segments"]}`
	outSummary   = `{"type":"object","properties":{"counts":{"type":"object"}},"required":["counts"]}`
	fieldsInTask = " Fields as in task_add."
)

// The task fields of task_add, with what an agent needs to fill them; the
// other tools that take them refer to task_add instead of repeating this.
var addFields = []arg{
	{name: "description", kind: kString, desc: "One line, max 500 bytes; more goes in a doc"},
	{name: "project", kind: kString},
	{name: "tags", kind: kList, desc: "a,b or [\"a\",\"b\"]; +x/-x add/remove"},
	{name: "priority", kind: kString, desc: "H, M or L"},
	{name: "due", kind: kString, desc: "2026-03-01, friday, eow, now+3d..."},
	{name: "scheduled", kind: kString, desc: "Not READY before"},
	{name: "wait", kind: kString, desc: "Hidden until this date"},
	{name: "until", kind: kString, desc: "End of a recurrence"},
	{name: "recur", kind: kString, desc: "daily, weekly, monthly, 2w, P1M...; needs due"},
	{name: "depends", kind: kRefs, desc: "Ids or UUIDs to finish first"},
	{name: "agent", kind: kString},
	{name: "extra", kind: kExtra, desc: "Modifications: \"+tag due:fri myuda:3\", or {uda: value}"},
}

// taskFields are addFields without their descriptions.
func taskFields(required bool) []arg {
	out := make([]arg, len(addFields))
	for i, a := range addFields {
		out[i] = arg{name: a.name, kind: a.kind}
	}
	out[0].required = required
	return out
}

// addArgs are task_add's arguments: addFields, with description required.
func addArgs() []arg {
	out := slices.Clone(addFields)
	out[0].required = true
	return out
}

func with(args ...[]arg) []arg { return slices.Concat(args...) }

var (
	idArg     = []arg{{name: "id", kind: kRef, required: true}}
	filterArg = []arg{{name: "filter", kind: kString}}
)

// allTools are the tools of TOOLS.md, in its order.
func allTools() []*tool {
	one := func(name, desc string, idem bool, run func(*engine.Engine, context.Context, string) (*engine.Result, error)) *tool {
		return &tool{name: name, set: "core", desc: desc, args: idArg, out: outTask, idempotent: idem,
			run: func(ctx context.Context, e *engine.Engine, a argv) (any, error) { return run(e, ctx, a.str("id")) }}
	}
	return []*tool{
		{name: "task_list", set: "core", read: true, idempotent: true, out: outList,
			desc: "Tasks a filter selects, most urgent first. Filter: project:web +bug priority:H due.before:eow " +
				"+READY +OVERDUE agent:x, and/or/not, ids 1,3-5; empty: pending (status.any: for all). " +
				"Returns {tasks, more: N past limit}.",
			args: with(filterArg, []arg{
				{name: "sort", kind: kString, desc: "due+,id+...; default urgency-"},
				{name: "limit", kind: kInt, desc: "default 100; 0: all"},
				{name: "fields", kind: kList, desc: "Fields to keep; default all but uuid,entry,modified"},
			}),
			run: list},
		{name: "task_count", set: "core", read: true, idempotent: true, out: outCount, args: filterArg,
			desc: "Count what task_list would list. Returns {count}.",
			run: func(ctx context.Context, e *engine.Engine, a argv) (any, error) {
				n, err := e.Count(ctx, a.str("filter"))
				return map[string]int{"count": n}, err
			}},
		{name: "task_info", set: "core", read: true, idempotent: true, out: outTask,
			args: idArg,
			desc: "One task of any status, archived too, every field. Returns {task}.",
			run: func(ctx context.Context, e *engine.Engine, a argv) (any, error) {
				t, err := e.Info(ctx, a.str("id"))
				return taskResult(t), err
			}},
		{name: "task_projects", set: "core", read: true, idempotent: true, out: outItems,
			desc: "Projects of pending tasks. Returns {items:[{name,count}]}.",
			run: func(ctx context.Context, e *engine.Engine, a argv) (any, error) {
				items, err := e.Projects(ctx)
				return map[string][]store.NameCount{"items": items}, err
			}},
		{name: "task_tags", set: "core", read: true, idempotent: true, out: outItems,
			desc: "Tags of pending tasks. Returns {items:[{name,count}]}.",
			run: func(ctx context.Context, e *engine.Engine, a argv) (any, error) {
				items, err := e.Tags(ctx)
				return map[string][]store.NameCount{"items": items}, err
			}},
		{name: "task_add", set: "core", out: outTask, args: addArgs(),
			desc: "Create a pending task (recur: a template, its first instance as next). For a plan, " +
				"use task_import. Returns {task}.",
			run: create((*engine.Engine).Add)},
		{name: "task_log", set: "core", out: outTask, args: taskFields(true),
			desc: "Record work already done: a task created completed." + fieldsInTask + " Returns {task}.",
			run:  create((*engine.Engine).Log)},
		{name: "task_duplicate", set: "core", out: outTask, args: with(idArg, taskFields(false)),
			desc: "Copy a task as a new pending one, overriding the fields given." +
				fieldsInTask + " Returns {task}.",
			run: func(ctx context.Context, e *engine.Engine, a argv) (any, error) {
				c, err := a.changes()
				if err != nil {
					return nil, err
				}
				return e.Duplicate(ctx, a.str("id"), c)
			}},
		{name: "task_import", set: "core", out: outImport,
			args: []arg{{name: "tasks", kind: kTasks, required: true,
				desc: "[{description, project, tags, depends, ref, doc, ...}]"}},
			desc: "Create many tasks in one all-or-nothing call (ids in input order); ref names a task for depends " +
				"in the batch, doc attaches markdown. Returns {imported, tasks}.",
			run: func(ctx context.Context, e *engine.Engine, a argv) (any, error) {
				return e.Import(ctx, a["tasks"].([]byte), engine.ImportOptions{})
			}},
		{name: "task_modify", set: "core", destructive: true, out: outModify,
			args: with([]arg{{name: "filter", kind: kString, required: true, desc: "Ids (12, 1,3-5) or any filter"}},
				taskFields(false), []arg{{name: "confirm", kind: kBool, desc: "\"yes\" for more than 25 tasks"}}),
			desc: "Change the tasks a filter selects, as one undoable command." + fieldsInTask +
				" \"\" clears a field; +x/-x in tags/depends add/remove, else replace. Returns {modified, tasks}.",
			run: func(ctx context.Context, e *engine.Engine, a argv) (any, error) {
				c, err := a.changes()
				if err != nil {
					return nil, err
				}
				return e.Modify(ctx, a.str("filter"), c, a.flag("confirm"))
			}},
		one("task_start", "Mark a task in progress (sets start); task_claim also records who.",
			true, (*engine.Engine).Start),
		one("task_stop", "Stop work on a started task (clears start). Returns {task}.",
			true, (*engine.Engine).Stop),
		{name: "task_done", set: "core", idempotent: true, out: outTask,
			args: with(idArg, []arg{{name: "note", kind: kString, desc: "Also a comment on its issue"},
				{name: "close", kind: kBool, desc: "Close its issue"}}),
			desc: "Complete a task. Returns {task}; unblocked, blocked_by, next when they apply.",
			run: func(ctx context.Context, e *engine.Engine, a argv) (any, error) {
				return e.DoneWith(ctx, a.str("id"), engine.DoneOptions{Note: a.str("note"), Close: a.flag("close")})
			}},
		one("task_delete", "Delete a task (task_undo restores it; a template ends its series). "+
			"Returns {task, dependents}.",
			true, (*engine.Engine).Delete),
		func() *tool {
			t := one("task_purge", "Remove a deleted task and its doc for good. "+
				"Returns {task} as it was.", true, (*engine.Engine).Purge)
			t.destructive = true
			return t
		}(),
		{name: "task_annotate", set: "core", out: outTask, args: with(idArg, []arg{{name: "text", kind: kString, required: true}}),
			desc: "Add a timestamped one-line note to a task: progress, findings. Returns {task}.",
			run: func(ctx context.Context, e *engine.Engine, a argv) (any, error) {
				return e.Annotate(ctx, a.str("id"), a.str("text"))
			}},
		{name: "task_denotate", set: "core", idempotent: true, out: outTask,
			args: with(idArg, []arg{{name: "text", kind: kString, required: true}}),
			desc: "Remove a task's first note whose text is exactly text. Returns {task}.",
			run: func(ctx context.Context, e *engine.Engine, a argv) (any, error) {
				return e.Denotate(ctx, a.str("id"), a.str("text"))
			}},
		{name: "task_undo", set: "core", out: outUndo,
			desc: "Reverse your own last command as a whole, unless others changed its tasks since. " +
				"Returns {undone, tasks}; undone null if none.",
			run: func(ctx context.Context, e *engine.Engine, a argv) (any, error) { return e.Undo(ctx) }},

		{name: "task_doc_write", set: "docs", idempotent: true, out: outTask,
			args: with(idArg, []arg{{name: "content", kind: kString, required: true, desc: "Markdown, up to 1 MiB"}}),
			desc: "Attach a markdown doc (spec, design) to a task, replacing any. Returns {task}.",
			run: func(ctx context.Context, e *engine.Engine, a argv) (any, error) {
				return e.DocWrite(ctx, a.str("id"), a.str("content"))
			}},
		{name: "task_doc_read", set: "docs", read: true, idempotent: true, out: outContent, args: idArg,
			desc: "Read a task's doc (see has_doc). Returns {content}.",
			run: func(ctx context.Context, e *engine.Engine, a argv) (any, error) {
				doc, err := e.DocRead(ctx, a.str("id"))
				return map[string]string{"content": doc}, err
			}},
		func() *tool {
			t := one("task_doc_delete", "Remove a task's doc. Returns {task}.",
				true, (*engine.Engine).DocDelete)
			t.set, t.destructive = "docs", true
			return t
		}(),

		{name: "task_archive", set: "archive", idempotent: true, out: outArchived,
			args: []arg{{name: "older_than_days", kind: kInt, desc: "Default 90"}},
			desc: "Move tasks ended over older_than_days ago into quarterly segments (2026-Q3); " +
				"task_info still finds them. Returns {archived}.",
			run: archive},
		{name: "task_archive_list", set: "archive", read: true, idempotent: true, out: outSegments,
			desc: "Archive segments. Returns {segments:[{name,count}]}.",
			run:  archiveList},
		{name: "task_archive_load", set: "archive", read: true, idempotent: true, out: outTasks,
			args: []arg{{name: "segment", kind: kString, required: true, desc: "e.g. 2026-Q3"}},
			desc: "The tasks of an archive segment, read-only. Returns {tasks}.",
			run:  archiveLoad},

		{name: "task_claim", set: "agents", out: outClaim,
			args: []arg{
				{name: "agent", kind: kString, desc: "Default: yours"},
				{name: "id", kind: kRef},
				{name: "filter", kind: kString},
				{name: "reclaim", kind: kString, desc: "First free claims idle this long: 2h"},
				{name: "lease", kind: kString, desc: "Frees it when idle this long: 30min"},
			},
			desc: "Atomically take the most urgent free READY task matching filter (or id): sets agent and start. " +
				"agent alone is a role: +ROLE/project ROLE tasks, else unlabelled. Returns {task} or null.",
			run: func(ctx context.Context, e *engine.Engine, a argv) (any, error) {
				if a.str("id") != "" && a.str("filter") != "" {
					return nil, backlog.Invalidf("give id or filter, not both")
				}
				if l := a.str("lease"); l != "" {
					if _, err := engine.ParseLease(l); err != nil {
						return nil, err // before reclaim, which commits on its own
					}
				}
				if r := a.str("reclaim"); r != "" {
					d, err := engine.ParseStaleAge(r) // as backlog reclaim --older-than reads it
					if err != nil {
						return nil, err
					}
					if _, err := e.Reclaim(ctx, d); err != nil {
						return nil, err
					}
				}
				return e.Claim(ctx, engine.ClaimOptions{Agent: a.str("agent"), ID: a.str("id"), Filter: a.str("filter"), Lease: a.str("lease")})
			}},
		{name: "task_release", set: "agents", idempotent: true, out: outTask,
			args: with(idArg, []arg{
				{name: "note", kind: kString, desc: "Hand-off note"},
				{name: "force", kind: kBool, desc: "\"yes\" for another agent's task"},
			}),
			desc: "Hand a claimed task back: clears agent and start. Returns {task}.",
			run: func(ctx context.Context, e *engine.Engine, a argv) (any, error) {
				return e.Release(ctx, a.str("id"), a.str("note"), a.flag("force"))
			}},
		{name: "task_summary", set: "agents", read: true, idempotent: true, out: outSummary, args: filterArg,
			desc: "Session-start overview: counts, active tasks by agent, overdue, next READY, recently done; " +
				"filter narrows it.",
			run: func(ctx context.Context, e *engine.Engine, a argv) (any, error) {
				return e.Summary(ctx, engine.SummaryOptions{Filter: a.str("filter")})
			}},
	}
}

// create runs add or log.
func create(fn func(*engine.Engine, context.Context, *engine.Changes) (*engine.Result, error)) func(context.Context, *engine.Engine, argv) (any, error) {
	return func(ctx context.Context, e *engine.Engine, a argv) (any, error) {
		c, err := a.changes()
		if err != nil {
			return nil, err
		}
		return fn(e, ctx, c)
	}
}

// taskResult wraps one task as {"task": …}.
func taskResult(t *backlog.Task) any { return map[string]*backlog.Task{"task": t} }

// tasksResult wraps tasks as {"tasks": […]}, never null.
func tasksResult[T any](ts []T) any {
	if ts == nil {
		ts = []T{}
	}
	return map[string][]T{"tasks": ts}
}

// taskFieldNames are the fields `fields` may keep.
var taskFieldNames = append(backlog.Attributes(), "extra", "archived")

// listLimit is task_list's default limit: an agent that lists a large
// backlog gets the most urgent hundred and a count of the rest.
const listLimit = 100

// leanDrop are the fields task_list leaves out unless fields asks for them:
// an agent rarely needs them in a list, and they are a third of its bytes.
var leanDrop = []string{"uuid", "entry", "modified"}

func list(ctx context.Context, e *engine.Engine, a argv) (any, error) {
	fields, given := a.list("fields")
	keep := map[string]bool{"id": true}
	switch {
	case !given || len(fields) == 0:
		for _, f := range taskFieldNames {
			keep[f] = !slices.Contains(leanDrop, f)
		}
	case len(fields) == 1 && fields[0] == "all":
		keep = nil
	default:
		for _, f := range fields {
			if !slices.Contains(taskFieldNames, f) {
				return nil, backlog.Invalidf("fields names %q, which is not a task field: use all, or some of %s", f, strings.Join(taskFieldNames, ", "))
			}
			keep[f] = true
		}
	}
	l, err := e.List(ctx, engine.ListOptions{Filter: a.str("filter"), Sort: a.str("sort"), Limit: a.num("limit", listLimit)})
	if err != nil {
		return nil, err
	}
	out := make([]json.RawMessage, len(l.Tasks))
	for i, t := range l.Tasks {
		if keep == nil {
			out[i] = compactJSON(t)
		} else {
			out[i] = trimObject(compactJSON(t), keep)
		}
	}
	return listResult{Tasks: out, More: l.More}, nil
}

// listResult is task_list's answer: the tasks, then how many more matched.
type listResult struct {
	Tasks []json.RawMessage `json:"tasks"`
	More  int               `json:"more,omitempty"`
}

// trimObject keeps the members of a JSON object whose names are in keep, in
// their order.
func trimObject(obj []byte, keep map[string]bool) json.RawMessage {
	dec := json.NewDecoder(bytes.NewReader(obj))
	var b bytes.Buffer
	b.WriteByte('{')
	if _, err := dec.Token(); err != nil {
		panic(err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			panic(err)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			panic(err)
		}
		if name := tok.(string); keep[name] {
			if b.Len() > 1 {
				b.WriteByte(',')
			}
			b.Write(compactJSON(name))
			b.WriteByte(':')
			b.Write(v)
		}
	}
	b.WriteByte('}')
	return b.Bytes()
}

func archive(ctx context.Context, e *engine.Engine, a argv) (any, error) {
	n, err := e.Archive(ctx, a.num("older_than_days", engine.DefaultArchiveDays))
	return map[string]int{"archived": n}, err
}

func archiveList(ctx context.Context, e *engine.Engine, a argv) (any, error) {
	segs, err := e.ArchiveSegments(ctx)
	return map[string][]store.NameCount{"segments": segs}, err
}

func archiveLoad(ctx context.Context, e *engine.Engine, a argv) (any, error) {
	tasks, err := e.ArchiveLoad(ctx, a.str("segment"))
	return tasksResult(tasks), err
}
