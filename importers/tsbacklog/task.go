package tsbacklog

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/agent-backlog/backlog/internal/lazyre"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/importers"
)

// engineFields are the storage engine's own fields on a record: its
// version counter, blob list and bookkeeping, none of them the task's.
var engineFields = map[string]bool{
	"_id": true, "_version": true, "_blobs": true, "_agent": true, "_reason": true, "_expires": true, "_embedding": true,
	"has_doc": true, "urgency": true,
}

// task turns a record into a task, or returns nil (noted) for one that
// cannot be a task.
func (r *reader) task(rec record) (*backlog.Task, error) {
	str := func(k string) string {
		var s string
		_ = json.Unmarshal(rec[k], &s)
		return s
	}
	t := &backlog.Task{}
	u, err := backlog.ParseUUID(str("_id"))
	if err != nil {
		r.notes.Skip("a record with the id %s is not a task (its _id is not a UUID)", string(rec["_id"]))
		return nil, nil
	}
	t.UUID = u
	var id float64
	if json.Unmarshal(rec["id"], &id) == nil && id >= 1 && id == float64(int64(id)) {
		t.ID = int64(id)
	}
	t.Description = str("description")
	switch st := str("status"); st {
	case "pending", "completed", "deleted", "recurring":
		t.Status = backlog.Status(st)
	case "":
		t.Status = backlog.StatusPending
	default:
		t.Status = backlog.StatusPending
		r.notes.Map(fmt.Sprintf("status %q, which backlog does not have: pending", st))
	}
	t.Project = str("project")
	if p := str("priority"); p != "" {
		if pr, err := backlog.ParsePriority(p); err == nil {
			t.Priority = pr
		} else {
			r.notes.Skip("task %s: its priority %q is not H, M or L, left out", importers.Ref(t), p)
		}
	}
	t.Tags = r.strings(rec, "tags", t)
	t.Depends = r.strings(rec, "depends", t)
	t.Recur = str("recur")
	t.Parent = str("parent")
	t.Agent = str("agent")
	for _, f := range []struct {
		name string
		at   *time.Time
	}{
		{"due", &t.Due}, {"wait", &t.Wait}, {"scheduled", &t.Scheduled}, {"until", &t.Until},
		{"entry", &t.Entry}, {"modified", &t.Modified}, {"start", &t.Start}, {"end", &t.End},
	} {
		s := str(f.name)
		d, err := importers.ParseTime(s, time.UTC)
		if err != nil {
			r.notes.Skip("task %s: its %s %q is not a date, left out", importers.Ref(t), f.name, s)
			continue
		}
		*f.at = d
	}
	if t.Entry.IsZero() {
		t.Entry = t.Modified
	}
	var anns []struct {
		Entry       string `json:"entry"`
		Description string `json:"description"`
	}
	if raw, ok := rec["annotations"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &anns); err != nil {
			r.notes.Skip("task %s: its annotations are not a list of {entry, description}, left out", importers.Ref(t))
		}
	}
	for _, a := range anns {
		at, err := importers.ParseTime(a.Entry, time.UTC)
		if err != nil {
			at = time.Time{}
		}
		t.Annotations = append(t.Annotations, backlog.Annotation{Entry: at, Description: a.Description})
	}
	r.extra(rec, t)
	if err := r.doc(rec, t); err != nil {
		return nil, err
	}
	return t, nil
}

// known are the record fields the task model has.
var known = map[string]bool{
	"description": true, "status": true, "project": true, "tags": true, "priority": true, "due": true, "id": true,
	"entry": true, "modified": true, "annotations": true, "wait": true, "scheduled": true, "start": true, "end": true,
	"depends": true, "recur": true, "until": true, "parent": true, "agent": true,
}

// extra keeps any other field as a user-defined attribute, when it is a
// string, a number or a boolean.
func (r *reader) extra(rec record, t *backlog.Task) {
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range rec {
			if !yield(k) {
				return
			}
		}
	}) {
		if known[k] || engineFields[k] || string(rec[k]) == "null" {
			continue
		}
		var v any
		_ = json.Unmarshal(rec[k], &v)
		switch v.(type) {
		case string, float64, bool:
			if t.Extra == nil {
				t.Extra = map[string]any{}
			}
			t.Extra[k] = v
			r.notes.Map(fmt.Sprintf("field %q, which backlog does not have: kept as a user-defined attribute", k))
		default:
			r.notes.Skip("task %s: its field %q holds a list or an object, which backlog has no place for; left out", importers.Ref(t), k)
		}
	}
}

func (r *reader) strings(rec record, k string, t *backlog.Task) []string {
	raw, ok := rec[k]
	if !ok || string(raw) == "null" {
		return nil
	}
	var out []string
	if err := json.Unmarshal(raw, &out); err != nil {
		r.notes.Skip("task %s: its %s are not a list of strings, left out", importers.Ref(t), k)
		return nil
	}
	return out
}

// doc reads the task's doc from blobs/<uuid>/doc.
func (r *reader) doc(rec record, t *backlog.Task) error {
	var blobs []string
	_ = json.Unmarshal(rec["_blobs"], &blobs)
	for _, b := range blobs {
		if b != "doc" {
			r.notes.Skip("task %s: its blob %q is not a doc, and backlog keeps one doc a task; left out", importers.Ref(t), b)
		}
	}
	var hasDoc bool
	_ = json.Unmarshal(rec["has_doc"], &hasDoc)
	p := filepath.Join(r.dir, "blobs", t.UUID, "doc")
	data, err := os.ReadFile(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if hasDoc || slices.Contains(blobs, "doc") {
			r.notes.Skip("task %s: it is marked as having a doc, but blobs/%s/doc is missing; imported without one", importers.Ref(t), t.UUID)
		}
		return nil
	case err != nil:
		return backlog.Environmentf(err, "cannot read %s: %v", p, unwrapPath(err))
	case len(data) > backlog.MaxDocSize:
		r.notes.Skip("task %s: its doc is %d bytes, more than the %d allowed; left out", importers.Ref(t), len(data), backlog.MaxDocSize)
	case !utf8.Valid(data) || strings.ContainsRune(string(data), 0):
		r.notes.Skip("task %s: its doc is not text (UTF-8 without NUL characters); left out", importers.Ref(t))
	default:
		r.docs[t.UUID] = string(data)
	}
	return nil
}

// segmentName is the shape of a backlog archive segment.
var segmentName = lazyre.New(`^[0-9]{4}-Q[1-4]$`)

// recurrence fills in what the server leaves implicit: an instance of a
// recurring template holds only its parent, and backlog keeps the period
// on the instances too; and it renames archive segments that are not
// quarters.
func (r *reader) recurrence(tasks []*backlog.Task, byUUID map[string]*backlog.Task) {
	for _, t := range tasks {
		if t.Parent != "" && t.Recur == "" {
			if tpl := byUUID[t.Parent]; tpl != nil && tpl.Recur != "" {
				t.Recur = tpl.Recur
				r.notes.Map("recurring instances: their template's period copied onto them, as backlog keeps it on both")
			}
		}
		if t.Archived != "" && !segmentName().MatchString(t.Archived) {
			d := t.End
			if d.IsZero() {
				d = t.Modified
			}
			seg := fmt.Sprintf("%04d-Q%d", d.Year(), (int(d.Month())-1)/3+1)
			r.notes.Map(fmt.Sprintf("archive segment %q, not a quarter: archived in the quarter of the task's end", t.Archived))
			t.Archived = seg
		}
	}
}
