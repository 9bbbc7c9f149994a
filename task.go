package backlog

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Status is the stored lifecycle state of a task. Waiting is never stored: it
// is derived from a pending task's wait date (see Task.EffectiveStatus).
type Status string

// The statuses. StatusWaiting is only ever an effective status.
const (
	StatusPending   Status = "pending"
	StatusCompleted Status = "completed"
	StatusDeleted   Status = "deleted"
	StatusRecurring Status = "recurring"
	StatusWaiting   Status = "waiting"
)

// ParseStatus reads a status name, case-insensitively. Waiting is accepted,
// since filters may name it.
func ParseStatus(s string) (Status, error) {
	switch st := Status(strings.ToLower(s)); st {
	case StatusPending, StatusCompleted, StatusDeleted, StatusRecurring, StatusWaiting:
		return st, nil
	}
	return "", Invalidf("status must be pending, completed, deleted, recurring or waiting, got %q", s)
}

// Priority is H, M, L or empty (none). Priorities order ” < L < M < H.
type Priority string

// The priorities.
const (
	PriorityNone   Priority = ""
	PriorityLow    Priority = "L"
	PriorityMedium Priority = "M"
	PriorityHigh   Priority = "H"
)

// ParsePriority reads a priority. Lower-case letters are accepted and
// normalised, since people type them and nothing else could be meant.
func ParsePriority(s string) (Priority, error) {
	switch p := Priority(strings.ToUpper(strings.TrimSpace(s))); p {
	case PriorityNone, PriorityLow, PriorityMedium, PriorityHigh:
		return p, nil
	}
	return "", Invalidf("priority must be H, M, L or empty, got %q", s)
}

// Rank orders priorities: 0 for none, 1 for L, 2 for M, 3 for H.
func (p Priority) Rank() int {
	switch p {
	case PriorityLow:
		return 1
	case PriorityMedium:
		return 2
	case PriorityHigh:
		return 3
	}
	return 0
}

// Annotation is a timestamped note on a task.
type Annotation struct {
	Entry       time.Time
	Description string
}

// Limits on task fields, in UTF-8 bytes.
const (
	MaxDescription = 500
	MaxDocSize     = 1 << 20
	MaxAnnotation  = 10000
	maxName        = 200 // projects, tags, agents, UDA names
)

// Limits on how much one task may hold. They sit far above real use and
// keep a hostile or runaway client from storing, or making every later
// read pay for, unbounded lists.
const (
	MaxTags     = 100    // tags on one task
	MaxDepends  = 1000   // dependencies of one task
	MaxUDAs     = 100    // user-defined attributes on one task
	MaxUDAValue = 10_000 // bytes of one user-defined attribute's text value
)

// MaxLease is the longest lease a claim may have: a year, far beyond any
// session of work, and short enough that no date arithmetic overflows.
const MaxLease = 365 * 24 * time.Hour

// Task is one unit of work. A zero time means the date is not set.
type Task struct {
	ID          int64
	UUID        string // lower-case canonical form
	Description string
	Status      Status // stored status: never StatusWaiting
	Project     string
	Priority    Priority
	Tags        []string
	Due         time.Time
	Scheduled   time.Time
	Wait        time.Time
	Until       time.Time
	Recur       string // recurrence period, e.g. "weekly"; set on templates and their instances
	Parent      string // UUID of the recurring template an instance came from
	Mask        string // Taskwarrior's recurrence mask, kept on templates for round trips
	Depends     []string
	Agent       string
	// Lease, when above zero, is how long the agent's claim holds without a
	// change by the agent; LeaseUntil is when it lapses (the agent's last
	// change plus Lease). A lapsed claim returns to the pool at the next
	// claim by anyone. Whole seconds.
	Lease      time.Duration
	LeaseUntil time.Time
	// Source is the issue the task was imported from (GitHub, GitLab), or
	// nil; a backlog holds one task per issue.
	Source      *Source
	Annotations []Annotation
	HasDoc      bool
	Entry       time.Time
	Modified    time.Time
	Start       time.Time
	End         time.Time
	Extra       map[string]any // user-defined attributes: string, float64 or bool values

	// Urgency is computed at read time (see Urgency); it is never stored.
	Urgency float64
	// Archived is the archive segment (2026-Q3) of a task read from the
	// archive; such a task is read-only.
	Archived string
}

// Clone returns a deep copy, so that before/after images never share slices.
func (t *Task) Clone() *Task {
	c := *t
	c.Tags = slices.Clone(t.Tags)
	c.Depends = slices.Clone(t.Depends)
	c.Annotations = slices.Clone(t.Annotations)
	c.Source = t.Source.Clone()
	if t.Extra != nil {
		c.Extra = make(map[string]any, len(t.Extra))
		for k, v := range t.Extra {
			c.Extra[k] = v
		}
	}
	return &c
}

