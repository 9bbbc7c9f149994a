package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/config"
)

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
