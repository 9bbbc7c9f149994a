package api

import (
	"net/http"

	"github.com/agent-backlog/backlog/engine"
)

// route is one operation of the API: where it is, what it takes, what it
// answers, and the code that runs it. The OpenAPI document is written from
// these, so a route cannot be served without being documented.
type route struct {
	method, path string
	op           string // operationId
	summary      string
	tag          string // "tasks", "agents", "history" or "tinytown"
	query        []param
	body         string // the request body's schema name in components; "" for none
	bodyRequired bool
	status       int    // on success; 0 means 200
	result       string // the answer's schema name in components
	// run answers with a value to encode as JSON, or an error.
	run func(c *call) (any, error)
	// stream answers by itself (an event stream), instead of run.
	stream func(c *call)
	// location is the Location header of a created resource.
	location func(out any) string
}

// param is a query parameter.
type param struct {
	name string
	kind string // "string", "integer" or "boolean"
	desc string
}

var filterParam = param{"filter", "string", "Filter words, as on the command line: project:web +bug due.before:eow +READY"}

// routes is the API, in the order the OpenAPI document lists it.
func routes() []*route {
	return []*route{
		{method: "GET", path: "/api/v1/tasks", op: "listTasks", tag: "tasks",
			summary: "The tasks a filter selects (pending ones by default), most urgent first; more counts the tasks past the limit.",
			query: []param{filterParam,
				{"sort", "string", "Sort keys such as due+,id+ (default urgency-)"},
				{"limit", "integer", "At most this many tasks (default 100; 0 for all)"},
				{"fields", "string", "Comma-separated fields to keep, or all (default: all but uuid, entry and modified)"}},
			result: "ListResult", run: listTasks},
		{method: "POST", path: "/api/v1/tasks", op: "addTask", tag: "tasks",
			summary: "Create a pending task (with recur, a recurring template and its first instance).",
			body:    "NewTask", bodyRequired: true, status: http.StatusCreated, result: "TaskResult",
			run: addTask, location: taskLocation},
		{method: "PATCH", path: "/api/v1/tasks", op: "modifyTasks", tag: "tasks",
			summary: "Change every task a filter selects, as one undoable command; more than 25 need confirm=yes.",
			query:   []param{{"filter", "string", "Ids (12, 1,3-5) or any filter; required"}, {"confirm", "boolean", "yes to change more than 25 tasks"}},
			body:    "TaskChanges", bodyRequired: true, result: "ModifyResult", run: modifyTasks},
		{method: "GET", path: "/api/v1/tasks/count", op: "countTasks", tag: "tasks",
			summary: "How many tasks the list would give, counted in the store.",
			query:   []param{filterParam}, result: "CountResult", run: countTasks},
		{method: "GET", path: "/api/v1/tasks/{id}", op: "getTask", tag: "tasks",
			summary: "One task of any status, archived ones too, with every field.",
			result:  "TaskResult", run: getTask},
		{method: "PATCH", path: "/api/v1/tasks/{id}", op: "modifyTask", tag: "tasks",
			summary: "Change a task's fields; \"\" clears a field, +x/-x in tags and depends add and remove.",
			body:    "TaskChanges", bodyRequired: true, result: "TaskResult", run: modifyTask},
		{method: "DELETE", path: "/api/v1/tasks/{id}", op: "deleteTask", tag: "tasks",
			summary: "Delete a task (undo restores it); dependents lists the live tasks that depend on it.",
			result:  "TaskResult", run: oneTask((*engine.Engine).Delete)},
		{method: "POST", path: "/api/v1/tasks/{id}/start", op: "startTask", tag: "tasks",
			summary: "Mark a task in progress.", result: "TaskResult", run: oneTask((*engine.Engine).Start)},
		{method: "POST", path: "/api/v1/tasks/{id}/stop", op: "stopTask", tag: "tasks",
			summary: "Stop work on a started task.", result: "TaskResult", run: oneTask((*engine.Engine).Stop)},
		{method: "POST", path: "/api/v1/tasks/{id}/done", op: "doneTask", tag: "tasks",
			summary: "Complete a task; the answer names the tasks it unblocked and a recurring series' next instance.",
			body:    "Done", result: "TaskResult", run: doneTask},
		{method: "POST", path: "/api/v1/tasks/{id}/annotations", op: "annotateTask", tag: "tasks",
			summary: "Add a timestamped note to a task.",
			body:    "Annotation", bodyRequired: true, result: "TaskResult", run: annotateTask},
		{method: "GET", path: "/api/v1/tasks/{id}/doc", op: "readDoc", tag: "tasks",
			summary: "A task's markdown doc.", result: "DocResult", run: readDoc},
		{method: "PUT", path: "/api/v1/tasks/{id}/doc", op: "writeDoc", tag: "tasks",
			summary: "Attach a markdown doc (up to 1 MiB) to a task, replacing any.",
			body:    "Doc", bodyRequired: true, result: "TaskResult", run: writeDoc},
		{method: "DELETE", path: "/api/v1/tasks/{id}/doc", op: "deleteDoc", tag: "tasks",
			summary: "Remove a task's doc.", result: "TaskResult", run: oneTask((*engine.Engine).DocDelete)},
		{method: "POST", path: "/api/v1/tasks/{id}/release", op: "releaseTask", tag: "agents",
			summary: "Hand a claimed task back: clears agent and start; the note becomes an annotation. Another agent's task needs force.",
			body:    "Release", result: "TaskResult", run: releaseTask},
		{method: "POST", path: "/api/v1/claim", op: "claimTask", tag: "agents",
			summary: "Atomically take the most urgent free READY task matching filter (or the task id) for agent; task is null when nothing is left.",
			body:    "Claim", result: "ClaimResult", run: claimTask},
		{method: "GET", path: "/api/v1/summary", op: "summary", tag: "agents",
			summary: "A compact overview: counts by status, active tasks by agent, overdue, next READY, recently completed.",
			query:   []param{filterParam}, result: "Summary", run: summary},
		{method: "GET", path: "/api/v1/projects", op: "listProjects", tag: "tasks",
			summary: "Projects of pending and recurring tasks, with counts.", result: "ItemsResult", run: projects},
		{method: "GET", path: "/api/v1/tags", op: "listTags", tag: "tasks",
			summary: "Tags of pending and recurring tasks, with counts.", result: "ItemsResult", run: tags},
		{method: "POST", path: "/api/v1/undo", op: "undo", tag: "history",
			summary: "Reverse the last command of the request's agent, as a whole; undone is null when there is none.",
			result:  "UndoResult", run: undo},
		{method: "GET", path: "/api/v1/changes", op: "streamChanges", tag: "history",
			summary: "Server-Sent Events: one change event per task changed, by any process, as it is committed; id is the journal sequence number (resume with Last-Event-ID or from).",
			query: []param{{"filter", "string", "Keep the changes whose task (after the change) matches; no implicit status"},
				{"from", "integer", "Start after this sequence number (0: from the first change; default: from now)"}},
			result: "Event", stream: streamChanges},
		{method: "GET", path: "/api/v1/openapi.json", op: "openapi", tag: "meta",
			summary: "This document.", result: "OpenAPI", run: func(c *call) (any, error) { return c.h.doc, nil }},

		{method: "GET", path: "/v1/backlog", op: "tinytownList", tag: "tinytown",
			summary: "Tinytown: the backlog, pending tasks no agent holds, most urgent first.",
			result:  "TinytownBacklog", run: tinytownList},
		{method: "POST", path: "/v1/backlog", op: "tinytownAdd", tag: "tinytown",
			summary: "Tinytown: add a task to the backlog.",
			body:    "TinytownTask", bodyRequired: true, status: http.StatusCreated, result: "TinytownAdded", run: tinytownAdd},
		{method: "POST", path: "/v1/backlog/{id}/claim", op: "tinytownClaim", tag: "tinytown",
			summary: "Tinytown: claim a backlog task for an agent.",
			body:    "TinytownAgent", bodyRequired: true, result: "TinytownClaimed", run: tinytownClaim},
		{method: "POST", path: "/v1/backlog/assign-all", op: "tinytownAssignAll", tag: "tinytown",
			summary: "Tinytown: hold every backlog task for one agent, as one undoable command.",
			body:    "TinytownAgent", bodyRequired: true, result: "TinytownAssigned", run: tinytownAssignAll},
		{method: "DELETE", path: "/v1/backlog/{id}", op: "tinytownRemove", tag: "tinytown",
			summary: "Tinytown: remove a task for good (undo brings it back).",
			result:  "TinytownRemoved", run: tinytownRemove},
	}
}
