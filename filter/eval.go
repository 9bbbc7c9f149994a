package filter

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"

	backlog "github.com/agent-backlog/backlog"
)

// Env is what evaluation needs beyond the task itself.
type Env struct {
	// Now is the clock; its Location is the local zone for calendar days.
	Now time.Time
	// Graph answers dependency questions and the latest id. It may be nil
	// when NeedsGraph reports false; a nil Graph knows no other task.
	Graph backlog.Graph
}

// Matcher reports whether a task matches a compiled filter.
type Matcher func(t *backlog.Task) bool

// Compile turns a parsed filter into a Matcher. A nil Expr matches every task.
// Compiling does the per-filter work (calendar bounds, case folding) once, so
// that matching a task costs only the comparisons.
func Compile(e Expr, env Env) Matcher {
	if env.Graph == nil {
		env.Graph = backlog.NewIndex(nil)
	}
	if e == nil {
		return func(*backlog.Task) bool { return true }
	}
	c := newCompiler(env)
	return c.compile(e)
}

// NeedsGraph reports whether evaluating e asks about other tasks
// (dependencies, urgency, the latest id), so that a caller can skip building
// a Graph when it does not.
func NeedsGraph(e Expr) bool {
	needs := false
	Walk(e, func(n Expr) bool {
		switch n := n.(type) {
		case *TagExpr:
			if n.Virtual {
				v, _ := LookupVirtual(n.Name)
				needs = needs || v.Kind.NeedsGraph()
			}
		case *AttrExpr:
			needs = needs || n.Name == "urgency" || n.Name == "depends" && len(n.Ranges) > 0
		}
		return !needs
	})
	return needs
}

type compiler struct {
	env Env
}

func newCompiler(env Env) *compiler { return &compiler{env: env} }

func (c *compiler) compile(e Expr) Matcher {
	switch n := e.(type) {
	case *BinaryExpr:
		return c.chain(n.Op, Operands(n, n.Op))
	case *NotExpr:
		return not(c.compile(n.X))
	case *ParenExpr:
		return c.compile(n.X)
	case *TagExpr:
		var m Matcher
		if n.Virtual {
			m = c.virtual(n.Name)
		} else {
			name := n.Name
			m = func(t *backlog.Task) bool { return t.HasTag(name) }
		}
		if !n.Include {
			return not(m)
		}
		return m
	case *IDExpr:
		ids, uuids := newIDSet(n.Ranges), newPrefixSet(n.UUIDs)
		return func(t *backlog.Task) bool { return ids.has(t.ID) || uuids.has(t.UUID) }
	case *WordExpr:
		needle := Fold(n.Text)
		return func(t *backlog.Task) bool {
			return anyText(t, func(s string) bool { return containsFold(s, needle) })
		}
	case *RegexExpr:
		re := n.Re
		return func(t *backlog.Task) bool { return anyText(t, re.MatchString) }
	case *AttrExpr:
		return c.attr(n)
	}
	panic("filter: unknown node")
}

func not(m Matcher) Matcher { return func(t *backlog.Task) bool { return !m(t) } }

// Operands flattens a chain of one operator, through parentheses, into its
// operands: a or (b or c) gives a, b, c. Every operator of the language is
// associative, so the chain means op over them all. In a chain of "and" or
// "or", an operand that prints like an earlier one is left out (a or a is
// a); in one of "xor" it is not (a xor a is never true).
func Operands(e Expr, op Token) []Expr {
	xs := operands(e, op, nil)
	if op == XOR || len(xs) < 2 {
		return xs
	}
	seen := make(map[string]bool, len(xs))
	out := xs[:0]
	for _, x := range xs {
		if s := x.String(); !seen[s] {
			seen[s] = true
			out = append(out, x)
		}
	}
	return out
}

func operands(e Expr, op Token, out []Expr) []Expr {
	for {
		p, ok := e.(*ParenExpr)
		if !ok {
			break
		}
		e = p.X
	}
	if b, ok := e.(*BinaryExpr); ok && b.Op == op {
		out = operands(b.X, op, out)
		return operands(b.Y, op, out)
	}
	return append(out, e)
}

