package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/tasksmd"
	"github.com/agent-backlog/backlog/tasksmd/workspace"
)

// TasksMDToolset is the toolset of the TASKS.md tools: the tasks-mcp
// surface (list_tasks, pick_task, claim_task, unclaim_task, complete_task,
// add_task) over the TASKS.md files of a directory tree. It is served only
// when named (BACKLOG_TOOLSETS=...,tasksmd or `backlog serve --tasksmd`),
// never by default or by "all", and its tools never open the backlog.
const TasksMDToolset = "tasksmd"

// mdTool is one TASKS.md tool. Like tasks-mcp's, its result is plain text
// (one text block, no structuredContent, so no outputSchema); a failure is
// the format package's sentence with isError.
type mdTool struct {
	name        string
	desc        string
	args        []arg
	read        bool
	destructive bool
	run         func(ctx context.Context, w *workspace.Workspace, a argv) (string, error)
}

// mdTools are the TASKS.md tools, in tasks-mcp's order, with its argument
// names.
func mdTools() []*mdTool {
	query := arg{name: "query", kind: kString, required: true, desc: "Task ID, or words of its summary"}
	return []*mdTool{
		{name: "list_tasks", read: true,
			desc: "List TASKS.md tasks by priority, across every TASKS.md under the repository. " +
				`Returns JSON text {"summary","tasks":[{summary,priority,claimed,blocked,metadata,subtasks,file,line}]}.`,
			args: []arg{
				{name: "priority", kind: kString, desc: "P0-P3"},
				{name: "tag", kind: kString},
				{name: "unclaimed_only", kind: kBool},
				{name: "unblocked_only", kind: kBool},
			},
			run: listTasks},
		{name: "pick_task",
			desc: "Choose the next TASKS.md task: your own claim first, else the most urgent unclaimed, unblocked one " +
				"(tags preferred). With agent_name it also claims it, atomically. Returns the pick as text.",
			args: []arg{
				{name: "task_id", kind: kString, desc: "Pick this task (ID or summary words)"},
				{name: "tags", kind: kList, desc: "Prefer tasks with one of these"},
				{name: "agent_name", kind: kString, desc: "Resume this agent's claim; claim the pick for it"},
			},
			run: pickTask},
		{name: "claim_task",
			desc: "Mark a TASKS.md task as yours: appends (@agent_name) to its line; of two claimers exactly one wins. Returns text.",
			args: []arg{query, {name: "agent_name", kind: kString, required: true}},
			run: func(ctx context.Context, w *workspace.Workspace, a argv) (string, error) {
				q, err := queryArg(a)
				if err != nil {
					return "", err
				}
				return edit(ctx, w, func(qu *tasksmd.Queue) (tasksmd.Edit, error) { return qu.Claim(q, a.str("agent_name")) })
			}},
		{name: "unclaim_task",
			desc: "Take the (@agent) claim off a TASKS.md task so others may pick it. Returns text.",
			args: []arg{query},
			run: func(ctx context.Context, w *workspace.Workspace, a argv) (string, error) {
				q, err := queryArg(a)
				if err != nil {
					return "", err
				}
				return edit(ctx, w, func(qu *tasksmd.Queue) (tasksmd.Edit, error) { return qu.Unclaim(q) })
			}},
		{name: "complete_task", destructive: true,
			desc: "Finish a TASKS.md task: removes its whole block from the file (history is in git). Returns text.",
			args: []arg{query},
			run: func(ctx context.Context, w *workspace.Workspace, a argv) (string, error) {
				q, err := queryArg(a)
				if err != nil {
					return "", err
				}
				return edit(ctx, w, func(qu *tasksmd.Queue) (tasksmd.Edit, error) { return qu.Complete(q) })
			}},
		{name: "add_task",
			desc: "Append a task to its priority section of a TASKS.md (the first one unless file). Returns text.",
			args: []arg{
				{name: "summary", kind: kString, required: true, desc: "One line"},
				{name: "priority", kind: kString, desc: "P0-P3, default P2"},
				{name: "id", kind: kString, desc: "kebab-case, for tasks others wait on"},
				{name: "tags", kind: kList},
				{name: "details", kind: kString},
				{name: "files", kind: kList},
				{name: "acceptance", kind: kString},
				{name: "blocked_by", kind: kList, desc: "IDs to finish first"},
				{name: "file", kind: kString, desc: "TASKS.md path from the repository root"},
			},
			run: addTask},
	}
}

// sdkTool is the tool as tools/list shows it, with every hint explicit.
func (t *mdTool) sdkTool() *sdk.Tool {
	destructive, openWorld := t.destructive, false
	return &sdk.Tool{
		Name:        t.name,
		Description: t.desc,
		InputSchema: inputSchema(t.args),
		Annotations: &sdk.ToolAnnotations{
			ReadOnlyHint:    t.read,
			DestructiveHint: &destructive,
			IdempotentHint:  t.read,
			OpenWorldHint:   &openWorld,
		},
	}
}

