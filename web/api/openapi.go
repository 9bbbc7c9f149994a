package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/agent-backlog/backlog/internal/version"
)

// obj is a JSON object of the OpenAPI document.
type obj = map[string]any

// openAPI is the OpenAPI 3.1 description of the routes.
func openAPI(rts []*route) obj {
	paths := obj{}
	for _, rt := range rts {
		item, _ := paths[rt.path].(obj)
		if item == nil {
			item = obj{}
			paths[rt.path] = item
		}
		item[strings.ToLower(rt.method)] = operation(rt)
	}
	return obj{
		"openapi": "3.1.0",
		"info": obj{
			"title":   "Backlog",
			"version": version.Current().String(),
			"description": "The backlog's REST API: the same commands and results as its MCP tools, each change journalled and undoable. " +
				"Errors are RFC 9457 problem documents whose detail is one sentence. On a loopback address no token is needed; " +
				"elsewhere every request needs Authorization: Bearer <BACKLOG_HTTP_TOKEN>. Changes are recorded under the server's agent " +
				"(BACKLOG_AGENT_ID), else the Backlog-Agent header, else \"api\"; undo is per agent.",
			"license": obj{"name": "see the repository", "identifier": "MIT"},
		},
		"servers":    []obj{{"url": "/"}},
		"security":   []obj{{}, {"bearer": []string{}}},
		"tags":       []obj{{"name": "tasks"}, {"name": "agents"}, {"name": "history"}, {"name": "tinytown", "description": "Tinytown's townhall routes, for its clients"}, {"name": "meta"}},
		"paths":      paths,
		"components": components(),
	}
}

// operation describes one route.
func operation(rt *route) obj {
	op := obj{"operationId": rt.op, "summary": rt.summary, "tags": []string{rt.tag}}
	var params []obj
	if strings.Contains(rt.path, "{id}") {
		params = append(params, obj{"name": "id", "in": "path", "required": true,
			"description": "A task id (12), a UUID, or a UUID prefix of at least 8 hex digits",
			"schema":      obj{"type": "string"}})
	}
	for _, p := range rt.query {
		params = append(params, obj{"name": p.name, "in": "query", "description": p.desc, "schema": obj{"type": p.kind}})
	}
	if rt.stream != nil {
		params = append(params, obj{"name": "Last-Event-ID", "in": "header", "description": "Resume after this sequence number (browsers send it when they reconnect)", "schema": obj{"type": "integer"}})
	}
	if len(params) > 0 {
		op["parameters"] = params
	}
	if rt.body != "" {
		op["requestBody"] = obj{"required": rt.bodyRequired, "content": obj{"application/json": obj{"schema": ref(rt.body)}}}
	}
	status := rt.status
	if status == 0 {
		status = http.StatusOK
	}
	ok := obj{"description": http.StatusText(status), "content": obj{"application/json": obj{"schema": ref(rt.result)}}}
	if rt.stream != nil {
		ok = obj{"description": "An event stream: each event is named change, carries an Event as its data and the sequence number as its id; an error event carries a Problem and ends the stream.",
			"content": obj{"text/event-stream": obj{"schema": obj{"type": "string"}}}}
	}
	op["responses"] = obj{strconv.Itoa(status): ok, "default": obj{"$ref": "#/components/responses/Problem"}}
	return op
}

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

// Schema shorthands.
var (
	str     = obj{"type": "string"}
	integer = obj{"type": "integer"}
	boolean = obj{"type": "boolean"}
	date    = obj{"type": "string", "format": "date-time"}
	strs    = obj{"type": "array", "items": str}
	ints    = obj{"type": "array", "items": integer}
)

