// Package tsbacklog reads the data directory of the TypeScript backlog
// server (its TASKDATA): the collection's manifest, the snapshot it names,
// every operation log it lists merged in (clock, agent) order, the archive
// segments and the docs kept as blobs. It reads as that server's storage
// engine (@backloghq/opslog) does, so that it sees the same tasks: files the
// manifest does not name are old and are not read.
package tsbacklog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/importers"
)

// Kind is the name of this source in `backlog migrate --from`.
const Kind = "ts-backlog"

// record is one stored task, as the server keeps it: JSON fields by name.
type record map[string]json.RawMessage

// manifest is a collection's manifest.json.
type manifest struct {
	CurrentSnapshot string   `json:"currentSnapshot"`
	ActiveOps       string   `json:"activeOps"`
	ArchiveSegments []string `json:"archiveSegments"`
	// agentOps are activeAgentOps in the file's order, which is the order
	// the engine reads them in.
	agentOps []agentOps
}

type agentOps struct{ agent, path string }

// op is one line of an operation log.
type op struct {
	Op       string          `json:"op"`
	ID       string          `json:"id"`
	Data     json.RawMessage `json:"data"`
	Agent    string          `json:"agent"`
	Clock    float64         `json:"clock"`
	Encoding string          `json:"encoding"`
}

// Read reads the server's data directory dir. collection names the
// collection (a namespace, or "tasks"); "" means the only one there is.
func Read(dir, collection string) (*importers.Backlog, error) {
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, backlog.NotFoundf("%s:%s: there is no such directory", Kind, dir)
	case err != nil:
		return nil, backlog.Environmentf(err, "cannot read %s: %v", dir, unwrapPath(err))
	case !info.IsDir():
		return nil, backlog.Invalidf("%s:%s is a file: give the server's data directory (its TASKDATA)", Kind, dir)
	}
	name, err := pickCollection(dir, collection)
	if err != nil {
		return nil, err
	}
	r := &reader{root: dir, dir: filepath.Join(dir, "collections", name), docs: map[string]string{}}
	b, err := r.read()
	if err != nil {
		return nil, err
	}
	b.Source = Kind + ":" + dir
	if collection != "" {
		b.Source += "#" + collection
	}
	b.Read = "collection " + name + ": " + b.Read
	return b, nil
}

