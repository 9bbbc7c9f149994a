package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/store"
)

// MigrateResult counts what Migrate copied and what it found already there.
type MigrateResult struct {
	Tasks           int `json:"tasks"`
	TasksSkipped    int `json:"tasks_skipped"`
	Docs            int `json:"docs"`
	DocsSkipped     int `json:"docs_skipped"`
	Archived        int `json:"archived"`
	ArchivedSkipped int `json:"archived_skipped"`
	Entries         int `json:"entries"`
	EntriesSkipped  int `json:"entries_skipped"`
	Owed            int `json:"owed,omitempty"` // upstream changes still owed, carried over
}

// migrateArchived is an archived task of the source with its segment and doc.
type migrateArchived struct {
	task    *backlog.Task
	segment string
	doc     *string
}

// migrateSource is everything Migrate reads from the source, in one Read.
type migrateSource struct {
	tasks    []*backlog.Task
	docs     map[string]string
	archived []migrateArchived
	journal  []*store.Entry
	owed     []*store.OutboxItem
}

// Migrate copies the backlog in from, whole, into to: every task of any
// status with its id and UUID, the docs, the archive (each task back into its
// segment, with its doc) and the journal, in order, with its undo links
// remapped to the destination's sequence numbers. It reads from in one Read
// and writes in one Write, so the destination gets all of it or nothing.
//
// It is idempotent and merges by UUID:
//   - a task (live or archived) whose UUID the destination holds already,
//     live or archived, is skipped with its doc, as it is;
//   - a task whose id the destination gives to a different UUID is a clash:
//     Migrate refuses, names the id, and changes nothing;
//   - a journal entry is identified by its time, agent, command and summary;
//     an entry of the source is copied unless the destination's journal
//     holds one with the same identity (each destination entry matches at
//     most one source entry). An empty destination journal thus gets the
//     whole journal, and a second run copies nothing. Entries copied into a
//     journal that held entries already come after those.
//
// The destination's id counter ends at least at the highest id the source
// knows (tasks, archive and journal images), so ids are never reused; a
// store may skip one id doing so.
//
// progress, when not nil, is called as items are written with how many of
// the total are done.
func Migrate(ctx context.Context, from, to store.Store, progress func(done, total int)) (MigrateResult, error) {
	var src migrateSource
	err := from.Read(ctx, func(tx store.Tx) error {
		src = migrateSource{docs: map[string]string{}}
		var err error
		if src.tasks, err = tx.Select(ctx, store.Query{}); err != nil {
			return err
		}
		for _, t := range src.tasks {
			doc, err := tx.Doc(ctx, t.UUID)
			switch {
			case err == nil:
				src.docs[t.UUID] = doc
			case !errors.Is(err, backlog.ErrNotFound):
				return err
			}
		}
		segs, err := tx.Segments(ctx)
		if err != nil {
			return err
		}
		for _, seg := range segs {
			ts, err := tx.ArchivedTasks(ctx, seg.Name)
			if err != nil {
				return err
			}
			for _, t := range ts {
				a := migrateArchived{task: t, segment: seg.Name}
				doc, err := tx.ArchivedDoc(ctx, t.UUID)
				switch {
				case err == nil:
					a.doc = &doc
				case !errors.Is(err, backlog.ErrNotFound):
					return err
				}
				src.archived = append(src.archived, a)
			}
		}
		if src.journal, err = tx.Entries(ctx, 0, "", 0); err != nil {
			return err
		}
		src.owed, err = tx.Owed(ctx, 0)
		return err
	})
	if err != nil {
		return MigrateResult{}, fmt.Errorf("cannot read the source backlog: %w", err)
	}
	var res MigrateResult
	err = to.Write(ctx, func(tx store.Tx) error {
		res = MigrateResult{}
		return src.writeTo(ctx, tx, &res, progress)
	})
	if err != nil {
		return MigrateResult{}, err
	}
	return res, nil
}

// entryKey identifies a journal entry across backlogs.
type entryKey struct {
	at                      int64
	agent, command, summary string
}

func keyOf(e *store.Entry) entryKey {
	return entryKey{e.At.Truncate(time.Second).Unix(), e.Agent, e.Command, e.Summary}
}

