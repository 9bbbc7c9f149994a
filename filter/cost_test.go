package filter

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter/filtertest"
)

// orTags is n distinct tags joined by "or": +t0 or +t1 or ...
func orTags(n int) string {
	terms := make([]string, n)
	for i := range terms {
		terms[i] = fmt.Sprintf("+t%d", i)
	}
	return strings.Join(terms, " or ")
}

func TestFilterSizeAndTermsAreBounded(t *testing.T) {
	tests := []struct {
		name, filter string
		want         string // the whole message; "" means accepted
	}{
		{"a filter of exactly MaxTerms terms is accepted", orTags(MaxTerms), ""},
		{"one term more is refused, counting every term", orTags(MaxTerms + 500), "filter has 2500 terms, more than the 2000 allowed"},
		{"each id and range of a list is a term", "1" + strings.Repeat(",1-3", MaxTerms), "filter has 2001 terms, more than the 2000 allowed"},
		{"ids and UUIDs of a run are counted together", strings.Repeat("1 deadbeef ", MaxTerms/2) + "+x", "filter has 2001 terms, more than the 2000 allowed"},
		{"the count goes on past a syntax error it would have met", orTags(MaxTerms+1) + " )", "filter has 2001 terms, more than the 2000 allowed"},
		{"a filter of exactly MaxBytes bytes is accepted", "+a" + strings.Repeat(" ", MaxBytes-2), ""},
		{"one byte more is refused", "+a" + strings.Repeat(" ", MaxBytes-1), "filter is 65537 bytes, more than the 65536 allowed"},
		{"a megabyte is refused before it is read", strings.Repeat("+t or ", 1<<20/6), "filter is 1048572 bytes, more than the 65536 allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.filter, Options{Now: now})
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && err == nil:
				t.Fatalf("accepted; want %q", tt.want)
			case tt.want != "" && err.Error() != tt.want:
				t.Errorf("error\n got: %s\nwant: %s", err, tt.want)
			case err != nil && !isInvalid(err):
				t.Errorf("error %v is not backlog.ErrInvalid", err)
			}
		})
	}
}

// reference evaluates e the plain way, one node at a time and each list
// element by itself, to check Compile's chains and sets against.
func reference(e Expr, env Env) Matcher {
	switch n := e.(type) {
	case *BinaryExpr:
		x, y := reference(n.X, env), reference(n.Y, env)
		switch n.Op {
		case OR:
			return func(t *backlog.Task) bool { return x(t) || y(t) }
		case XOR:
			return func(t *backlog.Task) bool { return x(t) != y(t) }
		}
		return func(t *backlog.Task) bool { return x(t) && y(t) }
	case *NotExpr:
		return not(reference(n.X, env))
	case *ParenExpr:
		return reference(n.X, env)
	case *TagExpr:
		if !n.Virtual {
			return func(t *backlog.Task) bool { return slices.Contains(t.Tags, n.Name) == n.Include }
		}
	case *IDExpr:
		return func(t *backlog.Task) bool {
			for _, r := range n.Ranges {
				if r.Lo <= t.ID && t.ID <= r.Hi {
					return true
				}
			}
			for _, u := range n.UUIDs {
				if strings.HasPrefix(t.UUID, u) {
					return true
				}
			}
			return false
		}
	}
	return Compile(e, env)
}

// TestLongChainsMatchTheirMeaning compares the evaluator, which runs a chain
// of one operator as a loop and looks tags, ids and UUIDs up in sets, with
// the plain node-by-node reading, on random filters and long chains.
func TestLongChainsMatchTheirMeaning(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	tasks := filtertest.RandomTasks(r, 200, now)
	uuids := make([]string, len(tasks))
	for i, task := range tasks {
		uuids[i] = task.UUID
	}
	env := Env{Now: now, Graph: backlog.NewIndex(tasks)}
	g := &filtertest.Gen{R: r, UUIDs: uuids}
	opts := Options{Now: now, UDAs: map[string]UDAKind{"estimate": UDANumber, "owner": UDAString, "billable": UDABool, "size": UDAMixed}}
	// Long runs of ids and UUIDs, and ranges that overlap and touch.
	var refs []string
	for i := 0; i < 40; i++ {
		refs = append(refs, uuids[r.IntN(len(uuids))][:8+r.IntN(29)], fmt.Sprint(r.IntN(250)), fmt.Sprintf("%d-%d", r.IntN(250), r.IntN(250)))
	}
	sources := []string{strings.Join(refs, " "), "not " + strings.Join(refs, " "), strings.Join(refs[:7], ",")}
	for i := 0; i < 2000; i++ {
		sources = append(sources, g.Expr())
	}
	checked := 0
	for _, src := range sources {
		e, err := Parse(src, opts)
		if err != nil || e == nil {
			continue
		}
		checked++
		got, want := Compile(e, env), reference(e, env)
		for _, task := range tasks {
			if got(task) != want(task) {
				t.Fatalf("filter %q: task %d (tags %v, uuid %s): evaluator says %v, the plain reading %v",
					src, task.ID, task.Tags, task.UUID, got(task), want(task))
			}
		}
	}
	if checked < 1000 {
		t.Errorf("only %d filters parsed", checked)
	}
}

func TestOperandsLeavesOutRepeats(t *testing.T) {
	tests := []struct {
		filter string
		op     Token
		want   []string
	}{
		{"+a or (+b or +a) or +READY or +READY", OR, []string{"+a", "+b", "+READY"}},
		{"+a +b (+a and +c)", AND, []string{"+a", "+b", "+c"}},
		{"+a xor +a xor +b", XOR, []string{"+a", "+a", "+b"}},
		{"+a or +b +c", OR, []string{"+a", "+b +c"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q as %v gives %v", tt.filter, tt.op, tt.want), func(t *testing.T) {
			e, err := Parse(tt.filter, Options{Now: now})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, x := range Operands(e, tt.op) {
				got = append(got, x.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v", got)
			}
		})
	}
}
