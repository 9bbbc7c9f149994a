package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/internal/atomicfile"
	"github.com/agent-backlog/backlog/tasksmd"
	"github.com/agent-backlog/backlog/tasksmd/workspace"
)

// SyncResult says what Sync did.
type SyncResult struct {
	// The files' side: task blocks added, removed and rewritten.
	FileAdded   int `json:"file_added"`
	FileRemoved int `json:"file_removed"`
	FileUpdated int `json:"file_updated"`
	// The backlog's side: tasks created, completed and changed.
	Added     int `json:"added"`
	Completed int `json:"completed"`
	Updated   int `json:"updated"`
	// Conflicts are the fields changed on both sides, one sentence each,
	// naming the file and line ("TASKS.md:12: ...").
	Conflicts []string `json:"conflicts"`
	// Written are the files whose bytes changed.
	Written []string `json:"written"`
	// Stored says whether the backlog was written (tasks or the state).
	Stored bool `json:"stored"`
}

// Sync brings the TASKS.md files and the backlog in step, three-way
// against the state of the last import, export or sync (TASKSMD.md, "Sync
// rules"): a task deleted from a file is completed in the backlog; a task
// completed or deleted in the backlog leaves its file; a task added on one
// side appears on the other; a field changed on one side takes that side's
// value; a field changed on both keeps the backlog's, and the result names
// it. The backlog is written in one engine.Import and each file through a
// locked atomic replace, only when its bytes change; the import runs while
// every file to write is locked, so either both sides change or neither.
// A file that does not lint, an ID clash or a cycle of blockers is refused
// with one sentence naming the file and line, and nothing is written.
//
// Tasks of the file are matched to those last synced by ID, then by an
// unchanged block, then by summary, then (one task each) by place between
// two matched tasks; a task whose summary changed and that has no ID is
// matched only that last way. A file removed by hand is written again from
// the backlog: to drop tasks, remove their blocks.
func (b *Bridge) Sync(ctx context.Context) (*SyncResult, error) {
	q, err := b.Workspace.Load(ctx)
	if err != nil {
		return nil, err
	}
	if err := lintQueue(q, "synced"); err != nil {
		return nil, err
	}
	if err := checkCycles(q); err != nil {
		return nil, err
	}
	snap, err := b.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	s := &syncer{
		b: b, snap: snap, res: &SyncResult{Conflicts: []string{}, Written: []string{}},
		merged: map[string]*backlog.Task{}, docs: map[string]string{}, touched: map[string]bool{},
	}
	for u, t := range snap.byUUID {
		s.merged[u] = t.Clone()
	}
	if err := s.load(q); err != nil {
		return nil, err
	}
	if err := s.merge(ctx); err != nil {
		return nil, err
	}
	return s.write(ctx)
}

// A syncFile is one file as sync sees it.
type syncFile struct {
	path   string
	st     *state
	base   *tasksmd.File // as last synced (nil: never)
	disk   *tasksmd.File // as it is now (the base when the file is gone)
	old    []byte        // the bytes on disk, nil when there is none
	exists bool
	own    []string // the UUID of each disk task, in file order
	baseOf []int    // each disk task's index in base.Tasks, or -1
}

type syncer struct {
	b       *Bridge
	snap    *snapshot
	res     *SyncResult
	files   []*syncFile
	merged  map[string]*backlog.Task // the backlog after the sync, by UUID
	docs    map[string]string        // docs the sync sets
	touched map[string]bool          // tasks the sync changes
	created []map[string]any         // the import objects of the files' new tasks
	placed  map[string]string        // UUID -> the file it stays in
}

// load reads the files and their states and matches their tasks.
func (s *syncer) load(q *tasksmd.Queue) error {
	byPath := map[string]*tasksmd.File{}
	paths := map[string]bool{}
	for _, f := range q.Files {
		byPath[f.Path] = f
		paths[f.Path] = true
	}
	for p := range s.snap.states {
		paths[p] = true
	}
	var order []string
	for p := range paths {
		order = append(order, p)
	}
	sort.Strings(order)
	for _, p := range order {
		sf := &syncFile{path: p, st: s.snap.states[p], disk: byPath[p]}
		if sf.st != nil {
			sf.base = tasksmd.Parse(p, []byte(sf.st.Text))
			if len(sf.st.Tasks) != len(sf.base.Tasks) {
				// A state that does not describe its text is no base.
				sf.base, sf.st.Tasks = nil, nil
			}
		}
		if sf.disk != nil {
			sf.exists = true
			sf.old = tasksmd.Render(sf.disk)
		} else {
			sf.disk = tasksmd.Parse(p, []byte(sf.st.Text))
		}
		sf.own = make([]string, len(sf.disk.Tasks))
		sf.baseOf = make([]int, len(sf.disk.Tasks))
		for i := range sf.baseOf {
			sf.baseOf[i] = -1
		}
		s.files = append(s.files, sf)
	}
	s.match()
	return nil
}

