package filter

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	backlog "github.com/agent-backlog/backlog"
)

// twelveTerms is a realistic 12-term filter touching every kind of term.
const twelveTerms = `project:web +bug -docs priority.above:L due.before:eow status:pending ` +
	`description.has:login agent.none: -BLOCKED entry.after:2020-01-01 (+next or urgency.over:2) "fix"`

func BenchmarkParse12Terms(b *testing.B) {
	opts := Options{Now: now}
	for b.Loop() {
		if _, err := Parse(twelveTerms, opts); err != nil {
			b.Fatal(err)
		}
	}
}

// manyTasks makes n tasks with a spread of projects, tags, dates and text.
func manyTasks(n int) []*backlog.Task {
	r := rand.New(rand.NewPCG(1, 2))
	projects := []string{"web", "web.ui", "api", "infra", "docs", ""}
	tags := []string{"bug", "docs", "next", "perf", "ux"}
	words := []string{"fix", "login", "page", "cache", "build", "deploy", "refactor", "tests", "docs", "api"}
	ts := make([]*backlog.Task, n)
	for i := range ts {
		t := &backlog.Task{
			ID:          int64(i + 1),
			UUID:        fmt.Sprintf("%08x-0000-4000-8000-%012x", r.Uint32(), i),
			Description: words[r.IntN(len(words))] + " the " + words[r.IntN(len(words))] + " " + words[r.IntN(len(words))],
			Status:      backlog.StatusPending,
			Project:     projects[r.IntN(len(projects))],
			Priority:    backlog.Priority([]string{"", "L", "M", "H"}[r.IntN(4)]),
			Entry:       now.Add(-time.Duration(r.IntN(1000)) * time.Hour),
		}
		if r.IntN(10) == 0 {
			t.Status = backlog.StatusCompleted
		}
		for _, tag := range tags {
			if r.IntN(4) == 0 {
				t.Tags = append(t.Tags, tag)
			}
		}
		if r.IntN(2) == 0 {
			t.Due = now.Add(time.Duration(r.IntN(400)-200) * time.Hour)
		}
		if i > 0 && r.IntN(10) == 0 {
			t.Depends = []string{ts[r.IntN(i)].UUID}
		}
		ts[i] = t
	}
	return ts
}

func BenchmarkEvaluate100kTasks(b *testing.B) {
	tasks := manyTasks(100_000)
	e, err := Parse(twelveTerms, Options{Now: now})
	if err != nil {
		b.Fatal(err)
	}
	g := backlog.NewIndex(tasks)
	m := Compile(e, Env{Now: now, Graph: g})
	n := 0
	for b.Loop() {
		n = 0
		for _, t := range tasks {
			if m(t) {
				n++
			}
		}
	}
	b.ReportMetric(float64(n), "matches")
}

func BenchmarkEvaluateWordSearch100kTasks(b *testing.B) {
	tasks := manyTasks(100_000)
	e, err := Parse("login or DEPLOY", Options{Now: now})
	if err != nil {
		b.Fatal(err)
	}
	m := Compile(DefaultScope(e), Env{Now: now})
	for b.Loop() {
		for _, t := range tasks {
			m(t)
		}
	}
}

// orTerms is n OR-ed terms of one kind (tags or projects) of which the
// first selects tasks (about a quarter or a sixth of them in manyTasks);
// the others name tags or projects no task has. The result stays the same
// as n grows, so that the time shows what the terms cost.
func orTerms(kind string, n int) string {
	first, other := "+bug", "+t%d"
	if kind == "projects" {
		first, other = "project:web", "project:p%d"
	}
	terms := make([]string, n)
	terms[0] = first
	for i := 1; i < n; i++ {
		terms[i] = fmt.Sprintf(other, i)
	}
	return strings.Join(terms, " or ")
}

// BenchmarkEvaluateOrTerms parses, compiles and evaluates 10, 100 and 1,000
// OR-ed tags, or projects, over 10,000 tasks: the cost grows with terms,
// not with terms squared (issue 11: 1,000 OR-ed tags took 33 CPU-seconds
// on 2,000 tasks in a store).
//
//	go test ./filter -run '^$' -bench OrTerms
func BenchmarkEvaluateOrTerms(b *testing.B) {
	tasks := manyTasks(10_000)
	for _, kind := range []string{"tags", "projects"} {
		for _, n := range []int{10, 100, 1000} {
			src := orTerms(kind, n)
			b.Run(fmt.Sprintf("%d %s", n, kind), func(b *testing.B) {
				matched := 0
				for b.Loop() {
					e, err := Parse(src, Options{Now: now})
					if err != nil {
						b.Fatal(err)
					}
					m := Compile(DefaultScope(e), Env{Now: now})
					matched = 0
					for _, t := range tasks {
						if m(t) {
							matched++
						}
					}
				}
				b.ReportMetric(float64(matched), "matches")
			})
		}
	}
}
