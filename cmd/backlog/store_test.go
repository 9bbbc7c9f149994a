package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/config"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/memstore"
)

// TestOpenBacklog: only a write creates a backlog; a read of one that does
// not exist is empty, unless the user named a directory that does not
// exist, and failures of the machine keep their own sentence.
func TestOpenBacklog(t *testing.T) {
	tmp := t.TempDir()
	existing := filepath.Join(tmp, "existing")
	if err := os.Mkdir(existing, 0o700); err != nil {
		t.Fatal(err)
	}
	typo := filepath.Join(tmp, "typo")
	diskFull := backlog.Environmentf(errors.New("database or disk is full (13)"), "cannot write the backlog at /x/backlog.db: the disk is full")
	tests := []struct {
		name     string
		dir      string
		given    bool
		write    bool
		openErr  error
		wantErr  string // "" for success
		wantOpen bool   // the store's Open was called
		wantKind error
	}{
		{"a read of a named directory that does not exist is an error", typo, true, false, nil,
			"no backlog at " + typo + " (TASKDATA names a directory that does not exist): run a command that writes (backlog add …) to create one",
			false, backlog.ErrNotFound},
		{"a read of a named directory without a backlog reads as empty", existing, true, false, nil, "", false, nil},
		{"a read of the derived place reads as empty", typo, false, false, nil, "", false, nil},
		{"a write opens, and so creates", typo, true, true, nil, "", true, nil},
		{"a failure of the machine keeps its sentence", existing, true, true, diskFull,
			"cannot write the backlog at /x/backlog.db: the disk is full", true, backlog.ErrEnvironment},
		{"another failure names the file", existing, true, true, errors.New("schema version 9 is newer"),
			"cannot open the backlog " + filepath.Join(existing, "backlog.db") + ": schema version 9 is newer", true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &config.Config{Backend: "sqlite", Dir: tt.dir, DirFrom: "TASKDATA", DirGiven: tt.given, File: filepath.Join(tt.dir, "backlog.db")}
			opened := false
			st, err := openSQLite(context.Background(), cfg, tt.write, func(context.Context) (store.Store, error) {
				opened = true
				if tt.openErr != nil {
					return nil, tt.openErr
				}
				return memstore.New(), nil
			})
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("openSQLite: %v", err)
			case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
				t.Fatalf("got  %v\nwant %s", err, tt.wantErr)
			case tt.wantErr == "" && st == nil:
				t.Fatal("no store")
			}
			if tt.wantKind != nil && !errors.Is(err, tt.wantKind) {
				t.Errorf("%v is not of kind %v", err, tt.wantKind)
			}
			if opened != tt.wantOpen {
				t.Errorf("Open called: %v, want %v", opened, tt.wantOpen)
			}
			if _, err := os.Stat(typo); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s was created", typo)
			}
		})
	}
}
