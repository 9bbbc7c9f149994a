package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/store"
)

// TestServerFailureSentences: a statement the server refuses for a reason
// of the machine is one sentence naming the server and the cause, of kind
// ErrEnvironment; any other refusal is an internal error whose server
// message stays underneath, for the debug log.
func TestServerFailureSentences(t *testing.T) {
	s := &Store{server: "db.example:5432"}
	tests := []struct {
		name string
		err  error
		want string
		env  bool
	}{
		{"a full disk", &pgconn.PgError{Code: "53100", Message: "could not extend file"},
			"cannot write the backlog on PostgreSQL at db.example:5432: the server's disk is full", true},
		{"a read-only server", fmt.Errorf("postgres: insert task 3: %w", &pgconn.PgError{Code: "25006", Message: "cannot execute INSERT in a read-only transaction"}),
			"cannot write the backlog on PostgreSQL at db.example:5432: the server is read-only (a standby, or default_transaction_read_only is on)", true},
		{"no memory", &pgconn.PgError{Code: "53200"},
			"cannot use the backlog on PostgreSQL at db.example:5432: the server is out of memory", true},
		{"a statement past statement_timeout", &pgconn.PgError{Code: "57014"},
			"cannot use the backlog on PostgreSQL at db.example:5432: the server cancelled the statement (statement_timeout, or an administrator)", true},
		{"an I/O error", &pgconn.PgError{Code: "58030"},
			"cannot use the backlog on PostgreSQL at db.example:5432: the server reported a system or I/O error", true},
		{"damaged data", &pgconn.PgError{Code: "XX001"},
			"cannot use the backlog on PostgreSQL at db.example:5432: the server reports the backlog's data or an index as damaged: restore it from a backup", true},
		{"no privilege", &pgconn.PgError{Code: "42501", Message: "permission denied for table tasks"},
			"cannot use the backlog on PostgreSQL at db.example:5432: permission denied (permission denied for table tasks)", true},
		{"SQL that does not run is a bug", fmt.Errorf("postgres: select: %w", &pgconn.PgError{Code: "42601", Message: "syntax error"}),
			"internal error on PostgreSQL at db.example:5432 (SQLSTATE 42601): run the command again with BACKLOG_LOG=debug to see the details", false},
		{"bad input passes through", backlog.Invalidf("priority must be H, M, L or empty"), "priority must be H, M, L or empty", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := s.dbError(tt.err)
			if got.Error() != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			if errors.Is(got, backlog.ErrEnvironment) != tt.env {
				t.Errorf("environment failure: %v, want %v", errors.Is(got, backlog.ErrEnvironment), tt.env)
			}
			var pe *pgconn.PgError
			if errors.As(tt.err, &pe) && !errors.As(got, &pe) {
				t.Error("the server's error is lost, the debug log cannot show it")
			}
		})
	}
}

// TestUnreachableServerIsAnEnvironmentFailure: exit status 4 on the command
// line, with the sentence of TestConnectionProblemsAreOneSentence.
func TestUnreachableServerIsAnEnvironmentFailure(t *testing.T) {
	_, err := Open(context.Background(), "postgres://nobody@127.0.0.1:5999/test?connect_timeout=5", "")
	if !errors.Is(err, backlog.ErrEnvironment) || err.Error() != "cannot reach PostgreSQL at 127.0.0.1:5999: connection refused" {
		t.Errorf("got %v, want an environment failure that names the server and the cause", err)
	}
}

// TestReadOnlyServer: a server that refuses writes (a standby, or
// default_transaction_read_only) serves reads, and every write fails with
// the sentence that says so, whatever the command made of the refusal.
func TestReadOnlyServer(t *testing.T) {
	ctx := context.Background()
	ns := testNamespace()
	rw := openNS(t, ns, true)
	task := fullTask()
	write(t, rw, func(tx store.Tx) error { return tx.Insert(ctx, task) })

	u, err := url.Parse(requireServer(t))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("default_transaction_read_only", "on")
	u.RawQuery = q.Encode()
	ro, err := Open(ctx, u.String(), ns)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	read(t, ro, func(tx store.Tx) error {
		if _, err := tx.TaskByUUID(ctx, task.UUID); err != nil {
			t.Errorf("a read from a read-only server: %v", err)
		}
		return nil
	})
	err = ro.Write(ctx, func(tx store.Tx) error {
		other := fullTask()
		other.ID, other.UUID = 2, "22222222-2222-4222-8222-222222222222"
		if err := tx.Insert(ctx, other); err != nil {
			return backlog.Invalidf("task 0: %s", err.Error()) // as import did
		}
		return nil
	})
	want := "cannot write the backlog on PostgreSQL at " + ro.Server() + ": the server is read-only (a standby, or default_transaction_read_only is on)"
	if !errors.Is(err, backlog.ErrEnvironment) || err.Error() != want {
		t.Errorf("got  %v\nwant %s (an environment failure)", err, want)
	}
}
