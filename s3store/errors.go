package s3store

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/s3store/s3api"
)

// This file turns what S3 and the network do to a command into one
// sentence that names the object and the cause, of kind
// backlog.ErrEnvironment: the command was right, the machine, the network
// or the server was not.

// requestFailure is the sentence for a request (doing: "read", "check")
// that failed.
func (s *Store) requestFailure(err error, doing string) error {
	if settled, ok := backlog.Settled(err); ok {
		return settled
	}
	var e *s3api.Error
	if !errors.As(err, &e) {
		return backlog.Environmentf(err, "cannot %s the backlog %s: %v", doing, s.name, err)
	}
	switch {
	case e.Credentials:
		return backlog.Environmentf(err, "cannot %s the backlog %s: %v", doing, s.name, e.Err)
	case e.Network:
		if errors.Is(e.Err, context.Canceled) || errors.Is(e.Err, context.DeadlineExceeded) {
			return e.Err
		}
		return backlog.Environmentf(err, "cannot reach S3 at %s to %s the backlog %s: %s", s.client.Endpoint(), doing, s.name, netCause(e.Err))
	}
	return backlog.Environmentf(err, "S3 at %s refused to %s the backlog %s (%s)%s", s.client.Endpoint(), doing, s.name, statusWords(e), advice(e))
}

// uploadFailure is the sentence for an upload that failed other than by
// a conflict. The cached copy stays as the bucket had it before.
func (s *Store) uploadFailure(err error) error {
	if settled, ok := backlog.Settled(err); ok {
		return settled
	}
	var e *s3api.Error
	switch {
	case !errors.As(err, &e):
	case e.Credentials:
		return backlog.Environmentf(err, "cannot save the change to the backlog %s: %v", s.name, e.Err)
	case e.Network:
		if errors.Is(e.Err, context.Canceled) || errors.Is(e.Err, context.DeadlineExceeded) {
			return backlog.Environmentf(err, "the command was interrupted while saving its change to the backlog %s, which may or may not have taken it: check with backlog history before running it again", s.name)
		}
		return backlog.Environmentf(err, "lost S3 at %s while saving the change to the backlog %s (%s), which may or may not have taken it: check with backlog history before running the command again", s.client.Endpoint(), s.name, netCause(e.Err))
	case e.Status == http.StatusNotFound && e.Code == "NoSuchBucket":
		return s.noBucket(err)
	default:
		return backlog.Environmentf(err, "S3 at %s refused to save the change to the backlog %s (%s), so nothing was changed%s", s.client.Endpoint(), s.name, statusWords(e), advice(e))
	}
	return backlog.Environmentf(err, "cannot save the change to the backlog %s: %v", s.name, err)
}

// noBucket is the sentence for a bucket that does not exist.
func (s *Store) noBucket(err error) error {
	return backlog.Environmentf(err, "the bucket %s does not exist on S3 at %s: create it, or set BACKLOG_S3_BUCKET to one that does", s.client.Bucket(), s.client.Endpoint())
}

// statusWords is an answer's status and S3 error code, in brief.
func statusWords(e *s3api.Error) string {
	w := http.StatusText(e.Status)
	if w == "" {
		w = "status"
	}
	out := strings.TrimSpace(strings.Join([]string{strconv.Itoa(e.Status), w}, " "))
	if e.Code != "" {
		out += ", " + e.Code
	}
	return out
}

// advice says what to do about a refusal, after a colon; "" when there is
// nothing to add.
func advice(e *s3api.Error) string {
	switch {
	case e.Status == http.StatusForbidden || e.Code == "InvalidAccessKeyId" || e.Code == "SignatureDoesNotMatch":
		return ": check the AWS credentials and the bucket's permissions"
	case e.Status == http.StatusMovedPermanently || e.Code == "PermanentRedirect" || e.Code == "AuthorizationHeaderMalformed":
		return ": the bucket is in another region, set BACKLOG_S3_REGION to it"
	case e.Status >= 500:
		return ": try again"
	}
	return ""
}

// netCause says in a few words why a request got no answer.
func netCause(err error) string {
	var dns *net.DNSError
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var netErr net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "the connection was reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the server closed the connection"
	case errors.As(err, &dns):
		return "the host name " + dns.Name + " does not resolve"
	case errors.As(err, &unknownAuthority):
		return "its TLS certificate is signed by an unknown authority (AWS_CA_BUNDLE names extra ones)"
	case errors.As(err, &hostname):
		return "its TLS certificate is for another host"
	case errors.As(err, &netErr) && netErr.Timeout():
		return "no answer in time"
	}
	return err.Error()
}
