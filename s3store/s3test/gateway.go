package s3test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Gateway is a versitygw of the test's own, which the test may kill and
// start again (on the same port and directory), behind a proxy whose Faults
// can kill it in the middle of an upload.
type Gateway struct {
	*Server
	bin, dir, addr string
	mu             sync.Mutex
	cmd            *exec.Cmd
}

// Versitygw starts the versitygw that BACKLOG_TEST_VERSITYGW names, on a
// free loopback port, storing in a temporary directory; without it the
// test is skipped, unless BACKLOG_REQUIRE_S3=1, where it fails.
func Versitygw(t *testing.T) *Gateway {
	t.Helper()
	bin := os.Getenv(EnvVersitygw)
	if bin == "" {
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("%s=1 but %s does not name the versitygw binary: .ci/run installs it and sets it", EnvRequire, EnvVersitygw)
		}
		t.Skipf("no versitygw: set %s to its binary (go install github.com/versity/versitygw/cmd/versitygw@v1.8.0) to run this test", EnvVersitygw)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	g := &Gateway{bin: bin, dir: t.TempDir(), addr: addr}
	g.Start(t)
	t.Cleanup(g.Kill)

	g.Server = Proxied(t, &Server{URL: "http://" + addr, Bucket: "backlog-gw", AccessKey: "gw-access", SecretKey: "gw-secret-key"})
	if err := g.Client(t).CreateBucket(context.Background()); err != nil {
		t.Fatalf("creating a bucket on versitygw: %v", err)
	}
	return g
}

// Start starts the server (again) and waits until it answers.
func (g *Gateway) Start(t testing.TB) {
	t.Helper()
	g.mu.Lock()
	defer g.mu.Unlock()
	cmd := exec.Command(g.bin, "--port", g.addr, "--access", "gw-access", "--secret", "gw-secret-key", "posix", g.dir)
	logFile, err := os.OpenFile(filepath.Join(g.dir, "..", "versitygw.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err == nil {
		cmd.Stdout, cmd.Stderr = logFile, logFile
		defer logFile.Close()
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting versitygw: %v", err)
	}
	g.cmd = cmd
	go cmd.Wait()
	for deadline := time.Now().Add(30 * time.Second); ; {
		c, err := net.DialTimeout("tcp", g.addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw did not listen on %s within 30s", g.addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Kill kills the server at once (SIGKILL), as a crash would.
func (g *Gateway) Kill() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cmd != nil && g.cmd.Process != nil {
		g.cmd.Process.Kill()
		g.cmd = nil
	}
}

// KillDuringPut arms the proxy: the next object upload is passed on until
// half its body has gone through, and then kill runs.
func (f *Faults) KillDuringPut(kill func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.killPut = kill
}

// takeKill disarms and returns the kill KillDuringPut armed.
func (f *Faults) takeKill() func() {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := f.killPut
	f.killPut = nil
	return k
}

// halfThenKill passes on a body until half of n bytes went through, then
// runs kill and waits a moment for the server to die.
type halfThenKill struct {
	r      io.ReadCloser
	n, got int64
	kill   func()
	once   sync.Once
}

func (h *halfThenKill) Read(p []byte) (int, error) {
	if h.got >= h.n/2 {
		h.once.Do(func() {
			h.kill()
			time.Sleep(100 * time.Millisecond)
		})
	}
	if max := h.n/2 - h.got; max > 0 && int64(len(p)) > max {
		p = p[:max]
	}
	n, err := h.r.Read(p)
	h.got += int64(n)
	return n, err
}

func (h *halfThenKill) Close() error { return h.r.Close() }

func (h *halfThenKill) String() string { return fmt.Sprintf("%d of %d bytes", h.got, h.n) }

// Proxied puts a proxy with Faults in front of a real server, so that the
// test can count its conflicts and make it fail.
func Proxied(t testing.TB, s *Server) *Server {
	target, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		// The server went away mid-request: drop the client's
		// connection too, as a dead server would.
		panic(http.ErrAbortHandler)
	}
	faults := &Faults{}
	ts := httptest.NewServer(faults.wrap(proxy))
	t.Cleanup(ts.Close)
	p := *s
	p.URL, p.Faults = ts.URL, faults
	return &p
}
