package tsbacklog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/importers"
)

// queueFile holds the hook events (a built-in task made or completed, a
// sub-agent started) that the server applies at its next read. Events still
// there when it last stopped are work the user believes recorded, so the
// migration applies them as the server would have.
const queueFile = "sync-queue.jsonl"

// drainQueue applies dir's sync queue to the live tasks: a subject becomes
// a pending task, a completion completes the one pending task with that
// description, a sub-agent's start assigns every unassigned pending task.
func (r *reader) drainQueue(dir string, tasks []*backlog.Task) ([]*backlog.Task, int, error) {
	p := filepath.Join(dir, queueFile)
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return tasks, 0, nil
	}
	if err != nil {
		return nil, 0, backlog.Environmentf(err, "cannot read %s: %v", p, unwrapPath(err))
	}
	info, err := os.Stat(p)
	if err != nil {
		return nil, 0, backlog.Environmentf(err, "cannot read %s: %v", p, unwrapPath(err))
	}
	at := info.ModTime().UTC().Truncate(1e9)
	applied := 0
	for i, line := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var e struct {
			Subject       string `json:"subject"`
			Agent         string `json:"agent"`
			Completed     string `json:"completed"`
			SubagentStart string `json:"subagent_start"`
		}
		if json.Unmarshal(line, &e) != nil {
			r.notes.Skip("line %d of %s is not a hook event; skipped, as the server skips it", i+1, queueFile)
			continue
		}
		switch {
		case e.Subject != "":
			tasks = append(tasks, &backlog.Task{
				UUID:        importers.StableUUID(Kind+"-queue", fmt.Sprintf("%d:%s", i+1, e.Subject)),
				Description: e.Subject,
				Status:      backlog.StatusPending,
				Agent:       e.Agent,
				Entry:       at,
				Modified:    at,
			})
			r.notes.Map("built-in tasks waiting in sync-queue.jsonl: added as pending tasks, as the server would at its next start")
		case e.Completed != "":
			var match []*backlog.Task
			for _, t := range tasks {
				if t.Archived == "" && t.Status == backlog.StatusPending && t.Description == e.Completed {
					match = append(match, t)
				}
			}
			if len(match) != 1 {
				r.notes.Skip("line %d of %s completes %q, which %d pending tasks have as description; skipped, as the server skips it", i+1, queueFile, e.Completed, len(match))
				continue
			}
			match[0].Status, match[0].End, match[0].Modified = backlog.StatusCompleted, at, at
			r.notes.Map("completions waiting in sync-queue.jsonl: the matching task completed, as the server would at its next start")
		case e.SubagentStart != "":
			for _, t := range tasks {
				if t.Archived == "" && t.Status == backlog.StatusPending && t.Agent == "" {
					t.Agent, t.Modified = e.SubagentStart, at
					r.notes.Map(fmt.Sprintf("a sub-agent start waiting in sync-queue.jsonl: unassigned pending tasks given to %s, as the server would", strings.TrimSpace(e.SubagentStart)))
				}
			}
		default:
			continue
		}
		applied++
	}
	return tasks, applied, nil
}
