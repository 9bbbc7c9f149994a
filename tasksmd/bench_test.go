package tasksmd

import (
	"fmt"
	"strings"
	"testing"
)

// benchTree is 20 files of 250 tasks each (5,000 tasks) with IDs, tags,
// details and cross-file blockers.
func benchTree() []Source {
	var srcs []Source
	for f := 0; f < 20; f++ {
		var b strings.Builder
		b.WriteString("# Tasks\n")
		for p := 0; p < 4; p++ {
			fmt.Fprintf(&b, "\n## P%d\n\n", p)
			for i := 0; i < 62+boolInt(p < 2); i++ {
				n := f*1000 + p*100 + i
				fmt.Fprintf(&b, "- [ ] Task number %d of file %d\n  - **ID**: t-%d\n  - **Tags**: web, api\n  - **Details**: something to do\n    on two lines\n", n, f, n)
				if i%3 == 0 {
					fmt.Fprintf(&b, "  - **Blocked by**: t-%d\n", ((f+1)%20)*1000+p*100+i+1)
				}
				b.WriteString("\n")
			}
		}
		path := "TASKS.md"
		if f > 0 {
			path = fmt.Sprintf("packages/p%02d/TASKS.md", f)
		}
		srcs = append(srcs, Source{path, []byte(b.String())})
	}
	return srcs
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestBenchTreeHas5000Tasks(t *testing.T) {
	q := &Queue{}
	for _, s := range benchTree() {
		q.Files = append(q.Files, Parse(s.Path, s.Data))
	}
	if n := len(q.Tasks()); n != 5000 {
		t.Fatalf("%d tasks", n)
	}
	if res := Lint(benchTree(), false); len(res.Findings) != 0 {
		t.Fatalf("bench tree does not lint: %v", res.Findings[0])
	}
}

// BenchmarkParseLintPick measures what `lint`, `pick` and `parse` do after
// reading the files: parse, lint and pick of 5,000 tasks in 20 files.
func BenchmarkParseLintPick(b *testing.B) {
	srcs := benchTree()
	b.Run("parse", func(b *testing.B) {
		for b.Loop() {
			for _, s := range srcs {
				Parse(s.Path, s.Data)
			}
		}
	})
	b.Run("lint", func(b *testing.B) {
		for b.Loop() {
			Lint(srcs, false)
		}
	})
	b.Run("pick", func(b *testing.B) {
		for b.Loop() {
			q := &Queue{}
			for _, s := range srcs {
				q.Files = append(q.Files, Parse(s.Path, s.Data))
			}
			q.Pick(PickOptions{Tags: []string{"web"}})
		}
	})
}
