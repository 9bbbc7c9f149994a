package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/sqlcodec"
)

// Archive implements store.Tx.
func (x *tx) Archive(ctx context.Context, uuid, segment string) error {
	if err := x.check(true); err != nil {
		return err
	}
	t, err := x.TaskByUUID(ctx, uuid)
	if err != nil {
		return err
	}
	image, err := sqlcodec.TaskImage(t)
	if err != nil {
		return err
	}
	var doc *string
	if err := x.queryRow(ctx, "SELECT content FROM docs WHERE task_uuid = ?", uuid).Scan(&doc); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: archive task %s: %w", uuid, err)
	}
	var key any
	if t.Source != nil {
		key = t.Source.Key()
	}
	if _, err := x.exec(ctx, "INSERT INTO archive (uuid, id, segment, task, doc, source_key) VALUES (?, ?, ?, ?, ?, ?)",
		uuid, t.ID, segment, string(image), doc, key); err != nil {
		return fmt.Errorf("sqlite: archive task %s: %w", uuid, err)
	}
	return x.Purge(ctx, uuid)
}

// Unarchive implements store.Tx.
func (x *tx) Unarchive(ctx context.Context, uuid string) (*backlog.Task, error) {
	if err := x.check(true); err != nil {
		return nil, err
	}
	var image string
	var doc *string
	err := x.queryRow(ctx, "SELECT task, doc FROM archive WHERE uuid = ?", uuid).Scan(&image, &doc)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, backlog.NotFoundf("no archived task with UUID %s", uuid)
	case err != nil:
		return nil, fmt.Errorf("sqlite: restore task %s: %w", uuid, err)
	}
	t := new(backlog.Task)
	if err := t.UnmarshalJSON([]byte(image)); err != nil {
		return nil, fmt.Errorf("sqlite: restore task %s: %w", uuid, err)
	}
	if err := x.Insert(ctx, t); err != nil {
		return nil, err
	}
	if doc != nil {
		if err := x.SetDoc(ctx, uuid, *doc); err != nil {
			return nil, err
		}
	}
	if _, err := x.exec(ctx, "DELETE FROM archive WHERE uuid = ?", uuid); err != nil {
		return nil, fmt.Errorf("sqlite: restore task %s: %w", uuid, err)
	}
	return t, nil
}

// ArchivedDoc implements store.Tx.
func (x *tx) ArchivedDoc(ctx context.Context, uuid string) (string, error) {
	if err := x.check(false); err != nil {
		return "", err
	}
	var doc *string
	err := x.queryRow(ctx, "SELECT doc FROM archive WHERE uuid = ?", uuid).Scan(&doc)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", backlog.NotFoundf("no archived task with UUID %s", uuid)
	case err != nil:
		return "", fmt.Errorf("sqlite: archived doc of %s: %w", uuid, err)
	case doc == nil:
		return "", backlog.NotFoundf("archived task %s has no doc", uuid)
	}
	return *doc, nil
}

// Segments implements store.Tx.
func (x *tx) Segments(ctx context.Context) ([]store.NameCount, error) {
	if err := x.check(false); err != nil {
		return nil, err
	}
	rows, err := x.tx.QueryContext(ctx, "SELECT segment, count(*) FROM archive GROUP BY segment ORDER BY segment")
	if err != nil {
		return nil, fmt.Errorf("sqlite: archive segments: %w", err)
	}
	defer rows.Close()
	out := []store.NameCount{}
	for rows.Next() {
		var nc store.NameCount
		if err := rows.Scan(&nc.Name, &nc.Count); err != nil {
			return nil, err
		}
		out = append(out, nc)
	}
	return out, rows.Err()
}

// ArchivedTasks implements store.Tx.
func (x *tx) ArchivedTasks(ctx context.Context, segment string) ([]*backlog.Task, error) {
	return x.archived(ctx, "SELECT task, segment FROM archive WHERE segment = ? ORDER BY id", segment)
}

// FindArchived implements store.Tx.
func (x *tx) FindArchived(ctx context.Context, id int64, prefix string, limit int) ([]*backlog.Task, error) {
	if limit <= 0 {
		limit = -1
	}
	if id > 0 {
		return x.archived(ctx, "SELECT task, segment FROM archive WHERE id = ? ORDER BY id LIMIT ?", id, limit)
	}
	// UUIDs are lower-case hex and hyphens: a range scan finds a prefix.
	hi := prefix + "\uffff"
	return x.archived(ctx, "SELECT task, segment FROM archive WHERE uuid >= ? AND uuid < ? ORDER BY id LIMIT ?", prefix, hi, limit)
}

func (x *tx) archived(ctx context.Context, q string, args ...any) ([]*backlog.Task, error) {
	if err := x.check(false); err != nil {
		return nil, err
	}
	rows, err := x.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: archived tasks: %w", err)
	}
	defer rows.Close()
	var out []*backlog.Task
	for rows.Next() {
		var image, segment string
		if err := rows.Scan(&image, &segment); err != nil {
			return nil, err
		}
		t := new(backlog.Task)
		if err := t.UnmarshalJSON([]byte(image)); err != nil {
			return nil, fmt.Errorf("sqlite: archived task: %w", err)
		}
		t.Archived = segment
		out = append(out, t)
	}
	return out, rows.Err()
}
