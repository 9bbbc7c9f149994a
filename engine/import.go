package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/when"
)

// ImportResult is what Import returns.
type ImportResult struct {
	Imported int             `json:"imported"`
	Tasks    []*backlog.Task `json:"tasks"`
}

// ImportOptions tune Import.
type ImportOptions struct {
	// Progress, when set, is called as objects are read and stored.
	Progress func(done, total int)
}

// Import creates (or, for a UUID already present, replaces) the tasks of a
// JSON array or JSON-lines stream, all or nothing. It reads the product's
// shape and Taskwarrior's `task export` shape; an object may carry a `ref`
// unique in the batch, which `depends` of other objects may name, and a
// `doc` string that becomes the task's doc. Ids are assigned in input order.
func (e *Engine) Import(ctx context.Context, data []byte, opts ImportOptions) (*ImportResult, error) {
	if err := validUTF8(data); err != nil {
		return nil, err
	}
	objs, err := splitObjects(data)
	if err != nil {
		return nil, err
	}
	if len(objs) == 0 {
		return nil, backlog.Invalidf("nothing to import: give a JSON array of task objects")
	}
	progress := opts.Progress
	if progress == nil {
		progress = func(int, int) {}
	}
	var res *ImportResult
	err = e.write(ctx, func(o *op) error {
		items := make([]*importItem, len(objs))
		refs := map[string]string{} // ref -> UUID
		for i, raw := range objs {
			it, err := o.decodeImport(raw)
			if err != nil {
				return backlog.Invalidf("task %d: %s", i, errText(err))
			}
			if it.ref != "" {
				if _, dup := refs[it.ref]; dup {
					return backlog.Invalidf("task %d: ref %q is used twice in the batch", i, it.ref)
				}
				refs[it.ref] = it.task.UUID
			}
			items[i] = it
			progress(i+1, 2*len(objs))
		}
		inBatch := map[string]bool{}
		for i, it := range items {
			if inBatch[it.task.UUID] {
				return backlog.Invalidf("task %d: UUID %s appears twice in the batch", i, it.task.UUID)
			}
			inBatch[it.task.UUID] = true
		}
		out := make([]*backlog.Task, 0, len(items))
		for i, it := range items {
			t := it.task
			for _, d := range it.depends {
				u, err := o.importDep(d, refs, inBatch)
				if err != nil {
					return atTask(i, err)
				}
				if u == t.UUID {
					return backlog.Invalidf("task %d cannot depend on itself", i)
				}
				if !slices.Contains(t.Depends, u) {
					t.Depends = append(t.Depends, u)
				}
			}
			if err := o.store(t); err != nil {
				return atTask(i, err)
			}
			if it.doc != nil {
				if err := o.writeDoc(t, *it.doc); err != nil {
					return atTask(i, err)
				}
			}
			out = append(out, t)
			progress(len(objs)+i+1, 2*len(objs))
		}
		// A series imported without a pending instance gets one, once the
		// whole batch (which may hold its instances) is stored.
		for i, t := range out {
			if t.Status == backlog.StatusRecurring {
				if err := o.continueSeries(t); err != nil {
					return atTask(i, err)
				}
			}
		}
		for i, t := range out {
			if err := o.checkCycles(t, nil); err != nil {
				var e *backlog.Error
				if !errors.As(err, &e) {
					return err
				}
				return backlog.Conflictf("task %d: %s", i, e.Msg)
			}
		}
		if err := o.commit("import", fmt.Sprintf("import %d task%s", len(out), plural(len(out)))); err != nil {
			return err
		}
		g, err := o.tx.Graph(ctx)
		if err != nil {
			return err
		}
		res = &ImportResult{Imported: len(out), Tasks: view(out, g, o.now)}
		return nil
	})
	return res, err
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// atTask names the batch index in an error about one imported object,
// keeping its kind. An error that is not the input's fault (a full disk, a
// broken connection) is returned as it is: it names no task, since no task
// caused it.
func atTask(i int, err error) error {
	var e *backlog.Error
	if errors.As(err, &e) {
		return &backlog.Error{Kind: e.Kind, Msg: fmt.Sprintf("task %d: %s", i, e.Msg)}
	}
	return err
}

// errText is the sentence of an error without its kind.
func errText(err error) string {
	var e *backlog.Error
	if errors.As(err, &e) {
		return e.Msg
	}
	return err.Error()
}

// store inserts a new task, or replaces the task with the same UUID. A
// replaced task keeps its id and its doc. Neither has_doc nor the doc tag is
// imported: both follow the doc, the task's own or one the import attaches
// (an export lists has_doc and the tag, not the doc).
func (o *op) store(t *backlog.Task) error {
	t.Tags = withoutDocTag(t.Tags)
	cur, err := o.tx.TaskByUUID(o.ctx, t.UUID)
	switch {
	case err == nil:
		t.ID = cur.ID
		t.HasDoc = cur.HasDoc
		if t.HasDoc {
			t.Tags = append(t.Tags, "doc")
		}
		return o.update(cur, t)
	case isNotFound(err):
		t.HasDoc = false
		return o.insert(t)
	}
	return err
}

// validUTF8 refuses an import holding bytes that are not UTF-8, naming the
// line: a JSON decoder would turn them into U+FFFD without a word.
func validUTF8(data []byte) error {
	if utf8.Valid(data) {
		return nil
	}
	line := 1
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			return backlog.Invalidf("the import is not valid UTF-8: byte %d (line %d) is %#x", i, line, data[i])
		}
		if r == '\n' {
			line++
		}
		i += n
	}
	return nil
}

