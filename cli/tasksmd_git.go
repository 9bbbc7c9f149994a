package cli

import (
	"bufio"
	"bytes"
	"context"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agent-backlog/backlog/tasksmd"
)

// Throughput for `tasksmd stats`, read from git history.
//
// The convention deletes a finished task's block, so the history of the
// TASKS.md files is the record of completed work. The method:
//
//   - git log -p of the last gitThroughputCommits commits that touch a
//     TASKS.md under the workspace's root (merges show no diff, so nothing
//     is counted twice), with no context lines and no renames;
//   - in each commit, every removed task line (`- [ ] summary`, with or
//     without a claim) whose summary is not added back in the same commit,
//     in any file, is one completed task: so claiming, unclaiming, moving a
//     task to another section or file, or editing its metadata counts for
//     nothing, while checking it off (`- [x]`) or deleting its block counts
//     once (removing an already checked line later does not count again);
//   - the agent is the removed line's claim; the time is the commit's
//     committer date; Week and Month are the last 7 and 30 days before now;
//     TopAgents are the five agents with most completions (ties by name).
//
// Outside a git repository, without git, or when git fails (a repository
// with no commit), there is no throughput: nil, and stats prints none.
const (
	gitThroughputCommits = 1000
	gitThroughputTimeout = 10 * time.Second
	gitThroughputTop     = 5
)

// commitMark starts each commit's record in the log (--format=%x00%ct):
// a NUL byte, then the committer date in seconds.
const commitMark = "\x00"

// gitThroughput computes the throughput of the TASKS.md files under root,
// or nil when root is not in a git repository or git cannot tell.
func gitThroughput(ctx context.Context, root string, now time.Time) *tasksmd.Throughput {
	ctx, cancel := context.WithTimeout(ctx, gitThroughputTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", "-C", root, "-c", "core.quotepath=off",
		"log", "-n", strconv.Itoa(gitThroughputCommits), "--no-color", "--no-ext-diff", "--no-renames",
		"--no-textconv", "-U0", "-p", "--format=%x00%ct", "--", ":(glob)**/TASKS.md")
	out, err := cmd.Output()
	if err != nil {
		return nil
	}
	return throughputFromLog(out, now)
}

// throughputFromLog counts completions in the output of gitThroughput's
// git log.
func throughputFromLog(log []byte, now time.Time) *tasksmd.Throughput {
	th := &tasksmd.Throughput{}
	agents := map[string]int{}
	weekAgo, monthAgo := now.AddDate(0, 0, -7), now.AddDate(0, 0, -30)
	for _, rec := range bytes.Split(log, []byte(commitMark)) {
		if len(bytes.TrimSpace(rec)) == 0 {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(rec))
		sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
		if !sc.Scan() {
			continue
		}
		secs, err := strconv.ParseInt(strings.TrimSpace(sc.Text()), 10, 64)
		if err != nil {
			continue
		}
		when := time.Unix(secs, 0)
		var removed, added strings.Builder
		for sc.Scan() {
			line := sc.Text()
			// Only lines at column 0 of the file can be tasks: a diff
			// line is its sign, then the file's line.
			if len(line) < 2 || line[1] != '-' {
				continue
			}
			switch line[0] {
			case '-':
				removed.WriteString(line[1:] + "\n")
			case '+':
				added.WriteString(line[1:] + "\n")
			}
		}
		if removed.Len() == 0 {
			continue
		}
		back := map[string]int{}
		for _, t := range diffTasks(added.String()) {
			back[t.Summary]++
		}
		for _, t := range diffTasks(removed.String()) {
			if back[t.Summary] > 0 {
				back[t.Summary]--
				continue
			}
			th.Total++
			if !when.Before(monthAgo) {
				th.Month++
			}
			if !when.Before(weekAgo) {
				th.Week++
			}
			if a := strings.TrimPrefix(t.Claimed, "@"); a != "" {
				agents[a]++
			}
		}
	}
	for a, n := range agents {
		th.TopAgents = append(th.TopAgents, tasksmd.AgentCount{Agent: a, Count: n})
	}
	slices.SortFunc(th.TopAgents, func(x, y tasksmd.AgentCount) int {
		if x.Count != y.Count {
			return y.Count - x.Count
		}
		return strings.Compare(x.Agent, y.Agent)
	})
	if len(th.TopAgents) > gitThroughputTop {
		th.TopAgents = th.TopAgents[:gitThroughputTop]
	}
	return th
}

// diffTasks reads the task lines among lines (each a file line that starts
// with "-") as the format package reads them, claims split off.
func diffTasks(lines string) []*tasksmd.Task {
	if lines == "" {
		return nil
	}
	return tasksmd.Parse("diff", []byte("# Tasks\n\n## P0\n"+lines)).Tasks
}

// tasksmdThroughput is the throughput of the files under root at the
// configured time (BACKLOG_NOW, else now).
func (a *runner) tasksmdThroughput(root string) (*tasksmd.Throughput, error) {
	clock, err := configClock(a)
	if err != nil {
		return nil, err
	}
	return gitThroughput(a.ctx, root, clock()), nil
}
