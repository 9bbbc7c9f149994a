package postgres

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"

	backlog "github.com/agent-backlog/backlog"
)

// Connection problems, and statements the server refuses for a reason of
// the machine (a full disk, a read-only server), become one sentence of
// kind backlog.ErrEnvironment that names the server and the cause, never
// the driver's chain of messages (which may also repeat the URL).

// isConnError reports an error of the connection rather than of a
// statement: the server is unreachable, refused us, or the session ended.
func isConnError(err error) bool {
	if err == nil {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"), // connection exception
			strings.HasPrefix(pe.Code, "28"),                           // invalid authorization
			pe.Code == "3D000",                                         // no such database
			pe.Code == "53300",                                         // too many connections
			pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03": // shut down, terminated, starting
			return true
		}
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		strings.Contains(err.Error(), "conn closed")
}

// connCause is the cause of a connection problem in a few words.
func connCause(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "28P01":
			return "wrong password for user " + quoteName(pe.Message, "user")
		case "28000":
			return pe.Message
		case "3D000":
			return pe.Message
		case "53300":
			return "too many connections"
		case "57P01":
			return "the server ended the session (an administrator terminated it, or the server is shutting down)"
		case "57P02":
			return "the server crashed"
		case "57P03":
			return "the server is starting up or shutting down"
		}
		return pe.Message
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		if dns.IsNotFound {
			return "no such host"
		}
		return "cannot resolve the host name"
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error() // connection refused, connection reset by peer, ...
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timed out"
	}
	var re tls.RecordHeaderError
	if errors.As(err, &re) {
		return "TLS handshake failed"
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
		return "the connection was closed"
	case errors.Is(err, pgconn.ErrConnClosed), errors.Is(err, net.ErrClosed):
		return "the connection was closed"
	}
	// The innermost message, without the driver's prefixes.
	for {
		u := errors.Unwrap(err)
		if u == nil {
			break
		}
		err = u
	}
	msg := err.Error()
	if strings.Contains(msg, "tls") || strings.Contains(msg, "SSL") {
		return "TLS: " + msg
	}
	return msg
}

// quoteName finds the quoted name in a server message (`password
// authentication failed for user "x"`), or the word itself.
func quoteName(msg, word string) string {
	if i := strings.Index(msg, `"`); i >= 0 {
		if j := strings.Index(msg[i+1:], `"`); j >= 0 {
			return msg[i : i+j+2]
		}
	}
	return word
}

// connError describes a failure to open or use a connection. Errors that
// are not about the connection (a cancelled context, a statement error)
// pass through.
func (s *Store) connError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	if !isConnError(err) {
		return s.dbError(err)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (strings.HasPrefix(pe.Code, "28") || pe.Code == "3D000") {
		return backlog.Environmentf(err, "PostgreSQL at %s refused the connection: %s", s.server, connCause(err))
	}
	if errors.As(err, &pe) && (pe.Code == "57P01" || pe.Code == "57P02") {
		return s.lostError(err)
	}
	return backlog.Environmentf(err, "cannot reach PostgreSQL at %s: %s", s.server, connCause(err))
}

// lostError says that a command lost its connection before it committed.
func (s *Store) lostError(err error) error {
	return backlog.Environmentf(err, "lost the connection to PostgreSQL at %s: %s; the command was not committed, nothing was changed",
		s.server, connCause(err))
}

// dbError reports a statement's failure: a lost connection or a failure of
// the machine in its own sentence; any other error of the server, which is
// a bug of ours, as an internal error whose details (the server's message)
// are for the debug log.
func (s *Store) dbError(err error) error {
	if err == nil {
		return nil
	}
	if settled, ok := backlog.Settled(err); ok {
		return settled
	}
	if isConnError(err) {
		return s.lostError(err)
	}
	if f := s.serverFailure(err); f != nil {
		return f
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return &backlog.Error{Msg: fmt.Sprintf(
			"internal error on PostgreSQL at %s (SQLSTATE %s): run the command again with BACKLOG_LOG=debug to see the details", s.server, pe.Code), Err: err}
	}
	return err
}

// serverFailure is the sentence for a statement the server refused for a
// reason of the machine rather than of the command, or nil.
func (s *Store) serverFailure(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return nil
	}
	var cause string
	switch {
	case pe.Code == "53100": // disk_full
		return backlog.Environmentf(err, "cannot write the backlog on PostgreSQL at %s: the server's disk is full", s.server)
	case pe.Code == "25006": // read_only_sql_transaction
		return backlog.Environmentf(err, "cannot write the backlog on PostgreSQL at %s: the server is read-only (a standby, or default_transaction_read_only is on)", s.server)
	case pe.Code == "53200": // out_of_memory
		cause = "the server is out of memory"
	case strings.HasPrefix(pe.Code, "53"): // insufficient resources, a configured limit
		cause = "the server is out of resources (" + pe.Message + ")"
	case pe.Code == "57014": // query_canceled: statement_timeout, or an administrator
		cause = "the server cancelled the statement (statement_timeout, or an administrator)"
	case strings.HasPrefix(pe.Code, "58"): // system error, I/O error
		cause = "the server reported a system or I/O error"
	case pe.Code == "XX001", pe.Code == "XX002": // data_corrupted, index_corrupted
		cause = "the server reports the backlog's data or an index as damaged: restore it from a backup"
	case pe.Code == "42501": // insufficient_privilege
		cause = "permission denied (" + pe.Message + ")"
	default:
		return nil
	}
	return backlog.Environmentf(err, "cannot use the backlog on PostgreSQL at %s: %s", s.server, cause)
}
