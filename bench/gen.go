package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"time"
)

// genVersion names the generator's output. Change it whenever the
// generator's tasks change: the cached files and stores are kept under it, so
// a new version generates and imports afresh instead of measuring stale ones.
const genVersion = 2

// genBase is the generator's "now": every date is fixed relative to it, so
// the files are the same byte for byte on every machine and day.
var genBase = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// The itemN words run from item4000 to item5999 at every scale: four
// digits, so that Taskwarrior's substring match of item4242 finds the same
// tasks as our word match, and few enough that `widget item4242` selects a
// few pending tasks at 100,000 (about 4) and some 40 at 1,000,000.
const genItemFirst, genItems = 4000, 2000

// A genTask is one generated task in Taskwarrior's export shape, which both
// Taskwarrior and backlog import; Doc is ours alone.
type genTask struct {
	UUID        string          `json:"uuid"`
	Description string          `json:"description"`
	Status      string          `json:"status"`
	Project     string          `json:"project,omitempty"`
	Priority    string          `json:"priority,omitempty"`
	Tags        []string        `json:"tags,omitempty"`
	Entry       string          `json:"entry"`
	Modified    string          `json:"modified"`
	End         string          `json:"end,omitempty"`
	Due         string          `json:"due,omitempty"`
	Wait        string          `json:"wait,omitempty"`
	Depends     []string        `json:"depends,omitempty"`
	Annotations []genAnnotation `json:"annotations,omitempty"`
	Doc         string          `json:"doc,omitempty"`
}

type genAnnotation struct {
	Entry       string `json:"entry"`
	Description string `json:"description"`
}

// generate writes n tasks as two JSON arrays: ours (with docs) and
// Taskwarrior's (the same tasks without them). The mix is a backlog grown
// to that size, mostly history: 75% completed, 5% deleted, 20% pending; 50
// projects p0..p49, a third of their tasks in sub-projects (p3.s1);
// 0-3 of 8 tags (bug among them); priorities on 45%; descriptions of 3-8
// words drawn from 2,000 with a Zipf distribution, 40% with "widget", each
// ending in one of genItems itemN words; due dates on a third of the pending
// tasks, a wait beyond the base on 2%; one or two dependencies on earlier
// pending tasks for 5%; annotations on 10%; a markdown doc on 2%.
func generate(n int, ours, tw string) error {
	fo, err := os.Create(ours)
	if err != nil {
		return err
	}
	defer fo.Close()
	ft, err := os.Create(tw)
	if err != nil {
		return err
	}
	defer ft.Close()
	wo, wt := bufio.NewWriterSize(fo, 1<<20), bufio.NewWriterSize(ft, 1<<20)
	g := newGenerator()
	wo.WriteString("[\n")
	wt.WriteString("[\n")
	for i := range n {
		t := g.task(i)
		if i > 0 {
			wo.WriteString(",\n")
			wt.WriteString(",\n")
		}
		b, err := json.Marshal(t)
		if err != nil {
			return err
		}
		wo.Write(b)
		if t.Doc != "" {
			t.Doc = ""
			if b, err = json.Marshal(t); err != nil {
				return err
			}
		}
		wt.Write(b)
	}
	wo.WriteString("\n]\n")
	wt.WriteString("\n]\n")
	for _, w := range []*bufio.Writer{wo, wt} {
		if err := w.Flush(); err != nil {
			return err
		}
	}
	if err := fo.Close(); err != nil {
		return err
	}
	return ft.Close()
}

type generator struct {
	r       *rand.Rand
	zipf    *rand.Zipf
	vocab   []string
	pending []string // UUIDs of pending tasks so far, for dependencies
}

var genTags = []string{"bug", "perf", "ux", "next", "docs", "infra", "security", "tests"}

func newGenerator() *generator {
	return &generator{
		r:     rand.New(rand.NewPCG(19, 1)),
		zipf:  rand.NewZipf(rand.New(rand.NewPCG(19, 2)), 1.1, 8, 1999),
		vocab: vocabulary(2000),
	}
}

// twTime is Taskwarrior's date format.
func twTime(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

func (g *generator) uuid() string {
	a, b := g.r.Uint64(), g.r.Uint64()
	a = a&^0xf000 | 0x4000     // version 4
	b = b&^(0xc<<60) | 0x8<<60 // RFC 4122 variant
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, a>>16&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

func (g *generator) words(k int) []string {
	w := make([]string, k)
	for i := range w {
		w[i] = g.vocab[g.zipf.Uint64()]
	}
	return w
}

func (g *generator) task(i int) genTask {
	r := g.r
	t := genTask{UUID: g.uuid()}

	words := g.words(3 + r.IntN(6))
	if r.IntN(10) < 4 {
		words = append(words[:1], append([]string{"widget"}, words[1:]...)...)
	}
	words = append(words, fmt.Sprintf("item%d", genItemFirst+r.IntN(genItems)))
	t.Description = strings.Join(words, " ")

	t.Project = fmt.Sprintf("p%d", r.IntN(50))
	if r.IntN(3) == 0 {
		t.Project += fmt.Sprintf(".s%d", r.IntN(4))
	}
	for _, k := range r.Perm(len(genTags))[:r.IntN(4)] {
		t.Tags = append(t.Tags, genTags[k])
	}
	switch p := r.IntN(20); {
	case p < 2:
		t.Priority = "H"
	case p < 6:
		t.Priority = "M"
	case p < 9:
		t.Priority = "L"
	}

	age := time.Duration(r.IntN(730*24*3600)) * time.Second
	entry := genBase.Add(-age)
	t.Entry, t.Modified = twTime(entry), twTime(entry)
	switch s := r.IntN(20); {
	case s < 15:
		t.Status = "completed"
	case s == 15:
		t.Status = "deleted"
	default:
		t.Status = "pending"
	}
	if t.Status != "pending" {
		end := entry.Add(time.Duration(r.Int64N(int64(age) + 1)))
		t.End, t.Modified = twTime(end), twTime(end)
	} else {
		if r.IntN(3) == 0 {
			t.Due = twTime(genBase.Add(time.Duration(r.IntN(90)-30) * 24 * time.Hour))
		}
		if r.IntN(50) == 0 {
			t.Wait = twTime(genBase.AddDate(5, 0, r.IntN(30)))
		}
		if len(g.pending) > 0 && r.IntN(20) == 0 {
			for range 1 + r.IntN(2) {
				dep := g.pending[r.IntN(len(g.pending))]
				if len(t.Depends) == 0 || t.Depends[0] != dep {
					t.Depends = append(t.Depends, dep)
				}
			}
		}
		g.pending = append(g.pending, t.UUID)
	}
	if r.IntN(10) == 0 {
		for k := range 1 + r.IntN(2) {
			t.Annotations = append(t.Annotations, genAnnotation{
				Entry:       twTime(entry.Add(time.Duration(k+1) * time.Hour)),
				Description: "noted: " + strings.Join(g.words(4+r.IntN(8)), " "),
			})
		}
	}
	if r.IntN(50) == 0 {
		var d strings.Builder
		fmt.Fprintf(&d, "# %s\n\n", strings.Join(g.words(4), " "))
		for range 2 + r.IntN(3) {
			fmt.Fprintf(&d, "%s.\n\n", strings.Join(g.words(10+r.IntN(15)), " "))
		}
		d.WriteString("- [ ] " + strings.Join(g.words(5), " ") + "\n")
		t.Doc = d.String()
	}
	return t
}
