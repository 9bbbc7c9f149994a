package hook

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
)

// ClaimSetting names the agent types whose sub-agents are handed a task as
// they start: a comma-separated list (backend,frontend), or "all". Unset,
// SubagentStart does nothing and opens nothing.
const ClaimSetting = "BACKLOG_SUBAGENT_CLAIM"

// claims reports whether the setting hands tasks to sub-agents of the type.
func claims(setting, agentType string) bool {
	for _, t := range strings.Split(setting, ",") {
		t = strings.TrimSpace(t)
		if strings.EqualFold(t, "all") || strings.EqualFold(t, agentType) {
			return true
		}
	}
	return false
}

// maxTaskJSON is the most of the claimed task's JSON handed to a
// sub-agent; a task with more (a long history of notes) is handed without
// its annotations.
const maxTaskJSON = 4096

// subagentStart claims for a starting sub-agent, when the setting names
// its type, the most urgent READY task for its role (the agent type): the
// tasks tagged +ROLE or in project ROLE first, then those that name no role
// (the engine's rule for a claim by role). The claim is atomic: two
// sub-agents starting at once never get the same task. The task goes into
// the sub-agent's context, with the calls that finish or hand it back.
func subagentStart(ctx context.Context, in *Input, env Env) (*Output, error) {
	setting := env.Getenv(ClaimSetting)
	if strings.TrimSpace(setting) == "" {
		return nil, nil
	}
	role, err := key("agent_type", in.AgentType)
	if err != nil {
		return nil, err
	}
	if !claims(setting, role) {
		return nil, nil
	}
	if err := backlog.ValidateAgent(role); err != nil {
		return nil, ignoredf("agent_type cannot be an agent id: %v", err)
	}
	eng, err := env.Engine(false)
	if err != nil {
		return nil, err
	}
	res, err := eng.Claim(ctx, engine.ClaimOptions{Agent: role})
	if err != nil || res.Task == nil {
		return nil, err
	}
	return addContext("SubagentStart", handOver(res.Task, role)), nil
}

// handOver tells a sub-agent which task it holds and how to finish it.
func handOver(t *backlog.Task, role string) string {
	task, err := json.Marshal(t)
	if err != nil || len(task) > maxTaskJSON {
		brief := t.Clone()
		brief.Annotations = nil
		task, _ = json.Marshal(brief)
	}
	id, _ := json.Marshal(t.Ref())
	var b strings.Builder
	fmt.Fprintf(&b, "Backlog: task %s was claimed for you (agent %q) as you started; work on it. The task: %s\n", t.Ref(), role, task)
	if t.HasDoc {
		fmt.Fprintf(&b, "Read its spec first: task_doc_read {\"id\":%s}.\n", id)
	}
	fmt.Fprintf(&b, "Record progress: task_annotate {\"id\":%s,\"text\":\"...\"}. "+
		"When it is done and verified: task_done {\"id\":%s}. "+
		"If you stop before that, hand it back: task_release {\"id\":%s,\"note\":\"done: ...; left: ...\",\"force\":\"yes\"}.", id, id, id)
	return b.String()
}