// chain compiles op over operands as one loop, however long the chain, so
// that a thousand terms cost a thousand tests and no deeper call stack. The
// plain tags of an "or" (+a or +b) and of an "and" (-a -b) become one
// lookup of the task's tags in their set.
func (c *compiler) chain(op Token, xs []Expr) Matcher {
	var tags []string
	ms := make([]Matcher, 0, len(xs))
	for _, x := range xs {
		if t, ok := x.(*TagExpr); ok && !t.Virtual && op != XOR && t.Include == (op == OR) {
			tags = append(tags, t.Name)
			continue
		}
		ms = append(ms, c.compile(x))
	}
	if len(tags) > 0 {
		m := anyTag(tags)
		if op == AND {
			m = not(m)
		}
		ms = append([]Matcher{m}, ms...)
	}
	if len(ms) == 1 {
		return ms[0]
	}
	switch op {
	case OR:
		return func(t *backlog.Task) bool {
			for _, m := range ms {
				if m(t) {
					return true
				}
			}
			return false
		}
	case XOR:
		return func(t *backlog.Task) bool {
			odd := false
			for _, m := range ms {
				odd = odd != m(t)
			}
			return odd
		}
	}
	return func(t *backlog.Task) bool {
		for _, m := range ms {
			if !m(t) {
				return false
			}
		}
		return true
	}
}

// anyTag matches a task that carries one of the tags: a few are compared
// one by one, more are looked up in a set.
func anyTag(names []string) Matcher {
	if len(names) <= 4 {
		return func(t *backlog.Task) bool {
			for _, n := range names {
				if t.HasTag(n) {
					return true
				}
			}
			return false
		}
	}
	set := make(map[string]struct{}, len(names))
	for _, n := range names {
		set[n] = struct{}{}
	}
	return func(t *backlog.Task) bool {
		for _, tag := range t.Tags {
			if _, ok := set[tag]; ok {
				return true
			}
		}
		return false
	}
}

// idSet is a list of id ranges, sorted and merged, searched by halves.
type idSet []IDRange

func newIDSet(rs []IDRange) idSet {
	s := slices.Clone(rs)
	slices.SortFunc(s, func(a, b IDRange) int { return cmp.Compare(a.Lo, b.Lo) })
	out := s[:0]
	for _, r := range s {
		if n := len(out); n > 0 && (r.Lo <= out[n-1].Hi || out[n-1].Hi < math.MaxInt64 && r.Lo == out[n-1].Hi+1) {
			out[n-1].Hi = max(out[n-1].Hi, r.Hi)
			continue
		}
		out = append(out, r)
	}
	return out
}

func (s idSet) has(id int64) bool {
	i, _ := slices.BinarySearchFunc(s, id, func(r IDRange, id int64) int { return cmp.Compare(r.Hi, id) })
	return i < len(s) && s[i].Lo <= id
}

// prefixSet matches strings that start with one of its prefixes: a few are
// compared one by one; more are looked up by length, one lookup for each
// length among them.
type prefixSet struct {
	list []string
	lens []int
	set  map[string]struct{}
}

func newPrefixSet(prefixes []string) prefixSet {
	if len(prefixes) <= 4 {
		return prefixSet{list: prefixes}
	}
	p := prefixSet{set: make(map[string]struct{}, len(prefixes))}
	for _, x := range prefixes {
		p.set[x] = struct{}{}
		if !slices.Contains(p.lens, len(x)) {
			p.lens = append(p.lens, len(x))
		}
	}
	return p
}

func (p prefixSet) has(s string) bool {
	for _, x := range p.list {
		if strings.HasPrefix(s, x) {
			return true
		}
	}
	for _, n := range p.lens {
		if n <= len(s) {
			if _, ok := p.set[s[:n]]; ok {
				return true
			}
		}
	}
	return false
}

// anyText applies pred to the description and then to each annotation.
func anyText(t *backlog.Task, pred func(string) bool) bool {
	if pred(t.Description) {
		return true
	}
	for i := range t.Annotations {
		if pred(t.Annotations[i].Description) {
			return true
		}
	}
	return false
}

// virtual returns the matcher of a virtual tag, from its meaning.
func (c *compiler) virtual(name string) Matcher {
	v, ok := LookupVirtual(name)
	if !ok {
		panic("filter: unknown virtual tag " + name)
	}
	now, g := c.env.Now, c.env.Graph
	switch v.Kind {
	case StatusIs:
		return func(t *backlog.Task) bool { return t.EffectiveStatus(now) == v.Status }
	case FieldSet:
		return fieldSet(v.Field)
	case LiveFieldSet:
		set := fieldSet(v.Field)
		return func(t *backlog.Task) bool { return t.IsLive() && set(t) }
	case DueIn:
		from, to := v.Span.Bounds(now)
		return func(t *backlog.Task) bool {
			return t.IsLive() && !t.Due.IsZero() && !t.Due.Before(from) && t.Due.Before(to)
		}
	case Overdue:
		return func(t *backlog.Task) bool { return t.IsLive() && !t.Due.IsZero() && t.Due.Before(now) }
	case Blocked:
		return g.Blocked
	case Unblocked:
		return not(g.Blocked)
	case Blocking:
		return g.Blocking
	case Ready:
		return func(t *backlog.Task) bool {
			return t.EffectiveStatus(now) == backlog.StatusPending && !g.Blocked(t) &&
				(t.Scheduled.IsZero() || !t.Scheduled.After(now))
		}
	}
	return func(t *backlog.Task) bool { return t.ID > 0 && t.ID == g.LatestID() } // Latest
}

