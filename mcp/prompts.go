package mcp

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// prompt is a planning workflow offered as an MCP prompt: it tells the agent
// which tools to call, in which order, with which arguments.
type prompt struct {
	name, desc string
	args       []*sdk.PromptArgument
	needs      []string // the tools the workflow calls; without them it is not offered
	text       func(a map[string]string) string
}

// addPrompts registers the prompts whose tools are all served.
func (s *Server) addPrompts() {
	for _, p := range prompts() {
		if !slices.ContainsFunc(p.needs, func(t string) bool { return !s.has(t) }) {
			s.sdk.AddPrompt(&sdk.Prompt{Name: p.name, Description: p.desc, Arguments: p.args}, p.handler())
		}
	}
}

func (p *prompt) handler() sdk.PromptHandler {
	return func(ctx context.Context, req *sdk.GetPromptRequest) (*sdk.GetPromptResult, error) {
		args := map[string]string{}
		if req.Params != nil && req.Params.Arguments != nil {
			args = req.Params.Arguments
		}
		for name := range args {
			if !slices.ContainsFunc(p.args, func(a *sdk.PromptArgument) bool { return a.Name == name }) {
				return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: fmt.Sprintf("prompt %s has no argument %q", p.name, name)}
			}
		}
		for _, a := range p.args {
			args[a.Name] = strings.TrimSpace(args[a.Name])
			if a.Required && args[a.Name] == "" {
				return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: fmt.Sprintf("prompt %s needs the argument %q", p.name, a.Name)}
			}
		}
		return &sdk.GetPromptResult{
			Description: p.desc,
			Messages:    []*sdk.PromptMessage{{Role: "user", Content: &sdk.TextContent{Text: p.text(args)}}},
		}, nil
	}
}

// q quotes a value for the JSON examples in a prompt.
func q(s string) string { return string(compactJSON(s)) }

