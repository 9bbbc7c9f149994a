package mcp

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestTaskAdd(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	dep := f.add(map[string]any{"description": "Design the schema"})

	t.Run("creates a pending task with every field", func(t *testing.T) {
		got := f.add(map[string]any{
			"description": "Fix <login> & logout", "project": "web.auth", "tags": "bug,ui", "priority": "h",
			"due": "2026-03-06", "scheduled": "2026-03-03", "depends": []any{1}, "agent": "backend",
		})
		want := map[string]any{"id": 2.0, "description": "Fix <login> & logout", "status": "pending", "project": "web.auth",
			"priority": "H", "tags": []any{"bug", "ui"}, "due": "2026-03-06T00:00:00Z", "scheduled": "2026-03-03T00:00:00Z",
			"depends": []any{dep["uuid"]}, "agent": "backend", "entry": "2026-03-02T09:00:00Z"}
		for k, v := range want {
			if show(got[k]) != show(v) {
				t.Errorf("%s = %s, want %s", k, show(got[k]), show(v))
			}
		}
	})
	t.Run("reads tags and depends as a string, a JSON string or an array", func(t *testing.T) {
		for _, tags := range []any{"a, b", `["a","b"]`, []any{"a", "b"}} {
			got := f.add(map[string]any{"description": "tags", "tags": tags})
			if show(got["tags"]) != `["a","b"]` {
				t.Errorf("tags %s gave %s", show(tags), show(got["tags"]))
			}
		}
		for _, deps := range []any{"1", `[1]`, `["1"]`, []any{1}, []any{"1"}, []any{dep["uuid"]}} {
			got := f.add(map[string]any{"description": "deps", "depends": deps})
			if show(got["depends"]) != show([]any{dep["uuid"]}) {
				t.Errorf("depends %s gave %s", show(deps), show(got["depends"]))
			}
		}
	})
	t.Run("applies extra, as modifications or as an object", func(t *testing.T) {
		got := f.add(map[string]any{"description": "extra", "tags": "a", "extra": "+b due:friday estimate:3 -a"})
		if show(got["tags"]) != `["b"]` || got["due"] != "2026-03-06T00:00:00Z" || show(got["extra"]) != `{"estimate":3}` {
			t.Errorf("got %s", show(got))
		}
		got = f.add(map[string]any{"description": "extra", "project": "web", "extra": map[string]any{"estimate": 2.5, "team": "core", "billable": true}})
		if show(got["extra"]) != `{"billable":true,"estimate":2.5,"team":"core"}` {
			t.Errorf("got %s", show(got["extra"]))
		}
		got = f.add(map[string]any{"description": "extra", "extra": `{"estimate": 4}`})
		if show(got["extra"]) != `{"estimate":4}` {
			t.Errorf("extra as a JSON string: %s", show(got["extra"]))
		}
		// The same value both ways is no conflict.
		f.add(map[string]any{"description": "same", "project": "web", "extra": "project:web"})
	})
	t.Run("a recurring task returns its template and first instance", func(t *testing.T) {
		m := f.ok("task_add", map[string]any{"description": "Update deps", "due": "2026-03-06", "recur": "weekly"})
		next, _ := m["next"].(map[string]any)
		if task(m)["status"] != "recurring" || next == nil || next["status"] != "pending" || next["due"] != "2026-03-06T00:00:00Z" {
			t.Errorf("got %s", show(m))
		}
	})
	t.Run("refuses bad input with one sentence", func(t *testing.T) {
		for _, c := range []struct {
			args map[string]any
			want string
		}{
			{map[string]any{"project": "web"}, `task_add needs the argument "description"`},
			{map[string]any{"description": ""}, "a description is required"},
			{map[string]any{"description": "two\nlines"}, "description must be one line (put longer text in the task's doc)"},
			{map[string]any{"description": "x", "priority": "X"}, `priority must be H, M, L or empty, got "X"`},
			{map[string]any{"description": "x", "due": "notadate"}, `cannot parse date "notadate" for due`},
			{map[string]any{"description": "x", "depends": "999"}, "no task with id 999"},
			{map[string]any{"description": "x", "depends": "auth"}, `"auth" is not a task id or UUID: use a number like 12, a UUID, or a UUID prefix of at least 8 hex digits`},
			{map[string]any{"description": "x", "project": "web app"}, `project "web app" contains ' ': use letters, digits, '_' and '-', with '.' between parts`},
			{map[string]any{"description": "x", "tags": 5}, `argument "tags" must be a list of strings: "a,b", ["a","b"] or a JSON array, got 5`},
			{map[string]any{"description": "x", "tags": `["a",`}, `argument "tags" must be a list of strings: "a,b", ["a","b"] or a JSON array, got ["a",`},
			{map[string]any{"description": "x", "extra": "soon"}, `"soon" is not a modification: use +tag, -tag or name:value`},
			{map[string]any{"description": "x", "extra": "status:done"}, "status cannot be set by a modification (use done, delete, or undo)"},
			{map[string]any{"description": "x", "extra": `"unterminated`}, `unterminated quote in "\"unterminated"`},
			{map[string]any{"description": "x", "extra": []any{"+a"}}, `argument "extra" must be a string of modifications such as "+tag due:friday", or an object of user-defined attributes, got an array`},
			{map[string]any{"description": "x", "extra": map[string]any{"x": []any{1}}}, "extra.x must be a string, a number, true or false (or null to remove it)"},
			{map[string]any{"description": "x", "project": "web", "extra": "project:api"}, `project is given twice, as the argument "web" and in extra as "api": give it once`},
			{map[string]any{"description": "x", "tags": "a", "extra": "tags:b"}, "tags is given twice, as an argument and as tags: in extra: give it once"},
			{map[string]any{"description": "x", "recur": "weekly"}, "a recurring task needs a due date: add due:DATE"},
			{map[string]any{"description": "x", "recur": "sometimes", "due": "friday"}, `recur must be a period such as daily, weekly, weekdays, monthly, 2w or P1M, got "sometimes"`},
		} {
			f.wantFail("task_add", c.args, c.want)
		}
	})
	t.Run("null arguments count as not given", func(t *testing.T) {
		res, err := f.raw(nil, "task_add", map[string]any{"description": "nulls", "project": nil, "tags": nil})
		if err != nil || res.IsError || strings.Contains(text(res), "project") {
			t.Errorf("got %v %s", err, text(res))
		}
	})
}

