package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/sqlite"
)

// The hooks section: each `backlog hook EVENT` as Claude Code runs it, a
// whole process fed the event's JSON on stdin, on a backlog of 10,000
// tasks, against issue 14's 20 ms; next to `backlog --help` (the start of
// the process alone) and /bin/true (the start of any process here).

var onlyHooks = flag.Bool("hooks", false, "only the Claude Code hook figures (10,000 tasks)")

const hookTasks = 10_000

// runHooks is `bench -hooks`.
func runHooks(_, runs int, keep string) error {
	ctx := context.Background()
	dir := keep
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "backlog-bench-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "backlog.db"))
	if err != nil {
		return err
	}
	fmt.Printf("building a store of %d tasks in %s ...\n", hookTasks, dir)
	err = fill(ctx, engine.New(st, engine.Options{Agent: "bench"}), hookTasks)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	bin, err := buildCLI(dir)
	if err != nil {
		return err
	}
	figs, err := hookFigures(bin, dir, runs)
	if err != nil {
		return err
	}
	printFigures(figs)
	return nil
}

// hookFigures times each event over runs runs: the wall time, and the CPU
// time (user and system) the process used, which a loaded machine inflates
// less. task-created mirrors a new task each run and task-completed
// completes those mirrors, so both write; subagent-start claims a task of
// project p3 each run (BACKLOG_SUBAGENT_CLAIM names that type).
func hookFigures(bin, dir string, runs int) ([]figure, error) {
	env := append(os.Environ(), "TASKDATA="+dir, "BACKLOG_SUBAGENT_CLAIM=p3")
	timeRun := func(name string, input func(i int) string, quiet bool, args ...string) (wall, cpu time.Duration, err error) {
		walls := make([]time.Duration, 0, runs)
		cpus := make([]time.Duration, 0, runs)
		for i := 0; i < runs; i++ {
			cmd := exec.Command(name, args...)
			cmd.Env = env
			cmd.Stdin = bytes.NewReader([]byte(input(i)))
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			t0 := time.Now()
			if err := cmd.Run(); err != nil {
				return 0, 0, fmt.Errorf("%s %v: %v: %s", name, args, err, stderr.Bytes())
			}
			walls = append(walls, time.Since(t0))
			cpus = append(cpus, cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime())
			if quiet && stderr.Len() > 0 {
				return 0, 0, fmt.Errorf("%s %v said: %s", name, args, stderr.Bytes())
			}
		}
		return median(walls), median(cpus), nil
	}
	session := func(int) string {
		return `{"session_id":"bench","hook_event_name":"SessionStart","source":"startup"}`
	}
	task := func(event string) func(int) string {
		return func(i int) string {
			return fmt.Sprintf(`{"session_id":"bench","hook_event_name":%q,"task_id":"%d","task_subject":"Benchmark task %d","task_description":"Made by go run ./bench -hooks."}`, event, i+1, i+1)
		}
	}
	subagent := func(i int) string {
		return fmt.Sprintf(`{"session_id":"bench","hook_event_name":"SubagentStart","agent_id":"a%d","agent_type":"p3"}`, i)
	}
	none := func(int) string { return "" }
	var figs []figure
	for _, c := range []struct {
		name  string
		bin   string
		input func(int) string
		quiet bool // says nothing on stderr
		args  []string
	}{
		{"/bin/true (any process)", "/bin/true", none, true, nil},
		{"backlog hook, input ignored (start-up alone)", bin, none, false, []string{"hook", "task-created"}},
		{"backlog hook session-start", bin, session, true, []string{"hook", "session-start"}},
		{"backlog hook task-created (writes)", bin, task("TaskCreated"), true, []string{"hook", "task-created"}},
		{"backlog hook task-completed (writes)", bin, task("TaskCompleted"), true, []string{"hook", "task-completed"}},
		{"backlog hook subagent-start (claims)", bin, subagent, true, []string{"hook", "subagent-start"}},
	} {
		wall, cpu, err := timeRun(c.bin, c.input, c.quiet, c.args...)
		if err != nil {
			return nil, err
		}
		figs = append(figs,
			figure{name: c.name + ", wall", value: float64(wall) / 1e6, unit: "ms", target: 20},
			figure{name: c.name + ", CPU", value: float64(cpu) / 1e6, unit: "ms", target: 20})
	}
	return figs, nil
}