// EffectiveStatus is the status with waiting derived: a pending task whose
// wait date is after now is waiting.
func (t *Task) EffectiveStatus(now time.Time) Status {
	if t.Status == StatusPending && !t.Wait.IsZero() && t.Wait.After(now) {
		return StatusWaiting
	}
	return t.Status
}

// IsLive reports whether the task is still to be done: pending or waiting.
// Completed, deleted and recurring templates are not live.
func (t *Task) IsLive() bool { return t.Status == StatusPending }

// HasTag reports whether the task carries the ordinary tag.
func (t *Task) HasTag(tag string) bool { return slices.Contains(t.Tags, tag) }

// Validate checks every field against the task model's rules and returns the
// first violation as one sentence naming the value.
func (t *Task) Validate() error {
	if err := ValidateDescription(t.Description); err != nil {
		return err
	}
	switch t.Status {
	case StatusPending, StatusCompleted, StatusDeleted, StatusRecurring:
	default:
		return Invalidf("status must be pending, completed, deleted or recurring, got %q", string(t.Status))
	}
	if t.UUID != "" {
		if _, err := ParseUUID(t.UUID); err != nil {
			return err
		}
	}
	if err := ValidateProject(t.Project); err != nil {
		return err
	}
	if _, err := ParsePriority(string(t.Priority)); err != nil {
		return err
	}
	if len(t.Tags) > MaxTags {
		return Invalidf("a task can hold at most %d tags, got %d", MaxTags, len(t.Tags))
	}
	seen := make(map[string]bool, len(t.Tags))
	for _, tag := range t.Tags {
		if err := ValidateTag(tag); err != nil {
			return err
		}
		if seen[tag] {
			return Invalidf("tag %q is given twice", tag)
		}
		seen[tag] = true
	}
	if t.Status == StatusRecurring {
		if t.Recur == "" {
			return Invalidf("a recurring task needs a recurrence period (recur)")
		}
		if t.Due.IsZero() {
			return Invalidf("a recurring task needs a due date")
		}
	}
	if !t.Until.IsZero() && !t.Due.IsZero() && t.Until.Before(t.Due) && t.Recur != "" {
		return Invalidf("until (%s) is before due (%s): the series would never start",
			t.Until.UTC().Format(DateLayout), t.Due.UTC().Format(DateLayout))
	}
	if len(t.Depends) > MaxDepends {
		return Invalidf("a task can depend on at most %d tasks, got %d", MaxDepends, len(t.Depends))
	}
	deps := make(map[string]bool, len(t.Depends))
	for _, d := range t.Depends {
		if _, err := ParseUUID(d); err != nil {
			return Invalidf("depends holds %q, which is not a task UUID", d)
		}
		if deps[d] {
			return Invalidf("depends holds %s twice", d)
		}
		deps[d] = true
		if d == t.UUID && t.UUID != "" {
			return Invalidf("task %s cannot depend on itself", t.Ref())
		}
	}
	if t.Parent != "" {
		if _, err := ParseUUID(t.Parent); err != nil {
			return Invalidf("parent must be a task UUID, got %q", t.Parent)
		}
	}
	if err := ValidateAgent(t.Agent); err != nil {
		return err
	}
	if t.Lease < 0 || t.Lease > MaxLease || t.Lease%time.Second != 0 {
		return Invalidf("lease must be a whole number of seconds from 1 to %d (or 0 for none), got %v", int64(MaxLease/time.Second), t.Lease.Seconds())
	}
	if err := t.Source.Validate(); err != nil {
		return err
	}
	for i, a := range t.Annotations {
		if err := ValidateAnnotation(a.Description); err != nil {
			return Invalidf("annotation %d: %s", i, err.Error())
		}
	}
	if len(t.Extra) > MaxUDAs {
		return Invalidf("a task can hold at most %d user-defined attributes, got %d", MaxUDAs, len(t.Extra))
	}
	for k, v := range t.Extra {
		if err := ValidateUDA(k, v); err != nil {
			return err
		}
	}
	return nil
}

// Ref names the task for messages: its id when it has one, else its UUID.
func (t *Task) Ref() string {
	if t.ID > 0 {
		return strconv.FormatInt(t.ID, 10)
	}
	return t.UUID
}

