package backlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"time"
)

// taskJSON is the wire shape of a task, for decoding.
type taskJSON struct {
	ID          int64            `json:"id"`
	UUID        string           `json:"uuid"`
	Description string           `json:"description"`
	Status      Status           `json:"status"`
	Project     string           `json:"project"`
	Priority    Priority         `json:"priority"`
	Tags        []string         `json:"tags"`
	Due         jsonTime         `json:"due"`
	Scheduled   jsonTime         `json:"scheduled"`
	Wait        jsonTime         `json:"wait"`
	Until       jsonTime         `json:"until"`
	Recur       string           `json:"recur"`
	Mask        string           `json:"mask"`
	Parent      string           `json:"parent"`
	Depends     []string         `json:"depends"`
	Agent       string           `json:"agent"`
	Lease       int64            `json:"lease"` // seconds
	LeaseUntil  jsonTime         `json:"lease_until"`
	Source      *sourceJSON      `json:"source"`
	Annotations []annotationJSON `json:"annotations"`
	HasDoc      bool             `json:"has_doc"`
	Entry       jsonTime         `json:"entry"`
	Modified    jsonTime         `json:"modified"`
	Start       jsonTime         `json:"start"`
	End         jsonTime         `json:"end"`
	Urgency     float64          `json:"urgency"`
	Extra       map[string]any   `json:"extra"`
	Archived    string           `json:"archived"`
}

// sourceJSON is Source read strictly: an unknown field is an error.
type sourceJSON struct {
	Type    string `json:"type"`
	Host    string `json:"host"`
	Project string `json:"project"`
	IID     int64  `json:"iid"`
	URL     string `json:"url"`
}

type annotationJSON struct {
	Entry       jsonTime `json:"entry"`
	Description string   `json:"description"`
}

// jsonTime reads the product's date format, and Taskwarrior's compact one.
type jsonTime struct{ time.Time }

func (t *jsonTime) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return Invalidf("a date must be a string such as \"2026-03-01T14:30:00Z\", got %s", b)
	}
	v, err := ParseStoredDate(s)
	if err != nil {
		return err
	}
	t.Time = v
	return nil
}

// ParseStoredDate reads a date as tasks print it (2026-03-01T14:30:00Z, or
// any RFC 3339 time) or as Taskwarrior exports it (20260301T143000Z).
func ParseStoredDate(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "20060102T150405Z"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, Invalidf("cannot parse date %q: expected 2026-03-01T14:30:00Z", s)
}

// UnmarshalJSON reads a task in the shape MarshalJSON prints, strictly: an
// unknown field is an error, so nothing is silently dropped. Urgency is read
// but has no effect (it is computed).
func (t *Task) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	var w taskJSON
	if err := dec.Decode(&w); err != nil {
		return jsonError(err)
	}
	*t = Task{
		ID: w.ID, UUID: w.UUID, Description: w.Description, Status: w.Status,
		Project: w.Project, Priority: w.Priority, Tags: w.Tags,
		Due: w.Due.Time, Scheduled: w.Scheduled.Time, Wait: w.Wait.Time, Until: w.Until.Time,
		Recur: w.Recur, Mask: w.Mask, Parent: w.Parent, Depends: w.Depends, Agent: w.Agent,
		LeaseUntil: w.LeaseUntil.Time, HasDoc: w.HasDoc, Entry: w.Entry.Time, Modified: w.Modified.Time,
		Start: w.Start.Time, End: w.End.Time, Archived: w.Archived,
	}
	if w.Lease < 0 || w.Lease > int64(MaxLease/time.Second) {
		return Invalidf("lease must be a whole number of seconds from 1 to %d (or 0 for none), got %d", int64(MaxLease/time.Second), w.Lease)
	}
	t.Lease = time.Duration(w.Lease) * time.Second
	if w.Source != nil {
		s := Source(*w.Source)
		t.Source = &s
	}
	for _, a := range w.Annotations {
		t.Annotations = append(t.Annotations, Annotation{Entry: a.Entry.Time, Description: a.Description})
	}
	if len(w.Extra) > 0 {
		t.Extra = make(map[string]any, len(w.Extra))
		for k, v := range w.Extra {
			if n, ok := v.(json.Number); ok {
				f, err := n.Float64()
				if err != nil {
					return Invalidf("user-defined attribute %q holds %s, which is not a number we can keep", k, n)
				}
				v = f
			}
			t.Extra[k] = v
		}
	}
	return nil
}

// jsonError turns a decoding error into one sentence.
func jsonError(err error) error {
	var e *Error
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &e):
		return e
	case errors.As(err, &te):
		return Invalidf("field %q must be %s, got a JSON %s", te.Field, jsonKind(te.Type.Kind().String()), te.Value)
	}
	msg := err.Error()
	const unknown = "json: unknown field "
	if len(msg) > len(unknown) && msg[:len(unknown)] == unknown {
		return Invalidf("unknown field %s", msg[len(unknown):])
	}
	return Invalidf("invalid task JSON: %s", trimJSONPrefix(msg))
}

func jsonKind(k string) string {
	switch k {
	case "slice":
		return "an array"
	case "map", "struct":
		return "an object"
	case "bool":
		return "true or false"
	case "string":
		return "a string"
	}
	return "a number"
}

func trimJSONPrefix(s string) string {
	if len(s) > 6 && s[:6] == "json: " {
		return s[6:]
	}
	return s
}