// splitObjects reads a JSON array of objects, or a stream of objects (JSON
// lines, as older Taskwarrior versions export).
func splitObjects(data []byte) ([]json.RawMessage, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, nil
	}
	if data[0] == '[' {
		var objs []json.RawMessage
		if err := json.Unmarshal(data, &objs); err != nil {
			return nil, backlog.Invalidf("the import is not a valid JSON array: %s", strings.TrimPrefix(err.Error(), "json: "))
		}
		return objs, nil
	}
	var objs []json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == io.EOF {
			return objs, nil
		}
		if err != nil {
			return nil, backlog.Invalidf("the import is neither a JSON array nor JSON lines: object %d: %s", len(objs), strings.TrimPrefix(err.Error(), "json: "))
		}
		objs = append(objs, raw)
	}
}

type importItem struct {
	task    *backlog.Task
	ref     string
	depends []string
	doc     *string
}

// ignoredImport are Taskwarrior's computed fields, dropped on import.
var ignoredImport = map[string]bool{"id": true, "urgency": true, "imask": true, "has_doc": true}

// decodeImport reads one object of an import.
func (o *op) decodeImport(raw json.RawMessage) (*importItem, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, fmt.Errorf("not a JSON object")
	}
	// Taskwarrior exports keep user-defined attributes at the top level; an
	// object that looks like one (uuid, status and entry) may carry them.
	twShape := fields["uuid"] != nil && fields["status"] != nil && fields["entry"] != nil
	it := &importItem{task: &backlog.Task{Status: backlog.StatusPending}}
	t := it.task
	str := func(name string) (string, error) {
		var s string
		if err := json.Unmarshal(fields[name], &s); err != nil {
			return "", fmt.Errorf("%s must be a string", name)
		}
		return s, nil
	}
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		v := fields[k]
		if ignoredImport[k] || string(v) == "null" {
			continue
		}
		var err error
		var s string
		switch k {
		case "description", "project", "recur", "mask", "agent", "ref", "uuid", "parent", "status", "priority":
			if s, err = str(k); err != nil {
				return nil, err
			}
			err = setImportString(it, k, s)
		case "due", "scheduled", "wait", "until", "entry", "modified", "start", "end", "lease_until":
			if s, err = str(k); err != nil {
				return nil, err
			}
			var d time.Time
			if d, err = o.importDate(k, s); err == nil {
				*dateFieldPtr(t, k) = d
			}
		case "lease":
			var secs int64
			if json.Unmarshal(v, &secs) != nil || secs < 0 || secs > int64(backlog.MaxLease/time.Second) {
				return nil, fmt.Errorf("lease must be a whole number of seconds from 1 to %d (or 0 for none), got %s", int64(backlog.MaxLease/time.Second), v)
			}
			t.Lease = time.Duration(secs) * time.Second
		case "tags":
			t.Tags, err = stringList(v, k)
		case "depends":
			it.depends, err = stringList(v, k)
		case "annotations":
			var anns []struct {
				Entry       string `json:"entry"`
				Description string `json:"description"`
			}
			if err = json.Unmarshal(v, &anns); err != nil {
				return nil, fmt.Errorf("annotations must be an array of {entry, description}")
			}
			for _, a := range anns {
				entry, err := o.importDate("annotation entry", a.Entry)
				if err != nil {
					return nil, err
				}
				if entry.IsZero() {
					entry = o.now
				}
				t.Annotations = append(t.Annotations, backlog.Annotation{Entry: entry, Description: strings.TrimSpace(a.Description)})
			}
		case "doc":
			if s, err = str(k); err == nil {
				it.doc = &s
			}
		case "source":
			dec := json.NewDecoder(bytes.NewReader(v))
			dec.DisallowUnknownFields()
			var src backlog.Source
			if dec.Decode(&src) != nil {
				return nil, fmt.Errorf("source must be an object {type, host, project, iid, url}")
			}
			t.Source = &src
		case "extra":
			var extra map[string]any
			if err = json.Unmarshal(v, &extra); err != nil {
				return nil, fmt.Errorf("extra must be an object of user-defined attributes")
			}
			for name, val := range extra {
				if err = setUDA(t, name, val); err != nil {
					return nil, err
				}
			}
		default:
			var val any
			if !twShape || json.Unmarshal(v, &val) != nil {
				return nil, fmt.Errorf("unknown field %q", k)
			}
			err = setUDA(t, k, val)
		}
		if err != nil {
			return nil, err
		}
	}
	if t.UUID == "" {
		t.UUID = newUUID()
	}
	if t.Entry.IsZero() {
		t.Entry = o.now
	}
	if (t.Status == backlog.StatusCompleted || t.Status == backlog.StatusDeleted) && t.End.IsZero() {
		t.End = o.now
	}
	if t.Recur != "" && t.Status == backlog.StatusPending && t.Parent == "" {
		t.Status = backlog.StatusRecurring
	}
	if t.Recur != "" {
		if err := validRecur(t.Recur); err != nil {
			return nil, err
		}
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return it, nil
}

