package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/sqlcodec"
	"github.com/agent-backlog/backlog/store/sqlstore"
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
	if !storableText(segment) {
		return backlog.Invalidf("archive segment %q is not valid text", segment)
	}
	var key any
	if t.Source != nil {
		key = sqlcodec.ValidText(t.Source.Key())
	}
	_, err = x.exec(ctx, `INSERT INTO archive (backlog, uuid, id, segment, task, doc, source_key)
		SELECT $1, $2, $3, $4, $5, (SELECT content FROM docs WHERE backlog = $1 AND task_uuid = $2), $6`,
		x.s.backlog, uuid, t.ID, segment, string(image), key)
	if err != nil {
		return fmt.Errorf("postgres: archive task %s: %w", uuid, err)
	}
	return x.Purge(ctx, uuid)
}

// Unarchive implements store.Tx.
func (x *tx) Unarchive(ctx context.Context, uuid string) (*backlog.Task, error) {
	if err := x.check(true); err != nil {
		return nil, err
	}
	if !storableText(uuid) {
		return nil, backlog.NotFoundf("no archived task with UUID %s", uuid)
	}
	var image string
	var doc *string
	err := x.queryRow(ctx, "DELETE FROM archive WHERE backlog = $1 AND uuid = $2 RETURNING task, doc",
		x.s.backlog, uuid).Scan(&image, &doc)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, backlog.NotFoundf("no archived task with UUID %s", uuid)
	case err != nil:
		return nil, fmt.Errorf("postgres: restore task %s: %w", uuid, err)
	}
	t := new(backlog.Task)
	if err := t.UnmarshalJSON([]byte(image)); err != nil {
		return nil, fmt.Errorf("postgres: restore task %s: %w", uuid, err)
	}
	if err := x.Insert(ctx, t); err != nil {
		return nil, err
	}
	if doc != nil {
		if err := x.SetDoc(ctx, uuid, *doc); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// ArchivedDoc implements store.Tx.
func (x *tx) ArchivedDoc(ctx context.Context, uuid string) (string, error) {
	if !storableText(uuid) {
		return "", backlog.NotFoundf("no archived task with UUID %s", uuid)
	}
	if err := x.check(false); err != nil {
		return "", err
	}
	var doc *string
	err := x.queryRow(ctx, "SELECT doc FROM archive WHERE backlog = $1 AND uuid = $2", x.s.backlog, uuid).Scan(&doc)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return "", backlog.NotFoundf("no archived task with UUID %s", uuid)
	case err != nil:
		return "", fmt.Errorf("postgres: archived doc of %s: %w", uuid, err)
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
	rows, err := x.query(ctx, `SELECT segment, count(*) FROM archive WHERE backlog = $1
		GROUP BY segment ORDER BY segment COLLATE "C"`, x.s.backlog)
	if err != nil {
		return nil, fmt.Errorf("postgres: archive segments: %w", err)
	}
	out, err := collect(x, rows, func(r pgx.Rows) (store.NameCount, error) {
		var nc store.NameCount
		err := r.Scan(&nc.Name, &nc.Count)
		return nc, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: archive segments: %w", err)
	}
	if out == nil {
		out = []store.NameCount{}
	}
	return out, nil
}

// ArchivedTasks implements store.Tx.
func (x *tx) ArchivedTasks(ctx context.Context, segment string) ([]*backlog.Task, error) {
	if !storableText(segment) {
		return nil, x.check(false)
	}
	return x.archived(ctx, "SELECT task, segment FROM archive WHERE backlog = $1 AND segment = $2 ORDER BY id, uuid",
		x.s.backlog, segment)
}

// FindArchived implements store.Tx.
func (x *tx) FindArchived(ctx context.Context, id int64, prefix string, limit int) ([]*backlog.Task, error) {
	if id > 0 {
		return x.archived(ctx, "SELECT task, segment FROM archive WHERE backlog = $1 AND id = $2 ORDER BY id, uuid LIMIT $3",
			x.s.backlog, id, limitArg(limit))
	}
	if !storableText(prefix) {
		return nil, x.check(false)
	}
	w := bind(sqlstore.PrefixOf(dialect{}, "uuid", prefix), 3)
	return x.archived(ctx, "SELECT task, segment FROM archive WHERE backlog = $1 AND "+w.SQL+" ORDER BY id, uuid LIMIT $2",
		append([]any{x.s.backlog, limitArg(limit)}, w.Args...)...)
}

func (x *tx) archived(ctx context.Context, q string, args ...any) ([]*backlog.Task, error) {
	if err := x.check(false); err != nil {
		return nil, err
	}
	rows, err := x.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: archived tasks: %w", err)
	}
	out, err := collect(x, rows, func(r pgx.Rows) (*backlog.Task, error) {
		var image, segment string
		if err := r.Scan(&image, &segment); err != nil {
			return nil, err
		}
		t := new(backlog.Task)
		if err := t.UnmarshalJSON([]byte(image)); err != nil {
			return nil, fmt.Errorf("archived task: %w", err)
		}
		t.Archived = segment
		return t, nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: archived tasks: %w", err)
	}
	return out, nil
}
