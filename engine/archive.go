package engine

import (
	"context"
	"fmt"
	"github.com/agent-backlog/backlog/internal/lazyre"
	"strings"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store"
)

// DefaultArchiveDays is how old (by end) a finished task must be to be
// archived when no age is given.
const DefaultArchiveDays = 90

// segmentPattern is the shape of a segment name; nothing else reaches the
// store, so no path or query can be smuggled through one.
var segmentPattern = lazyre.New(`^[0-9]{4}-Q[1-4]$`)

// SegmentOf names the archive segment of a task: the quarter of its end
// (UTC), or of its last change when it has no end.
func SegmentOf(t *backlog.Task) string {
	d := t.End
	if d.IsZero() {
		d = t.Modified
	}
	d = d.UTC()
	return fmt.Sprintf("%04d-Q%d", d.Year(), (int(d.Month())-1)/3+1)
}

func validSegment(s string) error {
	if !segmentPattern().MatchString(s) {
		return backlog.Invalidf("an archive segment is named like 2026-Q3, got %q", s)
	}
	return nil
}

// Archive moves completed and deleted tasks whose end is more than
// olderThanDays days ago out of the working set, into quarterly segments,
// in one command (undo brings them all back). It returns how many moved.
func (e *Engine) Archive(ctx context.Context, olderThanDays int) (int, error) {
	if olderThanDays < 0 {
		return 0, backlog.Invalidf("older_than_days must be 0 or more, got %d", olderThanDays)
	}
	n := 0
	err := e.write(ctx, func(o *op) error {
		cutoff := o.now.AddDate(0, 0, -olderThanDays)
		src := "(status:completed or status:deleted) end.by:" + cutoff.UTC().Format(backlog.DateLayout)
		expr, err := filter.Parse(src, filter.Options{Now: o.now})
		if err != nil {
			return err
		}
		tasks, err := o.tx.Select(ctx, store.Query{Filter: expr, Now: o.now})
		if err != nil {
			return err
		}
		for _, t := range tasks {
			seg := SegmentOf(t)
			if err := o.tx.Archive(ctx, t.UUID, seg); err != nil {
				return err
			}
			o.changes = append(o.changes, store.Change{UUID: t.UUID, Archived: seg})
		}
		n = len(tasks)
		return o.commit("archive", fmt.Sprintf("archive %d task%s older than %d days", n, plural(n), olderThanDays))
	})
	return n, err
}

// ArchiveSegments lists the archive's segments with their task counts.
func (e *Engine) ArchiveSegments(ctx context.Context) ([]store.NameCount, error) {
	var out []store.NameCount
	err := e.store.Read(ctx, func(tx store.Tx) error {
		var err error
		out, err = tx.Segments(ctx)
		return err
	})
	if out == nil {
		out = []store.NameCount{}
	}
	return out, err
}

// ArchiveLoad returns the tasks of one segment, read-only.
func (e *Engine) ArchiveLoad(ctx context.Context, segment string) ([]*backlog.Task, error) {
	if err := validSegment(segment); err != nil {
		return nil, err
	}
	var out []*backlog.Task
	err := e.store.Read(ctx, func(tx store.Tx) error {
		ts, err := tx.ArchivedTasks(ctx, segment)
		if err != nil {
			return err
		}
		if len(ts) == 0 {
			return noSegment(ctx, tx, segment)
		}
		out = ts
		return nil
	})
	return out, err
}

// noSegment is the error for a segment that holds no task.
func noSegment(ctx context.Context, tx store.Tx, segment string) error {
	segs, err := tx.Segments(ctx)
	if err != nil {
		return err
	}
	if len(segs) == 0 {
		return backlog.NotFoundf("no archive segment %s: the archive is empty", segment)
	}
	names := make([]string, len(segs))
	for i, s := range segs {
		names[i] = s.Name
	}
	return backlog.NotFoundf("no archive segment %s: the segments are %s", segment, joinWords(names))
}

// ArchiveRestore brings the tasks of a segment that match the filter (all of
// them when it is empty) back into the working set, with their docs, in one
// command.
func (e *Engine) ArchiveRestore(ctx context.Context, segment, filterSrc string) ([]*backlog.Task, error) {
	if err := validSegment(segment); err != nil {
		return nil, err
	}
	var out []*backlog.Task
	err := e.write(ctx, func(o *op) error {
		out = nil // a store may run this again: keep nothing of a run it threw away
		ts, err := o.tx.ArchivedTasks(ctx, segment)
		if err != nil {
			return err
		}
		if len(ts) == 0 {
			return noSegment(ctx, o.tx, segment)
		}
		expr, err := parseFilter(ctx, o.tx, filterSrc, o.now)
		if err != nil {
			return err
		}
		m := filter.Compile(expr, filter.Env{Now: o.now, Graph: backlog.NewIndex(ts)})
		for _, t := range ts {
			if !m(t) {
				continue
			}
			back, err := o.tx.Unarchive(ctx, t.UUID)
			if err != nil {
				return err
			}
			o.changes = append(o.changes, store.Change{UUID: t.UUID, After: cloneOrNil(back), Unarchived: segment})
			out = append(out, back)
		}
		if len(out) == 0 {
			return backlog.NotFoundf("no task of archive segment %s matches %q", segment, strings.TrimSpace(filterSrc))
		}
		if err := o.commit("archive restore", fmt.Sprintf("restore %d task%s from %s", len(out), plural(len(out)), segment)); err != nil {
			return err
		}
		g, err := o.tx.Graph(ctx)
		if err != nil {
			return err
		}
		out = view(out, g, o.now)
		return nil
	})
	return out, err
}

// archivedRef looks for an archived task a reference names, for Info and
// for the error of a command on one.
func archivedRef(ctx context.Context, tx store.Tx, ref string) (*backlog.Task, error) {
	ref = strings.ToLower(strings.TrimSpace(ref))
	var ts []*backlog.Task
	var err error
	switch {
	case isDigits(ref):
		var id int64
		if _, serr := fmt.Sscan(ref, &id); serr != nil {
			return nil, nil
		}
		ts, err = tx.FindArchived(ctx, id, "", 2)
	case isUUIDPrefix(ref):
		ts, err = tx.FindArchived(ctx, 0, ref, 2)
	}
	if err != nil || len(ts) != 1 {
		return nil, err
	}
	return ts[0], nil
}
