package board

import (
	"net/http"
	"time"
)

// heldTask is a claim on the agents view.
type heldTask struct {
	Ref, Description string
	Renewed, Ago     string
	Stale            bool
	Why              string // why it is stale
}

// agentRow is one agent and what it holds.
type agentRow struct {
	Name         string
	LastActivity string // when it last claimed or changed a task it holds
	Tasks        []heldTask
	Stale        int
}

// agentsBody is the agents view's data.
type agentsBody struct {
	Agents     []agentRow
	StaleAfter string
}

func (s *server) agentsPage(w http.ResponseWriter, r *http.Request) {
	e, ok := s.engine(w, r)
	if !ok {
		return
	}
	claims, err := e.Claims(r.Context())
	if err != nil {
		s.fail(w, r, e, err)
		return
	}
	now := e.Now()
	body := &agentsBody{StaleAfter: s.deps.StaleAfter.String()}
	var last time.Time
	for _, c := range claims {
		if len(body.Agents) == 0 || body.Agents[len(body.Agents)-1].Name != c.Agent {
			body.Agents = append(body.Agents, agentRow{Name: c.Agent})
			last = time.Time{}
		}
		row := &body.Agents[len(body.Agents)-1]
		h := heldTask{Ref: c.Task.Ref(), Description: c.Task.Description, Renewed: stamp(c.Renewed, now), Ago: ago(c.Renewed, now)}
		switch {
		case !c.Task.LeaseUntil.IsZero() && !c.Task.LeaseUntil.After(now):
			h.Stale, h.Why = true, "its lease lapsed "+ago(c.Task.LeaseUntil, now)
		case now.Sub(c.Renewed) >= s.deps.StaleAfter:
			h.Stale, h.Why = true, "no change by "+c.Agent+" for "+body.StaleAfter+" or more"
		}
		if h.Stale {
			row.Stale++
		}
		if c.Renewed.After(last) {
			last = c.Renewed
			row.LastActivity = ago(c.Renewed, now)
		}
		row.Tasks = append(row.Tasks, h)
	}
	p := s.newPage(w, r, e, "agents", "Agents")
	p.Body = body
	s.render(w, "agents", p)
}