func TestTaskLog(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	got := task(f.ok("task_log", map[string]any{"description": "Reviewed the PR", "project": "web"}))
	if got["status"] != "completed" || got["end"] != "2026-03-02T09:00:00Z" || got["project"] != "web" {
		t.Errorf("got %s", show(got))
	}
	f.wantFail("task_log", map[string]any{"description": "x", "recur": "daily", "due": "today"}, "a logged task cannot recur: it is already done")
	f.wantFail("task_log", map[string]any{}, `task_log needs the argument "description"`)
}

func TestTaskDuplicate(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	src := f.add(map[string]any{"description": "Write tests", "project": "web", "tags": "a"})
	f.ok("task_start", map[string]any{"id": 1})
	got := task(f.ok("task_duplicate", map[string]any{"id": 1, "project": "api", "tags": "+b"}))
	if got["id"] != 2.0 || got["uuid"] == src["uuid"] || got["project"] != "api" || show(got["tags"]) != `["a","b"]` ||
		got["status"] != "pending" || got["start"] != nil || got["description"] != "Write tests" {
		t.Errorf("got %s", show(got))
	}
	f.wantFail("task_duplicate", map[string]any{"id": "999"}, "no task with id 999")
	f.wantFail("task_duplicate", map[string]any{"id": "1", "priority": "Z"}, `priority must be H, M, L or empty, got "Z"`)
}

func TestTaskImport(t *testing.T) {
	batch := []any{
		map[string]any{"ref": "schema", "description": "Add the sessions table", "project": "auth", "priority": "H"},
		map[string]any{"ref": "api", "description": "Add the login endpoint", "project": "auth", "depends": []any{"schema"}, "doc": "# Spec\nPOST /login"},
	}
	t.Run("imports a batch with refs and docs, given natively or as a string", func(t *testing.T) {
		for _, form := range []any{batch, show(batch)} {
			f := newFixture(t, fixtureOptions{})
			m := f.ok("task_import", map[string]any{"tasks": form})
			ts := tasks(m)
			if m["imported"] != 2.0 || len(ts) != 2 || ts[0]["id"] != 1.0 || ts[1]["id"] != 2.0 ||
				show(ts[1]["depends"]) != show([]any{ts[0]["uuid"]}) || ts[1]["has_doc"] != true {
				t.Errorf("got %s", show(m))
			}
			doc := f.ok("task_doc_read", map[string]any{"id": 2})
			if doc["content"] != "# Spec\nPOST /login" {
				t.Errorf("doc %s", show(doc))
			}
		}
	})
	t.Run("rejects the whole batch for one bad object, naming its index", func(t *testing.T) {
		f := newFixture(t, fixtureOptions{})
		bad := []any{map[string]any{"description": "fine"}, map[string]any{"description": "bad", "priority": "X"}}
		f.wantFail("task_import", map[string]any{"tasks": bad}, `task 1: priority must be H, M, L or empty, got "X"`)
		f.wantFail("task_import", map[string]any{"tasks": []any{map[string]any{"description": "x", "colour": "red"}}}, `task 0: unknown field "colour"`)
		f.wantFail("task_import", map[string]any{"tasks": "[{"}, `the import is not a valid JSON array: unexpected end of JSON input`)
		f.wantFail("task_import", map[string]any{"tasks": []any{}}, "nothing to import: give a JSON array of task objects")
		f.wantFail("task_import", map[string]any{"tasks": map[string]any{"description": "x"}}, `argument "tasks" must be a JSON array of task objects, got an object`)
		if n := f.ok("task_count", map[string]any{"filter": "status.any:"}); n["count"] != 0.0 {
			t.Errorf("a rejected batch left %v tasks", n["count"])
		}
	})
}

