package postgres

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/store"
)

// withURL changes the test URL: its host, database or user.
func withURL(t *testing.T, change func(u *url.URL)) string {
	t.Helper()
	u, err := url.Parse(requireServer(t))
	if err != nil {
		t.Fatal(err)
	}
	change(u)
	return u.String()
}

// TestConnectionProblemsAreOneSentence: a server that is down, a database
// or user that does not exist, a URL that cannot be read: one sentence
// naming the server and the cause, without the driver's chain of messages
// or the password.
func TestConnectionProblemsAreOneSentence(t *testing.T) {
	ctx := context.Background()
	host := func(u *url.URL) string { return u.Host }
	base, _ := url.Parse(requireServer(t))
	for _, c := range []struct {
		name   string
		url    string
		want   string // the whole sentence, or its start when prefix
		prefix bool
	}{
		{"server down", withURL(t, func(u *url.URL) { u.Host = "127.0.0.1:5999" }),
			"cannot reach PostgreSQL at 127.0.0.1:5999: connection refused", false},
		{"unknown database", withURL(t, func(u *url.URL) { u.Path = "/no_such_db_for_backlog" }),
			`PostgreSQL at ` + host(base) + ` refused the connection: database "no_such_db_for_backlog" does not exist`, false},
		{"unknown user", withURL(t, func(u *url.URL) { u.User = url.UserPassword("no_such_user_for_backlog", "s3cret-pw") }),
			`PostgreSQL at ` + host(base) + ` refused the connection: `, true},
		{"unknown host", withURL(t, func(u *url.URL) { u.Host = "no-such-host.invalid:5432" }),
			"cannot reach PostgreSQL at no-such-host.invalid:5432: ", true},
		{"bad port", "postgres://ana:s3cret-pw@127.0.0.1:notaport/test",
			"the PostgreSQL URL is not valid: ", true},
		{"bad scheme", "mysql://ana:s3cret-pw@127.0.0.1/test",
			"the PostgreSQL URL is not valid: ", true},
		{"no URL", "", "no PostgreSQL URL given: ", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			s, err := Open(cctx, c.url, "")
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			msg := err.Error()
			if c.prefix && !strings.HasPrefix(msg, c.want) || !c.prefix && msg != c.want {
				t.Errorf("got  %q\nwant %q", msg, c.want)
			}
			if strings.Contains(msg, "\n") || strings.Contains(msg, "s3cret") || strings.Contains(msg, "failed to connect") ||
				strings.Contains(msg, "SQLSTATE") {
				t.Errorf("not one plain sentence: %q", msg)
			}
			t.Log(msg)
		})
	}
	if _, err := Open(ctx, requireServer(t), "no/slashes"); !errors.Is(err, backlog.ErrInvalid) {
		t.Errorf("an invalid namespace: %v", err)
	}
}

// backendPID is the server process of a transaction's connection.
func backendPID(t store.Tx) uint32 { return t.(*tx).q.Conn().PgConn().PID() }

func terminate(t *testing.T, pid uint32) {
	t.Helper()
	var ok bool
	if err := server.admin.QueryRow(context.Background(), "SELECT pg_terminate_backend($1, 5000)", int(pid)).Scan(&ok); err != nil || !ok {
		t.Fatalf("pg_terminate_backend(%d): %v %v", pid, ok, err)
	}
}

// TestTerminatedMidCommand ends the store's connection from another one in
// the middle of a command, and again just before its commit: the command
// reports it in one sentence, nothing of it is kept, and the next command
// succeeds on a new connection.
func TestTerminatedMidCommand(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	addTasks(t, s, 1, "before")
	for _, when := range []string{"mid-command", "before commit"} {
		t.Run(when, func(t *testing.T) {
			err := s.Write(ctx, func(tx store.Tx) error {
				id, err := tx.NextID(ctx)
				if err != nil {
					return err
				}
				task := &backlog.Task{ID: id, UUID: uuid.NewString(), Description: "half " + when, Status: backlog.StatusPending}
				if err := tx.Insert(ctx, task); err != nil {
					return err
				}
				if when == "before commit" {
					if err := tx.Append(ctx, &store.Entry{At: clock, Agent: "a", Command: "add", Summary: "add",
						Changes: []store.Change{{UUID: task.UUID, After: task}}}); err != nil {
						return err
					}
				}
				terminate(t, backendPID(tx))
				if when == "mid-command" {
					return tx.SetDoc(ctx, task.UUID, "the rest of the command")
				}
				return nil
			})
			want := "lost the connection to PostgreSQL at " + s.Server() + ": the server ended the session"
			if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), "the command was not committed, nothing was changed") {
				t.Fatalf("got %v\nwant %q...", err, want)
			}
			t.Log(err)
			// Nothing of it, and the next command works.
			addTasks(t, s, 1, "after "+when)
			read(t, s, func(tx store.Tx) error {
				if n := countOf(t, tx, "half status.any:"); n != 0 {
					t.Errorf("%d tasks of the lost command were kept", n)
				}
				if n := countOf(t, tx, "status.any:"); n < 2 {
					t.Errorf("%d tasks, want those of the other commands", n)
				}
				es, err := tx.Entries(ctx, 0, "", 0)
				if err != nil {
					return err
				}
				if len(es) != 0 {
					t.Errorf("the lost command's journal entry was kept: %v", es)
				}
				return nil
			})
		})
	}
	// A read loses its connection too, and the next one succeeds.
	err := s.Read(ctx, func(tx store.Tx) error {
		terminate(t, backendPID(tx))
		_, err := tx.Task(ctx, 1)
		return err
	})
	if err == nil || !strings.HasPrefix(err.Error(), "lost the connection to PostgreSQL at "+s.Server()+": ") {
		t.Errorf("read after termination: %v", err)
	}
	read(t, s, func(tx store.Tx) error {
		_, err := tx.Task(ctx, 1)
		return err
	})
}

// TestServerGoneAfterOpen: commands of a store whose server has gone
// report the server and the cause.
func TestServerGoneAfterOpen(t *testing.T) {
	cfg, err := parseURL(withURL(t, func(u *url.URL) { u.Host = "127.0.0.1:5999" }))
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg) // connects lazily
	if err != nil {
		t.Fatal(err)
	}
	s := &Store{pool: pool, cfg: cfg, server: serverOf(cfg.ConnConfig.Config), backlog: 1}
	defer s.Close()
	ctx := context.Background()
	want := "cannot reach PostgreSQL at 127.0.0.1:5999: connection refused"
	if err := s.Write(ctx, func(store.Tx) error { return nil }); err == nil || err.Error() != want {
		t.Errorf("Write: %v", err)
	}
	if err := s.Read(ctx, func(store.Tx) error { return nil }); err == nil || err.Error() != want {
		t.Errorf("Read: %v", err)
	}
	if _, err := s.Changes(ctx); err == nil || err.Error() != want {
		t.Errorf("Changes: %v", err)
	}
}