func object(props obj, required ...string) obj {
	o := obj{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

func arrayOf(name string) obj { return obj{"type": "array", "items": ref(name)} }

// components are the document's shared schemas: tasks as TOOLS.md shapes
// them, the request bodies, and the answers.
func components() obj {
	fields := func() obj {
		return obj{
			"description": obj{"type": "string", "description": "One line, at most 500 bytes"},
			"project":     str, "priority": obj{"type": "string", "enum": []string{"H", "M", "L", ""}},
			"tags":      obj{"type": "array", "items": str, "description": "Replaces the tags; entries +x and -x add and remove instead"},
			"due":       obj{"type": "string", "description": "A date: 2026-03-01, friday, eow, now+3d"},
			"scheduled": str, "wait": str, "until": str,
			"recur":   obj{"type": "string", "description": "daily, weekly, monthly, 2w, P1M; needs due"},
			"depends": obj{"type": "array", "items": obj{"type": []string{"string", "integer"}}, "description": "Ids or UUIDs; +x and -x add and remove"},
			"agent":   str,
			"extra":   obj{"type": "object", "description": "User-defined attributes; null removes one", "additionalProperties": obj{"type": []string{"string", "number", "boolean", "null"}}},
		}
	}
	task := object(obj{
		"id": integer, "uuid": str, "description": str,
		"status":  obj{"type": "string", "enum": []string{"pending", "completed", "deleted", "recurring"}},
		"project": str, "priority": str, "tags": strs,
		"due": date, "scheduled": date, "wait": date, "until": date,
		"recur": str, "mask": str, "parent": str, "depends": strs, "agent": str,
		"lease": obj{"type": "integer", "description": "Seconds a claim lasts without a change"}, "lease_until": date,
		"source":      obj{"type": "object", "description": "The forge issue the task came from"},
		"annotations": obj{"type": "array", "items": object(obj{"entry": date, "description": str})},
		"has_doc":     boolean, "entry": date, "modified": date, "start": date, "end": date,
		"urgency":  obj{"type": "number"},
		"extra":    obj{"type": "object"},
		"archived": obj{"type": "string", "description": "The archive segment holding the task, read-only"},
	})
	task["description"] = "A task: only the fields that are set. Dates are UTC; depends lists UUIDs; urgency is computed."
	nullableTask := obj{"anyOf": []obj{ref("Task"), {"type": "null"}}}
	brief := object(obj{"id": integer, "description": str, "project": str, "priority": str, "due": str, "urgency": obj{"type": "number"}, "has_doc": boolean})
	newTask := object(fields(), "description")
	tinytownItem := object(obj{"task_id": str, "id": integer, "description": str, "tags": strs}, "task_id", "description", "tags")
	return obj{
		"securitySchemes": obj{"bearer": obj{"type": "http", "scheme": "bearer", "description": "BACKLOG_HTTP_TOKEN; required off loopback"}},
		"responses": obj{"Problem": obj{"description": "An RFC 9457 problem: 400 bad input, 401 no token, 403 refused origin or CSRF, 404 no such task, 409 refused by the task's state, 413 body too large, 503 the store cannot be reached",
			"content": obj{"application/problem+json": obj{"schema": ref("Problem")}}}},
		"schemas": obj{
			"Task":        task,
			"NewTask":     newTask,
			"TaskChanges": object(fields()),
			"Done":        object(obj{"note": obj{"type": "string", "description": "Also a comment on its issue"}, "close": obj{"type": "boolean", "description": "Close its issue"}}),
			"Annotation":  object(obj{"text": str}, "text"),
			"Doc":         object(obj{"content": obj{"type": "string", "description": "Markdown, up to 1 MiB"}}, "content"),
			"Release":     object(obj{"note": obj{"type": "string", "description": "A hand-off note"}, "force": obj{"type": "boolean", "description": "Release another agent's task"}}),
			"Claim": object(obj{
				"agent": obj{"type": "string", "description": "Default: the request's agent; alone, also a role that picks the work"},
				"id":    obj{"type": "string", "description": "Claim this task"}, "filter": obj{"type": "string", "description": "Narrow the pick (default +READY)"},
				"lease":   obj{"type": "string", "description": "Free the task when idle this long: 30min"},
				"reclaim": obj{"type": "string", "description": "First free claims idle this long: 2h"}}),
			"TaskResult":   object(obj{"task": ref("Task"), "unblocked": ints, "blocked_by": ints, "dependents": ints, "next": ref("Task")}, "task"),
			"ClaimResult":  object(obj{"task": nullableTask, "unblocked": ints, "blocked_by": ints, "dependents": ints, "next": ref("Task")}, "task"),
			"ListResult":   object(obj{"tasks": arrayOf("Task"), "more": obj{"type": "integer", "description": "Tasks that matched past the limit"}}, "tasks"),
			"ModifyResult": object(obj{"modified": integer, "tasks": arrayOf("Task")}, "modified", "tasks"),
			"CountResult":  object(obj{"count": integer}, "count"),
			"DocResult":    object(obj{"content": str}, "content"),
			"ItemsResult":  object(obj{"items": obj{"type": "array", "items": object(obj{"name": str, "count": integer}, "name", "count")}}, "items"),
			"UndoResult":   object(obj{"undone": obj{"type": []string{"string", "null"}}, "tasks": arrayOf("Task")}, "undone", "tasks"),
			"Summary": object(obj{
				"counts":      obj{"type": "object", "additionalProperties": integer},
				"active":      obj{"type": "array", "items": object(obj{"agent": str, "count": integer, "ids": ints})},
				"more_agents": integer,
				"overdue":     obj{"type": "array", "items": brief}, "overdue_count": integer,
				"next":      obj{"type": "array", "items": brief},
				"completed": obj{"type": "array", "items": brief}, "completed_count": integer,
				"since": str}, "counts"),
			"Event": object(obj{"seq": integer, "at": date, "agent": str, "command": str, "summary": str, "task": ref("Task"),
				"gone": boolean, "doc_changed": boolean}, "seq", "at", "agent", "command", "summary", "task"),
			"OpenAPI": obj{"type": "object", "description": "This document"},
			"Problem": object(obj{"type": str, "title": str, "status": integer, "detail": obj{"type": "string", "description": "What was wrong, in one sentence"}}, "type", "title", "status"),

			"TinytownTask":     object(obj{"description": str, "tags": strs}, "description"),
			"TinytownAgent":    object(obj{"agent": str}, "agent"),
			"TinytownBacklog":  object(obj{"backlog": obj{"type": "array", "items": tinytownItem}, "count": integer}, "backlog", "count"),
			"TinytownAdded":    object(obj{"task_id": str, "id": integer, "description": str}, "task_id", "description"),
			"TinytownClaimed":  object(obj{"task_id": str, "id": integer, "agent_id": str, "agent_name": str}, "task_id", "agent_id", "agent_name"),
			"TinytownAssigned": object(obj{"assigned": integer, "tasks": strs}, "assigned", "tasks"),
			"TinytownRemoved":  object(obj{"removed": boolean, "task_id": str, "id": integer}, "removed", "task_id"),
		},
	}
}
