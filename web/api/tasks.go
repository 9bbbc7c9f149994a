package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/agent-backlog/backlog/internal/lazyre"
	"slices"
	"strconv"
	"strings"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/store"
)

// taskFields are the fields a request may set on a task, named as in
// task_add. A field left out is left alone; "" clears it.
type taskFields struct {
	Description *string   `json:"description"`
	Project     *string   `json:"project"`
	Tags        *[]string `json:"tags"`
	Priority    *string   `json:"priority"`
	Due         *string   `json:"due"`
	Scheduled   *string   `json:"scheduled"`
	Wait        *string   `json:"wait"`
	Until       *string   `json:"until"`
	Recur       *string   `json:"recur"`
	Depends     *refList  `json:"depends"`
	Agent       *string   `json:"agent"`
	// Extra sets user-defined attributes: strings, numbers or booleans;
	// null removes one.
	Extra map[string]any `json:"extra"`
}

// refList is a list of task references, each a string or a number.
type refList []string

func (l *refList) UnmarshalJSON(b []byte) error {
	var items []json.RawMessage
	if err := json.Unmarshal(b, &items); err != nil {
		return backlog.Invalidf("field \"depends\" must be an array of task ids or UUIDs, got %s", b)
	}
	out := make(refList, 0, len(items))
	for _, it := range items {
		var s string
		if err := json.Unmarshal(it, &s); err == nil {
			out = append(out, strings.TrimSpace(s))
			continue
		}
		var n json.Number
		if err := json.Unmarshal(it, &n); err == nil {
			if _, err := n.Int64(); err == nil {
				out = append(out, n.String())
				continue
			}
		}
		return backlog.Invalidf("field \"depends\" must be an array of task ids or UUIDs, got %s", it)
	}
	*l = out
	return nil
}

// changes are the engine's Changes for the fields given.
func (f *taskFields) changes() (*engine.Changes, error) {
	c := &engine.Changes{
		Description: f.Description, Project: f.Project, Priority: f.Priority, Due: f.Due,
		Scheduled: f.Scheduled, Wait: f.Wait, Until: f.Until, Recur: f.Recur, Agent: f.Agent,
	}
	if f.Tags != nil {
		c.Tags = engine.ParseListEdit(*f.Tags)
	}
	if f.Depends != nil {
		c.Depends = engine.ParseListEdit(*f.Depends)
	}
	for k, v := range f.Extra {
		switch v.(type) {
		case string, float64, bool, nil:
		default:
			return nil, backlog.Invalidf("extra.%s must be a string, a number, true or false (or null to remove it)", k)
		}
	}
	if len(f.Extra) > 0 {
		c.UDAs = f.Extra
	}
	return c, nil
}

// refRE is what a single task reference looks like: an id, a UUID, or a
// UUID prefix. The engine judges whether it names a task.
var refRE = lazyre.New(`^([0-9]+|[0-9a-fA-F][0-9a-fA-F-]{7,35})$`)

// checkRef refuses a path segment that is not one task reference, before
// it goes where a filter is read (12,13 or 1-3 would select several).
func checkRef(ref string) error {
	if !refRE().MatchString(ref) {
		return backlog.Invalidf("%q is not a task reference: give an id such as 12, a UUID, or a UUID prefix of at least 8 hex digits", ref)
	}
	return nil
}

// taskResult wraps one task as {"task": …}.
func taskResult(t *backlog.Task) any { return map[string]*backlog.Task{"task": t} }

// taskLocation is the Location of a created task.
func taskLocation(out any) string {
	if r, ok := out.(*engine.Result); ok && r.Task != nil {
		return fmt.Sprintf("/api/v1/tasks/%d", r.Task.ID)
	}
	return ""
}

// oneTask runs an engine command on the task of the path.
func oneTask(fn func(*engine.Engine, context.Context, string) (*engine.Result, error)) func(*call) (any, error) {
	return func(c *call) (any, error) {
		e, err := c.engine()
		if err != nil {
			return nil, err
		}
		return fn(e, c.ctx, c.id())
	}
}

// listResult is the list's answer, encoded as it is built:
// {"tasks":[…],"more":N}, more only when the limit cut the list.
func listResult(tasks []json.RawMessage, more int) encoded {
	n := 32
	for _, t := range tasks {
		n += len(t) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, `{"tasks":[`...)
	for i, t := range tasks {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, t...)
	}
	b = append(b, ']')
	if more > 0 {
		b = append(b, `,"more":`...)
		b = strconv.AppendInt(b, int64(more), 10)
	}
	return append(b, '}')
}

