package hook

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
)

// LinkUDA is the user-defined attribute that marks a backlog task as the
// mirror of one of Claude's built-in tasks: it holds "LIST/ID", Claude's
// task list and the task's id in it (backlog list claude_task.any: shows
// the mirrors).
const LinkUDA = "claude_task"

// linkSpace is the namespace of the UUIDs derived from links (UUID v5).
var linkSpace = uuid.MustParse("4d44b259-8f5d-4148-86b2-dcd91296c277")

// link names one of Claude's built-in tasks: its task list and its id in
// the list (Claude numbers the tasks of each list from 1).
type link struct{ list, id string }

// String is the link as LinkUDA holds it.
func (l link) String() string { return l.list + "/" + l.id }

// UUID is the UUID of the backlog task that mirrors Claude's: derived from
// the link alone, so that the completion finds the task the creation made
// by its UUID (one indexed read, whatever the backlog's size), and two
// deliveries of one creation make one task. The parts are joined by a NUL,
// which neither may hold, so that no two links share a UUID.
func (l link) UUID() string {
	return uuid.NewSHA1(linkSpace, []byte(l.list+"\x00"+l.id)).String()
}

// linkOf reads the link of the event's task. Claude keeps the tasks of a
// session in a list named by CLAUDE_CODE_TASK_LIST_ID when it is set, by
// the team for an agent team, by the session otherwise; the creation and
// the completion of one task carry the same.
func linkOf(in *Input, getenv func(string) string) (link, error) {
	id, err := key("task_id", in.TaskID)
	if err != nil {
		return link{}, err
	}
	field, list := "CLAUDE_CODE_TASK_LIST_ID", getenv("CLAUDE_CODE_TASK_LIST_ID")
	switch {
	case strings.TrimSpace(list) != "":
	case strings.TrimSpace(in.TeamName) != "":
		field, list = "team_name", in.TeamName
	default:
		field, list = "session_id", in.SessionID
	}
	if list, err = key(field, list); err != nil {
		return link{}, err
	}
	return link{list: list, id: id}, nil
}

// mirror is the task object imported for a new built-in task.
type mirror struct {
	UUID        string            `json:"uuid"`
	Description string            `json:"description"`
	Extra       map[string]string `json:"extra"`
	Doc         string            `json:"doc,omitempty"`
}

// taskCreated mirrors a new built-in task as a pending backlog task: the
// subject is its description (one line, cut to the backlog's limit), and
// Claude's description of the work, with the whole subject when it was cut,
// is its doc. A task already mirrored is left as it is.
func taskCreated(ctx context.Context, in *Input, env Env) (*Output, error) {
	l, err := linkOf(in, env.Getenv)
	if err != nil {
		return nil, err
	}
	desc, cut := oneLine(in.TaskSubject, backlog.MaxDescription)
	if desc == "" {
		return nil, ignoredf("task_subject is missing")
	}
	var doc []string
	if cut {
		doc = append(doc, strings.TrimSpace(in.TaskSubject))
	}
	if d := strings.TrimSpace(in.TaskDescription); d != "" && d != desc {
		doc = append(doc, d)
	}
	m := mirror{
		UUID:        l.UUID(),
		Description: desc,
		Extra:       map[string]string{LinkUDA: l.String()},
		Doc:         docText(strings.Join(doc, "\n\n")),
	}
	eng, err := env.Engine(true)
	if err != nil {
		return nil, err
	}
	switch _, err := eng.Info(ctx, m.UUID); {
	case err == nil:
		return nil, nil // delivered twice, or the task was created before
	case !errors.Is(err, backlog.ErrNotFound):
		return nil, err
	}
	data, err := json.Marshal([]mirror{m})
	if err != nil {
		return nil, err
	}
	_, err = eng.Import(ctx, data, engine.ImportOptions{})
	return nil, err
}

// taskCompleted completes the backlog task that mirrors the built-in one.
// A built-in task with no mirror (made before the plugin was installed), or
// a mirror already completed or deleted, is left alone.
func taskCompleted(ctx context.Context, in *Input, env Env) (*Output, error) {
	l, err := linkOf(in, env.Getenv)
	if err != nil {
		return nil, err
	}
	eng, err := env.Engine(false)
	if err != nil {
		return nil, err
	}
	_, err = eng.Done(ctx, l.UUID())
	switch {
	case errors.Is(err, backlog.ErrNotFound):
		return nil, ignoredf("no backlog task mirrors Claude's task %s", clip(l.String()))
	case errors.Is(err, backlog.ErrConflict):
		return nil, ignoredf("the mirror of Claude's task %s: %v", clip(l.String()), err)
	}
	return nil, err
}

// oneLine makes s a task description: control characters and runs of
// white space become one space, and a text longer than max bytes is cut at
// a character boundary, ending in "...". cut reports the cut.
func oneLine(s string, max int) (line string, cut bool) {
	line = strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}), " ")
	if len(line) <= max {
		return line, false
	}
	return strings.TrimRight(truncate(line, max-3), " ") + "...", true
}

// docText makes s a doc: no NUL characters, at most backlog.MaxDocSize
// bytes.
func docText(s string) string {
	return truncate(strings.ReplaceAll(s, "\x00", ""), backlog.MaxDocSize)
}

// truncate cuts s to at most n bytes at a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
