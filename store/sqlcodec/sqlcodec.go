// Package sqlcodec holds what the SQL stores (sqlite/, postgres/) write and
// read the same way: the journal's changes as JSON, the type bits of
// user-defined attributes, text made valid UTF-8 as JSON reads it back, and
// compact JSON. Each store keeps its own columns and dialect.
package sqlcodec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store"
)

// ValidText is s as it reads back from JSON: each byte that is not valid
// UTF-8 becomes U+FFFD, as encoding/json writes it. Index rows are written
// from it so that they agree with the task that is loaded.
func ValidText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// Marshal encodes v as compact JSON text without HTML escaping.
func Marshal(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// The bits of the set of JSON types a UDA has held, as the stores keep it.
const (
	UDAString = 1 << iota
	UDANumber
	UDABool
)

// UDAType is the type bit of a UDA value.
func UDAType(v any) int {
	switch v.(type) {
	case float64, float32, int, int64, int32, json.Number:
		return UDANumber
	case bool:
		return UDABool
	}
	return UDAString
}

// UDAKind reads a bit set of types.
func UDAKind(types int) filter.UDAKind {
	switch types {
	case UDANumber:
		return filter.UDANumber
	case UDABool:
		return filter.UDABool
	case UDAString:
		return filter.UDAString
	}
	return filter.UDAMixed
}

// changeJSON is a journal change as kept in journal.changes. Task images use
// the domain's lossless MarshalJSON/UnmarshalJSON.
type changeJSON struct {
	UUID   string          `json:"uuid"`
	Before json.RawMessage `json:"before,omitempty"`
	After  json.RawMessage `json:"after,omitempty"`
	Doc    *docJSON        `json:"doc,omitempty"`
	// Archived and Unarchived name the segment a task moved into or out of.
	Archived   string `json:"archived,omitempty"`
	Unarchived string `json:"unarchived,omitempty"`
}

type docJSON struct {
	Before *string `json:"before"`
	After  *string `json:"after"`
}

// EncodeChanges writes an entry's changes.
func EncodeChanges(cs []store.Change) (string, error) {
	out := make([]changeJSON, len(cs))
	for i, c := range cs {
		out[i].UUID = c.UUID
		out[i].Archived, out[i].Unarchived = c.Archived, c.Unarchived
		var err error
		if out[i].Before, err = TaskImage(c.Before); err != nil {
			return "", err
		}
		if out[i].After, err = TaskImage(c.After); err != nil {
			return "", err
		}
		if c.Doc != nil {
			out[i].Doc = &docJSON{Before: c.Doc.Before, After: c.Doc.After}
		}
	}
	return Marshal(out)
}

// TaskImage is a task's JSON image, without its urgency (computed, and
// possibly not a JSON number).
func TaskImage(t *backlog.Task) (json.RawMessage, error) {
	if t == nil {
		return nil, nil
	}
	c := *t
	c.Urgency = 0
	b, err := c.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("journal image of task %s: %w", t.Ref(), err)
	}
	return b, nil
}

// DecodeChanges reads an entry's changes.
func DecodeChanges(s string) ([]store.Change, error) {
	var in []changeJSON
	if err := json.Unmarshal([]byte(s), &in); err != nil {
		return nil, err
	}
	if len(in) == 0 {
		return nil, nil
	}
	cs := make([]store.Change, len(in))
	for i, c := range in {
		cs[i].UUID = c.UUID
		cs[i].Archived, cs[i].Unarchived = c.Archived, c.Unarchived
		if len(c.Before) > 0 {
			cs[i].Before = new(backlog.Task)
			if err := cs[i].Before.UnmarshalJSON(c.Before); err != nil {
				return nil, fmt.Errorf("image of task %s: %w", c.UUID, err)
			}
		}
		if len(c.After) > 0 {
			cs[i].After = new(backlog.Task)
			if err := cs[i].After.UnmarshalJSON(c.After); err != nil {
				return nil, fmt.Errorf("image of task %s: %w", c.UUID, err)
			}
		}
		if c.Doc != nil {
			cs[i].Doc = &store.DocChange{Before: c.Doc.Before, After: c.Doc.After}
		}
	}
	return cs, nil
}