// scoped joins filter words, skipping empty ones.
func scoped(words ...string) string {
	var out []string
	for _, w := range words {
		if w != "" {
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}

func projectFilter(p string) string {
	if p == "" {
		return ""
	}
	return "project:" + p
}

func prompts() []*prompt {
	projectArg := &sdk.PromptArgument{Name: "project", Description: "Limit to this project (e.g. web.api)"}
	return []*prompt{
		{
			name:  "plan",
			desc:  "Break a goal down into backlog tasks with dependencies, priorities and specs",
			args:  []*sdk.PromptArgument{{Name: "goal", Description: "What to plan, e.g. SSO login", Required: true}, projectArg},
			needs: []string{"task_summary", "task_projects", "task_list", "task_import", "task_doc_write"},
			text: func(a map[string]string) string {
				p, f := a["project"], projectFilter(a["project"])
				where := "Choose a project name from task_projects, or a new one (letters, digits, _ and -, with . for sub-projects)."
				if p != "" {
					where = "Use the project " + q(p) + "."
				}
				pp := "P"
				if p != "" {
					pp = p
				}
				return fmt.Sprintf(`Plan %s as tasks in the backlog. %s

1. See what exists: task_summary {"filter": %s}, task_projects {}, and task_list {"filter": %s, "fields": "description,priority,depends"}. Do not plan work that is already there: depend on it instead.
2. Read enough of the code to know what the goal involves. Break it into tasks of at most a few hours each: one line each, starting with a verb, concrete enough for another agent to pick up cold.
3. Create them all with one task_import call. Give each object a short ref and name its prerequisites in depends by ref (or by id for existing tasks). Set project, priority (H on the critical path, M by default, L for nice-to-have) and tags. For example:
   {"tasks": [{"ref": "schema", "description": "Add the sessions table", "project": %s, "priority": "H"}, {"ref": "api", "description": "Add the login endpoint", "project": %s, "depends": ["schema"], "tags": ["api"]}]}
4. For each task that needs design decisions, write its spec: task_doc_write {"id": <id from the import>, "content": "# Goal\n...\n# Approach\n...\n# Done when\n..."} (or put the markdown in the object's doc field in step 3).
5. Finish with task_list {"filter": %s} and report the ids created, the order the dependencies impose, and which tasks are ready to start.`,
					q(a["goal"]), where, q(f), q(f), q(pp), q(pp), q(scoped(f, "+READY")))
			},
		},
		{
			name:  "standup",
			desc:  "Daily standup: what was done, what is in progress, what is blocked, what is next",
			args:  []*sdk.PromptArgument{projectArg},
			needs: []string{"task_summary", "task_list", "task_info"},
			text: func(a map[string]string) string {
				f := projectFilter(a["project"])
				return fmt.Sprintf(`Give a short standup for the backlog%s. Change nothing.

1. task_summary {"filter": %s}: counts, active tasks by agent, overdue tasks, the next READY tasks, and what was completed in the last 24 hours.
2. task_list {"filter": %s, "fields": "description,agent,end"} for everything completed in the last 24 hours.
3. task_list {"filter": %s, "fields": "description,agent,start"} for work in progress, and task_list {"filter": %s, "fields": "description,depends"} for what is stuck; task_info on a blocked task shows what it waits on.
4. Report in four short sections, at most 15 lines in all: Done; In progress (with who holds each); Blocked (and on what); Up next (the top READY tasks, with ids).`,
					inProject(a["project"]), q(f), q(scoped("status:completed end.after:now-1d", f)),
					q(scoped("(+ACTIVE or +CLAIMED)", f)), q(scoped("+BLOCKED", f)))
			},
		},
		{
			name:  "groom",
			desc:  "Groom the backlog: fix vague tasks, missing priorities, broken dependencies and stale items",
			args:  []*sdk.PromptArgument{projectArg},
			needs: []string{"task_list", "task_modify", "task_annotate", "task_delete", "task_import", "task_release", "task_undo"},
			text: func(a map[string]string) string {
				f := projectFilter(a["project"])
				return fmt.Sprintf(`Groom the backlog%s: every pending task should be clear, prioritised, correctly ordered and current.

1. task_list {"filter": %s, "fields": "description,project,priority,tags,due,depends,agent,start"} to see every pending task.
2. Fix what you find, batching ids where the same change applies (task_modify takes "filter": "3,7,12"):
   - a vague description (no verb, no object): task_modify {"filter": "12", "description": "Add rate limiting to the login endpoint"};
   - no priority: task_modify {"filter": "4,9", "priority": "M"};
   - a duplicate: task_annotate the task you keep with what the other said, then task_delete {"id": <the other>};
   - a wrong or missing dependency: task_modify {"filter": "12", "depends": "+7"} (or "-7" to remove);
   - a stale claim (task_list {"filter": %s}): task_release {"id": <id>, "note": "released while grooming: no progress", "force": "yes"};
   - a due date that no longer means anything (task_list {"filter": %s}): move it, or clear it with "due": "";
   - a task too big for one session: task_import its parts (with ref and depends), then task_delete it.
3. Ask before deleting anything you are unsure of. task_undo reverses your last command if one goes wrong.
4. Report each change in one line, by task id.`,
					inProject(a["project"]), q(f), q(scoped("+CLAIMED", f)), q(scoped("+OVERDUE", f)))
			},
		},
		{
			name:  "spec",
			desc:  "Write the spec of a task, as its markdown doc, before it is implemented",
			args:  []*sdk.PromptArgument{{Name: "id", Description: "The task's id or UUID", Required: true}},
			needs: []string{"task_info", "task_doc_read", "task_doc_write", "task_import", "task_annotate"},
			text: func(a map[string]string) string {
				id := q(a["id"])
				return fmt.Sprintf(`Write the spec of task %[1]s so that any agent can implement it without asking.

1. task_info {"id": %[1]s}: read its description, notes and depends. If has_doc is true, task_doc_read {"id": %[1]s} and improve that doc rather than start over.
2. Study the code the task touches, and the tasks it depends on (task_info on each).
3. task_doc_write {"id": %[1]s, "content": "..."} with markdown in these sections: Goal (one paragraph); Context (files, functions, constraints you found); Approach (numbered steps); Interfaces (signatures, data shapes, commands); Tests (what proves it works); Done when (a checklist); Out of scope.
4. If the spec shows the task is too big for one session, split it: task_import the parts (with depends between them), then task_annotate {"id": %[1]s, "text": "split into <ids>"}.
5. Reply with a five-line summary of the spec.`, id)
			},
		},
		{
			name: "implement",
			desc: "Claim a task, read its spec, implement it, record progress and complete it",
			args: []*sdk.PromptArgument{
				{Name: "id", Description: "The task to implement; default: the most urgent READY one"},
				projectArg,
			},
			needs: []string{"task_claim", "task_doc_read", "task_annotate", "task_add", "task_release", "task_done"},
			text: func(a map[string]string) string {
				take := `task_claim {} picks the most urgent READY task no one holds`
				if p := a["project"]; p != "" {
					take = fmt.Sprintf(`task_claim {"filter": %s} picks the most urgent READY task of the project that no one holds`, q(projectFilter(p)))
				}
				what := "the next ready task"
				if a["id"] != "" {
					take = fmt.Sprintf(`task_claim {"id": %s}`, q(a["id"]))
					what = "task " + q(a["id"])
				}
				return fmt.Sprintf(`Implement %s from the backlog.

1. Take it: %s. If the result is {"task": null}, nothing is ready: say so and stop. If the claim is refused, the error says why (held by another agent, blocked): report it and stop.
2. Read it: the description and annotations in the result; if has_doc is true, task_doc_read {"id": <id>} for the spec.
3. Work in small steps. After each meaningful one, record it: task_annotate {"id": <id>, "text": "migrated the users table; tests pass"}.
4. Work you discover that is outside this task becomes a new task: task_add {"description": "...", "project": "...", "depends": "<id>"}. Do not widen this one.
5. If you cannot finish, hand it back: task_release {"id": <id>, "note": "done: ...; left: ...; see: ..."}.
6. When it is done and verified (tests pass), task_done {"id": <id>}, and mention the tasks its result lists as unblocked.`, what, take)
			},
		},
		{
			name:  "handoff",
			desc:  "Prepare for the next session: record progress, release or stop active tasks, summarise the state",
			args:  []*sdk.PromptArgument{projectArg},
			needs: []string{"task_list", "task_annotate", "task_doc_read", "task_doc_write", "task_release", "task_done", "task_stop", "task_add", "task_summary"},
			text: func(a map[string]string) string {
				f := projectFilter(a["project"])
				on := ""
				if p := a["project"]; p != "" {
					on = " on project " + p
				}
				return fmt.Sprintf(`Hand off your work%s so that the next session, yours or another agent's, starts where you stop.

1. task_list {"filter": %s, "fields": "description,agent,start,has_doc"}: the tasks in progress. Deal with each one you worked on:
   - finished and verified: task_done {"id": <id>};
   - paused, and you will continue: task_annotate {"id": <id>, "text": "state: ...; next: ...; watch out: ..."}, then task_stop {"id": <id>};
   - someone else should continue: task_release {"id": <id>, "note": "state: ...; next: ..."}.
2. Where a line is not enough, add a "## Handoff" section to the task's doc: task_doc_read {"id": <id>} (if has_doc), then task_doc_write {"id": <id>, "content": <the doc with the new section>}.
3. Record work you discovered but did not do: task_add {"description": "...", "project": "..."}.
4. task_summary {"filter": %s}, then report in a few lines: what is active, what is next, and what the next session should start with.`,
					on, q(scoped("(+ACTIVE or +CLAIMED)", f)), q(f))
			},
		},
	}
}

func inProject(p string) string {
	if p == "" {
		return ""
	}
	return " of project " + p
}