// pickCollection finds the collection to read, from meta/manifest.json
// (or, without one, the folders of collections/).
func pickCollection(dir, want string) (string, error) {
	var names []string
	data, err := os.ReadFile(filepath.Join(dir, "meta", "manifest.json"))
	switch {
	case err == nil:
		var meta struct {
			Collections []string `json:"collections"`
			Dropped     []string `json:"dropped"`
		}
		if err := json.Unmarshal(data, &meta); err != nil {
			return "", backlog.Invalidf("%s is not a TypeScript backlog manifest: %v", filepath.Join(dir, "meta", "manifest.json"), jsonError(err))
		}
		for _, c := range meta.Collections {
			if !slices.Contains(meta.Dropped, c) {
				names = append(names, c)
			}
		}
	case errors.Is(err, fs.ErrNotExist):
		entries, err := os.ReadDir(filepath.Join(dir, "collections"))
		if errors.Is(err, fs.ErrNotExist) {
			return "", backlog.Invalidf("%s is not a TypeScript backlog data directory: it has neither meta/manifest.json nor collections/", dir)
		}
		if err != nil {
			return "", backlog.Environmentf(err, "cannot read %s: %v", dir, unwrapPath(err))
		}
		for _, e := range entries {
			if e.IsDir() {
				names = append(names, e.Name())
			}
		}
	default:
		return "", backlog.Environmentf(err, "cannot read %s: %v", dir, unwrapPath(err))
	}
	slices.Sort(names)
	for _, n := range names {
		if !filepath.IsLocal(n) || strings.ContainsAny(n, `/\`) {
			return "", backlog.Invalidf("%s lists a collection named %q, which is not a folder name", dir, n)
		}
	}
	switch {
	case want != "" && slices.Contains(names, want):
		return want, nil
	case want != "":
		return "", backlog.NotFoundf("%s has no collection %q; it has %s", dir, want, list(names))
	case len(names) == 1:
		return names[0], nil
	case len(names) == 0:
		return "", backlog.NotFoundf("%s holds no collection of tasks", dir)
	}
	return "", backlog.Invalidf("%s holds %d collections (%s): name one, as %s:%s#%s", dir, len(names), list(names), Kind, dir, names[0])
}

func list(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// reader reads one collection.
type reader struct {
	root  string // the data directory
	dir   string // the collection's folder
	notes importers.Notes
	docs  map[string]string
}

func (r *reader) read() (*importers.Backlog, error) {
	m, err := r.manifest()
	if err != nil {
		return nil, err
	}
	live, err := r.snapshot(m.CurrentSnapshot)
	if err != nil {
		return nil, err
	}
	snapCount := len(live)
	ops, logs, err := r.logs(m)
	if err != nil {
		return nil, err
	}
	for _, o := range ops {
		apply(live, o)
	}
	archived, segs, err := r.archive(m.ArchiveSegments)
	if err != nil {
		return nil, err
	}

	tasks := make([]*backlog.Task, 0, len(live)+len(archived))
	byUUID := map[string]*backlog.Task{}
	add := func(rec record, segment string) error {
		t, err := r.task(rec)
		if err != nil || t == nil {
			return err
		}
		if prev := byUUID[t.UUID]; prev != nil {
			r.notes.Skip("task %s is both in the working set and in archive %s; the working set's is kept", importers.Ref(t), segment)
			return nil
		}
		t.Archived = segment
		byUUID[t.UUID] = t
		tasks = append(tasks, t)
		return nil
	}
	for _, id := range sortedKeys(live) {
		if err := add(live[id], ""); err != nil {
			return nil, err
		}
	}
	for _, a := range archived {
		if err := add(a.rec, a.segment); err != nil {
			return nil, err
		}
	}
	r.recurrence(tasks, byUUID)
	tasks, events, err := r.drainQueue(r.root, tasks)
	if err != nil {
		return nil, err
	}
	for _, t := range tasks {
		importers.Fit(t, r.docs, &r.notes)
	}
	importers.BreakCycles(tasks, &r.notes)

	read := fmt.Sprintf("snapshot %s (%d task%s)", path.Base(m.CurrentSnapshot), snapCount, plural(snapCount))
	if len(logs) > 0 {
		read += ", " + strings.Join(logs, " and ")
	}
	if len(segs) > 0 {
		read += ", " + strings.Join(segs, " and ")
	}
	if events > 0 {
		read += fmt.Sprintf(", %d hook event%s of %s", events, plural(events), queueFile)
	}
	read += fmt.Sprintf(", %d doc%s", len(r.docs), plural(len(r.docs)))
	return &importers.Backlog{
		Read:    read,
		Tasks:   tasks,
		Docs:    r.docs,
		Mapped:  r.notes.Mapped(),
		Skipped: r.notes.Skipped(),
	}, nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func sortedKeys(m map[string]record) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// file opens a path the manifest names, refusing one that leaves the
// collection's folder.
func (r *reader) file(rel string) (string, error) {
	if rel == "" || !filepath.IsLocal(filepath.FromSlash(rel)) {
		return "", backlog.Invalidf("%s names %q, which is not a file of the collection", filepath.Join(r.dir, "manifest.json"), rel)
	}
	return filepath.Join(r.dir, filepath.FromSlash(rel)), nil
}

func (r *reader) manifest() (*manifest, error) {
	p := filepath.Join(r.dir, "manifest.json")
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, backlog.Invalidf("%s is missing: this collection was never written, or the directory is not the server's", p)
	}
	if err != nil {
		return nil, backlog.Environmentf(err, "cannot read %s: %v", p, unwrapPath(err))
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, backlog.Invalidf("%s is not a collection manifest: %v", p, jsonError(err))
	}
	if m.agentOps, err = agentOpsInOrder(data); err != nil {
		return nil, backlog.Invalidf("%s: activeAgentOps is not an object of file names: %v", p, jsonError(err))
	}
	if m.CurrentSnapshot == "" {
		return nil, backlog.Invalidf("%s names no current snapshot", p)
	}
	return &m, nil
}

// agentOpsInOrder reads the manifest's activeAgentOps keeping the order of
// its keys: a JSON object's order is the order JavaScript reads it in.
func agentOpsInOrder(data []byte) ([]agentOps, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, err
	}
	raw, ok := top["activeAgentOps"]
	if !ok || string(raw) == "null" {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("not an object")
	}
	var out []agentOps
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var p string
		if err := dec.Decode(&p); err != nil {
			return nil, err
		}
		out = append(out, agentOps{agent: tok.(string), path: p})
	}
	return out, nil
}

// snapshot reads the current snapshot: JSON lines (a header, then one
// {"id","data"} a line), or the older single JSON object with records.
func (r *reader) snapshot(rel string) (map[string]record, error) {
	p, err := r.file(rel)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, backlog.Invalidf("the manifest names the snapshot %s, which is missing: the data directory is damaged", rel)
	}
	if err != nil {
		return nil, backlog.Environmentf(err, "cannot read %s: %v", p, unwrapPath(err))
	}
	first, rest, _ := bytes.Cut(data, []byte("\n"))
	var header struct {
		Records map[string]record `json:"records"`
	}
	if err := json.Unmarshal(first, &header); err != nil {
		// An older snapshot written as indented JSON: one object.
		if err := json.Unmarshal(data, &header); err != nil {
			return nil, backlog.Invalidf("%s is not a snapshot: %v", p, jsonError(err))
		}
		return nonNil(header.Records), nil
	}
	if header.Records != nil {
		return header.Records, nil
	}
	out := map[string]record{}
	line := 1
	for len(rest) > 0 {
		var l []byte
		l, rest, _ = bytes.Cut(rest, []byte("\n"))
		line++
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		var e struct {
			ID   string `json:"id"`
			Data record `json:"data"`
		}
		if err := json.Unmarshal(l, &e); err != nil {
			return nil, backlog.Invalidf("%s line %d is not a snapshot record: %v", p, line, jsonError(err))
		}
		out[e.ID] = e.Data
	}
	return out, nil
}

func nonNil(m map[string]record) map[string]record {
	if m == nil {
		return map[string]record{}
	}
	return m
}

// logs reads the operation logs the manifest lists (every agent's, or the
// single writer's) and returns their operations in the order the engine
// applies them, with a phrase for each log.
func (r *reader) logs(m *manifest) ([]op, []string, error) {
	files := m.agentOps
	if len(files) == 0 && m.ActiveOps != "" {
		files = []agentOps{{path: m.ActiveOps}}
	}
	var all []op
	var words []string
	for _, f := range files {
		ops, found, err := r.readOps(f.path)
		if err != nil {
			return nil, nil, err
		}
		if !found {
			continue // a log not written yet reads as empty, as it does there
		}
		all = append(all, ops...)
		who := "the log"
		if f.agent != "" {
			who = f.agent + "'s log"
		}
		words = append(words, fmt.Sprintf("%s (%d op%s)", who, len(ops), plural(len(ops))))
	}
	if len(m.agentOps) > 0 {
		// The engine's merge: by Lamport clock, ties by agent; a stable
		// sort, so that one log's operations keep their order.
		slices.SortStableFunc(all, func(a, b op) int {
			switch {
			case a.Clock < b.Clock:
				return -1
			case a.Clock > b.Clock:
				return 1
			}
			return localeCompare(a.Agent, b.Agent)
		})
	}
	return all, words, nil
}

// readOps reads one log. A line that is not an operation (a write cut short
// by a crash) is skipped, as the engine skips it, and said.
func (r *reader) readOps(rel string) ([]op, bool, error) {
	p, err := r.file(rel)
	if err != nil {
		return nil, false, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, backlog.Environmentf(err, "cannot read %s: %v", p, unwrapPath(err))
	}
	defer f.Close()
	var out []op
	bad := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 64<<20)
	for sc.Scan() {
		l := bytes.TrimSpace(sc.Bytes())
		if len(l) == 0 {
			continue
		}
		var o op
		if json.Unmarshal(l, &o) != nil || o.ID == "" || (o.Op != "set" && o.Op != "delete") {
			bad++
			continue
		}
		out = append(out, o)
	}
	if err := sc.Err(); err != nil {
		return nil, false, backlog.Environmentf(err, "cannot read %s: %v", p, unwrapPath(err))
	}
	if bad > 0 {
		r.notes.Skip("%d line%s of %s %s not an operation (a write cut short); skipped, as the server skips them", bad, plural(bad), rel, map[bool]string{true: "is", false: "are"}[bad == 1])
	}
	return out, true, nil
}

// apply applies one operation to the records. A set carries the whole new
// record; a set whose data is a {"$set","$unset"} patch (the delta form)
// patches the record it has.
func apply(recs map[string]record, o op) {
	switch o.Op {
	case "delete":
		delete(recs, o.ID)
	case "set":
		var data record
		if json.Unmarshal(o.Data, &data) != nil || data == nil {
			return
		}
		if o.Encoding == "delta" && isPatch(data) {
			cur := record{}
			for k, v := range recs[o.ID] {
				cur[k] = v
			}
			var set record
			var unset []string
			_ = json.Unmarshal(data["$set"], &set)
			_ = json.Unmarshal(data["$unset"], &unset)
			for k, v := range set {
				cur[k] = v
			}
			for _, k := range unset {
				delete(cur, k)
			}
			data = cur
		}
		recs[o.ID] = data
	}
}

func isPatch(r record) bool {
	for k := range r {
		if k != "$set" && k != "$unset" {
			return false
		}
	}
	return len(r) > 0
}

// localeCompare orders agent ids as JavaScript's String.localeCompare does
// for the names agents have: letters without regard to case first, then
// lower case before upper case.
func localeCompare(a, b string) int {
	if c := strings.Compare(strings.ToLower(a), strings.ToLower(b)); c != 0 {
		return c
	}
	return -strings.Compare(a, b)
}

type archivedRecord struct {
	rec     record
	segment string
}

// archive reads the segments the manifest lists.
func (r *reader) archive(rels []string) ([]archivedRecord, []string, error) {
	var out []archivedRecord
	var words []string
	for _, rel := range rels {
		p, err := r.file(rel)
		if err != nil {
			return nil, nil, err
		}
		data, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			r.notes.Skip("the manifest lists archive %s, which is missing", rel)
			continue
		}
		if err != nil {
			return nil, nil, backlog.Environmentf(err, "cannot read %s: %v", p, unwrapPath(err))
		}
		var seg struct {
			Period  string            `json:"period"`
			Records map[string]record `json:"records"`
		}
		if err := json.Unmarshal(data, &seg); err != nil {
			return nil, nil, backlog.Invalidf("%s is not an archive segment: %v", p, jsonError(err))
		}
		if seg.Period == "" {
			seg.Period = strings.TrimSuffix(strings.TrimPrefix(path.Base(rel), "archive-"), ".json")
		}
		for _, id := range sortedKeys(seg.Records) {
			out = append(out, archivedRecord{rec: seg.Records[id], segment: seg.Period})
		}
		words = append(words, fmt.Sprintf("archive %s (%d task%s)", seg.Period, len(seg.Records), plural(len(seg.Records))))
	}
	return out, words, nil
}

func jsonError(err error) string { return strings.TrimPrefix(err.Error(), "json: ") }

// unwrapPath is the reason of a file error without the path, which the
// sentence names already.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
