package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Taskwarrior's side: the same generated tasks (without docs, which it has
// no place for) imported once by `task import` into a scratch data
// directory of the cache, then the same CLI figures, with the settings that
// keep it quiet: rc.confirmation=off rc.verbose=nothing, and an empty rc
// file so that it asks nothing.

type twSubject struct {
	task    string // the binary
	version string
	data    string // rc.data.location
	rc      string // TASKRC
	imp     stat
}

func (t *twSubject) argv(args ...string) []string {
	return append([]string{t.task, "rc.data.location=" + t.data, "rc.confirmation=off", "rc.verbose=nothing"}, args...)
}

func (t *twSubject) env() []string { return []string{"TASKRC=" + t.rc, "TASKDATA=" + t.data} }

// taskwarrior gives Taskwarrior's store of the generated tasks, importing
// them on the first run at this scale.
func taskwarrior(data, file string, n int) (*twSubject, error) {
	bin, err := exec.LookPath("task")
	if err != nil {
		return nil, errNoTaskwarrior
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("task --version: %v", err)
	}
	dir := filepath.Join(data, "taskwarrior")
	t := &twSubject{task: bin, version: strings.TrimSpace(string(out)), data: filepath.Join(dir, "data"), rc: filepath.Join(dir, "taskrc")}
	record := filepath.Join(dir, "import-"+t.version+".json")
	if b, err := os.ReadFile(record); err == nil && json.Unmarshal(b, &t.imp) == nil {
		return t, nil
	}
	os.RemoveAll(dir)
	if err := os.MkdirAll(t.data, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(t.rc, nil, 0o644); err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "importing %s tasks into Taskwarrior %s (once; kept in %s) ...\n", thousands(n), t.version, dir)
	ss, err := measure(job{Argv: t.argv("import", file), Env: t.env(), Runs: 1})
	if err != nil {
		return nil, fmt.Errorf("task import: %w", err)
	}
	t.imp = summarize(ss[0])
	fmt.Fprintf(os.Stderr, "Taskwarrior imported in %s, peak %.0f MiB\n", t.imp.Wall.Round(time.Millisecond), float64(t.imp.MaxRSS)/1024)
	b, _ := json.Marshal(t.imp)
	return t, os.WriteFile(record, b, 0o644)
}

// job runs `task ARGS` runs times after two warm-up runs (the first of
// which may also do Taskwarrior's housekeeping after the import).
func (t *twSubject) job(args []string, runs int) job {
	return job{Argv: t.argv(args...), Env: t.env(), Runs: runs, Warm: 2, NoMatchOK: true}
}

// matches says how many pending tasks a list's filter selects: "3 tasks".
func (t *twSubject) matches(args []string) string {
	if args[len(args)-1] != "list" {
		return ""
	}
	cmd := exec.Command(t.task, t.argv(append(append([]string{"status:pending"}, args[:len(args)-1]...), "count")...)[1:]...)
	cmd.Env = append(os.Environ(), t.env()...)
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out)) + " tasks"
}