// addTasksMD registers the TASKS.md tools when the options name their
// toolset; read-only serves list_tasks alone.
func (s *Server) addTasksMD() {
	if !slices.Contains(s.opts.Toolsets, TasksMDToolset) {
		return
	}
	for _, t := range mdTools() {
		if s.opts.ReadOnly && !t.read {
			continue
		}
		s.sdk.AddTool(t.sdkTool(), s.mdHandler(t))
	}
}

// mdHandler runs a TASKS.md tool call: read the arguments, find the
// workspace, run the tool, and answer with its text.
func (s *Server) mdHandler(t *mdTool) sdk.ToolHandler {
	return func(ctx context.Context, req *sdk.CallToolRequest) (res *sdk.CallToolResult, err error) {
		start := time.Now()
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("tool panicked", "tool", t.name, "panic", p)
				res, err = errorResult(fmt.Errorf("internal error in %s: %v", t.name, p)), nil
			}
			if res != nil {
				s.log.Debug("tool call", "tool", t.name, "error", res.IsError, "duration", time.Since(start))
			}
		}()
		var raw json.RawMessage
		if req.Params != nil {
			raw = req.Params.Arguments
		}
		text, err := s.runMD(ctx, t, raw)
		var perr *protocolError
		switch {
		case errors.As(err, &perr):
			return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: perr.msg}
		case err != nil:
			var mdErr *tasksmd.Error
			if !isUserError(err) && !errors.As(err, &mdErr) { // an environment failure
				s.log.Warn("tool failed", "tool", t.name, "error", err)
			}
			return errorResult(err), nil
		}
		return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: text}}}, nil
	}
}

func (s *Server) runMD(ctx context.Context, t *mdTool, raw json.RawMessage) (string, error) {
	a, err := readArgs(t.name, t.args, raw)
	if err != nil {
		return "", err
	}
	w, err := s.tasksWorkspace()
	if err != nil {
		return "", err
	}
	return t.run(ctx, w, a)
}

// tasksWorkspace is the tree the TASKS.md tools serve: TasksMDDir, else the
// git root of the working directory, else the working directory.
func (s *Server) tasksWorkspace() (*workspace.Workspace, error) {
	if s.opts.TasksMDDir != "" {
		return workspace.Find(s.opts.TasksMDDir, "")
	}
	wd, err := os.Getwd()
	if err != nil {
		return nil, backlog.Environmentf(err, "cannot find the working directory to look for TASKS.md files: %v", err)
	}
	return workspace.Find("", wd)
}

// queryArg is the query argument, which must name something: an empty
// query would match the first task of the queue.
func queryArg(a argv) (string, error) {
	q := a.str("query")
	if strings.TrimSpace(q) == "" {
		return "", backlog.Invalidf("query must name a task: its ID or words of its summary, got %q", q)
	}
	return q, nil
}

// edit applies an edit under the file's lock and returns its message; a
// refusal keeps the format package's sentence whole.
func edit(ctx context.Context, w *workspace.Workspace, fn func(q *tasksmd.Queue) (tasksmd.Edit, error)) (string, error) {
	e, err := w.Edit(ctx, fn)
	if err != nil {
		return "", err
	}
	return e.Message, nil
}

// checkPriority refuses a priority other than P0-P3 (any case), with
// add_task's sentence.
func checkPriority(p string) error {
	if err := (tasksmd.TaskSpec{Summary: "x", Priority: p}).Validate(); err != nil {
		return err
	}
	return nil
}

func listTasks(ctx context.Context, w *workspace.Workspace, a argv) (string, error) {
	if p := a.str("priority"); p != "" {
		if err := checkPriority(p); err != nil {
			return "", err
		}
	}
	q, err := w.Load(ctx)
	if err != nil {
		return "", err
	}
	tasks := q.List(tasksmd.ListOptions{Priority: a.str("priority"), Tag: strings.TrimSpace(a.str("tag")),
		Unclaimed: a.flag("unclaimed_only"), Unblocked: a.flag("unblocked_only")})
	return q.ListJSON(tasks), nil
}

// errNothingLeft ends a claiming pick that finds nothing under the lock.
var errNothingLeft = errors.New("nothing left to pick")

