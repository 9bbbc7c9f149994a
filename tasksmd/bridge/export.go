package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"github.com/agent-backlog/backlog/internal/lazyre"
	"io/fs"
	"slices"
	"sort"
	"strings"

	"github.com/google/uuid"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/internal/atomicfile"
	"github.com/agent-backlog/backlog/tasksmd"
	"github.com/agent-backlog/backlog/tasksmd/workspace"
)

// FileResult says what Export did to one file.
type FileResult struct {
	Path    string
	Tasks   int
	Changed bool
}

// ExportOptions tune Export.
type ExportOptions struct {
	// Force overwrites a file that changed since the last import or
	// export (by default such a file is refused: sync merges it).
	Force bool
}

// Export writes the backlog's pending tasks into the workspace's TASKS.md
// files, each file starting from the bytes last imported or exported, and
// records the new state. A file whose bytes do not change is not written.
func (b *Bridge) Export(ctx context.Context, opts ExportOptions) ([]FileResult, error) {
	snap, err := b.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	x := &exporter{b: b, snap: snap, ids: map[string]string{}, docs: map[string]string{}}
	if err := x.assignIDs(ctx); err != nil {
		return nil, err
	}
	// Which file each pending task goes to: where the last state put it,
	// unless its tasksmd_file says otherwise; new tasks to their file.
	placed := map[string]string{}
	for _, st := range snap.states {
		for _, u := range st.Tasks {
			if t := snap.byUUID[u]; t != nil && t.Status == backlog.StatusPending {
				if f := text(t, AttrFile); f == "" || f == st.Path {
					placed[u] = st.Path
				}
			}
		}
	}
	newTasks := map[string][]*backlog.Task{}
	paths := map[string]bool{}
	for p := range snap.states {
		paths[p] = true
	}
	for _, t := range snap.pending {
		if _, ok := placed[t.UUID]; ok {
			continue
		}
		p := text(t, AttrFile)
		if p == "" || !validPath(p) {
			p = DefaultFile
		}
		newTasks[p] = append(newTasks[p], t)
		paths[p] = true
	}
	var order []string
	for p := range paths {
		order = append(order, p)
	}
	sort.Strings(order)
	type plan struct {
		path string
		base []byte
		st   *state
		data []byte
	}
	var plans []*plan
	for _, p := range order {
		st := snap.states[p]
		disk, err := atomicfile.Read(ctx, b.Workspace.Path(p))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		var base []byte
		switch {
		case st != nil:
			base = []byte(st.Text)
			if disk != nil && !bytes.Equal(disk, base) && !opts.Force {
				return nil, backlog.Conflictf("%s changed since the last import or export; run backlog tasksmd sync to merge the two sides, or export --force to overwrite the file", p)
			}
		case len(tasksmd.Parse(p, disk).Tasks) > 0:
			t := tasksmd.Parse(p, disk).Tasks[0]
			return nil, backlog.Conflictf("%s:%d: the file holds tasks the backlog has never seen; run backlog tasksmd import (or sync) first", p, t.StartLine)
		case len(disk) > 0:
			base = disk
		default:
			base = []byte(workspace.InitTemplate)
		}
		var own []string
		if st != nil {
			own = st.Tasks
		}
		data, uuids, err := x.file(ctx, p, base, own, placed, newTasks[p])
		if err != nil {
			return nil, err
		}
		ns := &state{Path: p, Tasks: uuids, Text: string(data)}
		if st != nil {
			ns.uuid = st.uuid
			if st.Text == ns.Text && slices.Equal(st.Tasks, ns.Tasks) {
				ns = nil
			}
		} else {
			ns.uuid = uuid.NewString()
		}
		plans = append(plans, &plan{path: p, base: disk, st: ns, data: data})
	}
	var out []FileResult
	var batch []map[string]any
	for _, pl := range plans {
		changed := false
		_, err := atomicfile.Edit(ctx, b.Workspace.Path(pl.path), func(old []byte) ([]byte, error) {
			if !bytes.Equal(old, pl.base) && !opts.Force {
				return nil, backlog.Conflictf("%s changed while it was exported; try again", pl.path)
			}
			changed = !bytes.Equal(old, pl.data)
			return pl.data, nil
		}, atomicfile.Create(0o644))
		if err != nil {
			return out, err
		}
		out = append(out, FileResult{Path: pl.path, Tasks: len(tasksmd.Parse(pl.path, pl.data).Tasks), Changed: changed})
		if pl.st != nil {
			batch = append(batch, stateRecord(pl.st))
		}
	}
	if len(batch) > 0 {
		data, err := json.Marshal(batch)
		if err != nil {
			return out, err
		}
		if _, err := b.Engine.Import(ctx, data, engine.ImportOptions{}); err != nil {
			return out, err
		}
	}
	return out, nil
}

// validPath is a queue path export may write: relative, inside the
// workspace, named TASKS.md.
func validPath(p string) bool {
	return (p == "TASKS.md" || strings.HasSuffix(p, "/TASKS.md")) && !strings.HasPrefix(p, "/") &&
		!slices.Contains(strings.Split(p, "/"), "..")
}

type exporter struct {
	b    *Bridge
	snap *snapshot
	ids  map[string]string // UUID -> the ID export writes
	docs map[string]string // UUID -> doc, when it is not (yet) the stored one
}

