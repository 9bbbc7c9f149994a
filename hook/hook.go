// Package hook answers Claude Code's hook events for the backlog: it reads
// the event's JSON, acts on the backlog through the engine, and returns what
// the event expects Claude Code to read on stdout.
//
// A hook must never block a session. Input the package does not understand
// (not JSON, another event, a field missing, too long) is an Ignored error:
// the caller reports it on stderr and exits 0, having changed nothing. Input
// is data only: no field is ever run, expanded or parsed as a filter.
package hook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/agent-backlog/backlog/engine"
)

// Event is one hook event: the subcommand that answers it and the name
// Claude Code gives it in hook_event_name.
type Event struct {
	Name   string // kebab case: session-start
	Claude string // SessionStart
	handle func(ctx context.Context, in *Input, env Env) (*Output, error)
}

// Events returns the events the backlog answers, in the order of a
// session.
func Events() []Event {
	return []Event{
		{Name: "session-start", Claude: "SessionStart", handle: sessionStart},
		{Name: "task-created", Claude: "TaskCreated", handle: taskCreated},
		{Name: "task-completed", Claude: "TaskCompleted", handle: taskCompleted},
		{Name: "subagent-start", Claude: "SubagentStart", handle: subagentStart},
	}
}

// Lookup returns the event with the kebab-case name.
func Lookup(name string) (Event, bool) {
	for _, e := range Events() {
		if e.Name == name {
			return e, true
		}
	}
	return Event{}, false
}

// Input holds the fields of Claude Code's hook input that the events read;
// every other field is ignored (but must be JSON).
type Input struct {
	HookEventName string `json:"hook_event_name"`
	SessionID     string `json:"session_id"`
	// SubagentStart: the sub-agent's type, which is its role.
	AgentType string `json:"agent_type"`
	// TaskCreated, TaskCompleted: Claude's built-in task, and the team
	// whose task list holds it, when there is one.
	TaskID          string `json:"task_id"`
	TaskSubject     string `json:"task_subject"`
	TaskDescription string `json:"task_description"`
	TeamName        string `json:"team_name"`
}

// Env is what the events may use. Each event opens only what it needs, so
// that a hook that has nothing to do costs only the start of the process.
type Env struct {
	// Engine opens the configured backlog. With write false a backlog that
	// does not exist yet reads as empty and is not created.
	Engine func(write bool) (*engine.Engine, error)
	// Getenv reads the settings: BACKLOG_SUBAGENT_CLAIM,
	// CLAUDE_CODE_TASK_LIST_ID.
	Getenv func(string) string
	// SummaryText renders the session summary as the few lines of
	// `backlog summary`.
	SummaryText func(*engine.Summary) string
}

// Output is what an event writes on stdout for Claude Code: one line of
// JSON. Events that have nothing to say return a nil Output.
type Output struct {
	HookSpecificOutput *Specific `json:"hookSpecificOutput"`
}

// Specific is the event-specific part of an Output: text added to the
// context of the session (SessionStart) or of the sub-agent (SubagentStart).
type Specific struct {
	HookEventName     string `json:"hookEventName"`
	AdditionalContext string `json:"additionalContext"`
}

// addContext returns the Output that adds text to the event's context.
func addContext(ev, text string) *Output {
	return &Output{HookSpecificOutput: &Specific{HookEventName: ev, AdditionalContext: text}}
}

// Ignored is input the hook does not understand or has no business acting
// on; nothing was changed.
type Ignored struct{ Reason string }

func (e *Ignored) Error() string { return "ignored: " + e.Reason }

func ignoredf(format string, args ...any) error {
	return &Ignored{Reason: fmt.Sprintf(format, args...)}
}

// IsIgnored reports whether err is an Ignored input.
func IsIgnored(err error) bool {
	var ig *Ignored
	return errors.As(err, &ig)
}

// MaxInput is the most hook input read, in bytes: far more than any event
// carries (a task's subject and description are the long ones).
const MaxInput = 8 << 20

// maxKey is the longest id (task, session, team, agent type) a link or a
// claim uses, in bytes.
const maxKey = 200

// Run answers one event: it reads the event's JSON from r, acts, and writes
// the event's output (if any) on w as one line. The error is Ignored for
// input it does not understand; any other error is a failure of the
// backlog (it cannot be opened, a write failed). In every case the process
// should exit 0: a hook must not block the session.
func Run(ctx context.Context, ev Event, r io.Reader, w io.Writer, env Env) error {
	in, err := Decode(ev, r)
	if err != nil {
		return err
	}
	out, err := ev.handle(ctx, in, env)
	if err != nil || out == nil {
		return err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err = w.Write(b.Bytes())
	return err
}

// Decode reads the event's JSON: one object whose hook_event_name, when
// present, names ev.
func Decode(ev Event, r io.Reader) (*Input, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxInput+1))
	if err != nil {
		return nil, ignoredf("cannot read the hook input: %v", err)
	}
	if len(data) > MaxInput {
		return nil, ignoredf("the hook input is more than %d bytes", MaxInput)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, ignoredf("no hook input on stdin: Claude Code writes the event's JSON there")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, notEvent(err)
	}
	if dec.More() {
		return nil, ignoredf("the hook input goes on after its JSON value")
	}
	if kind := jsonKind(raw[0]); kind != "" {
		return nil, ignoredf("the hook input must be a JSON object, not %s", kind)
	}
	var in Input
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, notEvent(err)
	}
	if in.HookEventName != "" && in.HookEventName != ev.Claude {
		return nil, ignoredf("backlog hook %s answers %s, not %s", ev.Name, ev.Claude, clip(in.HookEventName))
	}
	return &in, nil
}

// notEvent says why JSON is not an event object, without the names of Go
// types.
func notEvent(err error) error {
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr):
		return ignoredf("%s must be a string, not %s %s", typeErr.Field, article(typeErr.Value), typeErr.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return ignoredf("the hook input ends in the middle of its JSON")
	}
	return ignoredf("the hook input is not JSON: %v", err)
}

// jsonKind names the JSON value that starts with b when it is not an
// object: "an array", "null"; "" for an object.
func jsonKind(b byte) string {
	switch {
	case b == '[':
		return "an array"
	case b == '"':
		return "a string"
	case b == 'n':
		return "null"
	case b == 't' || b == 'f':
		return "a boolean"
	case b == '-' || '0' <= b && b <= '9':
		return "a number"
	}
	return ""
}

func article(noun string) string {
	if noun != "" && strings.ContainsRune("aeiou", rune(noun[0])) {
		return "an"
	}
	return "a"
}

// key checks an id from the input that the hook stores or matches on: a
// short line of printable text, taken as it is (never trimmed: "s1 " and
// "s1" are two ids).
func key(field, s string) (string, error) {
	switch {
	case strings.TrimSpace(s) == "":
		return "", ignoredf("%s is missing", field)
	case len(s) > maxKey:
		return "", ignoredf("%s is %d bytes, more than the %d a hook uses", field, len(s), maxKey)
	case !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl):
		return "", ignoredf("%s %s holds control characters", field, clip(s))
	}
	return s, nil
}

// clip quotes s for a message, cut to a readable length.
func clip(s string) string {
	const n = 60
	if len(s) > n {
		cut := n
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return fmt.Sprintf("%q", s)
}