func TestTaskListAndCount(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.add(map[string]any{"description": "Low", "priority": "L", "project": "web"})
	f.add(map[string]any{"description": "High", "priority": "H", "project": "web", "due": "2026-03-03"})
	f.add(map[string]any{"description": "Other", "project": "api"})
	f.ok("task_done", map[string]any{"id": 3})

	t.Run("lists pending tasks, most urgent first", func(t *testing.T) {
		if got := ids(tasks(f.ok("task_list", map[string]any{}))); show(got) != "[2,1]" {
			t.Errorf("got %v", got)
		}
	})
	t.Run("filters, sorts and limits, with numbers as strings or numbers", func(t *testing.T) {
		if got := ids(tasks(f.ok("task_list", map[string]any{"limit": ""}))); show(got) != "[2,1]" {
			t.Errorf(`limit "": got %v`, got)
		}
		for _, limit := range []any{1, "1", " 1 "} {
			got := ids(tasks(f.ok("task_list", map[string]any{"filter": "project:web", "sort": "id+", "limit": limit})))
			if show(got) != "[1]" {
				t.Errorf("limit %s: got %v", show(limit), got)
			}
		}
		if got := ids(tasks(f.ok("task_list", map[string]any{"filter": "status:completed"}))); show(got) != "[3]" {
			t.Errorf("got %v", got)
		}
	})
	t.Run("fields trims tasks but keeps id, in order", func(t *testing.T) {
		for _, fields := range []any{"due,description", []any{"due", "description"}, `["due","description"]`} {
			ts := tasks(f.ok("task_list", map[string]any{"filter": "2", "fields": fields}))
			var keys []string
			for k := range ts[0] {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if show(keys) != `["description","due","id"]` {
				t.Errorf("fields %s: got %v", show(fields), keys)
			}
		}
		res, _ := f.raw(nil, "task_list", map[string]any{"filter": "2", "fields": "description"})
		if txt := text(res); txt != `{"tasks":[{"id":2,"description":"High"}]}` {
			t.Errorf("text %s", txt)
		}
	})
	t.Run("by default a list leaves out uuid, entry and modified; all keeps them", func(t *testing.T) {
		lean := tasks(f.ok("task_list", map[string]any{"filter": "2"}))[0]
		for _, k := range []string{"uuid", "entry", "modified"} {
			if _, ok := lean[k]; ok {
				t.Errorf("the default list has %s: %s", k, show(lean))
			}
		}
		if lean["description"] != "High" || lean["status"] != "pending" {
			t.Errorf("the default list lost a field: %s", show(lean))
		}
		full := tasks(f.ok("task_list", map[string]any{"filter": "2", "fields": "all"}))[0]
		for _, k := range []string{"uuid", "entry", "modified", "description"} {
			if _, ok := full[k]; !ok {
				t.Errorf("fields all has no %s: %s", k, show(full))
			}
		}
	})
	t.Run("an empty list is an empty array", func(t *testing.T) {
		if m := f.ok("task_list", map[string]any{"filter": "project:none"}); show(m) != `{"tasks":[]}` {
			t.Errorf("got %s", show(m))
		}
	})
	t.Run("count counts what list lists", func(t *testing.T) {
		for filter, want := range map[string]float64{"": 2, "project:web": 2, "status.any:": 3, "+OVERDUE": 0, "priority:H": 1} {
			if m := f.ok("task_count", map[string]any{"filter": filter}); m["count"] != want {
				t.Errorf("count %q = %v, want %v", filter, m["count"], want)
			}
		}
	})
	t.Run("bad input", func(t *testing.T) {
		f.wantFail("task_list", map[string]any{"fields": "description,colour"}, `fields names "colour", which is not a task field: use all, or some of `+strings.Join(taskFieldNames, ", "))
		f.wantFail("task_list", map[string]any{"sort": "colour+"}, `cannot sort by "colour+": use one of id, uuid, description, status, project, priority, due, scheduled, wait, until, entry, modified, start, end, urgency, agent, recur, each followed by + or -`)
		f.wantFail("task_list", map[string]any{"limit": -1}, "limit must be 0 (all) or more, got -1")
		f.wantFail("task_list", map[string]any{"limit": 1.5}, `argument "limit" must be a whole number such as 30, got 1.5`)
		if got := f.fail("task_list", map[string]any{"filter": "(project:web"}); got == "" {
			t.Error("an unbalanced filter was accepted")
		}
		if got := f.fail("task_count", map[string]any{"filter": "due.before:notadate"}); !strings.Contains(got, "notadate") {
			t.Errorf("got %q", got)
		}
	})
}

func TestTaskInfo(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	added := f.add(map[string]any{"description": "Fix login"})
	uuid := added["uuid"].(string)
	for _, ref := range []any{1, "1", uuid, strings.ToUpper(uuid), uuid[:13]} { // a prefix of digits alone would be an id
		if got := task(f.ok("task_info", map[string]any{"id": ref})); got["uuid"] != uuid {
			t.Errorf("info %s: got %s", show(ref), show(got))
		}
	}
	f.wantFail("task_info", map[string]any{"id": 999}, "no task with id 999")
	f.wantFail("task_info", map[string]any{"id": "auth"}, `"auth" is not a task id or UUID: use a number like 12, a UUID, or a UUID prefix of at least 8 hex digits`)
	f.wantFail("task_info", map[string]any{"id": "deadbeef"}, `no task with a UUID starting "deadbeef"`)
	f.wantFail("task_info", map[string]any{"id": ""}, "a task reference is required: give an id like 12 or a UUID")
}

func TestTaskProjectsAndTags(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	if m := f.ok("task_projects", nil); show(m) != `{"items":[]}` {
		t.Errorf("empty backlog: %s", show(m))
	}
	f.add(map[string]any{"description": "a", "project": "web", "tags": "bug"})
	f.add(map[string]any{"description": "b", "project": "web.ui", "tags": "bug,ui"})
	f.add(map[string]any{"description": "c", "project": "web"})
	if m := f.ok("task_projects", map[string]any{}); show(m) != `{"items":[{"count":2,"name":"web"},{"count":1,"name":"web.ui"}]}` {
		t.Errorf("projects: %s", show(m))
	}
	if m := f.ok("task_tags", map[string]any{}); show(m) != `{"items":[{"count":2,"name":"bug"},{"count":1,"name":"ui"}]}` {
		t.Errorf("tags: %s", show(m))
	}
}

func TestTaskModify(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.add(map[string]any{"description": "One", "tags": "a,b", "due": "2026-03-06"})
	f.add(map[string]any{"description": "Two", "tags": "a"})

	t.Run("changes the tasks the filter selects", func(t *testing.T) {
		m := f.ok("task_modify", map[string]any{"filter": "1,2", "priority": "M", "tags": "+c,-a"})
		ts := tasks(m)
		if m["modified"] != 2.0 || len(ts) != 2 || ts[0]["priority"] != "M" || show(ts[0]["tags"]) != `["b","c"]` || show(ts[1]["tags"]) != `["c"]` {
			t.Errorf("got %s", show(m))
		}
	})
	t.Run("an empty string clears a field and a plain list replaces", func(t *testing.T) {
		got := tasks(f.ok("task_modify", map[string]any{"filter": "1", "due": "", "tags": []any{"x"}}))[0]
		if _, ok := got["due"]; ok || show(got["tags"]) != `["x"]` {
			t.Errorf("got %s", show(got))
		}
	})
	t.Run("a filter matching nothing modifies nothing", func(t *testing.T) {
		if m := f.ok("task_modify", map[string]any{"filter": "project:none", "priority": "H"}); show(m) != `{"modified":0,"tasks":[]}` {
			t.Errorf("got %s", show(m))
		}
	})
	t.Run("more than 25 tasks need confirm", func(t *testing.T) {
		var batch []any
		for i := range 26 {
			batch = append(batch, map[string]any{"description": fmt.Sprintf("bulk %d", i), "project": "bulk"})
		}
		f.ok("task_import", map[string]any{"tasks": batch})
		f.wantFail("task_modify", map[string]any{"filter": "project:bulk", "priority": "L"},
			`the filter matches 26 tasks: confirm to modify more than 25 (confirm: "yes", or --yes)`)
		f.wantFail("task_modify", map[string]any{"filter": "project:bulk", "priority": "L", "confirm": "no"},
			`the filter matches 26 tasks: confirm to modify more than 25 (confirm: "yes", or --yes)`)
		for _, yes := range []any{"yes", true, "true"} {
			if m := f.ok("task_modify", map[string]any{"filter": "project:bulk", "tags": "+t", "confirm": yes}); m["modified"] != 26.0 && m["modified"] != 0.0 {
				t.Errorf("confirm %s: modified %v", show(yes), m["modified"])
			}
		}
		f.wantFail("task_modify", map[string]any{"filter": "project:bulk", "priority": "L", "confirm": "perhaps"},
			`argument "confirm" must be "yes" or "no" (or true or false), got "perhaps"`)
	})
	t.Run("bad input", func(t *testing.T) {
		f.wantFail("task_modify", map[string]any{"priority": "H"}, `task_modify needs the argument "filter"`)
		f.wantFail("task_modify", map[string]any{"filter": " ", "priority": "H"}, "modify needs a filter: give ids (12, 1-3) or a filter such as project:web")
		f.wantFail("task_modify", map[string]any{"filter": "1"}, "nothing to modify: give at least one field to change")
		f.wantFail("task_modify", map[string]any{"filter": "1", "due": "whenever"}, `cannot parse date "whenever" for due`)
		f.wantFail("task_modify", map[string]any{"filter": "1", "depends": "1"}, "task 1 cannot depend on itself")
		f.ok("task_modify", map[string]any{"filter": "2", "depends": "1"})
		f.wantFail("task_modify", map[string]any{"filter": "1", "depends": "+2"}, "dependency cycle: 1 -> 2 -> 1")
	})
}

func TestTaskStartStopDone(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.add(map[string]any{"description": "First"})
	f.add(map[string]any{"description": "Second", "depends": "1"})

	if got := task(f.ok("task_start", map[string]any{"id": "1"})); got["start"] != "2026-03-02T09:00:00Z" {
		t.Errorf("start: %s", show(got))
	}
	if got := task(f.ok("task_start", map[string]any{"id": 1})); got["start"] != "2026-03-02T09:00:00Z" {
		t.Errorf("start again: %s", show(got))
	}
	if got := task(f.ok("task_stop", map[string]any{"id": 1})); got["start"] != nil {
		t.Errorf("stop: %s", show(got))
	}
	f.wantFail("task_stop", map[string]any{"id": 1}, "task 1 is not started")
	m := f.ok("task_done", map[string]any{"id": 1})
	if task(m)["status"] != "completed" || show(m["unblocked"]) != "[2]" {
		t.Errorf("done: %s", show(m))
	}
	f.wantFail("task_done", map[string]any{"id": 1}, "task 1 is already completed")
	f.wantFail("task_start", map[string]any{"id": 1}, "task 1 is completed: it cannot be started")
	f.wantFail("task_done", map[string]any{"id": 999}, "no task with id 999")
	f.wantFail("task_start", map[string]any{"id": 999}, "no task with id 999")
	f.wantFail("task_stop", map[string]any{"id": 999}, "no task with id 999")
}

func TestTaskDeleteAndPurge(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.add(map[string]any{"description": "Doomed"})
	f.add(map[string]any{"description": "Depends on it", "depends": "1"})
	f.ok("task_doc_write", map[string]any{"id": 1, "content": "notes"})

	f.wantFail("task_purge", map[string]any{"id": 1}, "task 1 is pending: only a deleted task can be purged (delete it first)")
	m := f.ok("task_delete", map[string]any{"id": 1})
	if task(m)["status"] != "deleted" || show(m["dependents"]) != "[2]" {
		t.Errorf("delete: %s", show(m))
	}
	f.wantFail("task_delete", map[string]any{"id": 1}, "task 1 is already deleted")
	if got := task(f.ok("task_purge", map[string]any{"id": 1})); got["status"] != "deleted" || got["description"] != "Doomed" {
		t.Errorf("purge: %s", show(got))
	}
	f.wantFail("task_info", map[string]any{"id": 1}, "no task with id 1")
	f.wantFail("task_purge", map[string]any{"id": 1}, "no task with id 1")
	f.wantFail("task_delete", map[string]any{"id": 7}, "no task with id 7")
}

func TestTaskAnnotateAndDenotate(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.add(map[string]any{"description": "Migrate"})
	got := task(f.ok("task_annotate", map[string]any{"id": 1, "text": "migrated users; tests pass"}))
	if show(got["annotations"]) != `[{"description":"migrated users; tests pass","entry":"2026-03-02T09:00:00Z"}]` {
		t.Errorf("annotate: %s", show(got))
	}
	f.wantFail("task_annotate", map[string]any{"id": 1, "text": " "}, "annotation text must not be empty")
	f.wantFail("task_annotate", map[string]any{"id": 1}, `task_annotate needs the argument "text"`)
	f.wantFail("task_annotate", map[string]any{"id": 9, "text": "x"}, "no task with id 9")
	f.wantFail("task_denotate", map[string]any{"id": 1, "text": "migrated"}, `task 1 has no annotation "migrated"`)
	if got := task(f.ok("task_denotate", map[string]any{"id": 1, "text": "migrated users; tests pass"})); got["annotations"] != nil {
		t.Errorf("denotate: %s", show(got))
	}
}

func TestTaskUndo(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	if m := f.ok("task_undo", nil); show(m) != `{"tasks":[],"undone":null}` {
		t.Errorf("nothing to undo: %s", show(m))
	}
	f.add(map[string]any{"description": "Mine"})
	f.ok("task_modify", map[string]any{"filter": "1", "priority": "H"})

	other := f.connect("other-agent", "")
	if m := f.okAs(other, "task_undo", nil); m["undone"] != nil {
		t.Errorf("another agent undid my work: %s", show(m))
	}
	m := f.ok("task_undo", map[string]any{})
	if m["undone"] != "modify 1 task (priority)" || len(tasks(m)) != 1 || tasks(m)[0]["priority"] != nil {
		t.Errorf("undo: %s", show(m))
	}
	f.okAs(other, "task_annotate", map[string]any{"id": 1, "text": "theirs"})
	f.wantFail("task_undo", nil, `cannot undo "add 1 \"Mine\"": task 1 was changed since by other-agent (annotate 1 "Mine"); undo refused, nothing changed`)
}

func TestTaskDocs(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.add(map[string]any{"description": "Spec me"})
	f.wantFail("task_doc_read", map[string]any{"id": 1}, "task 1 has no doc")
	f.wantFail("task_doc_delete", map[string]any{"id": 1}, "task 1 has no doc")
	got := task(f.ok("task_doc_write", map[string]any{"id": 1, "content": "# Goal\n<b>bold</b> & more"}))
	if got["has_doc"] != true || show(got["tags"]) != `["doc"]` {
		t.Errorf("write: %s", show(got))
	}
	if m := f.ok("task_doc_read", map[string]any{"id": "1"}); m["content"] != "# Goal\n<b>bold</b> & more" {
		t.Errorf("read: %s", show(m))
	}
	if got := task(f.ok("task_doc_delete", map[string]any{"id": 1})); got["has_doc"] != nil || got["tags"] != nil {
		t.Errorf("delete: %s", show(got))
	}
	f.wantFail("task_doc_write", map[string]any{"id": 1, "content": strings.Repeat("x", 1<<20+1)}, "doc is 1048577 bytes, more than the 1048576 allowed")
	f.wantFail("task_doc_write", map[string]any{"id": 2, "content": "x"}, "no task with id 2")
	f.wantFail("task_doc_write", map[string]any{"id": 1}, `task_doc_write needs the argument "content"`)
}

func TestTaskArchive(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.wantFail("task_archive", map[string]any{"older_than_days": -1}, "older_than_days must be 0 or more, got -1")
	f.wantFail("task_archive", map[string]any{"older_than_days": "soon"}, `argument "older_than_days" must be a whole number such as 30, got "soon"`)
	f.wantFail("task_archive_load", map[string]any{}, `task_archive_load needs the argument "segment"`)
	f.ok("task_log", map[string]any{"description": "Old work"})
	if m := f.ok("task_archive", map[string]any{"older_than_days": 0}); m["archived"] != 1.0 {
		t.Errorf("archive: %s", show(m))
	}
	if m := f.ok("task_archive", map[string]any{}); m["archived"] != 0.0 {
		t.Errorf("archive again: %s", show(m))
	}
	if m := f.ok("task_archive_list", nil); show(m) != `{"segments":[{"count":1,"name":"2026-Q1"}]}` {
		t.Errorf("list: %s", show(m))
	}
	if ts := tasks(f.ok("task_archive_load", map[string]any{"segment": "2026-Q1"})); len(ts) != 1 || ts[0]["description"] != "Old work" {
		t.Errorf("load: %s", show(ts))
	}
	if got := task(f.ok("task_info", map[string]any{"id": 1})); got["archived"] != "2026-Q1" {
		t.Errorf("info on an archived task: %s", show(got))
	}
	f.wantFail("task_archive_load", map[string]any{"segment": "2020-Q9"}, `an archive segment is named like 2026-Q3, got "2020-Q9"`)
	f.wantFail("task_archive_load", map[string]any{"segment": "2020-Q1"}, "no archive segment 2020-Q1: the segments are 2026-Q1")
	f.wantFail("task_done", map[string]any{"id": 1}, "task 1 is archived in 2026-Q1 and read-only: restore it first (backlog archive restore 2026-Q1 1)")
}

func TestTaskClaimAndRelease(t *testing.T) {
	f := newFixture(t, fixtureOptions{client: "claude-code"})
	f.add(map[string]any{"description": "Low", "priority": "L", "project": "auth"})
	f.add(map[string]any{"description": "High", "priority": "H", "project": "auth"})
	f.add(map[string]any{"description": "Blocked", "priority": "H", "depends": "2"})

	t.Run("claims the most urgent ready task for the client", func(t *testing.T) {
		got := task(f.ok("task_claim", map[string]any{"filter": "project:auth"}))
		if got["id"] != 2.0 || got["agent"] != "claude-code" || got["start"] != "2026-03-02T09:00:00Z" {
			t.Errorf("got %s", show(got))
		}
		got = task(f.ok("task_claim", map[string]any{"agent": "backend", "filter": "project:auth"})) // a filter: backend is not auth's role
		if got["id"] != 1.0 || got["agent"] != "backend" {
			t.Errorf("got %s", show(got))
		}
		if m := f.ok("task_claim", nil); show(m) != `{"task":null}` {
			t.Errorf("nothing left: %s", show(m))
		}
	})
	t.Run("says why a task cannot be claimed", func(t *testing.T) {
		f.wantFail("task_claim", map[string]any{"id": 1}, "task 1 is held by backend: release it first (a release with force)")
		f.wantFail("task_claim", map[string]any{"id": 3}, "task 3 is blocked by task 2")
		f.wantFail("task_claim", map[string]any{"id": 99}, "no task with id 99")
		f.wantFail("task_claim", map[string]any{"id": 3, "filter": "+bug"}, "give id or filter, not both")
		f.wantFail("task_claim", map[string]any{"agent": "bad\x01agent"}, `agent id "bad\x01agent" contains a control character`)
	})
	t.Run("release hands a task back with a note", func(t *testing.T) {
		got := task(f.ok("task_release", map[string]any{"id": 2, "note": "schema done; API left"}))
		if got["agent"] != nil || got["start"] != nil || !strings.Contains(show(got["annotations"]), "schema done; API left") {
			t.Errorf("got %s", show(got))
		}
		f.wantFail("task_release", map[string]any{"id": 2}, "task 2 is not claimed")
		f.wantFail("task_release", map[string]any{"id": 1}, "task 1 is held by backend: releasing another agent's task needs force")
		f.wantFail("task_release", map[string]any{"id": 1, "force": "no"}, "task 1 is held by backend: releasing another agent's task needs force")
		if got := task(f.ok("task_release", map[string]any{"id": "1", "force": "yes"})); got["agent"] != nil {
			t.Errorf("forced: %s", show(got))
		}
		f.wantFail("task_release", map[string]any{"id": 42}, "no task with id 42")
	})
}

func TestConcurrentClaimsNeverShareATask(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	var batch []any
	for i := range 10 {
		batch = append(batch, map[string]any{"description": fmt.Sprintf("job %d", i)})
	}
	f.ok("task_import", map[string]any{"tasks": batch})
	var mu sync.Mutex
	got := map[float64]string{}
	var wg sync.WaitGroup
	for i := range 15 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			agent := fmt.Sprintf("worker-%d", i)
			res, err := f.raw(nil, "task_claim", map[string]any{"agent": agent})
			if err != nil || res.IsError {
				t.Errorf("claim: %v %s", err, text(res))
				return
			}
			var m map[string]any
			json.Unmarshal([]byte(text(res)), &m)
			if tk := task(m); tk != nil {
				mu.Lock()
				defer mu.Unlock()
				if prev, dup := got[tk["id"].(float64)]; dup {
					t.Errorf("task %v claimed by %s and %s", tk["id"], prev, agent)
				}
				got[tk["id"].(float64)] = agent
			}
		}()
	}
	wg.Wait()
	if len(got) != 10 {
		t.Errorf("%d tasks claimed, want 10", len(got))
	}
}