// fieldSet is the test of a virtual tag's Field.
func fieldSet(field string) Matcher {
	switch field {
	case "annotations":
		return func(t *backlog.Task) bool { return len(t.Annotations) > 0 }
	case "tags":
		return func(t *backlog.Task) bool { return len(t.Tags) > 0 }
	case "extra":
		return func(t *backlog.Task) bool { return len(t.Extra) > 0 }
	case "has_doc":
		return func(t *backlog.Task) bool { return t.HasDoc }
	case "project":
		return func(t *backlog.Task) bool { return t.Project != "" }
	case "priority":
		return func(t *backlog.Task) bool { return t.Priority != "" }
	case "parent":
		return func(t *backlog.Task) bool { return t.Parent != "" }
	case "agent":
		return func(t *backlog.Task) bool { return t.Agent != "" }
	}
	date := dateGetter(field)
	return func(t *backlog.Task) bool { return !date(t).IsZero() }
}

// attr returns the matcher of an attribute term.
func (c *compiler) attr(e *AttrExpr) Matcher {
	switch e.Kind {
	case KindDate:
		return c.date(e, dateGetter(e.Name))
	case KindNumber:
		return c.number(e, c.numberGetter(e.Name))
	case KindBool:
		return boolean(e, boolGetter(e.Name))
	case KindList:
		return c.list(e)
	case KindUDA:
		return c.mixed(e)
	}
	return c.str(e, c.stringGetter(e))
}

func dateGetter(name string) func(*backlog.Task) time.Time {
	switch name {
	case "due":
		return func(t *backlog.Task) time.Time { return t.Due }
	case "scheduled":
		return func(t *backlog.Task) time.Time { return t.Scheduled }
	case "wait":
		return func(t *backlog.Task) time.Time { return t.Wait }
	case "until":
		return func(t *backlog.Task) time.Time { return t.Until }
	case "entry":
		return func(t *backlog.Task) time.Time { return t.Entry }
	case "modified":
		return func(t *backlog.Task) time.Time { return t.Modified }
	case "start":
		return func(t *backlog.Task) time.Time { return t.Start }
	case "end":
		return func(t *backlog.Task) time.Time { return t.End }
	case "lease_until":
		return func(t *backlog.Task) time.Time { return t.LeaseUntil }
	}
	panic("filter: no date attribute " + name)
}

func (c *compiler) date(e *AttrExpr, get func(*backlog.Task) time.Time) Matcher {
	absent := func(t *backlog.Task) bool { return get(t).IsZero() }
	if e.Value == "" {
		switch e.Mod {
		case ModIsnt, ModNot, ModAny:
			return not(absent)
		}
		return absent
	}
	v := e.Time
	from := time.Date(v.Year(), v.Month(), v.Day(), 0, 0, 0, 0, v.Location())
	to := from.AddDate(0, 0, 1)
	sameDay := func(t *backlog.Task) bool {
		d := get(t)
		return !d.IsZero() && !d.Before(from) && d.Before(to)
	}
	is := func(t *backlog.Task) bool { d := get(t); return !d.IsZero() && d.Equal(v) }
	switch e.Mod {
	case ModIs:
		return is
	case ModIsnt:
		return not(is)
	case ModNot:
		return not(sameDay)
	case ModBefore:
		return func(t *backlog.Task) bool { d := get(t); return !d.IsZero() && d.Before(v) }
	case ModAfter:
		return func(t *backlog.Task) bool { d := get(t); return !d.IsZero() && d.After(v) }
	case ModBy:
		return func(t *backlog.Task) bool { d := get(t); return !d.IsZero() && !d.After(v) }
	case ModNoneOf:
		return absent
	case ModAny:
		return not(absent)
	}
	return sameDay
}

