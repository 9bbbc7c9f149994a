package sqlstore

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
)

// Migration is one numbered step of a store's schema: the embedded file
// migration/NNNN_what.sql.
type Migration struct {
	Version int
	Name    string
}

// Migrations lists the steps in fsys's migration folder, numbered from 1
// without gaps; name prefixes the errors ("sqlite").
func Migrations(fsys fs.FS, name string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, "migration")
	if err != nil {
		return nil, fmt.Errorf("%s: migrations: %w", name, err)
	}
	var ms []Migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("%s: migration %s is not named NNNN_name.sql", name, e.Name())
		}
		ms = append(ms, Migration{Version: v, Name: e.Name()})
	}
	slices.SortFunc(ms, func(a, b Migration) int { return a.Version - b.Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("%s: migration %s is out of sequence: expected number %d", name, m.Name, i+1)
		}
	}
	return ms, nil
}

// Migrator is how one database keeps the version of its schema and
// applies steps. Its errors are the store's sentences.
type Migrator interface {
	// Version reads the schema's version: 0 when it has none.
	Version(ctx context.Context) (int, error)
	// Lock holds off the migrations of other processes until unlock;
	// from and to are the versions the schema is to go between.
	Lock(ctx context.Context, from, to int) (unlock func(), err error)
	// Apply runs one step (its SQL is text) on the schema.
	Apply(ctx context.Context, m Migration, text string) error
	// Done records that the schema is at version latest, the steps
	// applied.
	Done(ctx context.Context, latest int) error
	// Newer is the error for a schema newer than this binary knows.
	Newer(v, latest int) error
}

// Migrate brings a schema to the newest of the steps in fsys (see
// Migrations): an up-to-date schema costs one read of its version.
// Otherwise it takes the migrator's lock, reads the version again, and
// applies each missing step, so that processes that open a new store at
// once migrate it once.
func Migrate(ctx context.Context, m Migrator, fsys fs.FS, name string) error {
	ms, err := Migrations(fsys, name)
	if err != nil {
		return err
	}
	latest := len(ms)
	v, err := m.Version(ctx)
	switch {
	case err != nil:
		return err
	case v == latest:
		return nil
	case v > latest:
		return m.Newer(v, latest)
	}
	unlock, err := m.Lock(ctx, v, latest)
	if err != nil {
		return err
	}
	defer unlock()
	if v, err = m.Version(ctx); err != nil {
		return err
	}
	if v > latest {
		return m.Newer(v, latest)
	}
	for _, step := range ms[v:] {
		text, err := fs.ReadFile(fsys, "migration/"+step.Name)
		if err != nil {
			return fmt.Errorf("%s: migration %s: %w", name, step.Name, err)
		}
		if err := m.Apply(ctx, step, string(text)); err != nil {
			return err
		}
	}
	return m.Done(ctx, latest)
}
