package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"time"
)

// Whole-process figures are taken in a small child of this program (this
// binary again, with BACKLOG_BENCH_RUN set): Linux starts a child with
// vfork, and exec carries the parent's memory high-water mark into the
// child's, so a child of a large process reports that size as its peak.

// A job is what the measuring child runs: Argv, Runs times, in Dir with Env
// (added to the child's own). With Serve, each run spawns Argv, sends MCP's
// initialize over stdin and stops the clock at the answer.
type job struct {
	Argv  []string `json:"argv"`
	Env   []string `json:"env,omitempty"`
	Dir   string   `json:"dir,omitempty"`
	Runs  int      `json:"runs"`
	Warm  int      `json:"warm,omitempty"` // unmeasured runs first
	Serve bool     `json:"serve,omitempty"`
	// NoMatchOK takes exit status 1 as success: Taskwarrior's answer when
	// a filter selects nothing.
	NoMatchOK bool `json:"no_match_ok,omitempty"`
}

// slowRun is how long a warm-up run takes for the command to count as
// slow; a slow command is run slowRuns times instead of Runs.
const (
	slowRun  = time.Second
	slowRuns = 5
)

// A sample is one run: its time on the clock, the CPU time it used (user
// and system) and its peak resident memory.
type sample struct {
	Job    int           `json:"job,omitempty"`
	Wall   time.Duration `json:"wall"`
	CPU    time.Duration `json:"cpu"`
	MaxRSS int64         `json:"maxrss_kib"`
}

// measure runs the jobs in a measuring child and returns the samples of
// each. The jobs take turns, one run each, so that a change of the
// machine's load falls on all of them alike and their ratios hold.
func measure(jobs ...job) ([][]sample, error) {
	spec, err := json.Marshal(jobs)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "BACKLOG_BENCH_RUN="+string(spec))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%v: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	return parseSamples(out, len(jobs))
}

// parseSamples reads the measuring child's output, one JSON sample a line,
// into the samples of each of n jobs.
func parseSamples(out []byte, n int) ([][]sample, error) {
	ss := make([][]sample, n)
	for line := range bytes.Lines(out) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var s sample
		if err := json.Unmarshal(line, &s); err != nil || s.Job < 0 || s.Job >= n {
			return nil, fmt.Errorf("the measuring child printed %q", line)
		}
		ss[s.Job] = append(ss[s.Job], s)
	}
	for k, s := range ss {
		if len(s) == 0 {
			return nil, fmt.Errorf("the measuring child printed no sample of job %d", k)
		}
	}
	return ss, nil
}

// measureRuns is the measuring child: it runs the jobs of BACKLOG_BENCH_RUN
// in turns and prints a sample a line.
func measureRuns() {
	var jobs []job
	if err := json.Unmarshal([]byte(os.Getenv("BACKLOG_BENCH_RUN")), &jobs); err != nil {
		fmt.Fprintln(os.Stderr, "bench: BACKLOG_BENCH_RUN:", err)
		os.Exit(2)
	}
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	rounds := 0
	for k := range jobs {
		for w := range jobs[k].Warm {
			s, err := jobs[k].once()
			if err != nil {
				fail(err)
			}
			if w == 0 && s.Wall > slowRun {
				jobs[k].Runs = min(jobs[k].Runs, slowRuns)
			}
		}
		rounds = max(rounds, jobs[k].Runs)
	}
	for r := range rounds {
		for k, j := range jobs {
			if r >= j.Runs {
				continue
			}
			s, err := j.once()
			if err != nil {
				fail(err)
			}
			s.Job = k
			b, _ := json.Marshal(s)
			fmt.Printf("%s\n", b)
		}
	}
}

func (j job) once() (sample, error) {
	if j.Serve {
		return serveOnce(j)
	}
	return runOnce(j)
}

func (j job) command() *exec.Cmd {
	cmd := exec.Command(j.Argv[0], j.Argv[1:]...)
	cmd.Env = append(os.Environ(), j.Env...)
	cmd.Dir = j.Dir
	return cmd
}

// usage is the CPU time and peak memory of a finished process.
func usage(s sample, ps *os.ProcessState) sample {
	s.CPU = ps.UserTime() + ps.SystemTime()
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		s.MaxRSS = ru.Maxrss
	}
	return s
}

// runOnce runs the command to its end, its output thrown away (as to a
// file: the commands see no terminal).
func runOnce(j job) (sample, error) {
	cmd := j.command()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	t0 := time.Now()
	err := cmd.Run()
	wall := time.Since(t0)
	if err != nil && !(j.NoMatchOK && cmd.ProcessState != nil && cmd.ProcessState.ExitCode() == 1) {
		return sample{}, fmt.Errorf("%v: %v: %s", j.Argv, err, bytes.TrimSpace(stderr.Bytes()))
	}
	return usage(sample{Wall: wall}, cmd.ProcessState), nil
}

// initializeRequest is what an MCP client sends first.
const initializeRequest = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}` + "\n"

// serveOnce spawns the server, sends initialize and times the answer; the
// server then sees its input end and exits.
func serveOnce(j job) (sample, error) {
	cmd := j.command()
	in, err := cmd.StdinPipe()
	if err != nil {
		return sample{}, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return sample{}, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return sample{}, err
	}
	if _, err := io.WriteString(in, initializeRequest); err != nil {
		return sample{}, err
	}
	line, err := bufio.NewReader(out).ReadBytes('\n')
	wall := time.Since(t0)
	in.Close()
	werr := cmd.Wait()
	if err != nil {
		return sample{}, fmt.Errorf("%v: no answer to initialize: %v: %s", j.Argv, err, bytes.TrimSpace(stderr.Bytes()))
	}
	if !bytes.Contains(line, []byte(`"result"`)) {
		return sample{}, fmt.Errorf("%v: initialize answered %s", j.Argv, bytes.TrimSpace(line))
	}
	if werr != nil {
		return sample{}, fmt.Errorf("%v: after initialize: %v: %s", j.Argv, werr, bytes.TrimSpace(stderr.Bytes()))
	}
	return usage(sample{Wall: wall}, cmd.ProcessState), nil
}

// A stat sums up samples: the minimum and median of the wall time, the
// median CPU time and the highest peak memory.
type stat struct {
	MinWall, Wall, CPU time.Duration
	MaxRSS             int64 // KiB
	Runs               int
}

func summarize(ss []sample) stat {
	walls := make([]time.Duration, len(ss))
	cpus := make([]time.Duration, len(ss))
	var st stat
	for i, s := range ss {
		walls[i], cpus[i] = s.Wall, s.CPU
		st.MaxRSS = max(st.MaxRSS, s.MaxRSS)
	}
	slices.Sort(walls)
	slices.Sort(cpus)
	st.MinWall, st.Wall, st.CPU, st.Runs = walls[0], mid(walls), mid(cpus), len(ss)
	return st
}

// mid is the median of sorted durations (the mean of the middle two for an
// even count).
func mid(s []time.Duration) time.Duration {
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