// ValidateDescription checks a description: one line, 1 to 500 bytes of UTF-8.
func ValidateDescription(s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return Invalidf("description must not be empty")
	case !utf8.ValidString(s):
		return Invalidf("description is not valid UTF-8")
	case strings.ContainsRune(s, 0):
		return Invalidf("description contains a NUL character")
	case strings.ContainsAny(s, "\n\r"):
		return Invalidf("description must be one line (put longer text in the task's doc)")
	case len(s) > MaxDescription:
		return Invalidf("description is %d bytes, more than the %d allowed (put longer text in the task's doc)", len(s), MaxDescription)
	}
	return nil
}

// ValidateProject checks a project name: dot-separated segments of letters,
// digits, '_' and '-'. The empty name means no project.
func ValidateProject(p string) error {
	if p == "" {
		return nil
	}
	if len(p) > maxName {
		return Invalidf("project name is %d bytes, more than the %d allowed", len(p), maxName)
	}
	for _, seg := range strings.Split(p, ".") {
		if seg == "" {
			return Invalidf("project %q has an empty part: use letters, digits, '_' and '-', with '.' between parts", p)
		}
		for _, r := range seg {
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '-' {
				return Invalidf("project %q contains %q: use letters, digits, '_' and '-', with '.' between parts", p, r)
			}
		}
	}
	return nil
}

// ValidateTag checks an ordinary tag: no spaces, commas or quotes, not starting
// with '+' or '-', and not the name of a virtual tag.
func ValidateTag(tag string) error {
	switch {
	case tag == "":
		return Invalidf("a tag must not be empty")
	case len(tag) > maxName:
		return Invalidf("tag %q is longer than %d bytes", tag, maxName)
	case !utf8.ValidString(tag):
		return Invalidf("tag %q is not valid UTF-8", tag)
	case tag[0] == '+' || tag[0] == '-':
		return Invalidf("tag %q must not start with %q", tag, tag[:1])
	case IsVirtualTag(tag):
		return Invalidf("%q is a virtual tag, computed from the task; it cannot be set", tag)
	}
	for _, r := range tag {
		if unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune(`,"'()`, r) {
			return Invalidf("tag %q contains %q, which a tag cannot hold", tag, r)
		}
	}
	return nil
}

// ValidateAgent checks an agent id: printable, at most 200 bytes.
func ValidateAgent(a string) error {
	if len(a) > maxName {
		return Invalidf("agent id is %d bytes, more than the %d allowed", len(a), maxName)
	}
	if !utf8.ValidString(a) {
		return Invalidf("agent id %q is not valid UTF-8", a)
	}
	for _, r := range a {
		if unicode.IsControl(r) {
			return Invalidf("agent id %q contains a control character", a)
		}
	}
	return nil
}

// ValidateAnnotation checks an annotation's text: one non-empty line.
func ValidateAnnotation(s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return Invalidf("annotation text must not be empty")
	case !utf8.ValidString(s):
		return Invalidf("annotation text is not valid UTF-8")
	case strings.ContainsRune(s, 0):
		return Invalidf("annotation text contains a NUL character")
	case strings.ContainsAny(s, "\n\r"):
		return Invalidf("annotation text must be one line (put longer text in the task's doc)")
	case len(s) > MaxAnnotation:
		return Invalidf("annotation is %d bytes, more than the %d allowed", len(s), MaxAnnotation)
	}
	return nil
}

// ValidateUDA checks a user-defined attribute: a name that is not a built-in
// attribute, and a string, number or boolean value.
func ValidateUDA(name string, v any) error {
	if !IsUDAName(name) {
		return Invalidf("%q cannot be a user-defined attribute name: use letters, digits and '_', starting with a letter", name)
	}
	if IsAttribute(name) {
		return Invalidf("%q is a built-in attribute, not a user-defined one", name)
	}
	switch x := v.(type) {
	case string:
		if !utf8.ValidString(x) || strings.ContainsRune(x, 0) {
			return Invalidf("user-defined attribute %q must be text without NUL characters, in UTF-8", name)
		}
		if len(x) > MaxUDAValue {
			return Invalidf("user-defined attribute %q is %d bytes, more than the %d allowed", name, len(x), MaxUDAValue)
		}
	case bool:
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return Invalidf("user-defined attribute %q must be a finite number", name)
		}
	default:
		return Invalidf("user-defined attribute %q must be a string, a number or a boolean", name)
	}
	return nil
}

// IsUDAName reports whether s has the shape of an attribute name.
func IsUDAName(s string) bool {
	if s == "" || len(s) > maxName {
		return false
	}
	for i, r := range s {
		ok := r < utf8.RuneSelf && (r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || i > 0 && '0' <= r && r <= '9')
		if !ok {
			return false
		}
	}
	return true
}