// pickTask is pick_task. Its text is the `pick` command's: "Picked
// "<summary>" (P1)" and the indented File, ID, Tags, Unblocks and
// Candidates lines, or the no-pick sentence (not an error). With
// agent_name a fresh pick is claimed in the same locked write and the
// claim_task sentence follows on its own line; the agent's own claim,
// picked again, is followed by `Resumed your claim (@agent).`.
func pickTask(ctx context.Context, w *workspace.Workspace, a argv) (string, error) {
	agent := strings.TrimSpace(a.str("agent_name"))
	var tags []string
	if l, ok := a["tags"].([]string); ok {
		for _, t := range l {
			if t != "" {
				tags = append(tags, t)
			}
		}
	}
	q, err := w.Load(ctx)
	if err != nil {
		return "", err
	}
	var p *tasksmd.Pick
	if id := a.str("task_id"); id != "" {
		t := q.Find(id)
		if t == nil {
			return "", &tasksmd.Error{Kind: tasksmd.ErrNotFound, Msg: fmt.Sprintf("No task found matching %q.", id)}
		}
		p = &tasksmd.Pick{Task: t, Candidates: 1, Unblocks: unblocks(q, t)}
		if agent != "" && t.Claimed != "" && strings.EqualFold(strings.TrimPrefix(t.Claimed, "@"), strings.TrimPrefix(agent, "@")) {
			p.Resumed = true
		}
	} else {
		p = q.Pick(tasksmd.PickOptions{Agent: agent, Tags: tags})
	}
	if p == nil {
		return strings.TrimSuffix(tasksmd.NoPickText, "\n"), nil
	}
	if agent == "" {
		return strings.TrimSuffix(tasksmd.PickText(p), "\n"), nil
	}
	if p.Resumed {
		return tasksmd.PickText(p) + fmt.Sprintf("Resumed your claim (@%s).", strings.TrimPrefix(agent, "@")), nil
	}
	taskID := a.str("task_id")
	msg, err := edit(ctx, w, func(q *tasksmd.Queue) (tasksmd.Edit, error) {
		if taskID != "" {
			e, err := q.Claim(taskID, agent)
			if err == nil {
				t := q.Find(taskID)
				p = &tasksmd.Pick{Task: t, Candidates: 1, Unblocks: unblocks(q, t)}
			}
			return e, err
		}
		p = q.Pick(tasksmd.PickOptions{Agent: agent, Tags: tags})
		if p == nil {
			return tasksmd.Edit{}, errNothingLeft
		}
		if p.Resumed { // another process of this agent claimed it meanwhile
			return tasksmd.Edit{}, errNothingLeft
		}
		return q.Claim(p.Task.Summary, agent)
	})
	if errors.Is(err, errNothingLeft) {
		if p != nil {
			return tasksmd.PickText(p) + fmt.Sprintf("Resumed your claim (@%s).", strings.TrimPrefix(agent, "@")), nil
		}
		return strings.TrimSuffix(tasksmd.NoPickText, "\n"), nil
	}
	if err != nil {
		return "", err
	}
	return tasksmd.PickText(p) + msg, nil
}

// unblocks counts the tasks that list t's ID in their Blocked by.
func unblocks(q *tasksmd.Queue, t *tasksmd.Task) int {
	id := t.ID()
	if id == "" {
		return 0
	}
	n := 0
	for _, o := range q.Tasks() {
		if slices.Contains(o.BlockedBy(), id) {
			n++
		}
	}
	return n
}

func addTask(ctx context.Context, w *workspace.Workspace, a argv) (string, error) {
	join := func(name, sep string) string {
		l, _ := a[name].([]string)
		var out []string
		for _, v := range l {
			if v != "" {
				out = append(out, v)
			}
		}
		return strings.Join(out, sep)
	}
	spec := tasksmd.TaskSpec{Summary: a.str("summary"), Priority: a.str("priority"), ID: a.str("id"),
		Tags: join("tags", ","), Details: a.str("details"), Files: join("files", ", "),
		Acceptance: a.str("acceptance"), BlockedBy: join("blocked_by", ", ")}
	file, err := queuePath(w, a.str("file"))
	if err != nil {
		return "", err
	}
	return edit(ctx, w, func(q *tasksmd.Queue) (tasksmd.Edit, error) { return q.Add(file, spec) })
}

// queuePath is the queue path of add_task's file argument: a path from the
// workspace root (or an absolute path inside it), with forward slashes.
func queuePath(w *workspace.Workspace, file string) (string, error) {
	file = strings.TrimSpace(file)
	if file == "" {
		return "", nil
	}
	if filepath.IsAbs(file) {
		rel, err := filepath.Rel(w.Root, file)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return "", backlog.Invalidf("file %q is outside %s, whose TASKS.md files this server edits", file, w.Root)
		}
		file = rel
	}
	return filepath.ToSlash(filepath.Clean(file)), nil
}

// WithTasksMD adds TasksMDToolset to a choice of toolsets (`backlog serve
// --tasksmd`): to the default ones when none is chosen.
func WithTasksMD(sets []string) []string {
	if slices.Contains(sets, TasksMDToolset) {
		return sets
	}
	if len(sets) == 0 {
		sets = []string{"all"}
	}
	return append(slices.Clone(sets), TasksMDToolset)
}
