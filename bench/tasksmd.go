package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// The TASKS.md section: `backlog tasksmd lint`, `pick` and `parse` as whole
// processes over a tree of 20 files and 5,000 tasks, against issue 12's
// 50 ms, next to the start-up of Node alone (the reference tools are Node
// programs, so no run of theirs can be faster than that).

const (
	tasksmdFiles   = 20
	tasksmdPerFile = 250
)

// tasksmdTree writes the tree under dir and returns its files, the root's
// TASKS.md first. Each file has its 250 tasks spread over P0-P3, every task
// an ID, most of them tags, some details on two lines, acceptance, files
// and a custom field; a tenth are claimed, a fifth blocked by a task of the
// next file (so blockers resolve across files), a few by an external
// reason; a policy comment and a sub-task here and there. It lints clean.
func tasksmdTree(dir string) ([]string, error) {
	tags := []string{"backend", "frontend", "api", "docs", "infra", "perf", "security", "tests"}
	agents := []string{"claude", "codex", "gemini-cli", "aider"}
	var paths []string
	for f := 0; f < tasksmdFiles; f++ {
		rel := "TASKS.md"
		if f > 0 {
			rel = filepath.Join("packages", fmt.Sprintf("pkg%02d", f), "TASKS.md")
		}
		var b strings.Builder
		b.WriteString("# Tasks\n\n<!-- policy: claim before you start; remove a task when it is done -->\n")
		i := 0
		for p := 0; p < 4; p++ {
			fmt.Fprintf(&b, "\n## P%d\n\n", p)
			// 25, 50, 75 and 100 tasks in P0..P3.
			for k := 0; k < 25*(p+1); k++ {
				id := fmt.Sprintf("pkg%02d-task-%03d", f, i)
				fmt.Fprintf(&b, "- [ ] Make the %s handler of package %d cope with case %d", tags[i%len(tags)], f, i)
				if i%10 == 3 {
					fmt.Fprintf(&b, " (@%s)", agents[i%len(agents)])
				}
				fmt.Fprintf(&b, "\n  - **ID**: %s\n", id)
				if i%4 != 0 {
					fmt.Fprintf(&b, "  - **Tags**: %s, %s\n", tags[i%len(tags)], tags[(i/3)%len(tags)])
				}
				if i%2 == 0 {
					fmt.Fprintf(&b, "  - **Details**: The handler drops the request when case %d comes in;\n    keep it and log the reason instead.\n", i)
					fmt.Fprintf(&b, "  - **Files**: `pkg%02d/handler.go`, `pkg%02d/handler_test.go`\n", f, f)
					b.WriteString("  - **Acceptance**: a test of the case passes\n")
				}
				if i%5 == 1 {
					fmt.Fprintf(&b, "  - **Blocked by**: pkg%02d-task-%03d\n", (f+1)%tasksmdFiles, (i+7)%tasksmdPerFile)
				}
				if i%50 == 7 {
					b.WriteString("  - **Blocked**: needs-user-approval — the schema change\n")
				}
				if i%6 == 5 {
					b.WriteString("  - **Owner team**: platform\n  - **Last-enriched**: 2025-01-15\n")
				}
				if i%25 == 9 {
					b.WriteString("  - [ ] write the test\n  - [x] reproduce it\n")
				}
				b.WriteString("\n")
				i++
			}
		}
		path := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			return nil, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// tasksmdFigures times the three commands with the binary bin.
func tasksmdFigures(bin, dir string, runs int) ([]figure, error) {
	tree := filepath.Join(dir, "tasksmd-tree")
	paths, err := tasksmdTree(tree)
	if err != nil {
		return nil, fmt.Errorf("writing the TASKS.md tree: %w", err)
	}
	defer os.RemoveAll(tree)
	const target = 50 * time.Millisecond
	var figs []figure
	cmds := []struct {
		name string
		args []string
	}{
		{"tasksmd lint (20 files, 5,000 tasks)", append([]string{"tasksmd", "lint"}, paths...)},
		{"tasksmd pick --dir (5,000 tasks)", []string{"tasksmd", "pick", "--dir", tree, "--tags", "api"}},
		{"tasksmd parse --dir (5,000 tasks)", []string{"tasksmd", "parse", "--dir", tree}},
	}
	for _, c := range cmds {
		d, err := medianRun(runs, bin, c.args...)
		if err != nil {
			return nil, err
		}
		figs = append(figs, figure{c.name + ", whole process", float64(d) / 1e6, "ms", float64(target) / 1e6})
	}
	// The baseline: Node's start-up alone, which every run of the
	// reference tools pays before reading a file. Left out where Node is
	// not installed.
	if node, err := exec.LookPath("node"); err == nil {
		if d, err := medianRun(runs, node, "-e", "0"); err == nil {
			figs = append(figs, figure{"baseline: `node -e 0` (reference's floor)", float64(d) / 1e6, "ms", float64(target) / 1e6})
		}
	}
	return figs, nil
}

// medianRun runs the command runs times (after one untimed run that warms
// the page cache) and returns the median wall time. Output is discarded; a
// failure (lint's exit 1 on findings included) is an error, since the tree
// is made to be clean.
func medianRun(runs int, name string, args ...string) (time.Duration, error) {
	var ds []time.Duration
	for i := 0; i <= runs; i++ {
		cmd := exec.Command(name, args...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		t0 := time.Now()
		err := cmd.Run()
		d := time.Since(t0)
		if err != nil {
			first, _, _ := strings.Cut(stderr.String(), "\n")
			return 0, fmt.Errorf("%s %s: %v: %s", filepath.Base(name), args[0], err, first)
		}
		if i > 0 {
			ds = append(ds, d)
		}
	}
	return median(ds), nil
}
