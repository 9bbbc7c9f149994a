package engine

import (
	"cmp"
	"context"
	"slices"
	"strings"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store"
)

// ListOptions select and order tasks for List.
type ListOptions struct {
	Filter string // empty means pending tasks
	Sort   string // e.g. "urgency-" (the default) or "due+,id+"
	Limit  int    // 0 means all
}

// Listing is a page of List: the tasks, and how many more matched beyond
// the limit.
type Listing struct {
	Tasks []*backlog.Task
	More  int // tasks that matched past the limit; 0 without a limit
}

// List returns the tasks the filter selects, with the implicit
// status:pending, sorted (by urgency, most urgent first, by default), and
// with a limit how many more matched.
func (e *Engine) List(ctx context.Context, opts ListOptions) (*Listing, error) {
	keys, err := ParseSort(opts.Sort)
	if err != nil {
		return nil, err
	}
	if opts.Limit < 0 {
		return nil, backlog.Invalidf("limit must be 0 (all) or more, got %d", opts.Limit)
	}
	out := &Listing{}
	err = e.store.Read(ctx, func(tx store.Tx) error {
		now := e.Now()
		expr, err := parseFilter(ctx, tx, opts.Filter, now)
		if err != nil {
			return err
		}
		q := store.Query{Filter: filter.DefaultScope(expr), Now: now}
		if opts.Limit > 0 && len(keys) == 1 && keys[0] == (SortKey{Field: "urgency", Desc: true}) {
			// The most urgent few: the store may rank, with slack, and
			// the exact order is made below.
			q.Top, q.Rank = opts.Limit+listSlack, store.RankUrgency
		}
		tasks, err := tx.Select(ctx, q)
		if err != nil {
			return err
		}
		g, err := tx.Graph(ctx)
		if err != nil {
			return err
		}
		out.Tasks = view(tasks, g, now)
		sortTasks(out.Tasks, keys)
		if opts.Limit > 0 && len(out.Tasks) > opts.Limit {
			matched := len(out.Tasks)
			if q.Top > 0 && len(tasks) >= q.Top {
				// The store stopped at Top: count the rest where they are.
				q.Top = 0
				if matched, err = tx.Count(ctx, q); err != nil {
					return err
				}
			}
			out.Tasks, out.More = out.Tasks[:opts.Limit], matched-opts.Limit
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// listSlack is how many tasks beyond its limit a ranked list asks for, so
// that rounding in a store's ranking never loses a task that belongs.
const listSlack = 20

// Count counts the tasks List would return, in the store.
func (e *Engine) Count(ctx context.Context, filterSrc string) (int, error) {
	n := 0
	err := e.store.Read(ctx, func(tx store.Tx) error {
		now := e.Now()
		expr, err := parseFilter(ctx, tx, filterSrc, now)
		if err != nil {
			return err
		}
		n, err = tx.Count(ctx, store.Query{Filter: filter.DefaultScope(expr), Now: now})
		return err
	})
	return n, err
}

// Export returns every task the filter selects, of any status (no implicit
// status:pending), by id.
func (e *Engine) Export(ctx context.Context, filterSrc string) ([]*backlog.Task, error) {
	var out []*backlog.Task
	err := e.store.Read(ctx, func(tx store.Tx) error {
		now := e.Now()
		expr, err := parseFilter(ctx, tx, filterSrc, now)
		if err != nil {
			return err
		}
		tasks, err := tx.Select(ctx, store.Query{Filter: expr, Now: now})
		if err != nil {
			return err
		}
		g, err := tx.Graph(ctx)
		if err != nil {
			return err
		}
		out = view(tasks, g, now)
		return nil
	})
	return out, err
}

// Info returns one task, whatever its status; an archived task comes back
// with its segment in Archived.
func (e *Engine) Info(ctx context.Context, ref string) (*backlog.Task, error) {
	var out *backlog.Task
	err := e.store.Read(ctx, func(tx store.Tx) error {
		t, err := resolveWorking(ctx, tx, ref)
		if isNotFound(err) {
			a, aerr := archivedRef(ctx, tx, ref)
			if aerr != nil {
				return aerr
			}
			if a != nil {
				t, err = a, nil
			}
		}
		if err != nil {
			return err
		}
		out, err = viewOne(ctx, tx, t, e.Now())
		return err
	})
	return out, err
}

// Projects counts the projects of pending and recurring tasks.
func (e *Engine) Projects(ctx context.Context) ([]store.NameCount, error) {
	return e.names(ctx, store.Projects)
}

// Tags counts the tags of pending and recurring tasks.
func (e *Engine) Tags(ctx context.Context) ([]store.NameCount, error) {
	return e.names(ctx, store.Tags)
}

func (e *Engine) names(ctx context.Context, kind store.NameKind) ([]store.NameCount, error) {
	var out []store.NameCount
	err := e.store.Read(ctx, func(tx store.Tx) error {
		var err error
		out, err = tx.Names(ctx, kind)
		return err
	})
	if out == nil {
		out = []store.NameCount{}
	}
	return out, err
}

// SortKey orders tasks by one attribute.
type SortKey struct {
	Field string
	Desc  bool
}

// sortFields are the attributes tasks can be sorted by.
var sortFields = []string{
	"id", "uuid", "description", "status", "project", "priority", "due", "scheduled", "wait",
	"until", "entry", "modified", "start", "end", "urgency", "agent", "recur",
}

// ParseSort reads a sort specification: comma-separated attributes, each
// followed by + (ascending, the default) or - (descending). Empty means
// urgency-.
func ParseSort(s string) ([]SortKey, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		s = "urgency-"
	}
	var keys []SortKey
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		k := SortKey{Field: strings.TrimRight(part, "+-")}
		k.Desc = strings.HasSuffix(part, "-")
		if !slices.Contains(sortFields, k.Field) {
			return nil, backlog.Invalidf("cannot sort by %q: use one of %s, each followed by + or -", part, strings.Join(sortFields, ", "))
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// sortTasks orders tasks by the keys, then by id. Tasks without a value for
// a key come after those with one, whichever the direction.
func sortTasks(ts []*backlog.Task, keys []SortKey) {
	slices.SortStableFunc(ts, func(a, b *backlog.Task) int {
		for _, k := range keys {
			if c := compareBy(a, b, k); c != 0 {
				return c
			}
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

func compareBy(a, b *backlog.Task, k SortKey) int {
	var c int
	missing := func(am, bm bool) (int, bool) {
		switch {
		case am && bm:
			return 0, true
		case am:
			return 1, true
		case bm:
			return -1, true
		}
		return 0, false
	}
	str := func(x, y string) int {
		if r, ok := missing(x == "", y == ""); ok {
			return r
		}
		c = strings.Compare(x, y)
		if k.Desc {
			c = -c
		}
		return c
	}
	switch k.Field {
	case "id":
		c = cmp.Compare(a.ID, b.ID)
	case "urgency":
		c = cmp.Compare(a.Urgency, b.Urgency)
	case "priority":
		if r, ok := missing(a.Priority == "", b.Priority == ""); ok {
			return r
		}
		c = cmp.Compare(a.Priority.Rank(), b.Priority.Rank())
	case "uuid":
		return str(a.UUID, b.UUID)
	case "description":
		return str(a.Description, b.Description)
	case "status":
		return str(string(a.Status), string(b.Status))
	case "project":
		return str(a.Project, b.Project)
	case "agent":
		return str(a.Agent, b.Agent)
	case "recur":
		return str(a.Recur, b.Recur)
	default:
		x, y := dateField(a, k.Field), dateField(b, k.Field)
		if r, ok := missing(x.IsZero(), y.IsZero()); ok {
			return r
		}
		c = x.Compare(y)
	}
	if k.Desc {
		c = -c
	}
	return c
}
