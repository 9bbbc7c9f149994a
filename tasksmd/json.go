package tasksmd

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// The JSON outputs must match the reference's JSON.stringify byte for byte:
// keys in insertion order, no HTML escaping, and its two-space indentation.
// encoding/json does neither ordered maps nor JS escaping, so this file
// builds values as small trees and writes them itself.

type jsonValue interface{}

// jsonObject keeps its keys in order; a nil value is left out (undefined).
type jsonObject []jsonPair

type jsonPair struct {
	Key   string
	Value jsonValue
}

type jsonNull struct{}

// writeJSON writes v as JSON.stringify(v, null, indent) does (indent 0:
// compact).
// jsonSpaces is indentation to slice from (no allocation per line).
const jsonSpaces = "                                "

func writeJSON(b *strings.Builder, v jsonValue, indent, depth int) {
	nl := func(d int) {
		if indent > 0 {
			b.WriteByte('\n')
			for n := indent * d; n > 0; n -= len(jsonSpaces) {
				b.WriteString(jsonSpaces[:min(n, len(jsonSpaces))])
			}
		}
	}
	switch v := v.(type) {
	case jsonNull:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case int:
		b.WriteString(strconv.Itoa(v))
	case string:
		writeJSONString(b, v)
	case []string:
		arr := make([]jsonValue, len(v))
		for i, s := range v {
			arr[i] = s
		}
		writeJSON(b, arr, indent, depth)
	case []jsonValue:
		if len(v) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			nl(depth + 1)
			writeJSON(b, e, indent, depth+1)
		}
		nl(depth)
		b.WriteByte(']')
	case jsonObject:
		n := 0
		b.WriteByte('{')
		for _, p := range v {
			if p.Value == nil {
				continue
			}
			if n > 0 {
				b.WriteByte(',')
			}
			n++
			nl(depth + 1)
			writeJSONString(b, p.Key)
			b.WriteByte(':')
			if indent > 0 {
				b.WriteByte(' ')
			}
			writeJSON(b, p.Value, indent, depth+1)
		}
		if n > 0 {
			nl(depth)
		}
		b.WriteByte('}')
	}
}

// writeJSONString quotes s as JSON.stringify does; bytes that are not UTF-8
// become U+FFFD, as Node's UTF-8 decoding of the file would make them.
func writeJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	// Runs of bytes that need no escaping (printable ASCII, valid UTF-8)
	// are copied whole: parse's output is mostly such text.
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < utf8.RuneSelf && c != '"' && c != '\\' {
			i++
			continue
		}
		r, size := rune(c), 1
		if c >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
		}
		b.WriteString(s[start:i])
		i += size
		start = i
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte("0123456789abcdef"[r>>4])
			b.WriteByte("0123456789abcdef"[r&15])
		default:
			// An invalid byte: U+FFFD, as before.
			b.WriteRune(r)
		}
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}

func encodeJSON(v jsonValue, indent int) string {
	var b strings.Builder
	writeJSON(&b, v, indent, 0)
	return b.String()
}

// metadataJSON is a task's metadata object: camel-cased names in order,
// list fields as arrays.
func metadataJSON(t *Task) jsonObject {
	obj := make(jsonObject, 0, len(t.Metadata))
	for _, f := range t.Metadata {
		var v jsonValue = f.Value
		if f.List != nil {
			v = f.List
		}
		obj = append(obj, jsonPair{f.Name, v})
	}
	return obj
}

// ParseJSON is the output of `parse`: an array of every task with its
// positions and raw lines, two-space indented, with a final newline.
func ParseJSON(tasks []*Task) string {
	arr := make([]jsonValue, len(tasks))
	for i, t := range tasks {
		var claimed jsonValue
		if t.Claimed != "" {
			claimed = t.Claimed
		}
		subtasks := t.Subtasks
		if subtasks == nil {
			subtasks = []string{}
		}
		arr[i] = jsonObject{
			{"summary", t.Summary}, {"priority", PriorityName(t.Priority)}, {"claimed", claimed},
			{"metadata", metadataJSON(t)}, {"subtasks", subtasks}, {"file", t.File},
			{"startLine", t.StartLine}, {"endLine", t.EndLine}, {"rawLines", t.RawLines},
		}
	}
	// The text is about three times the tasks' own lines (each appears as
	// rawLines and again as fields): growing the buffer once saves copying
	// megabytes as it doubles.
	size := 0
	for _, t := range tasks {
		size += 256
		for _, l := range t.RawLines {
			size += 3 * len(l)
		}
	}
	var b strings.Builder
	b.Grow(size)
	writeJSON(&b, arr, 2, 0)
	b.WriteByte('\n')
	return b.String()
}