func (src *migrateSource) writeTo(ctx context.Context, tx store.Tx, res *MigrateResult, progress func(done, total int)) error {
	// What the destination holds: UUIDs and ids, live and archived.
	have := map[string]bool{}
	idOwner := map[int64]string{}
	live, err := tx.Select(ctx, store.Query{})
	if err != nil {
		return err
	}
	for _, t := range live {
		have[t.UUID] = true
		idOwner[t.ID] = t.UUID
	}
	segs, err := tx.Segments(ctx)
	if err != nil {
		return err
	}
	for _, seg := range segs {
		ts, err := tx.ArchivedTasks(ctx, seg.Name)
		if err != nil {
			return err
		}
		for _, t := range ts {
			have[t.UUID] = true
			idOwner[t.ID] = t.UUID
		}
	}
	// Refuse id clashes before writing anything.
	var maxID int64
	check := func(t *backlog.Task) error {
		maxID = max(maxID, t.ID)
		if have[t.UUID] {
			return nil
		}
		if owner, ok := idOwner[t.ID]; ok && owner != t.UUID {
			return backlog.Conflictf("cannot migrate: task %d is %s in the source but %s in the destination; nothing changed",
				t.ID, t.UUID, owner)
		}
		return nil
	}
	for _, t := range src.tasks {
		if err := check(t); err != nil {
			return err
		}
	}
	for _, a := range src.archived {
		if err := check(a.task); err != nil {
			return err
		}
	}
	for _, e := range src.journal {
		for _, c := range e.Changes {
			for _, t := range []*backlog.Task{c.Before, c.After} {
				if t != nil {
					maxID = max(maxID, t.ID)
				}
			}
		}
	}

	// The destination's journal, by identity, to match entries already there.
	dst, err := tx.Entries(ctx, 0, "", 0)
	if err != nil {
		return err
	}
	there := map[entryKey][]*store.Entry{}
	for _, e := range dst {
		k := keyOf(e)
		there[k] = append(there[k], e)
	}

	total := len(src.tasks) + len(src.archived) + len(src.journal)
	done := 0
	step := func() {
		done++
		if progress != nil {
			progress(done, total)
		}
	}
	if progress != nil {
		progress(0, total)
	}

	// Live tasks and archived ones go in together by id, so that a task is
	// inserted before the archive takes it.
	type item struct {
		task    *backlog.Task
		doc     *string
		segment string
	}
	items := make([]item, 0, len(src.tasks)+len(src.archived))
	for _, t := range src.tasks {
		it := item{task: t}
		if d, ok := src.docs[t.UUID]; ok {
			it.doc = &d
		}
		items = append(items, it)
	}
	for _, a := range src.archived {
		items = append(items, item{task: a.task, doc: a.doc, segment: a.segment})
	}
	slices.SortStableFunc(items, func(a, b item) int {
		switch {
		case a.task.ID < b.task.ID:
			return -1
		case a.task.ID > b.task.ID:
			return 1
		}
		return 0
	})
	copied := false
	for _, it := range items {
		archived := it.segment != ""
		if have[it.task.UUID] {
			if archived {
				res.ArchivedSkipped++
			} else {
				res.TasksSkipped++
			}
			if it.doc != nil {
				res.DocsSkipped++
			}
			step()
			continue
		}
		t := it.task.Clone()
		t.Archived = ""
		if err := tx.Insert(ctx, t); err != nil {
			return fmt.Errorf("cannot migrate task %d: %w", t.ID, err)
		}
		if it.doc != nil {
			if err := tx.SetDoc(ctx, t.UUID, *it.doc); err != nil {
				return fmt.Errorf("cannot migrate the doc of task %d: %w", t.ID, err)
			}
			res.Docs++
		}
		if archived {
			if err := tx.Archive(ctx, t.UUID, it.segment); err != nil {
				return fmt.Errorf("cannot archive task %d into %s: %w", t.ID, it.segment, err)
			}
			res.Archived++
		} else {
			res.Tasks++
		}
		have[t.UUID] = true
		copied = true
		step()
	}

	// The journal, in order; seqs maps the source's sequence numbers to the
	// destination's.
	seqs := map[int64]int64{}
	var undone []*store.Entry // source entries whose UndoneBy is to be marked
	for _, e := range src.journal {
		k := keyOf(e)
		if m := there[k]; len(m) > 0 {
			seqs[e.Seq] = m[0].Seq
			there[k] = m[1:]
			res.EntriesSkipped++
			if e.UndoneBy != 0 && m[0].UndoneBy == 0 {
				undone = append(undone, e)
			}
			step()
			continue
		}
		cp := *e
		cp.Seq, cp.UndoneBy, cp.Undoes = 0, 0, seqs[e.Undoes]
		if err := tx.Append(ctx, &cp); err != nil {
			return fmt.Errorf("cannot migrate journal entry %d: %w", e.Seq, err)
		}
		seqs[e.Seq] = cp.Seq
		if e.UndoneBy != 0 {
			undone = append(undone, e)
		}
		res.Entries++
		copied = true
		step()
	}
	for _, e := range undone {
		by, ok := seqs[e.UndoneBy]
		if !ok {
			continue
		}
		if err := tx.MarkUndone(ctx, seqs[e.Seq], by); err != nil {
			return fmt.Errorf("cannot migrate journal entry %d: %w", e.Seq, err)
		}
	}

	// Upstream changes still owed go along, so that none is lost; one the
	// destination owes already (a second run) is not owed twice.
	if len(src.owed) > 0 {
		have, err := tx.Owed(ctx, 0)
		if err != nil {
			return err
		}
		type owedKey struct {
			task, event string
			at          int64
		}
		seen := map[owedKey]bool{}
		for _, it := range have {
			seen[owedKey{it.TaskUUID, it.Event, it.At.Unix()}] = true
		}
		var add []*store.OutboxItem
		for _, it := range src.owed {
			if k := (owedKey{it.TaskUUID, it.Event, it.At.Unix()}); !seen[k] {
				seen[k] = true
				c := *it
				c.Seq = 0
				add = append(add, &c)
			}
		}
		if err := tx.Enqueue(ctx, add); err != nil {
			return fmt.Errorf("cannot migrate the upstream changes owed: %w", err)
		}
		res.Owed = len(add)
	}

	// The id counter: at least the highest id the source knows.
	if copied && maxID > 0 {
		for {
			id, err := tx.NextID(ctx)
			if err != nil {
				return err
			}
			if id >= maxID {
				break
			}
		}
	}
	return nil
}