// match pairs the tasks of the files with the tasks last synced.
func (s *syncer) match() {
	used := map[string]bool{}
	pair := func(sf *syncFile, i int, from *syncFile, j int) {
		u := from.st.Tasks[j]
		sf.own[i] = u
		if from == sf {
			sf.baseOf[i] = j
		}
		used[u] = true
	}
	// By ID, across files (a task moved to another file keeps its UUID).
	byID := map[string][2]int{}
	for fi, sf := range s.files {
		if sf.base == nil {
			continue
		}
		for j, bt := range sf.base.Tasks {
			if id := bt.ID(); id != "" {
				byID[id] = [2]int{fi, j}
			}
		}
	}
	for _, sf := range s.files {
		for i, ft := range sf.disk.Tasks {
			if at, ok := byID[ft.ID()]; ok && ft.ID() != "" && !used[s.files[at[0]].st.Tasks[at[1]]] {
				pair(sf, i, s.files[at[0]], at[1])
			}
		}
	}
	blockText := func(f *tasksmd.File, t *tasksmd.Task) string { return render(f.Lines[t.StartLine-1 : t.EndLine]) }
	same := []func(sf *syncFile, ft, bt *tasksmd.Task) bool{
		func(sf *syncFile, ft, bt *tasksmd.Task) bool {
			return blockText(sf.disk, ft) == blockText(sf.base, bt)
		},
		func(sf *syncFile, ft, bt *tasksmd.Task) bool { return ft.Summary == bt.Summary },
	}
	for _, sf := range s.files {
		if sf.base == nil {
			continue
		}
		for _, eq := range same {
			for i, ft := range sf.disk.Tasks {
				if sf.own[i] != "" {
					continue
				}
				for j, bt := range sf.base.Tasks {
					if !used[sf.st.Tasks[j]] && eq(sf, ft, bt) {
						pair(sf, i, sf, j)
						break
					}
				}
			}
		}
		// By place: one unmatched task on each side between the same two
		// matched tasks.
		lo, loBase := -1, -1
		for hi := 0; hi <= len(sf.disk.Tasks); hi++ {
			hiBase := len(sf.base.Tasks)
			if hi < len(sf.disk.Tasks) {
				if sf.baseOf[hi] < 0 {
					continue
				}
				hiBase = sf.baseOf[hi]
			}
			var fs, bs []int
			for i := lo + 1; i < hi; i++ {
				if sf.own[i] == "" {
					fs = append(fs, i)
				}
			}
			for j := loBase + 1; j < hiBase && j >= 0; j++ {
				if !used[sf.st.Tasks[j]] {
					bs = append(bs, j)
				}
			}
			if len(fs) == 1 && len(bs) == 1 && hiBase > loBase {
				pair(sf, fs[0], sf, bs[0])
			}
			lo, loBase = hi, hiBase
		}
	}
}

// Field names, in the order conflicts are reported.
var syncFields = []string{"description", "claim", "priority", "tags", "blockers", "ID"}

// fileValues are the fields of a task of a file, as strings.
func fileValues(t *tasksmd.Task) []string {
	return []string{t.Summary, t.Agent(), tasksmd.PriorityName(t.Priority), setText(t.Tags()), setText(t.BlockedBy()), t.ID()}
}

// setText is a list as a sorted, comma-separated string.
func setText(list []string) string {
	l := slices.Clone(list)
	slices.Sort(l)
	return strings.Join(slices.Compact(l), ", ")
}

// backlogTags are a task's tags as its file shows them: without doc, and
// without next unless the file lists it.
func backlogTags(t *backlog.Task, fileTags []string) []string {
	var out []string
	for _, tag := range t.Tags {
		if (tag == "doc" || tag == "next") && !slices.Contains(fileTags, tag) {
			continue
		}
		out = append(out, tag)
	}
	return out
}