// listLimit is the list's default limit, as task_list's.
const listLimit = 100

// taskFieldNames are the fields `fields` may keep.
var taskFieldNames = append(backlog.Attributes(), "extra", "archived", "source")

func listTasks(c *call) (any, error) {
	keep, err := fieldsToKeep(c.query("fields"))
	if err != nil {
		return nil, err
	}
	limit, err := c.intQuery("limit", listLimit)
	if err != nil {
		return nil, err
	}
	e, err := c.engine()
	if err != nil {
		return nil, err
	}
	l, err := e.List(c.ctx, engine.ListOptions{Filter: c.query("filter"), Sort: c.query("sort"), Limit: limit})
	if err != nil {
		return nil, err
	}
	tasks := make([]json.RawMessage, len(l.Tasks))
	for i, t := range l.Tasks {
		tasks[i] = keep(t)
	}
	return listResult(tasks, l.More), nil
}

// fieldsToKeep reads the fields parameter: "" keeps every set field but
// uuid, entry and modified (as task_list does: a list rarely needs them),
// "all" keeps all, and a comma list keeps those and the id.
func fieldsToKeep(s string) (func(*backlog.Task) json.RawMessage, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "":
		return func(t *backlog.Task) json.RawMessage {
			lean := *t
			lean.UUID, lean.Entry, lean.Modified = "", time.Time{}, time.Time{}
			return compactJSON(&lean)
		}, nil
	case "all":
		return func(t *backlog.Task) json.RawMessage { return compactJSON(t) }, nil
	}
	keep := map[string]bool{"id": true}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if !slices.Contains(taskFieldNames, f) {
			return nil, backlog.Invalidf("fields names %q, which is not a task field: use all, or some of %s", f, strings.Join(taskFieldNames, ", "))
		}
		keep[f] = true
	}
	return func(t *backlog.Task) json.RawMessage { return trimObject(compactJSON(t), keep) }, nil
}