func TestTaskSummary(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.add(map[string]any{"description": "Overdue", "due": "2026-03-01", "project": "web"})
	f.add(map[string]any{"description": "Ready", "project": "api"})
	f.ok("task_claim", map[string]any{"id": 2})
	f.ok("task_log", map[string]any{"description": "Done today"})
	m := f.ok("task_summary", nil)
	if show(m["counts"]) != `{"completed":1,"pending":2}` || m["overdue_count"] != 1.0 || show(m["active"]) != `[{"agent":"test-agent","count":1,"ids":[2]}]` {
		t.Errorf("summary: %s", show(m))
	}
	if m := f.ok("task_summary", map[string]any{"filter": "project:api"}); show(m["counts"]) != `{"pending":1}` {
		t.Errorf("filtered summary: %s", show(m))
	}
	if got := f.fail("task_summary", map[string]any{"filter": "due:never"}); !strings.Contains(got, "never") {
		t.Errorf("got %q", got)
	}
}

func TestTheAgentIsTheConfiguredIdElseTheClientName(t *testing.T) {
	f := newFixture(t, fixtureOptions{opts: Options{Agent: "env-agent"}, client: "claude-code"})
	f.add(map[string]any{"description": "x"})
	if got := task(f.ok("task_claim", nil)); got["agent"] != "env-agent" {
		t.Errorf("got %s", show(got))
	}
	g := newFixture(t, fixtureOptions{client: "cursor", protocol: "2025-11-25"})
	g.add(map[string]any{"description": "x"})
	if got := task(g.ok("task_claim", nil)); got["agent"] != "cursor" {
		t.Errorf("legacy protocol: got %s", show(got))
	}
}

