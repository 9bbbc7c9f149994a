package engine

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store"
)

// ClaimOptions say what to claim and for whom.
type ClaimOptions struct {
	// Agent takes the task; empty means the engine's agent. Given without
	// an ID or a Filter, it is also a role that picks the work (see Claim).
	Agent string
	// ID claims that task; otherwise the most urgent READY task matching
	// Filter that no agent holds.
	ID string
	// Filter narrows the pick; empty means +READY alone.
	Filter string
	// Lease, when given (30min, 2h), lets the claim lapse once the agent
	// has gone that long without changing the task: the next claim by
	// anyone then returns it to the pool. Empty means the claim holds until
	// it is released (or reclaimed).
	Lease string
}

// Claim atomically takes a task for an agent: it sets agent and start.
// Without an id it picks, among the READY tasks matching the filter that no
// agent holds, the most urgent; ties go to the task that unblocks the most
// others, then to the oldest. With nothing left it returns a Result whose
// Task is nil. Two claims at once never get the same task: the pick and the
// update are one write transaction.
//
// An agent named without an id or a filter is a role (Tinytown's rule: an
// idle agent takes only work that matches it): the claim takes the role's
// own work first (tagged +ROLE, or in project ROLE or ROLE.*), then work
// that names no role at all (no project, no tag but the doc tag); never a
// task tagged or filed for anything else. A filter takes that.
//
// Every claim first returns to the pool the held tasks whose lease has
// lapsed, in the same transaction and journal entry, so that undo gives
// them back too.
func (e *Engine) Claim(ctx context.Context, opts ClaimOptions) (*Result, error) {
	agent := strings.TrimSpace(opts.Agent)
	byRole := agent != "" && strings.TrimSpace(opts.ID) == "" && strings.TrimSpace(opts.Filter) == ""
	if agent == "" {
		agent = e.agent
	}
	if err := backlog.ValidateAgent(agent); err != nil {
		return nil, err
	}
	var lease time.Duration
	if strings.TrimSpace(opts.Lease) != "" {
		var err error
		if lease, err = ParseLease(opts.Lease); err != nil {
			return nil, err
		}
	}
	res := &Result{}
	err := e.write(ctx, func(o *op) error {
		*res = Result{} // a store may run this again: keep nothing of a run it threw away
		expired, err := o.expireLeases()
		if err != nil {
			return err
		}
		var t *backlog.Task
		switch {
		case strings.TrimSpace(opts.ID) != "":
			t, err = o.claimable(opts.ID, agent)
		case byRole:
			t, err = o.pickForRole(agent)
		default:
			t, err = o.pick(opts.Filter)
		}
		if err != nil {
			return err
		}
		var words []string
		if len(expired) > 0 {
			words = append(words, expiredWords(expired))
		}
		if t != nil {
			after := t.Clone()
			after.Agent = agent
			if after.Start.IsZero() {
				after.Start = o.now
			}
			if lease > 0 || t.Agent != agent {
				o.grantLease(after, lease)
			}
			if sameTask(t, after) {
				res.Task, err = viewOne(ctx, o.tx, t, o.now)
				if err != nil || len(expired) == 0 {
					return err
				}
			} else {
				if err := o.update(t, after); err != nil {
					return err
				}
				claimed := "claim " + taskWords(t) + " for " + agent
				if lease > 0 {
					claimed += " with a " + FormatLease(lease) + " lease"
				}
				words = append(words, claimed)
				if res.Task, err = viewOne(ctx, o.tx, after, o.now); err != nil {
					return err
				}
			}
		}
		if len(words) == 0 {
			return nil
		}
		return o.commit("claim", strings.Join(words, "; "))
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// claimable resolves a task claimed by id and says why it cannot be taken.
func (o *op) claimable(ref, agent string) (*backlog.Task, error) {
	t, err := resolve(o.ctx, o.tx, ref)
	if err != nil {
		return nil, err
	}
	if err := mustBeLive(t, "claimed"); err != nil {
		return nil, err
	}
	if t.Agent != "" && t.Agent != agent {
		return nil, backlog.Conflictf("task %s is held by %s: release it first (a release with force)", t.Ref(), t.Agent)
	}
	blockers, err := o.liveDeps(t)
	if err != nil {
		return nil, err
	}
	if len(blockers) > 0 {
		ids := make([]string, len(blockers))
		for i, b := range blockers {
			ids[i] = ref64(b)
		}
		word := "task"
		if len(ids) > 1 {
			word = "tasks"
		}
		return nil, backlog.Conflictf("task %s is blocked by %s %s", t.Ref(), word, joinWords(ids))
	}
	if t.EffectiveStatus(o.now) == backlog.StatusWaiting {
		return nil, backlog.Conflictf("task %s is waiting until %s", t.Ref(), t.Wait.UTC().Format(backlog.DateLayout))
	}
	return t, nil
}

// pick chooses the task a claim without an id takes, or nil.
func (o *op) pick(filterSrc string) (*backlog.Task, error) {
	expr, err := parseFilter(o.ctx, o.tx, filterSrc, o.now)
	if err != nil {
		return nil, err
	}
	return o.pickWhere(expr)
}

// pickForRole chooses the task a role takes: its own work first, then work
// that names no role; nil when neither has any.
func (o *op) pickForRole(role string) (*backlog.Task, error) {
	for _, expr := range roleFilters(role, o.now) {
		t, err := o.pickWhere(expr)
		if err != nil || t != nil {
			return t, err
		}
	}
	return nil, nil
}

// otherThanDoc is a tags regex that matches any tag but "doc" (RE2 has no
// lookahead): a task whose tags it never matches has no tag but the one a
// doc adds.
const otherThanDoc = `tags.regex:^(?:[^d].*|d(?:[^o].*)?|do(?:[^c].*)?|doc.+)$`

// roleFilters are the picks a role tries in turn: the role's own work (as
// a tag, when the name can be one; as a project and its sub-projects, when
// it can be one), then work that names no role at all.
func roleFilters(role string, now time.Time) []filter.Expr {
	var own filter.Expr
	or := func(x filter.Expr) {
		if own == nil {
			own = x
			return
		}
		own = &filter.BinaryExpr{X: own, Op: filter.OR, Y: x}
	}
	if backlog.ValidateTag(role) == nil {
		or(&filter.TagExpr{Include: true, Name: role})
	}
	if backlog.ValidateProject(role) == nil {
		if x, err := filter.Parse("project:"+role, filter.Options{Now: now}); err == nil {
			or(x)
		}
	}
	unlabelled, err := filter.Parse("project.none: not "+otherThanDoc, filter.Options{Now: now})
	if err != nil {
		panic("engine: the filter of unlabelled work does not parse: " + err.Error())
	}
	if own == nil {
		return []filter.Expr{unlabelled}
	}
	return []filter.Expr{&filter.ParenExpr{X: own}, unlabelled}
}

// pickWhere chooses the most urgent free READY task the expression (nil:
// any) selects, or nil.
func (o *op) pickWhere(expr filter.Expr) (*backlog.Task, error) {
	ready := &filter.TagExpr{Include: true, Name: "READY", Virtual: true}
	free := &filter.AttrExpr{Name: "agent", Mod: filter.ModNoneOf, ModText: "none", Kind: filter.KindString}
	var q filter.Expr = &filter.BinaryExpr{X: ready, Op: filter.AND, Y: free}
	if expr != nil {
		q = &filter.BinaryExpr{X: q, Op: filter.AND, Y: &filter.ParenExpr{X: expr}}
	}
	// The store may rank: the best few dozen by urgency hold the winner
	// (ties beyond that are broken by unblocks and age among them).
	cands, err := o.tx.Select(o.ctx, store.Query{Filter: q, Now: o.now, Top: claimCandidates, Rank: store.RankUrgency})
	if err != nil || len(cands) == 0 {
		return nil, err
	}
	g, err := o.tx.Graph(o.ctx)
	if err != nil {
		return nil, err
	}
	type scored struct {
		t        *backlog.Task
		urgency  float64
		unblocks int
	}
	ranked := make([]scored, 0, len(cands))
	for _, t := range cands {
		s := scored{t: t, urgency: backlog.Urgency(t, o.now, g.Blocked(t), g.Blocking(t))}
		if g.Blocking(t) {
			deps, err := o.tx.Dependents(o.ctx, t.UUID)
			if err != nil {
				return nil, err
			}
			s.unblocks = len(deps)
		}
		ranked = append(ranked, s)
	}
	slices.SortFunc(ranked, func(a, b scored) int {
		switch {
		case better(a.urgency, a.unblocks, a.t, b.urgency, b.unblocks, b.t):
			return -1
		case better(b.urgency, b.unblocks, b.t, a.urgency, a.unblocks, a.t):
			return 1
		}
		return 0
	})
	// Take the best candidate no other transaction holds; on a shared
	// database another machine may have claimed it since we read it.
	for _, c := range ranked {
		ok, err := o.tx.TryLock(o.ctx, c.t.UUID)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		t, err := o.tx.TaskByUUID(o.ctx, c.t.UUID)
		if err != nil {
			return nil, err
		}
		if t.Agent == "" && t.EffectiveStatus(o.now) == backlog.StatusPending {
			return t, nil
		}
	}
	return nil, nil
}

// claimCandidates is how many of the most urgent free READY tasks a claim
// considers: enough to break ties by unblocks and age and, on PostgreSQL,
// to step over those other claimers hold (that store returns every match).
const claimCandidates = 16

// better orders claim candidates: more urgent, then unblocking more, then
// older (earlier entry, then lower id).
func better(u1 float64, n1 int, t1 *backlog.Task, u2 float64, n2 int, t2 *backlog.Task) bool {
	if c := cmp.Compare(roundU(u1), roundU(u2)); c != 0 {
		return c > 0
	}
	if n1 != n2 {
		return n1 > n2
	}
	if c := t1.Entry.Compare(t2.Entry); c != 0 {
		return c < 0
	}
	return t1.ID < t2.ID
}

// roundU compares urgencies as they print, so that age drift in the last
// digits does not decide a tie.
func roundU(u float64) float64 { return float64(int64(u*1e4+0.5)) / 1e4 }

func ref64(id int64) string { return (&backlog.Task{ID: id}).Ref() }

// Release hands a claimed task back: it clears agent and start, and a note
// becomes an annotation (a hand-off). Releasing another agent's task needs
// force.
func (e *Engine) Release(ctx context.Context, ref, note string, force bool) (*Result, error) {
	note = strings.TrimSpace(note)
	if note != "" {
		if err := backlog.ValidateAnnotation(note); err != nil {
			return nil, err
		}
	}
	return e.one(ctx, ref, func(o *op, t *backlog.Task, r *Result) (string, error) {
		if t.Agent == "" && t.Start.IsZero() {
			return "", backlog.Conflictf("task %s is not claimed", t.Ref())
		}
		if t.Agent != "" && t.Agent != e.agent && !force {
			return "", backlog.Conflictf("task %s is held by %s: releasing another agent's task needs force", t.Ref(), t.Agent)
		}
		after := t.Clone()
		after.Agent = ""
		after.Start = time.Time{}
		if note != "" {
			after.Annotations = append(after.Annotations, backlog.Annotation{Entry: o.now, Description: note})
		}
		r.Task = after
		return "release", o.update(t, after)
	})
}

// Summary is a compact overview of a backlog for the start of a session.
// Every list in it is capped, so that it stays under 1,500 bytes of JSON
// whatever the backlog's size: it is printed by session-start hooks and read
// by agents that pay for every token.
type Summary struct {
	Counts     map[string]int `json:"counts"`           // by effective status
	Active     []AgentWork    `json:"active,omitempty"` // started or claimed live tasks, by agent
	MoreActive int            `json:"more_agents,omitempty"`
	Overdue    []Brief        `json:"overdue,omitempty"` // the most overdue first
	OverdueN   int            `json:"overdue_count,omitempty"`
	Next       []Brief        `json:"next,omitempty"` // the most urgent READY unclaimed tasks
	Completed  []Brief        `json:"completed,omitempty"`
	DoneN      int            `json:"completed_count,omitempty"`
	Since      string         `json:"since"` // completed since
}

// AgentWork is one agent's live work in a summary ("" = started, unclaimed).
type AgentWork struct {
	Agent string  `json:"agent"`
	Count int     `json:"count"`
	IDs   []int64 `json:"ids"` // the first few
}

// Brief is a task in a summary: enough to pick it, nothing more.
type Brief struct {
	ID          int64   `json:"id"`
	Description string  `json:"description"`
	Project     string  `json:"project,omitempty"`
	Priority    string  `json:"priority,omitempty"`
	Due         string  `json:"due,omitempty"` // the day, UTC
	Urgency     float64 `json:"urgency,omitempty"`
	HasDoc      bool    `json:"has_doc,omitempty"`
}

// SummaryOptions narrow a summary.
type SummaryOptions struct {
	Filter string    // applies to every part; empty means the whole backlog
	Since  time.Time // completed since; zero means the last 24 hours
}

// Caps on a summary's lists, and its budget in bytes of JSON.
const (
	maxAgents     = 5
	maxAgentIDs   = 5
	maxNext       = 5
	maxOverdue    = 3
	maxCompleted  = 3
	SummaryBudget = 1500
)

// Summary returns the overview.
func (e *Engine) Summary(ctx context.Context, opts SummaryOptions) (*Summary, error) {
	sum := &Summary{Counts: map[string]int{}}
	err := e.store.Read(ctx, func(tx store.Tx) error {
		now := e.Now()
		since := opts.Since
		if since.IsZero() {
			since = now.Add(-24 * time.Hour)
		}
		sum.Since = since.UTC().Format(backlog.DateLayout)
		expr, err := parseFilter(ctx, tx, opts.Filter, now)
		if err != nil {
			return err
		}
		and := func(x filter.Expr) filter.Expr {
			if expr == nil {
				return x
			}
			return &filter.BinaryExpr{X: x, Op: filter.AND, Y: &filter.ParenExpr{X: expr}}
		}
		counts, err := tx.Tally(ctx, store.Query{Filter: expr, Now: now}, store.TallyStatus, 0)
		if err != nil {
			return err
		}
		for _, c := range counts {
			sum.Counts[c.Value] = c.Count
		}
		g, err := tx.Graph(ctx)
		if err != nil {
			return err
		}
		// sel selects with the summary's filter; top > 0 lets the store
		// return only the first by rank (with slack: the order is redone
		// here exactly), count counts in the store.
		parse := func(src string) (filter.Expr, error) {
			x, err := filter.Parse(src, filter.Options{Now: now})
			return and(x), err
		}
		sel := func(src string, top int, rank store.Rank) ([]*backlog.Task, error) {
			x, err := parse(src)
			if err != nil {
				return nil, err
			}
			ts, err := tx.Select(ctx, store.Query{Filter: x, Now: now, Top: top, Rank: rank})
			return view(ts, g, now), err
		}
		count := func(src string) (int, error) {
			x, err := parse(src)
			if err != nil {
				return 0, err
			}
			return tx.Count(ctx, store.Query{Filter: x, Now: now})
		}
		// The store orders by due and end exactly, by urgency to within
		// ties; the lists are ordered again here, so a little slack is
		// enough.
		const slack = 3
		x, err := parse("(+ACTIVE or +CLAIMED)")
		if err != nil {
			return err
		}
		working, err := tx.Tally(ctx, store.Query{Filter: x, Now: now}, store.TallyAgent, maxAgentIDs)
		if err != nil {
			return err
		}
		for _, w := range working {
			sum.Active = append(sum.Active, AgentWork{Agent: w.Value, Count: w.Count, IDs: w.IDs})
		}
		if len(sum.Active) > maxAgents {
			sum.MoreActive = len(sum.Active) - maxAgents
			sum.Active = sum.Active[:maxAgents]
		}
		overdue, err := sel("+OVERDUE", maxOverdue+slack, store.RankDue)
		if err != nil {
			return err
		}
		slices.SortFunc(overdue, func(a, b *backlog.Task) int { return a.Due.Compare(b.Due) })
		if sum.OverdueN, err = count("+OVERDUE"); err != nil {
			return err
		}
		next, err := sel("+READY agent.none:", maxNext+slack, store.RankUrgency)
		if err != nil {
			return err
		}
		sortTasks(next, []SortKey{{Field: "urgency", Desc: true}})

		doneSrc := "status:completed end.after:" + since.UTC().Format(backlog.DateLayout)
		done, err := sel(doneSrc, maxCompleted+slack, store.RankEnd)
		if err != nil {
			return err
		}
		sortTasks(done, []SortKey{{Field: "end", Desc: true}})
		if sum.DoneN, err = count(doneSrc); err != nil {
			return err
		}
		fit(sum, overdue, next, done)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sum, nil
}

// fit fills the summary's lists as fully as its byte budget allows: it
// starts generous and, while the JSON is too long, shortens descriptions,
// drops the extras of each brief, then trims the lists. Counts are never
// cut, so nothing is hidden: an agent learns how many there are.
func fit(sum *Summary, overdue, next, done []*backlog.Task) {
	type shape struct {
		desc             int  // bytes of a description
		extras           bool // project, priority, urgency
		next, over, comp int  // list lengths
		agents, agentIDs int
	}
	shapes := []shape{
		{48, true, maxNext, maxOverdue, maxCompleted, maxAgents, maxAgentIDs},
		{40, true, maxNext, maxOverdue, maxCompleted, maxAgents, maxAgentIDs},
		{40, false, maxNext, maxOverdue, maxCompleted, 3, 3},
		{32, false, maxNext, 2, 2, 3, 3},
		{24, false, maxNext, 2, 2, 2, 3},
		{24, false, 3, 1, 1, 2, 2},
		{16, false, 3, 1, 1, 1, 1},
	}
	active := sum.Active
	more := sum.MoreActive
	for _, sh := range shapes {
		sum.Next = briefs(next, sh.next, sh.desc, sh.extras)
		sum.Overdue = briefs(overdue, sh.over, sh.desc, false)
		sum.Completed = briefs(done, sh.comp, sh.desc, false)
		for i := range sum.Overdue {
			sum.Overdue[i].Due = dayOf(overdue[i])
		}
		sum.Active, sum.MoreActive = nil, more
		for i, w := range active {
			if i == sh.agents {
				sum.MoreActive += len(active) - i
				break
			}
			w.IDs = w.IDs[:min(len(w.IDs), sh.agentIDs)]
			sum.Active = append(sum.Active, w)
		}
		if b, err := json.Marshal(sum); err == nil && len(b) <= SummaryBudget {
			return
		}
	}
}

func briefs(ts []*backlog.Task, n, desc int, extras bool) []Brief {
	var out []Brief
	for _, t := range ts[:min(n, len(ts))] {
		d := t.Description
		if len(d) > desc {
			d = truncateUTF8(d, desc-3) + "..."
		}
		b := Brief{ID: t.ID, Description: d, HasDoc: t.HasDoc}
		if extras {
			b.Project, b.Priority = t.Project, string(t.Priority)
			b.Urgency = float64(int64(t.Urgency*10+0.5)) / 10
			b.Due = dayOf(t)
		}
		out = append(out, b)
	}
	return out
}

// dayOf is a task's due day (UTC), or "".
func dayOf(t *backlog.Task) string {
	if t.Due.IsZero() {
		return ""
	}
	return t.Due.UTC().Format("2006-01-02")
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
