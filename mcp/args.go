package mcp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
)

// kind is how an argument is read. Every kind accepts a JSON string, since
// many clients serialise every argument as one, and its natural JSON type.
type kind int

const (
	kString kind = iota // a string
	kRef                // a task reference: "12", 12, a UUID or a UUID prefix
	kList               // a list: "a,b", "[\"a\",\"b\"]" or ["a","b"]
	kRefs               // a list of task references; entries may be numbers
	kInt                // a whole number: "30" or 30
	kBool               // yes or no: true, "yes", "true", false, "no"
	kTasks              // a JSON array of task objects, or the same as a string
	kExtra              // modifications "+tag due:friday" or an object of UDAs
)

// schema is the JSON Schema of each kind, compact: it is paid for in every
// session's tools/list.
var schema = map[kind]string{
	kString: `{"type":"string"`,
	kRef:    `{"type":["string","integer"]`,
	kList:   `{"type":["array","string"],"items":{"type":"string"}`,
	kRefs:   `{"type":["array","string"],"items":{"type":["string","integer"]}`,
	kInt:    `{"type":["integer","string"]`,
	kBool:   `{"type":["boolean","string"]`,
	kTasks:  `{"type":["array","string"],"items":{"type":"object"}`,
	kExtra:  `{"type":["string","object"]`,
}

// arg is one argument of a tool.
type arg struct {
	name     string
	kind     kind
	required bool
	desc     string // for the schema; "" when the name says it all
}

// inputSchema writes the tool's input schema: the arguments in order, none
// other allowed.
func inputSchema(args []arg) json.RawMessage {
	var b bytes.Buffer
	if len(args) == 0 {
		return json.RawMessage(`{"type":"object","additionalProperties":false}`)
	}
	b.WriteString(`{"type":"object","properties":{`)
	var required []string
	for i, a := range args {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:%s", a.name, schema[a.kind])
		if a.desc != "" {
			b.WriteString(`,"description":`)
			b.Write(compactJSON(a.desc))
		}
		b.WriteByte('}')
		if a.required {
			required = append(required, a.name)
		}
	}
	b.WriteString(`}`)
	if len(required) > 0 {
		b.WriteString(`,"required":`)
		b.Write(compactJSON(required))
	}
	b.WriteString(`,"additionalProperties":false}`)
	return b.Bytes()
}

// argv holds the arguments of one call, read according to their kinds.
type argv map[string]any

// protocolError marks arguments that are not a JSON object at all: the
// request is malformed, which MCP reports as a JSON-RPC error, unlike a bad
// value, which the agent sees as a tool error it can correct.
type protocolError struct{ msg string }

func (e *protocolError) Error() string { return e.msg }

// readArgs reads a call's arguments. A null argument counts as not given.
func readArgs(tool string, args []arg, raw json.RawMessage) (argv, error) {
	out := argv{}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		raw = []byte("{}")
	}
	if raw[0] != '{' {
		return nil, &protocolError{fmt.Sprintf("arguments of %s must be a JSON object", tool)}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, &protocolError{fmt.Sprintf("arguments of %s are not valid JSON: %v", tool, err)}
	}
	byName := make(map[string]arg, len(args))
	for _, a := range args {
		byName[a.name] = a
	}
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		a, ok := byName[name]
		if !ok {
			return nil, unknownArg(tool, name, args)
		}
		v := bytes.TrimSpace(fields[name])
		if string(v) == "null" {
			continue
		}
		val, err := readArg(a, v)
		if err != nil {
			return nil, err
		}
		if val != nil {
			out[name] = val
		}
	}
	for _, a := range args {
		if _, ok := out[a.name]; a.required && !ok {
			return nil, backlog.Invalidf("%s needs the argument %q", tool, a.name)
		}
	}
	return out, nil
}

func unknownArg(tool, name string, args []arg) error {
	if len(args) == 0 {
		return backlog.Invalidf("unknown argument %q: %s takes no arguments", name, tool)
	}
	names := make([]string, len(args))
	for i, a := range args {
		names[i] = a.name
	}
	return backlog.Invalidf("unknown argument %q: %s takes %s", name, tool, strings.Join(names, ", "))
}