// idOf is the ID of a task in the merged backlog, or "".
func (s *syncer) idOf(u string) string {
	if t := s.merged[u]; t != nil {
		return text(t, AttrID)
	}
	return ""
}

// backlogValues are the fields of a backlog task, read as the base block
// would be.
func (s *syncer) backlogValues(t *backlog.Task, base *tasksmd.Task) []string {
	var blockers []string
	for _, u := range t.Depends {
		if id := s.idOf(u); id != "" {
			blockers = append(blockers, id)
		}
	}
	return []string{t.Description, t.Agent, tasksmd.PriorityName(section(t, base.Tags())),
		setText(backlogTags(t, base.Tags())), setText(blockers), text(t, AttrID)}
}

// shown is a field's value in a conflict sentence.
func shown(field, v string) string {
	switch {
	case field == "description":
		return `"` + v + `"`
	case field == "claim" && v != "":
		return "@" + v
	case v == "":
		return "none"
	}
	return v
}

// rest is a block without its task line and its ID, Tags and Blocked by
// lines: what no field of the backlog holds.
func rest(block string) string {
	lines, t := parseBlock(block)
	if t == nil {
		return block
	}
	skip := map[int]bool{0: true}
	for _, k := range []string{"id", "tags", "blockedby"} {
		if f := t.Field(k); f != nil {
			skip[f.Line-3] = true
		}
	}
	var out []string
	for i, l := range lines {
		if !skip[i] {
			out = append(out, l.Text)
		}
	}
	return strings.TrimRight(strings.Join(out, "\n"), "\n ")
}

// merge works out the backlog after the sync: every task of the files
// matched, created or completed, the backlog's own new tasks left as they
// are.
func (s *syncer) merge(ctx context.Context) error {
	// Which UUIDs the files still hold, and where.
	s.placed = map[string]string{}
	inBase := map[string]bool{}
	for _, sf := range s.files {
		if sf.st != nil {
			for _, u := range sf.st.Tasks {
				inBase[u] = true
			}
		}
		for _, u := range sf.own {
			if u != "" {
				s.placed[u] = sf.path
			}
		}
	}
	// Deleted from a file: completed in the backlog.
	for u := range inBase {
		if _, kept := s.placed[u]; kept {
			continue
		}
		if t := s.merged[u]; t != nil && t.Status == backlog.StatusPending {
			t.Status = backlog.StatusCompleted
			t.End = s.b.Engine.Now()
			s.touched[u] = true
			s.res.Completed++
		}
	}
	// IDs the merged backlog holds, for blockers and clashes.
	byID := map[string]string{}
	for u, t := range s.merged {
		if id := text(t, AttrID); id != "" && t.Status == backlog.StatusPending {
			byID[id] = u
		}
	}
	// New in a file: a UUID each, and no ID a backlog task already has.
	for _, sf := range s.files {
		for i, ft := range sf.disk.Tasks {
			if sf.own[i] != "" {
				continue
			}
			if id := ft.ID(); id != "" {
				if u, ok := byID[id]; ok {
					have := s.merged[u]
					return backlog.Invalidf("%s:%d: ID '%s' is already task %d in the backlog (%q); rename one of the two, nothing was synced", sf.path, fieldLine(ft, "id"), id, have.ID, have.Description)
				}
			}
			sf.own[i] = uuid.NewString()
			s.placed[sf.own[i]] = sf.path
			if id := ft.ID(); id != "" {
				byID[id] = sf.own[i]
			}
		}
	}
	// Added in the backlog: no ID a file already uses.
	for _, sf := range s.files {
		for i, ft := range sf.disk.Tasks {
			id := ft.ID()
			if u, ok := byID[id]; ok && id != "" && u != sf.own[i] && !inBase[u] {
				have := s.merged[u]
				return backlog.Invalidf("%s:%d: ID '%s' is also the tasksmd_id of task %d in the backlog (%q), added since the last sync; rename one of the two, nothing was synced", sf.path, fieldLine(ft, "id"), id, have.ID, have.Description)
			}
		}
	}
	for _, sf := range s.files {
		for i, ft := range sf.disk.Tasks {
			u := sf.own[i]
			if !inBase[u] {
				if err := s.create(sf, ft, u, byID); err != nil {
					return err
				}
				continue
			}
			if err := s.mergeTask(ctx, sf, i, byID); err != nil {
				return err
			}
		}
	}
	return nil
}