func TestToolsWorkOverTheLegacyProtocolToo(t *testing.T) {
	for _, protocol := range []string{"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"} {
		t.Run(protocol, func(t *testing.T) {
			f := newFixture(t, fixtureOptions{protocol: protocol})
			if v := f.cs.InitializeResult().ProtocolVersion; v != protocol {
				t.Errorf("negotiated %s", v)
			}
			f.add(map[string]any{"description": "legacy", "tags": `["a"]`})
			if m := f.ok("task_list", map[string]any{"fields": "tags"}); len(tasks(m)) != 1 {
				t.Errorf("got %s", show(m))
			}
			f.wantFail("task_info", map[string]any{"id": 5}, "no task with id 5")
		})
	}
}

func TestParallelCallsFromOneClient(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := f.raw(nil, "task_add", map[string]any{"description": fmt.Sprintf("parallel %d", i)})
			if err != nil || res.IsError {
				t.Errorf("add: %v %s", err, text(res))
			}
			if _, err := f.raw(nil, "task_list", nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if m := f.ok("task_count", nil); m["count"] != 20.0 {
		t.Errorf("count %v", m["count"])
	}
}

func TestTaskClaimReclaimsStaleClaimsFirst(t *testing.T) {
	f := newFixture(t, fixtureOptions{client: "worker"})
	f.ok("task_import", map[string]any{"tasks": `[{"description":"Left by a dead agent","agent":"ghost","start":"2026-02-01T00:00:00Z"}]`})
	if m := f.ok("task_claim", nil); show(m) != `{"task":null}` {
		t.Fatalf("a held task was claimed: %s", show(m))
	}
	got := task(f.ok("task_claim", map[string]any{"reclaim": "2h"}))
	if got["id"] != 1.0 || got["agent"] != "worker" {
		t.Fatalf("got %s", show(got))
	}
	anns, _ := got["annotations"].([]any)
	if len(anns) != 1 || !strings.Contains(show(anns[0]), "reclaimed from ghost") {
		t.Errorf("no hand-off note: %s", show(got))
	}
	f.wantFail("task_claim", map[string]any{"reclaim": "soon"}, `reclaim must be a time such as 2h or 30min, got "soon"`)
}

func TestTaskListStopsAtItsLimitAndCountsTheRest(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	var plan []any
	for i := range 130 {
		plan = append(plan, map[string]any{"description": fmt.Sprintf("Task %d", i+1), "priority": []string{"H", "M", "L", ""}[i%4]})
	}
	f.ok("task_import", map[string]any{"tasks": plan})
	for _, tt := range []struct {
		name string
		args map[string]any
		n    int
		more any
	}{
		{"no limit given: the most urgent 100", map[string]any{}, 100, 30.0},
		{"limit 0: all of them", map[string]any{"limit": 0}, 130, nil},
		{"a small limit by urgency", map[string]any{"limit": 10}, 10, 120.0},
		{"a small limit by id", map[string]any{"limit": "10", "sort": "id+"}, 10, 120.0},
		{"a limit above the matches", map[string]any{"limit": 500}, 130, nil},
		{"a filter narrows what is counted", map[string]any{"filter": "priority:H", "limit": 5}, 5, 28.0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := f.ok("task_list", tt.args)
			if got := len(tasks(m)); got != tt.n || m["more"] != tt.more {
				t.Errorf("%d tasks, more %v; want %d, more %v", got, m["more"], tt.n, tt.more)
			}
		})
	}
}
