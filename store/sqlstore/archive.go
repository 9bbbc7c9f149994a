package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/sqlcodec"
)

// The archive keeps a task whole, as its JSON image (sqlcodec.TaskImage)
// and its doc, so that restoring it gives it back exactly; nothing in the
// working set's tables refers to an archived task.

// Archive implements store.Tx.
func (x *Tx) Archive(ctx context.Context, uuid, segment string) error {
	if err := x.Check(true); err != nil {
		return err
	}
	t, err := x.Self.TaskByUUID(ctx, uuid)
	if err != nil {
		return err
	}
	if !x.tr.Storable(segment) {
		return backlog.Invalidf("archive segment %q is not valid text", segment)
	}
	image, err := sqlcodec.TaskImage(t)
	if err != nil {
		return err
	}
	var key any
	if t.Source != nil {
		key = x.tr.Text(t.Source.Key())
	}
	if _, err := x.Conn.Exec(ctx, x.sql.archive, uuid, t.ID, segment, string(image), uuid, key); err != nil {
		return x.errorf("archive task %s: %w", uuid, err)
	}
	return x.Self.Purge(ctx, uuid)
}

// Unarchive implements store.Tx.
func (x *Tx) Unarchive(ctx context.Context, uuid string) (*backlog.Task, error) {
	if err := x.Check(true); err != nil {
		return nil, err
	}
	if !x.tr.Storable(uuid) {
		return nil, backlog.NotFoundf("no archived task with UUID %s", uuid)
	}
	var image string
	var doc sql.NullString
	err := x.Conn.QueryRow(ctx, x.sql.unarchive, uuid).Scan(&image, &doc)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, backlog.NotFoundf("no archived task with UUID %s", uuid)
	case err != nil:
		return nil, x.errorf("restore task %s: %w", uuid, err)
	}
	t := new(backlog.Task)
	if err := t.UnmarshalJSON([]byte(image)); err != nil {
		return nil, x.errorf("restore task %s: %w", uuid, err)
	}
	if err := x.Self.Insert(ctx, t); err != nil {
		return nil, err
	}
	if doc.Valid {
		if err := x.Self.SetDoc(ctx, uuid, doc.String); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// ArchivedDoc implements store.Tx.
func (x *Tx) ArchivedDoc(ctx context.Context, uuid string) (string, error) {
	if err := x.Check(false); err != nil {
		return "", err
	}
	if !x.tr.Storable(uuid) {
		return "", backlog.NotFoundf("no archived task with UUID %s", uuid)
	}
	var doc sql.NullString
	err := x.Conn.QueryRow(ctx, x.sql.archivedDoc, uuid).Scan(&doc)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", backlog.NotFoundf("no archived task with UUID %s", uuid)
	case err != nil:
		return "", x.errorf("archived doc of %s: %w", uuid, err)
	case !doc.Valid:
		return "", backlog.NotFoundf("archived task %s has no doc", uuid)
	}
	return doc.String, nil
}

// Segments implements store.Tx.
func (x *Tx) Segments(ctx context.Context) ([]store.NameCount, error) {
	if err := x.Check(false); err != nil {
		return nil, err
	}
	out, err := x.nameCounts(ctx, x.sql.segments)
	if err != nil {
		return nil, x.errorf("archive segments: %w", err)
	}
	return out, nil
}

// ArchivedTasks implements store.Tx.
func (x *Tx) ArchivedTasks(ctx context.Context, segment string) ([]*backlog.Task, error) {
	if !x.tr.Storable(segment) {
		return nil, x.Check(false)
	}
	return x.archived(ctx, x.sql.archivedBySegment, segment)
}

// FindArchived implements store.Tx.
func (x *Tx) FindArchived(ctx context.Context, id int64, prefix string, limit int) ([]*backlog.Task, error) {
	if id > 0 {
		return x.archived(ctx, x.sql.archivedByID, id, x.tr.Limit(limit))
	}
	if !x.tr.Storable(prefix) {
		return nil, x.Check(false)
	}
	w := PrefixOf(x.d, "uuid", prefix)
	return x.archived(ctx, x.sql.selectArchived+w.SQL+" ORDER BY id, uuid LIMIT ?", append(w.Args, x.tr.Limit(limit))...)
}

// archived reads archived tasks from rows of their image and segment.
func (x *Tx) archived(ctx context.Context, q string, args ...any) ([]*backlog.Task, error) {
	if err := x.Check(false); err != nil {
		return nil, err
	}
	rows, err := x.Conn.Query(ctx, q, args...)
	if err != nil {
		return nil, x.errorf("archived tasks: %w", err)
	}
	out, err := collect(rows, func(r Rows) (*backlog.Task, error) {
		var image, segment string
		if err := r.Scan(&image, &segment); err != nil {
			return nil, err
		}
		t := new(backlog.Task)
		if err := t.UnmarshalJSON([]byte(image)); err != nil {
			return nil, err
		}
		t.Archived = segment
		return t, nil
	})
	if err != nil {
		return nil, x.errorf("archived tasks: %w", err)
	}
	return out, nil
}