// trimObject keeps the members of a JSON object whose names are in keep, in
// their order.
func trimObject(obj []byte, keep map[string]bool) json.RawMessage {
	dec := json.NewDecoder(bytes.NewReader(obj))
	var b bytes.Buffer
	b.WriteByte('{')
	if _, err := dec.Token(); err != nil {
		panic(err) // we encoded it
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

func countTasks(c *call) (any, error) {
	e, err := c.engine()
	if err != nil {
		return nil, err
	}
	n, err := e.Count(c.ctx, c.query("filter"))
	return map[string]int{"count": n}, err
}

func addTask(c *call) (any, error) {
	var f taskFields
	if err := c.decode(&f, true); err != nil {
		return nil, err
	}
	if f.Description == nil {
		return nil, backlog.Invalidf("a new task needs the field \"description\"")
	}
	ch, err := f.changes()
	if err != nil {
		return nil, err
	}
	e, err := c.engine()
	if err != nil {
		return nil, err
	}
	return e.Add(c.ctx, ch)
}

func getTask(c *call) (any, error) {
	e, err := c.engine()
	if err != nil {
		return nil, err
	}
	t, err := e.Info(c.ctx, c.id())
	if err != nil {
		return nil, err
	}
	return taskResult(t), nil
}

// modifyTask changes one task: a modify whose filter is its reference. A
// change that asks for what the task already has is no error: the task
// comes back as it is.
func modifyTask(c *call) (any, error) {
	if err := checkRef(c.id()); err != nil {
		return nil, err
	}
	var f taskFields
	if err := c.decode(&f, true); err != nil {
		return nil, err
	}
	ch, err := f.changes()
	if err != nil {
		return nil, err
	}
	e, err := c.engine()
	if err != nil {
		return nil, err
	}
	res, err := e.Modify(c.ctx, c.id(), ch, false)
	if err != nil {
		return nil, err
	}
	if len(res.Tasks) == 1 {
		return taskResult(res.Tasks[0]), nil
	}
	// Nothing changed: say why, in the engine's words (no such task, or
	// an archived one), or give the task back as it is.
	t, err := e.Info(c.ctx, c.id())
	if err != nil {
		return nil, err
	}
	if t.Archived != "" {
		return nil, backlog.Conflictf("task %s is archived in %s and read-only: restore it first (backlog archive restore %s %s)", t.Ref(), t.Archived, t.Archived, t.Ref())
	}
	return taskResult(t), nil
}

func modifyTasks(c *call) (any, error) {
	confirm, err := c.boolQuery("confirm")
	if err != nil {
		return nil, err
	}
	var f taskFields
	if err := c.decode(&f, true); err != nil {
		return nil, err
	}
	ch, err := f.changes()
	if err != nil {
		return nil, err
	}
	e, err := c.engine()
	if err != nil {
		return nil, err
	}
	return e.Modify(c.ctx, c.query("filter"), ch, confirm)
}

func doneTask(c *call) (any, error) {
	var body struct {
		Note  string `json:"note"`
		Close bool   `json:"close"`
	}
	if err := c.decode(&body, false); err != nil {
		return nil, err
	}
	e, err := c.engine()
	if err != nil {
		return nil, err
	}
	return e.DoneWith(c.ctx, c.id(), engine.DoneOptions{Note: body.Note, Close: body.Close})
}

func annotateTask(c *call) (any, error) {
	var body struct {
		Text *string `json:"text"`
	}
	if err := c.decode(&body, true); err != nil {
		return nil, err
	}
	if body.Text == nil {
		return nil, backlog.Invalidf("an annotation needs the field \"text\"")
	}
	e, err := c.engine()
	if err != nil {
		return nil, err
	}
	return e.Annotate(c.ctx, c.id(), *body.Text)
}

func readDoc(c *call) (any, error) {
	e, err := c.engine()
	if err != nil {
		return nil, err
	}
	doc, err := e.DocRead(c.ctx, c.id())
	return map[string]string{"content": doc}, err
}

func writeDoc(c *call) (any, error) {
	var body struct {
		Content *string `json:"content"`
	}
	if err := c.decode(&body, true); err != nil {
		return nil, err
	}
	if body.Content == nil {
		return nil, backlog.Invalidf("a doc needs the field \"content\"")
	}
	e, err := c.engine()
	if err != nil {
		return nil, err
	}
	return e.DocWrite(c.ctx, c.id(), *body.Content)
}

func releaseTask(c *call) (any, error) {
	var body struct {
		Note  string `json:"note"`
		Force bool   `json:"force"`
	}
	if err := c.decode(&body, false); err != nil {
		return nil, err
	}
	e, err := c.engine()
	if err != nil {
		return nil, err
	}
	return e.Release(c.ctx, c.id(), body.Note, body.Force)
}

// claimTask is task_claim: the same arguments, the same rules.
func claimTask(c *call) (any, error) {
	var body struct {
		Agent   string  `json:"agent"`
		ID      *string `json:"id"`
		Filter  string  `json:"filter"`
		Lease   string  `json:"lease"`
		Reclaim string  `json:"reclaim"`
	}
	if err := c.decode(&body, false); err != nil {
		return nil, err
	}
	id := ""
	if body.ID != nil {
		id = *body.ID
	}
	if id != "" && body.Filter != "" {
		return nil, backlog.Invalidf("give id or filter, not both")
	}
	if body.Lease != "" {
		if _, err := engine.ParseLease(body.Lease); err != nil {
			return nil, err // before reclaim, which commits on its own
		}
	}
	e, err := c.engine()
	if err != nil {
		return nil, err
	}
	if body.Reclaim != "" {
		d, err := engine.ParseStaleAge(body.Reclaim) // as task_claim and backlog reclaim read it
		if err != nil {
			return nil, err
		}
		if _, err := e.Reclaim(c.ctx, d); err != nil {
			return nil, err
		}
	}
	return e.Claim(c.ctx, engine.ClaimOptions{Agent: body.Agent, ID: id, Filter: body.Filter, Lease: body.Lease})
}

func summary(c *call) (any, error) {
	e, err := c.engine()
	if err != nil {
		return nil, err
	}
	return e.Summary(c.ctx, engine.SummaryOptions{Filter: c.query("filter")})
}

func projects(c *call) (any, error) {
	e, err := c.engine()
	if err != nil {
		return nil, err
	}
	items, err := e.Projects(c.ctx)
	return map[string][]store.NameCount{"items": items}, err
}

func tags(c *call) (any, error) {
	e, err := c.engine()
	if err != nil {
		return nil, err
	}
	items, err := e.Tags(c.ctx)
	return map[string][]store.NameCount{"items": items}, err
}

func undo(c *call) (any, error) {
	if err := c.decode(&struct{}{}, false); err != nil {
		return nil, err
	}
	e, err := c.engine()
	if err != nil {
		return nil, err
	}
	return e.Undo(c.ctx)
}