func (c *compiler) numberGetter(name string) func(*backlog.Task) (float64, bool) {
	switch name {
	case "id":
		return func(t *backlog.Task) (float64, bool) { return float64(t.ID), true }
	case "urgency":
		now, g := c.env.Now, c.env.Graph
		return func(t *backlog.Task) (float64, bool) {
			return backlog.Urgency(t, now, g.Blocked(t), g.Blocking(t)), true
		}
	}
	return func(t *backlog.Task) (float64, bool) {
		f, ok := t.Extra[name].(float64)
		return f, ok
	}
}

func (c *compiler) number(e *AttrExpr, get func(*backlog.Task) (float64, bool)) Matcher {
	present := func(t *backlog.Task) bool { _, ok := get(t); return ok }
	if e.Value == "" || e.Mod == ModNoneOf || e.Mod == ModAny {
		switch e.Mod {
		case ModIsnt, ModNot, ModAny:
			return present
		}
		return not(present)
	}
	ids := newIDSet(e.Ranges)
	eq := func(t *backlog.Task) bool {
		f, ok := get(t)
		if !ok {
			return false
		}
		if e.Ranges != nil {
			return f == float64(int64(f)) && ids.has(int64(f))
		}
		return f == e.Num
	}
	v := e.Num
	switch e.Mod {
	case ModIsnt, ModNot:
		return not(eq)
	case ModBefore:
		return func(t *backlog.Task) bool { f, ok := get(t); return ok && f < v }
	case ModAfter:
		return func(t *backlog.Task) bool { f, ok := get(t); return ok && f > v }
	case ModBy:
		return func(t *backlog.Task) bool { f, ok := get(t); return ok && f <= v }
	}
	return eq
}

func boolGetter(name string) func(*backlog.Task) (bool, bool) {
	if name == "has_doc" {
		// A task without a doc has has_doc absent, as it prints.
		return func(t *backlog.Task) (bool, bool) { return t.HasDoc, t.HasDoc }
	}
	return func(t *backlog.Task) (bool, bool) {
		b, ok := t.Extra[name].(bool)
		return b, ok
	}
}

func boolean(e *AttrExpr, get func(*backlog.Task) (bool, bool)) Matcher {
	present := func(t *backlog.Task) bool { _, ok := get(t); return ok }
	if e.Value == "" || e.Mod == ModNoneOf || e.Mod == ModAny {
		switch e.Mod {
		case ModIsnt, ModNot, ModAny:
			return present
		}
		return not(present)
	}
	want := e.Bool
	eq := func(t *backlog.Task) bool { b, _ := get(t); return b == want }
	if e.Mod == ModIsnt || e.Mod == ModNot {
		return not(eq)
	}
	return eq
}

func (c *compiler) stringGetter(e *AttrExpr) func(*backlog.Task) string {
	now := c.env.Now
	switch e.Name {
	case "uuid":
		return func(t *backlog.Task) string { return t.UUID }
	case "description":
		return func(t *backlog.Task) string { return t.Description }
	case "status":
		return func(t *backlog.Task) string { return string(t.EffectiveStatus(now)) }
	case "project":
		return func(t *backlog.Task) string { return t.Project }
	case "priority":
		return func(t *backlog.Task) string { return string(t.Priority) }
	case "recur":
		return func(t *backlog.Task) string { return t.Recur }
	case "parent":
		return func(t *backlog.Task) string { return t.Parent }
	case "agent":
		return func(t *backlog.Task) string { return t.Agent }
	case "source":
		return func(t *backlog.Task) string {
			if t.Source == nil {
				return ""
			}
			return t.Source.Type
		}
	}
	name := e.Name
	return func(t *backlog.Task) string {
		s, _ := t.Extra[name].(string)
		return s
	}
}