// ParseUUID reads a full UUID in any case and returns its lower-case
// canonical form.
func ParseUUID(s string) (string, error) {
	if len(s) != 36 {
		return "", Invalidf("%q is not a UUID", s)
	}
	u, err := uuid.Parse(s)
	if err != nil {
		return "", Invalidf("%q is not a UUID", s)
	}
	return u.String(), nil
}

// Attributes lists the built-in attribute names filters and modifications
// understand, in the order tasks print them.
var attributes = []string{
	"id", "uuid", "description", "status", "project", "priority", "tags",
	"due", "scheduled", "wait", "until", "recur", "parent", "depends", "agent",
	"lease", "lease_until", "annotations", "has_doc", "entry", "modified", "start", "end", "urgency", "mask",
}

// Attributes returns the built-in attribute names.
func Attributes() []string { return slices.Clone(attributes) }

// IsAttribute reports whether name is a built-in attribute.
func IsAttribute(name string) bool { return slices.Contains(attributes, name) }

// DateLayout is how every date is printed: UTC with a Z.
const DateLayout = "2006-01-02T15:04:05Z"

// MarshalJSON prints the task in the product's shape: only the fields that
// are set, dates as UTC, depends as UUIDs, urgency always (it is computed).
// Strings are not HTML-escaped; encode with SetEscapeHTML(false) to keep it so.
func (t *Task) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 256)
	b = append(b, '{')
	first := true
	key := func(k string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, '"', ':')
	}
	str := func(k, v string) {
		if v != "" {
			key(k)
			b = appendString(b, v)
		}
	}
	date := func(k string, v time.Time) {
		if !v.IsZero() {
			key(k)
			b = append(b, '"')
			b = v.UTC().AppendFormat(b, DateLayout)
			b = append(b, '"')
		}
	}
	list := func(k string, vs []string) {
		if len(vs) > 0 {
			key(k)
			b = append(b, '[')
			for i, v := range vs {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendString(b, v)
			}
			b = append(b, ']')
		}
	}
	if t.ID > 0 {
		key("id")
		b = strconv.AppendInt(b, t.ID, 10)
	}
	str("uuid", t.UUID)
	str("description", t.Description)
	str("status", string(t.Status))
	str("project", t.Project)
	str("priority", string(t.Priority))
	list("tags", t.Tags)
	date("due", t.Due)
	date("scheduled", t.Scheduled)
	date("wait", t.Wait)
	date("until", t.Until)
	str("recur", t.Recur)
	str("mask", t.Mask)
	str("parent", t.Parent)
	list("depends", t.Depends)
	str("agent", t.Agent)
	if t.Lease > 0 {
		key("lease")
		b = strconv.AppendInt(b, int64(t.Lease/time.Second), 10)
	}
	date("lease_until", t.LeaseUntil)
	if t.Source != nil {
		key("source")
		b = appendSource(b, t.Source)
	}
	if len(t.Annotations) > 0 {
		key("annotations")
		b = append(b, '[')
		for i, a := range t.Annotations {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"entry":"`...)
			b = a.Entry.UTC().AppendFormat(b, DateLayout)
			b = append(b, `","description":`...)
			b = appendString(b, a.Description)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if t.HasDoc {
		key("has_doc")
		b = append(b, "true"...)
	}
	date("entry", t.Entry)
	date("modified", t.Modified)
	date("start", t.Start)
	date("end", t.End)
	key("urgency")
	u := roundUrgency(t.Urgency)
	if math.IsNaN(u) || math.IsInf(u, 0) {
		u = 0
	}
	b = strconv.AppendFloat(b, u, 'f', -1, 64)
	str("archived", t.Archived)
	if len(t.Extra) > 0 {
		key("extra")
		keys := make([]string, 0, len(t.Extra))
		for k := range t.Extra {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			if v, ok := t.Extra[k].(string); ok {
				b = appendString(b, v)
				continue
			}
			v, err := json.Marshal(t.Extra[k])
			if err != nil {
				return nil, err
			}
			b = append(b, v...)
		}
		b = append(b, '}')
	}
	b = append(b, '}')
	return b, nil
}

// appendString appends s as a JSON string without HTML escaping, which only
// costs agents tokens.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
				b = append(b, s[start:i]...)
				if r == utf8.RuneError {
					b = append(b, `\ufffd`...)
				} else {
					b = append(b, `\u202`...)
					b = append(b, hex[r&0xF])
				}
				i += size
				start = i
				continue
			}
			i += size
			continue
		}
		if c >= 0x20 && c != '"' && c != '\\' {
			i++
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
