// Package s3test gives tests an S3 server: gofakes3 in the test process
// (its memory backend behind httptest, which honours If-Match and
// If-None-Match), with hooks that make it fail on purpose, or a real
// S3-compatible server, versitygw, that CI starts (.ci/run) and names in
// the environment.
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/agent-backlog/backlog/s3store/s3api"
)

// The environment that names a versitygw (or any S3-compatible server) for
// the tests; .ci/run sets it.
const (
	EnvEndpoint = "BACKLOG_TEST_S3_ENDPOINT" // http://127.0.0.1:PORT
	EnvAccess   = "BACKLOG_TEST_S3_ACCESS_KEY"
	EnvSecret   = "BACKLOG_TEST_S3_SECRET_KEY"
	EnvRequire  = "BACKLOG_REQUIRE_S3" // "1": a missing server fails the tests instead of skipping them
	// EnvVersitygw is the versitygw binary, for tests that start and
	// kill a server of their own.
	EnvVersitygw = "BACKLOG_TEST_VERSITYGW"
)

// Server is an S3 endpoint with one bucket for the test.
type Server struct {
	URL       string // http://127.0.0.1:PORT
	Bucket    string
	AccessKey string
	SecretKey string
	// Faults makes the in-process server fail on purpose; nil for a
	// real server.
	Faults *Faults
}

// Faults are failures the in-process server produces on request.
type Faults struct {
	mu sync.Mutex
	// putStatus answers the next PUTs of an object with this status
	// instead of storing them.
	putStatus int
	putCount  int
	puts      atomic.Int64
	gets      atomic.Int64
	refused   atomic.Int64
	killPut   func()
}

// FailPuts makes the next n object uploads fail with status (500, 503)
// without storing anything.
func (f *Faults) FailPuts(n, status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.putStatus, f.putCount = status, n
}

// Puts counts the object uploads the server received.
func (f *Faults) Puts() int64 { return f.puts.Load() }

// Gets counts the object downloads and conditional fetches it received.
func (f *Faults) Gets() int64 { return f.gets.Load() }

// Conflicts counts the uploads refused with 412 because the object had
// changed since the writer fetched it (each of which the writer ran again).
func (f *Faults) Conflicts() int64 { return f.refused.Load() }

// statusWriter notes the status of an answer.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (f *Faults) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		isObject := strings.Count(strings.Trim(r.URL.Path, "/"), "/") >= 1
		switch {
		case r.Method == http.MethodPut && isObject:
			f.puts.Add(1)
			if kill := f.takeKill(); kill != nil {
				r.Body = &halfThenKill{r: r.Body, n: r.ContentLength, kill: kill}
			}
			f.mu.Lock()
			status := 0
			if f.putCount > 0 {
				f.putCount--
				status = f.putStatus
			}
			f.mu.Unlock()
			if status != 0 {
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(status)
				fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>`)
				return
			}
			sw := &statusWriter{ResponseWriter: w}
			next.ServeHTTP(sw, r)
			if sw.status == http.StatusPreconditionFailed {
				f.refused.Add(1)
			}
			return
		case r.Method == http.MethodGet && isObject:
			f.gets.Add(1)
		}
		next.ServeHTTP(w, r)
	})
}

// Fake starts gofakes3 with a memory backend for the test, with a bucket.
func Fake(t testing.TB) *Server {
	t.Helper()
	faker := gofakes3.New(s3mem.New(), gofakes3.WithLogger(gofakes3.DiscardLog()))
	faults := &Faults{}
	ts := httptest.NewServer(faults.wrap(faker.Server()))
	t.Cleanup(ts.Close)
	s := &Server{URL: ts.URL, Bucket: "backlog-test", AccessKey: "test-key", SecretKey: "test-secret", Faults: faults}
	if err := s.Client(t).CreateBucket(context.Background()); err != nil {
		t.Fatalf("creating the test bucket: %v", err)
	}
	return s
}

// Real returns the S3-compatible server the environment names (versitygw
// in CI), with a bucket made for the test. Without one the test is
// skipped, unless BACKLOG_REQUIRE_S3=1, where it fails.
func Real(t testing.TB) *Server {
	t.Helper()
	endpoint := os.Getenv(EnvEndpoint)
	if endpoint == "" {
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("%s=1 but %s is not set: .ci/run starts versitygw and sets it", EnvRequire, EnvEndpoint)
		}
		t.Skipf("no S3 server: set %s (and %s, %s) to run this test against one, as .ci/run does with versitygw", EnvEndpoint, EnvAccess, EnvSecret)
	}
	s := &Server{URL: endpoint, Bucket: "backlog-" + randomHex(6), AccessKey: os.Getenv(EnvAccess), SecretKey: os.Getenv(EnvSecret)}
	if err := s.Client(t).CreateBucket(context.Background()); err != nil {
		t.Fatalf("creating a bucket on %s: %v", endpoint, err)
	}
	return s
}

// Client is an s3api client for the server's bucket, with its keys.
func (s *Server) Client(t testing.TB) *s3api.Client {
	t.Helper()
	c, err := s3api.New(s3api.Config{
		Endpoint:    s.URL,
		Bucket:      s.Bucket,
		PathStyle:   true,
		Credentials: s3api.Static(s3api.Credentials{AccessKeyID: s.AccessKey, SecretAccessKey: s.SecretKey}),
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Env is the environment a backlog process needs to keep its backlog in
// the server's bucket under prefix, with its cache in cache (each process
// that stands for another machine gets a cache of its own).
func (s *Server) Env(prefix, cache string) []string {
	return []string{
		"BACKLOG_BACKEND=s3",
		"BACKLOG_S3_BUCKET=" + s.Bucket,
		"BACKLOG_S3_ENDPOINT=" + s.URL,
		"BACKLOG_S3_REGION=us-east-1",
		"BACKLOG_S3_CACHE=" + cache,
		"TASKDATA=" + prefix,
		"AWS_ACCESS_KEY_ID=" + s.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + s.SecretKey,
		"AWS_SESSION_TOKEN=",
		"AWS_CA_BUNDLE=",
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// SetEnv sets Env in the test's own environment, for tests that run the
// command line in process.
func (s *Server) SetEnv(t *testing.T, prefix, cache string) {
	for _, kv := range s.Env(prefix, cache) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// Key is a key no other test uses.
func Key(name string) string { return name + "-" + randomHex(4) + "/backlog.db.zst" }

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