// create adds a task that is new in a file.
func (s *syncer) create(sf *syncFile, ft *tasksmd.Task, u string, byID map[string]string) error {
	obj, err := importObject(sf.disk, ft, u, byID)
	if err != nil {
		return err
	}
	t := &backlog.Task{
		UUID: u, Description: ft.Summary, Status: backlog.StatusPending,
		Priority: backlog.Priority(obj["priority"].(string)), Tags: obj["tags"].([]string),
		Depends: obj["depends"].([]string), Extra: obj["extra"].(map[string]any),
	}
	if a, ok := obj["agent"].(string); ok {
		t.Agent = a
	}
	if d, ok := obj["doc"].(string); ok {
		s.docs[u] = d
	}
	s.merged[u] = t
	s.created = append(s.created, obj)
	s.res.Added++
	return nil
}

// mergeTask merges the i-th task of a file with its backlog task, field by
// field against the base.
func (s *syncer) mergeTask(ctx context.Context, sf *syncFile, i int, byID map[string]string) error {
	u := sf.own[i]
	t := s.merged[u]
	if t == nil || t.Status != backlog.StatusPending {
		return nil // done or gone in the backlog: export drops the block
	}
	ft := sf.disk.Tasks[i]
	var bt *tasksmd.Task
	var bf *tasksmd.File
	for _, of := range s.files {
		if of.st != nil && of.base != nil {
			if j := slices.Index(of.st.Tasks, u); j >= 0 {
				bf, bt = of.base, of.base.Tasks[j]
			}
		}
	}
	if bt == nil {
		return nil
	}
	base, file, back := fileValues(bt), fileValues(ft), s.backlogValues(t, bt)
	fromFile := map[string]bool{}
	for k, name := range syncFields {
		switch {
		case file[k] == base[k] || file[k] == back[k]:
		case back[k] == base[k]:
			fromFile[name] = true
		default:
			s.res.Conflicts = append(s.res.Conflicts, conflict(sf.path, ft.StartLine, t.Description, name, shown(name, back[k])))
		}
	}
	nt := t.Clone()
	if fromFile["description"] {
		nt.Description = ft.Summary
	}
	if fromFile["claim"] {
		nt.Agent = ft.Agent()
		if nt.Agent == "" {
			nt.LeaseUntil = time.Time{}
		}
	}
	sec := section(t, bt.Tags())
	if fromFile["priority"] {
		sec = ft.Priority
		nt.Priority, _ = sectionPriority(sec)
	}
	if fromFile["priority"] || fromFile["tags"] {
		tags := backlogTags(t, bt.Tags())
		if fromFile["tags"] {
			tags = slices.Clone(ft.Tags())
		}
		tags = slices.DeleteFunc(tags, func(s string) bool { return s == "next" })
		if sec == 0 || slices.Contains(ft.Tags(), "next") && fromFile["tags"] || !fromFile["tags"] && slices.Contains(bt.Tags(), "next") && slices.Contains(t.Tags, "next") {
			tags = append(tags, "next")
		}
		nt.Tags = tags
	}
	if fromFile["blockers"] {
		nt.Depends = []string{}
		for _, id := range ft.BlockedBy() {
			if d, ok := byID[id]; ok && !slices.Contains(nt.Depends, d) {
				nt.Depends = append(nt.Depends, d)
			}
		}
	}
	if nt.Extra == nil {
		nt.Extra = map[string]any{}
	}
	if fromFile["ID"] {
		if ft.ID() == "" {
			delete(nt.Extra, AttrID)
		} else {
			nt.Extra[AttrID] = ft.ID()
		}
	}
	nt.Extra[AttrSection] = tasksmd.PriorityName(sec)
	nt.Extra[AttrFile] = sf.path

	// The block's other lines: the file's when only the file changed them.
	baseBlock := render(bf.Lines[bt.StartLine-1 : bt.EndLine])
	fileBlock := render(sf.disk.Lines[ft.StartLine-1 : ft.EndLine])
	backBlock := ""
	if t.HasDoc {
		d, err := s.b.Engine.DocRead(ctx, u)
		if err != nil {
			return err
		}
		backBlock = d
	}
	rb, rf, rk := rest(baseBlock), rest(fileBlock), rest(backBlock)
	if backBlock == "" {
		rk = rb
		if !strings.Contains(baseBlock, "\n") {
			rk = ""
		}
	}
	switch {
	case fileBlock == baseBlock:
	case rk == rb || rf == rk:
		if fileBlock != backBlock {
			s.docs[u] = fileBlock
		}
	case rf != rb:
		s.res.Conflicts = append(s.res.Conflicts, conflict(sf.path, ft.StartLine, nt.Description, "notes", "its doc"))
	}
	_, docSet := s.docs[u]
	if docSet || !sameTask(t, nt) {
		s.merged[u] = nt
		s.touched[u] = true
		if docSet || len(fromFile) > 0 {
			s.res.Updated++ // not for the bookkeeping attributes alone
		}
	}
	return nil
}