func setImportString(it *importItem, k, s string) error {
	t := it.task
	switch k {
	case "description":
		t.Description = strings.TrimSpace(s)
	case "project":
		t.Project = s
	case "recur":
		t.Recur = s
	case "mask":
		t.Mask = s
	case "agent":
		t.Agent = s
	case "ref":
		it.ref = s
	case "uuid":
		u, err := backlog.ParseUUID(s)
		if err != nil {
			return err
		}
		t.UUID = u
	case "parent":
		u, err := backlog.ParseUUID(s)
		if err != nil {
			return fmt.Errorf("parent must be a task UUID, got %q", s)
		}
		t.Parent = u
	case "status":
		st, err := backlog.ParseStatus(s)
		if err != nil {
			return err
		}
		if st == backlog.StatusWaiting {
			st = backlog.StatusPending // waiting is derived from wait
		}
		t.Status = st
	case "priority":
		p, err := backlog.ParsePriority(s)
		if err != nil {
			return err
		}
		t.Priority = p
	}
	return nil
}

// importDate reads a date: as tasks print it, as Taskwarrior exports it, or
// any date expression.
func (o *op) importDate(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := backlog.ParseStoredDate(s); err == nil {
		return d, nil
	}
	d, err := when.Parse(s, o.now)
	if err != nil {
		return time.Time{}, fmt.Errorf("cannot parse date %q for %s", s, field)
	}
	return d.Truncate(time.Second).UTC(), nil
}

func dateFieldPtr(t *backlog.Task, name string) *time.Time {
	switch name {
	case "due":
		return &t.Due
	case "scheduled":
		return &t.Scheduled
	case "wait":
		return &t.Wait
	case "until":
		return &t.Until
	case "entry":
		return &t.Entry
	case "modified":
		return &t.Modified
	case "start":
		return &t.Start
	case "lease_until":
		return &t.LeaseUntil
	}
	return &t.End
}

// stringList reads an array of strings or a comma-separated string.
func stringList(v json.RawMessage, name string) ([]string, error) {
	var list []string
	if err := json.Unmarshal(v, &list); err == nil {
		return list, nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return nil, fmt.Errorf("%s must be an array of strings or a comma-separated string", name)
	}
	return splitList(s), nil
}

func setUDA(t *backlog.Task, name string, v any) error {
	if v == nil {
		return nil
	}
	if err := backlog.ValidateUDA(name, v); err != nil {
		return err
	}
	if t.Extra == nil {
		t.Extra = map[string]any{}
	}
	t.Extra[name] = v
	return nil
}

// importDep resolves a dependency of an imported task: a ref of the batch,
// a UUID (of the batch, the backlog, or gone), or an existing task's id.
func (o *op) importDep(d string, refs map[string]string, inBatch map[string]bool) (string, error) {
	if u, ok := refs[d]; ok {
		return u, nil
	}
	if u, err := backlog.ParseUUID(d); err == nil {
		return u, nil
	}
	t, err := resolve(o.ctx, o.tx, d)
	var e *backlog.Error
	if errors.As(err, &e) {
		return "", backlog.Invalidf("depends names %q, which is neither a ref of this batch nor a task", d)
	}
	if err != nil {
		return "", err
	}
	return t.UUID, nil
}
