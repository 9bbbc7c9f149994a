package backlog

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestErrorKinds(t *testing.T) {
	cause := errors.New("disk I/O error (10)")
	tests := []struct {
		name   string
		err    error
		kind   error
		others []error
	}{
		{"an invalid input is only invalid", Invalidf("bad %q", "x"), ErrInvalid, []error{ErrNotFound, ErrConflict, ErrEnvironment}},
		{"an environment failure is only that, and keeps its cause", Environmentf(cause, "the disk is full"), ErrEnvironment, []error{ErrInvalid, ErrNotFound, ErrConflict}},
		{"a wrapped environment failure is still one", fmt.Errorf("task 3: %w", Environmentf(nil, "locked")), ErrEnvironment, []error{ErrInvalid}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !errors.Is(tt.err, tt.kind) {
				t.Errorf("%v is not of kind %v", tt.err, tt.kind)
			}
			for _, k := range tt.others {
				if errors.Is(tt.err, k) {
					t.Errorf("%v is also of kind %v", tt.err, k)
				}
			}
		})
	}
	err := Environmentf(cause, "cannot write the backlog at %s: the disk is full", "/x/backlog.db")
	if err.Error() != "cannot write the backlog at /x/backlog.db: the disk is full" {
		t.Errorf("the sentence carries more than itself: %q", err)
	}
	if !errors.Is(err, cause) {
		t.Error("the cause underneath is lost")
	}
}

func TestErrorLogsItsCause(t *testing.T) {
	var b bytes.Buffer
	log := slog.New(slog.NewTextHandler(&b, nil))
	log.Warn("tool failed", "error", Environmentf(errors.New("database or disk is full (13)"), "the disk is full"))
	log.Warn("tool failed", "error", Invalidf("bad"))
	out := b.String()
	for _, want := range []string{`error.msg="the disk is full"`, `error.cause="database or disk is full (13)"`, `error=bad`} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %s:\n%s", want, out)
		}
	}
}