// readArg reads one argument's JSON value; nil means it counts as not given.
func readArg(a arg, v json.RawMessage) (any, error) {
	var s string
	isString := v[0] == '"'
	if isString {
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, backlog.Invalidf("argument %q is not a valid JSON string", a.name)
		}
	}
	switch a.kind {
	case kString:
		if !isString {
			return nil, backlog.Invalidf("argument %q must be a string, got %s", a.name, jsonType(v))
		}
		return s, nil
	case kRef:
		if isString {
			return s, nil
		}
		if n, ok := wholeNumber(v); ok {
			return n, nil
		}
		return nil, backlog.Invalidf("argument %q must be a task id such as 12 or a UUID, got %s", a.name, v)
	case kList, kRefs:
		return readList(a, v, s, isString)
	case kInt:
		if !isString {
			s = string(v)
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, nil // "" is how some clients leave a number out
		}
		if n, err := strconv.Atoi(s); err == nil {
			return n, nil
		}
		return nil, backlog.Invalidf("argument %q must be a whole number such as 30, got %s", a.name, v)
	case kBool:
		switch {
		case string(v) == "true":
			return true, nil
		case string(v) == "false":
			return false, nil
		case isString:
			if b, err := parseBool(s); err == nil {
				return b, nil
			}
		}
		return nil, backlog.Invalidf("argument %q must be \"yes\" or \"no\" (or true or false), got %s", a.name, v)
	case kTasks:
		switch {
		case isString:
			return []byte(s), nil
		case v[0] == '[':
			return []byte(v), nil
		}
		return nil, backlog.Invalidf("argument %q must be a JSON array of task objects, got %s", a.name, jsonType(v))
	case kExtra:
		if t := strings.TrimSpace(s); isString && strings.HasPrefix(t, "{") {
			v, isString = json.RawMessage(t), false
		}
		if isString {
			return s, nil
		}
		if v[0] == '{' {
			return readUDAs(a.name, v)
		}
		return nil, backlog.Invalidf("argument %q must be a string of modifications such as \"+tag due:friday\", or an object of user-defined attributes, got %s", a.name, jsonType(v))
	}
	panic("unknown argument kind")
}

// readList reads a list argument: a JSON array, a string holding one, or a
// comma-separated string ("" is the empty list).
func readList(a arg, v json.RawMessage, s string, isString bool) ([]string, error) {
	if isString {
		t := strings.TrimSpace(s)
		if !strings.HasPrefix(t, "[") {
			return splitList(t), nil
		}
		v = json.RawMessage(t)
	}
	bad := func() error {
		what := "strings"
		if a.kind == kRefs {
			what = "task ids or UUIDs"
		}
		return backlog.Invalidf("argument %q must be a list of %s: \"a,b\", [\"a\",\"b\"] or a JSON array, got %s", a.name, what, v)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(v, &items); err != nil {
		return nil, bad()
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		var s string
		if err := json.Unmarshal(it, &s); err == nil {
			out = append(out, strings.TrimSpace(s))
			continue
		}
		if n, ok := wholeNumber(it); ok && a.kind == kRefs {
			out = append(out, n)
			continue
		}
		return nil, bad()
	}
	return out, nil
}

// splitList splits "a, b" into ["a", "b"]; "" is the empty list.
func splitList(s string) []string {
	out := []string{}
	if s == "" {
		return out
	}
	for _, p := range strings.Split(s, ",") {
		out = append(out, strings.TrimSpace(p))
	}
	return out
}

// readUDAs reads extra given as an object: UDA names to strings, numbers or
// booleans; null removes the attribute.
func readUDAs(name string, v json.RawMessage) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, backlog.Invalidf("argument %q is not a valid JSON object", name)
	}
	for k, x := range m {
		switch y := x.(type) {
		case json.Number:
			f, err := y.Float64()
			if err != nil {
				return nil, backlog.Invalidf("%s.%s holds %s, which is not a number we can keep", name, k, y)
			}
			m[k] = f
		case string, bool, nil:
		default:
			return nil, backlog.Invalidf("%s.%s must be a string, a number, true or false (or null to remove it)", name, k)
		}
	}
	return m, nil
}

// wholeNumber reads a JSON integer and returns its digits.
func wholeNumber(v json.RawMessage) (string, bool) {
	s := strings.TrimPrefix(string(v), "-")
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return "", false
	}
	// Any whole number, even one past int64: as a reference it then names
	// no task, in the same words as the same digits in a string.
	return string(v), true
}