// sameTask reports whether two versions of a task store the same.
func sameTask(a, b *backlog.Task) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// conflict is the sentence of a field changed on both sides.
func conflict(path string, line int, desc, field, kept string) string {
	return path + ":" + itoa(line) + ": " + `"` + desc + `" ` + field + " changed on both sides; kept the backlog's (" + kept + ")"
}

// A syncPlan is one file to write.
type syncPlan struct {
	path string
	old  []byte
	data []byte
}

// write renders the files from the merged backlog and writes both sides.
func (s *syncer) write(ctx context.Context) (*SyncResult, error) {
	snap := &snapshot{byUUID: s.merged, states: s.snap.states}
	var pendingIDs []*backlog.Task
	for _, t := range s.merged {
		if t.Status == backlog.StatusPending && t.Extra[AttrState] == nil {
			pendingIDs = append(pendingIDs, t)
		}
	}
	sort.Slice(pendingIDs, func(i, j int) bool {
		a, b := pendingIDs[i], pendingIDs[j]
		if (a.ID == 0) != (b.ID == 0) {
			return b.ID == 0
		}
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		return a.UUID < b.UUID
	})
	snap.pending = pendingIDs
	x := &exporter{b: s.b, snap: snap, ids: map[string]string{}, docs: s.docs}
	// IDs: the merged ones, and one for each pending task another waits for.
	used := map[string]bool{}
	for _, t := range snap.pending {
		if id := text(t, AttrID); id != "" {
			x.ids[t.UUID] = id
			used[id] = true
		}
	}
	for _, t := range snap.pending {
		for _, u := range t.Depends {
			d := s.merged[u]
			if d == nil || d.Status != backlog.StatusPending || x.ids[u] != "" {
				continue
			}
			id := freshID(d.Description, used)
			x.ids[u] = id
			if d.Extra == nil {
				d.Extra = map[string]any{}
			}
			d.Extra[AttrID] = id
			if !s.isCreated(u) && !s.touched[u] {
				s.touched[u] = true
				s.res.Updated++
			}
		}
	}
	// Where each pending task goes: the file that holds it, unless the
	// backlog moved it; the others to the end of their section.
	fresh := map[string][]*backlog.Task{}
	files := map[string]*syncFile{}
	for _, sf := range s.files {
		files[sf.path] = sf
	}
	for u := range s.placed {
		if t := s.merged[u]; t == nil || t.Status != backlog.StatusPending {
			delete(s.placed, u) // done in the backlog: its block goes
		}
	}
	for _, t := range snap.pending {
		p, ok := s.placed[t.UUID]
		if ok {
			if f := text(t, AttrFile); f == "" || f == p || !validPath(f) {
				continue
			}
			delete(s.placed, t.UUID)
		}
		p = text(t, AttrFile)
		if p == "" || !validPath(p) {
			p = DefaultFile
		}
		fresh[p] = append(fresh[p], t)
		// The task now lives in p, in the section export gives it.
		sec := tasksmd.PriorityName(section(t, nil))
		if text(t, AttrFile) != p || text(t, AttrSection) != sec {
			if t.Extra == nil {
				t.Extra = map[string]any{}
			}
			t.Extra[AttrFile], t.Extra[AttrSection] = p, sec
			s.touched[t.UUID] = true
		}
		if files[p] == nil {
			sf := &syncFile{path: p}
			files[p] = sf
			s.files = append(s.files, sf)
		}
	}
	var plans []syncPlan
	var batch []map[string]any
	for _, sf := range s.files {
		base := sf.old
		own := sf.own
		if !sf.exists && sf.st != nil {
			base = []byte(sf.st.Text)
		} else if sf.disk == nil {
			disk, err := atomicfile.Read(ctx, s.b.Workspace.Path(sf.path))
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
			if len(tasksmd.Parse(sf.path, disk).Tasks) > 0 {
				return nil, backlog.Conflictf("%s: the file appeared while it was synced; run backlog tasksmd sync again", sf.path)
			}
			sf.old, sf.exists, base = disk, disk != nil, disk
			if len(disk) == 0 {
				base = []byte(workspace.InitTemplate)
			}
		}
		data, uuids, err := x.file(ctx, sf.path, base, own, s.placed, fresh[sf.path])
		if err != nil {
			return nil, err
		}
		if !sf.exists || !bytes.Equal(data, sf.old) {
			plans = append(plans, syncPlan{path: sf.path, old: sf.old, data: data})
			s.res.Written = append(s.res.Written, sf.path)
			s.count(sf, data, uuids)
		}
		ns := &state{Path: sf.path, Tasks: uuids, Text: string(data)}
		switch {
		case sf.st != nil:
			ns.uuid = sf.st.uuid
			if sf.st.Text == ns.Text && slices.Equal(sf.st.Tasks, ns.Tasks) {
				continue
			}
		case len(uuids) == 0 && sf.exists && bytes.Equal(data, sf.old):
			continue // a file without tasks, never synced, left alone
		default:
			ns.uuid = uuid.NewString()
		}
		batch = append(batch, stateRecord(ns))
	}
	var tasks []map[string]any
	tasks = append(tasks, s.created...)
	var touched []string
	for u := range s.touched {
		touched = append(touched, u)
	}
	sort.Strings(touched)
	for _, u := range touched {
		if s.isCreated(u) {
			continue
		}
		obj, err := taskObject(s.merged[u])
		if err != nil {
			return nil, err
		}
		if d, ok := s.docs[u]; ok {
			obj["doc"] = d
		}
		tasks = append(tasks, obj)
	}
	batch = append(tasks, batch...)
	store := func() error {
		if len(batch) == 0 {
			return nil
		}
		data, err := json.Marshal(batch)
		if err != nil {
			return err
		}
		if _, err := s.b.Engine.Import(ctx, data, engine.ImportOptions{}); err != nil {
			return err
		}
		s.res.Stored = true
		return nil
	}
	// Every file is locked (and checked unchanged) before the backlog is
	// written; a refused import leaves every file as it was.
	var edit func(i int) error
	edit = func(i int) error {
		if i == len(plans) {
			return store()
		}
		pl := plans[i]
		_, err := atomicfile.Edit(ctx, s.b.Workspace.Path(pl.path), func(old []byte) ([]byte, error) {
			if !bytes.Equal(old, pl.old) {
				return nil, backlog.Conflictf("%s changed while it was synced; nothing was written, run backlog tasksmd sync again", pl.path)
			}
			if err := edit(i + 1); err != nil {
				return nil, err
			}
			return pl.data, nil
		}, atomicfile.Create(0o644))
		return err
	}
	if err := edit(0); err != nil {
		return nil, err
	}
	return s.res, nil
}