// str matches string-like attributes: plain strings, description, status,
// project and priority, each with its own plain match and ordering.
func (c *compiler) str(e *AttrExpr, get func(*backlog.Task) string) Matcher {
	v := e.Value
	present := func(t *backlog.Task) bool { return get(t) != "" }
	// search applies a text predicate to the attribute, or for description
	// to the description and its annotations.
	search := func(pred func(string) bool) Matcher {
		if e.Kind == KindText {
			return func(t *backlog.Task) bool { return anyText(t, pred) }
		}
		return func(t *backlog.Task) bool { s := get(t); return s != "" && pred(s) }
	}
	var plain Matcher
	switch {
	case v == "":
		plain = not(present)
	case e.Kind == KindProject:
		plain = func(t *backlog.Task) bool {
			p := get(t)
			return p == v || len(p) > len(v) && p[len(v)] == '.' && strings.HasPrefix(p, v)
		}
	case e.Kind == KindStatus || e.Kind == KindPriority:
		plain = func(t *backlog.Task) bool { return get(t) == v }
	default:
		plain = func(t *backlog.Task) bool { return strings.HasPrefix(get(t), v) }
	}
	is := func(t *backlog.Task) bool { return get(t) == v }
	cmp := func(t *backlog.Task) (int, bool) {
		s := get(t)
		if e.Kind == KindPriority {
			return backlog.Priority(s).Rank() - backlog.Priority(v).Rank(), true
		}
		return strings.Compare(s, v), s != ""
	}
	fv := Fold(v)
	switch e.Mod {
	case ModIs:
		return is
	case ModIsnt:
		return not(is)
	case ModNot:
		return not(plain)
	case ModBefore:
		return func(t *backlog.Task) bool { r, ok := cmp(t); return ok && r < 0 }
	case ModAfter:
		return func(t *backlog.Task) bool { r, ok := cmp(t); return ok && r > 0 }
	case ModBy:
		return func(t *backlog.Task) bool { r, ok := cmp(t); return ok && r <= 0 }
	case ModNoneOf:
		return not(present)
	case ModAny:
		return present
	case ModHas:
		return search(func(s string) bool { return containsFold(s, fv) })
	case ModHasnt:
		return not(search(func(s string) bool { return containsFold(s, fv) }))
	case ModStartsWith:
		return func(t *backlog.Task) bool { s := get(t); return s != "" && hasPrefixFold(s, fv) }
	case ModEndsWith:
		return func(t *backlog.Task) bool { s := get(t); return s != "" && hasSuffixFold(s, fv) }
	case ModWord:
		return search(e.Re.MatchString)
	case ModNoWord:
		return not(search(e.Re.MatchString))
	case ModRegex:
		return search(e.Re.MatchString)
	}
	return plain
}

// list matches tags and depends: membership, presence, and text tests that
// hold when any element passes.
func (c *compiler) list(e *AttrExpr) Matcher {
	var get func(*backlog.Task) []string
	var member func(*backlog.Task) bool
	if e.Name == "tags" {
		get = func(t *backlog.Task) []string { return t.Tags }
		member = anyTag(strings.Split(e.Value, ","))
	} else {
		g := c.env.Graph
		ids, uuids := newIDSet(e.Ranges), newPrefixSet(e.UUIDs)
		get = func(t *backlog.Task) []string { return t.Depends }
		member = func(t *backlog.Task) bool {
			for _, d := range t.Depends {
				if uuids.has(d) {
					return true
				}
				if len(ids) > 0 {
					if id, ok := g.IDOf(d); ok && ids.has(id) {
						return true
					}
				}
			}
			return false
		}
	}
	present := func(t *backlog.Task) bool { return len(get(t)) > 0 }
	anyElem := func(pred func(string) bool) Matcher {
		return func(t *backlog.Task) bool { return slices.ContainsFunc(get(t), pred) }
	}
	if e.Value == "" {
		switch e.Mod {
		case ModIsnt, ModNot, ModAny:
			return present
		}
		return not(present)
	}
	fv := Fold(e.Value)
	switch e.Mod {
	case ModIsnt, ModNot, ModHasnt:
		return not(member)
	case ModStartsWith:
		return anyElem(func(s string) bool { return hasPrefixFold(s, fv) })
	case ModEndsWith:
		return anyElem(func(s string) bool { return hasSuffixFold(s, fv) })
	case ModWord, ModRegex:
		return anyElem(e.Re.MatchString)
	case ModNoWord:
		return not(anyElem(e.Re.MatchString))
	}
	return member
}

// mixed matches a UDA whose values have several JSON types: each task's
// value is compared by its own type.
func (c *compiler) mixed(e *AttrExpr) Matcher {
	name := e.Name
	asString := c.str(e, func(t *backlog.Task) string {
		switch v := t.Extra[name].(type) {
		case string:
			return v
		case bool:
			if v {
				return "true"
			}
			return "false"
		}
		return ""
	})
	if !e.NumOK {
		return func(t *backlog.Task) bool {
			if _, isNum := t.Extra[name].(float64); isNum {
				// A number never equals or orders against a non-number;
				// the negating forms hold, as for a missing value.
				return e.Mod.negates() || e.Mod == ModAny
			}
			return asString(t)
		}
	}
	asNumber := c.number(e, func(t *backlog.Task) (float64, bool) {
		f, ok := t.Extra[name].(float64)
		return f, ok
	})
	return func(t *backlog.Task) bool {
		if _, isNum := t.Extra[name].(float64); isNum {
			return asNumber(t)
		}
		return asString(t)
	}
}
