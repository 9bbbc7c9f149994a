package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
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
			env := Env{Open: func(context.Context, *config.Config) (store.Store, error) {
				opened = true
				if tt.openErr != nil {
					return nil, tt.openErr
				}
				return memstore.New(), nil
			}}
			st, err := openBacklog(context.Background(), env, cfg, tt.write)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("openBacklog: %v", err)
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

// TestEnvironmentFailureExitsFourWithOneSentence: exit status 4, the
// sentence alone, and the driver's words only when BACKLOG_LOG=debug asks.
func TestEnvironmentFailureExitsFourWithOneSentence(t *testing.T) {
	full := backlog.Environmentf(errors.New("sqlite: insert task 3: database or disk is full (13)"),
		"cannot write the backlog at /x/backlog.db: the disk is full")
	for _, tt := range []struct {
		name, log, want string
	}{
		{"by default the sentence alone", "", "backlog: cannot write the backlog at /x/backlog.db: the disk is full\n"},
		{"with BACKLOG_LOG=debug the driver's words follow", "debug",
			"backlog: cannot write the backlog at /x/backlog.db: the disk is full\nbacklog: debug: sqlite: insert task 3: database or disk is full (13)\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			a := &runner{env: Env{Stderr: &stderr, Config: config.Source{Getenv: func(k string) string {
				if k == "BACKLOG_LOG" {
					return tt.log
				}
				return ""
			}}}}
			if status := a.fail(full); status != ExitFailure {
				t.Errorf("exit status %d, want %d", status, ExitFailure)
			}
			if stderr.String() != tt.want {
				t.Errorf("stderr %q\nwant   %q", stderr.String(), tt.want)
			}
		})
	}
	if got := ExitCode(backlog.Environmentf(nil, "locked")); got != ExitFailure {
		t.Errorf("ExitCode of an environment failure = %d, want %d", got, ExitFailure)
	}
	if strings.Contains(full.Error(), "(13)") {
		t.Error("the sentence carries the driver's words")
	}
}