// jsonType names the JSON type of a value, for messages.
func jsonType(v json.RawMessage) string {
	switch v[0] {
	case '"':
		return "a string"
	case '[':
		return "an array"
	case '{':
		return "an object"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// str returns a string argument, or "" when it is not given.
func (a argv) str(name string) string {
	s, _ := a[name].(string)
	return s
}

// strp returns a string argument, or nil when it is not given.
func (a argv) strp(name string) *string {
	if s, ok := a[name].(string); ok {
		return &s
	}
	return nil
}

func (a argv) list(name string) ([]string, bool) {
	l, ok := a[name].([]string)
	return l, ok
}

func (a argv) num(name string, def int) int {
	if n, ok := a[name].(int); ok {
		return n
	}
	return def
}

func (a argv) flag(name string) bool {
	b, _ := a[name].(bool)
	return b
}

// changes builds the engine's Changes from the task fields of a call: the
// named arguments, then extra merged in. A field given both ways must be
// given the same; tags and depends edits from both are combined.
func (a argv) changes() (*engine.Changes, error) {
	c := &engine.Changes{
		Description: a.strp("description"), Project: a.strp("project"), Priority: a.strp("priority"),
		Due: a.strp("due"), Scheduled: a.strp("scheduled"), Wait: a.strp("wait"), Until: a.strp("until"),
		Recur: a.strp("recur"), Agent: a.strp("agent"),
	}
	if l, ok := a.list("tags"); ok {
		c.Tags = engine.ParseListEdit(l)
	}
	if l, ok := a.list("depends"); ok {
		c.Depends = engine.ParseListEdit(l)
	}
	switch x := a["extra"].(type) {
	case string:
		words, err := engine.SplitWords(x)
		if err != nil {
			return nil, err
		}
		mods, err := engine.ParseMods(words, false)
		if err != nil {
			return nil, err
		}
		if err := merge(c, mods); err != nil {
			return nil, err
		}
	case map[string]any:
		if err := merge(c, &engine.Changes{UDAs: x}); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// merge adds the changes of extra to c.
func merge(c, extra *engine.Changes) error {
	scalars := []struct {
		name     string
		dst, src **string
	}{
		{"description", &c.Description, &extra.Description}, {"project", &c.Project, &extra.Project},
		{"priority", &c.Priority, &extra.Priority}, {"due", &c.Due, &extra.Due},
		{"scheduled", &c.Scheduled, &extra.Scheduled}, {"wait", &c.Wait, &extra.Wait},
		{"until", &c.Until, &extra.Until}, {"recur", &c.Recur, &extra.Recur}, {"agent", &c.Agent, &extra.Agent},
	}
	for _, f := range scalars {
		switch {
		case *f.src == nil:
		case *f.dst == nil:
			*f.dst = *f.src
		case **f.dst != **f.src:
			return backlog.Invalidf("%s is given twice, as the argument %q and in extra as %q: give it once", f.name, **f.dst, **f.src)
		}
	}
	var err error
	if c.Tags, err = mergeList("tags", c.Tags, extra.Tags); err != nil {
		return err
	}
	if c.Depends, err = mergeList("depends", c.Depends, extra.Depends); err != nil {
		return err
	}
	for k, v := range extra.UDAs {
		if old, ok := c.UDAs[k]; ok && old != v {
			return backlog.Invalidf("%s is given twice in extra: give it once", k)
		}
		if c.UDAs == nil {
			c.UDAs = map[string]any{}
		}
		c.UDAs[k] = v
	}
	return nil
}

// mergeList combines a list argument with the +x/-x edits of extra; a list
// replaced both ways is an error.
func mergeList(name string, arg, extra *engine.ListEdit) (*engine.ListEdit, error) {
	switch {
	case extra == nil:
		return arg, nil
	case arg == nil:
		return extra, nil
	case extra.Replace:
		return nil, backlog.Invalidf("%s is given twice, as an argument and as %s: in extra: give it once", name, name)
	case arg.Replace:
		set := append([]string{}, arg.Set...)
		set = append(set, extra.Add...)
		out := set[:0]
		for _, s := range set {
			if !slices.Contains(extra.Remove, s) {
				out = append(out, s)
			}
		}
		return &engine.ListEdit{Replace: true, Set: out}, nil
	}
	return &engine.ListEdit{Add: append(arg.Add, extra.Add...), Remove: append(arg.Remove, extra.Remove...)}, nil
}