func (s *syncer) isCreated(u string) bool {
	for _, o := range s.created {
		if o["uuid"] == u {
			return true
		}
	}
	return false
}

// count adds a written file's block changes to the result.
func (s *syncer) count(sf *syncFile, data []byte, uuids []string) {
	blocks := func(f *tasksmd.File, own []string) map[string]string {
		m := map[string]string{}
		if f == nil {
			return m
		}
		for i, t := range f.Tasks {
			if i < len(own) && own[i] != "" {
				// A block moved to another section counts as updated.
				m[own[i]] = tasksmd.PriorityName(t.Priority) + "\n" + render(f.Lines[t.StartLine-1:t.EndLine])
			}
		}
		return m
	}
	var oldFile *tasksmd.File
	if sf.exists {
		oldFile = sf.disk
	}
	before := blocks(oldFile, sf.own)
	after := blocks(tasksmd.Parse(sf.path, data), uuids)
	for u, blk := range after {
		old, ok := before[u]
		switch {
		case !ok:
			s.res.FileAdded++
		case old != blk:
			s.res.FileUpdated++
		}
	}
	for u := range before {
		if _, ok := after[u]; !ok {
			s.res.FileRemoved++
		}
	}
}

// taskObject is the import object that stores t as it is.
func taskObject(t *backlog.Task) (map[string]any, error) {
	data, err := json.Marshal(t)
	if err != nil {
		return nil, err
	}
	var obj map[string]any
	if err := json.Unmarshal(data, &obj); err != nil {
		return nil, err
	}
	delete(obj, "archived") // never set on the tasks Export lists
	return obj, nil
}
