package api

import (
	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
)

// Tinytown's REST routes (its townhall server), so that its clients work
// against a backlog unchanged: the same paths, bodies and answers. Its
// backlog is the pending tasks no agent holds; task_id is the task's UUID
// (Tinytown's ids are UUIDs), and agent_id the agent's name, since agents
// here have no other id. Answers add our numeric id beside task_id.

// tinytownItem is one task of Tinytown's backlog list.
type tinytownItem struct {
	TaskID      string   `json:"task_id"`
	ID          int64    `json:"id"`
	Description string   `json:"description"`
	Tags        []string `json:"tags"`
}

func tinytownList(c *call) (any, error) {
	e, err := c.engine()
	if err != nil {
		return nil, err
	}
	l, err := e.List(c.ctx, engine.ListOptions{Filter: "agent.none:"})
	if err != nil {
		return nil, err
	}
	items := make([]tinytownItem, len(l.Tasks))
	for i, t := range l.Tasks {
		tags := t.Tags
		if tags == nil {
			tags = []string{}
		}
		items[i] = tinytownItem{TaskID: t.UUID, ID: t.ID, Description: t.Description, Tags: tags}
	}
	return map[string]any{"backlog": items, "count": len(items)}, nil
}

func tinytownAdd(c *call) (any, error) {
	var body struct {
		Description *string  `json:"description"`
		Tags        []string `json:"tags"`
	}
	if err := c.decode(&body, true); err != nil {
		return nil, err
	}
	if body.Description == nil {
		return nil, backlog.Invalidf("a new task needs the field \"description\"")
	}
	ch := &engine.Changes{Description: body.Description}
	if len(body.Tags) > 0 {
		ch.Tags = &engine.ListEdit{Replace: true, Set: body.Tags}
	}
	e, err := c.engine()
	if err != nil {
		return nil, err
	}
	r, err := e.Add(c.ctx, ch)
	if err != nil {
		return nil, err
	}
	return map[string]any{"task_id": r.Task.UUID, "id": r.Task.ID, "description": r.Task.Description}, nil
}

// tinytownAgent reads the {agent} body of claim and assign-all.
func tinytownAgent(c *call) (string, error) {
	var body struct {
		Agent *string `json:"agent"`
	}
	if err := c.decode(&body, true); err != nil {
		return "", err
	}
	if body.Agent == nil || *body.Agent == "" {
		return "", backlog.Invalidf("%s %s needs the field \"agent\"", c.rt.method, c.rt.path)
	}
	return *body.Agent, nil
}

func tinytownClaim(c *call) (any, error) {
	agent, err := tinytownAgent(c)
	if err != nil {
		return nil, err
	}
	e, err := c.engine()
	if err != nil {
		return nil, err
	}
	r, err := e.Claim(c.ctx, engine.ClaimOptions{Agent: agent, ID: c.id()})
	if err != nil {
		return nil, err
	}
	if r.Task == nil {
		return nil, backlog.Conflictf("task %s cannot be claimed", c.id())
	}
	return map[string]any{"task_id": r.Task.UUID, "id": r.Task.ID, "agent_id": r.Task.Agent, "agent_name": r.Task.Agent}, nil
}

func tinytownAssignAll(c *call) (any, error) {
	agent, err := tinytownAgent(c)
	if err != nil {
		return nil, err
	}
	e, err := c.engine()
	if err != nil {
		return nil, err
	}
	r, err := e.AssignAll(c.ctx, agent, "")
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(r.Tasks))
	for i, t := range r.Tasks {
		ids[i] = t.UUID
	}
	return map[string]any{"assigned": r.Modified, "tasks": ids}, nil
}

func tinytownRemove(c *call) (any, error) {
	if err := checkRef(c.id()); err != nil {
		return nil, err
	}
	e, err := c.engine()
	if err != nil {
		return nil, err
	}
	r, err := e.Remove(c.ctx, c.id())
	if err != nil {
		return nil, err
	}
	return map[string]any{"removed": true, "task_id": r.Task.UUID, "id": r.Task.ID}, nil
}