// assignIDs gives an ID to every pending task that has one, and makes one
// (kept in the backlog) for each pending task another depends on.
func (x *exporter) assignIDs(ctx context.Context) error {
	used := map[string]bool{}
	for _, t := range x.snap.pending {
		if id := text(t, AttrID); id != "" {
			x.ids[t.UUID] = id
			used[id] = true
		}
	}
	for _, t := range x.snap.pending {
		for _, u := range t.Depends {
			d := x.snap.byUUID[u]
			if d == nil || d.Status != backlog.StatusPending || x.ids[u] != "" {
				continue
			}
			id := freshID(d.Description, used)
			x.ids[u] = id
			if _, err := x.b.Engine.Modify(ctx, u, &engine.Changes{UDAs: map[string]any{AttrID: id}}, true); err != nil {
				return err
			}
		}
	}
	return nil
}

var nonKebab = lazyre.New(`[^a-z0-9]+`)

// slug is a kebab-case ID made from a description's first words.
func slug(desc string) string {
	s := strings.Trim(nonKebab().ReplaceAllString(strings.ToLower(desc), "-"), "-")
	for len(s) > 40 {
		i := strings.LastIndexByte(s[:40], '-')
		if i <= 0 {
			s = strings.Trim(s[:40], "-")
			break
		}
		s = s[:i]
	}
	if s == "" {
		return "task"
	}
	return s
}

func itoa(n int) string {
	const digits = "0123456789"
	if n < 10 {
		return digits[n : n+1]
	}
	return itoa(n/10) + digits[n%10:n%10+1]
}

// A mark is where a task's block starts in the lines being built.
type mark struct {
	at   int
	uuid string
}

// file builds one file from its base: each task of the base that is still
// pending here is written in its place, the others lose their block, and
// the file's new and moved tasks go to the end of their sections.
func (x *exporter) file(ctx context.Context, path string, base []byte, own []string, placed map[string]string, fresh []*backlog.Task) ([]byte, []string, error) {
	f := tasksmd.Parse(path, base)
	cr := len(f.Lines) > 1 && f.Lines[0].CR
	var out []tasksmd.Line
	var marks []mark
	type move struct {
		sec   int
		block []tasksmd.Line
		uuid  string
	}
	var moves []move
	prev := 0
	for i, bt := range f.Tasks {
		start, end := bt.StartLine-1, bt.EndLine
		out = append(out, f.Lines[prev:start]...)
		prev = end
		var t *backlog.Task
		if i < len(own) && placed[own[i]] == path {
			t = x.snap.byUUID[own[i]]
		}
		if t != nil {
			block, sec, err := x.block(ctx, t, cr)
			if err != nil {
				return nil, nil, err
			}
			if sec == bt.Priority {
				marks = append(marks, mark{len(out), t.UUID})
				out = append(out, block...)
				continue
			}
			moves = append(moves, move{sec, block, t.UUID})
		}
		// The block goes, with one blank line after it.
		if end < len(f.Lines) && blank(f.Lines[end]) && !(end == len(f.Lines)-1 && f.Lines[end].Text == "") {
			prev++
		}
	}
	out = append(out, f.Lines[prev:]...)
	for _, t := range fresh {
		block, sec, err := x.block(ctx, t, cr)
		if err != nil {
			return nil, nil, err
		}
		moves = append(moves, move{sec, block, t.UUID})
	}
	for _, m := range moves {
		var at, n, start int
		out, at, n, start = insert(out, m.sec, m.block, cr)
		for i := range marks {
			if marks[i].at >= at {
				marks[i].at += n
			}
		}
		marks = append(marks, mark{start, m.uuid})
	}
	sort.Slice(marks, func(i, j int) bool { return marks[i].at < marks[j].at })
	uuids := make([]string, len(marks))
	for i, m := range marks {
		uuids[i] = m.uuid
	}
	return []byte(render(out)), uuids, nil
}

// insert adds block at the end of section sec (creating the `## Pn`
// heading in order when there is none), after a blank line; it returns
// the lines, where the insertion starts, how many lines it added and where
// the block starts.
func insert(lines []tasksmd.Line, sec int, block []tasksmd.Line, cr bool) (out []tasksmd.Line, at, n, start int) {
	heading := func(i int) int {
		t := strings.TrimSpace(lines[i].Text)
		if len(t) == 5 && strings.HasPrefix(t, "## P") && t[4] >= '0' && t[4] <= '3' && lines[i].Text == t {
			return int(t[4] - '0')
		}
		return -1
	}
	back := func(at int) int {
		for at > 0 && blank(lines[at-1]) {
			at--
		}
		return at
	}
	found, next := false, len(lines)
	for i := range lines {
		h := heading(i)
		if h == sec {
			found = true
		} else if h > sec {
			next = i
			break
		}
	}
	nl := func(s string) tasksmd.Line { return tasksmd.Line{Text: s, CR: cr} }
	var add []tasksmd.Line
	switch {
	case found:
		at = back(next)
		add = []tasksmd.Line{nl("")}
	case next < len(lines):
		at = next
		add = []tasksmd.Line{nl("## " + tasksmd.PriorityName(sec)), nl("")}
	default:
		at = back(len(lines))
		add = []tasksmd.Line{nl(""), nl("## " + tasksmd.PriorityName(sec)), nl("")}
	}
	start = at + len(add)
	add = append(add, block...)
	if !found && next < len(lines) {
		add = append(add, nl(""))
	}
	if at == len(lines) && at > 0 {
		// The inserted lines end the file: the old last line gets its
		// break, and the file keeps ending as it did.
		lines[at-1].CR = lines[at-1].CR || cr
		add = append(add, tasksmd.Line{})
	}
	out = make([]tasksmd.Line, 0, len(lines)+len(add))
	out = append(out, lines[:at]...)
	out = append(out, add...)
	out = append(out, lines[at:]...)
	return out, at, len(add), start
}
