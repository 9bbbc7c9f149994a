package imagetest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"debug/buildinfo"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agent-backlog/backlog/internal/version"
)

// sandboxFlags are what podman run needs here, and users' Docker does not.
var sandboxFlags = []string{"--runtime", "runc", "--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096"}

// The user the image runs as, and the messages of the MCP sessions.
const (
	imageUser   = "65532:65532"
	initialize  = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"imagetest","version":"1"}}}`
	initialized = `{"jsonrpc":"2.0","method":"notifications/initialized"}`
)

func taskAdd(id int, description string) string {
	return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"task_add","arguments":{"description":%q}}}`, id, description)
}

// TestImage builds the image once and runs each way of using it.
func TestImage(t *testing.T) {
	podman := findPodman(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	img := buildImage(ctx, t, podman)

	t.Run("the image runs serve as uid 65532 with /data a volume, and knows its version and time zones", func(t *testing.T) {
		out := img.podman(ctx, t, "image", "inspect", "--format", "{{json .Config}}", img.name)
		var cfg struct {
			User       string
			Env        []string
			Entrypoint []string
			Cmd        []string
			Volumes    map[string]struct{}
			WorkingDir string
		}
		if err := json.Unmarshal([]byte(out), &cfg); err != nil {
			t.Fatalf("podman image inspect: %v\n%s", err, out)
		}
		if cfg.User != imageUser || !slices.Contains(cfg.Env, "TASKDATA=/data") || cfg.WorkingDir != "/data" ||
			!slices.Equal(cfg.Entrypoint, []string{"/usr/local/bin/backlog"}) || !slices.Equal(cfg.Cmd, []string{"serve"}) {
			t.Errorf("the image's configuration: %s", out)
		}
		if _, ok := cfg.Volumes["/data"]; !ok {
			t.Errorf("/data is not a volume: %s", out)
		}
		run := append(append([]string{"run"}, sandboxFlags...), "--rm", "--network", "none")
		if got := img.podman(ctx, t, append(run, img.name, "--version")...); got != "backlog "+img.version+"\n" {
			t.Errorf("backlog --version in the image printed %q, want the binary's version %s", got, img.version)
		}
		// An image from scratch has no zone database: the binary carries one.
		if got := img.podman(ctx, t, append(run, "-e", "TZ=Asia/Tokyo", "-e", "BACKLOG_NOW=2026-11-18T10:00:00Z", img.name, "calc", "eod")...); got != "2026-11-18T14:59:59Z\n" {
			t.Errorf("calc eod in Tokyo printed %q, want 2026-11-18T14:59:59Z", got)
		}
	})

	t.Run("over stdio serve answers initialize and a task_add lands in the mounted directory", func(t *testing.T) {
		dir := dataDir(t)
		// No command: the image's default is serve.
		args := append(append([]string{"run"}, sandboxFlags...), "--rm", "-i", "--network", "none", "-v", dir+":/data", img.name)
		cmd := exec.CommandContext(ctx, podman, args...)
		cmd.Stdin = strings.NewReader(strings.Join([]string{initialize, initialized, taskAdd(2, "Shipped in a container")}, "\n") + "\n")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("podman run … serve: %v\n%s", err, stderr.String())
		}
		answers := map[float64]map[string]any{}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("stdout holds a line that is not JSON: %q", line)
			}
			if id, ok := m["id"].(float64); ok {
				answers[id] = m
			}
		}
		checkInitialize(t, answers[1], img.version)
		checkTaskAdded(t, answers[2])
		checkLanded(ctx, t, img, dir, "Shipped in a container")
	})

	t.Run("over HTTP serve answers only with the token and a task_add lands in the mounted directory", func(t *testing.T) {
		dir := dataDir(t)
		port := freePort(t)
		token := randomHex(t, 16)
		args := append(append([]string{"run"}, sandboxFlags...), "-d", "-p", "127.0.0.1:"+port+":7411",
			"-e", "BACKLOG_HTTP_TOKEN="+token, "-v", dir+":/data", img.name, "serve", "--http", "0.0.0.0:7411")
		id := strings.TrimSpace(img.podman(ctx, t, args...))
		t.Cleanup(func() {
			if t.Failed() {
				logs, _ := exec.Command(podman, "logs", id).CombinedOutput()
				t.Logf("the server's log:\n%s", logs)
			}
			_ = exec.Command(podman, "rm", "-f", "-t", "0", id).Run()
		})
		url := "http://127.0.0.1:" + port + "/mcp"

		// The server starts in well under a second; the port forward may
		// take longer. Until it answers, nothing is asserted.
		deadline := time.Now().Add(60 * time.Second)
		var status int
		for {
			var err error
			if status, _, _, err = post(url, "", "", initialize); err == nil || time.Now().After(deadline) {
				if err != nil {
					t.Fatalf("serve --http never answered on %s: %v", url, err)
				}
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if status != http.StatusUnauthorized {
			t.Errorf("initialize without the token: status %d, want 401", status)
		}
		if status, _, _, _ := post(url, "not-the-token-0123456789", "", initialize); status != http.StatusUnauthorized {
			t.Errorf("initialize with a wrong token: status %d, want 401", status)
		}
		status, session, answer, err := post(url, token, "", initialize)
		if err != nil || status != http.StatusOK || session == "" {
			t.Fatalf("initialize with the token: status %d, session %q, %v", status, session, err)
		}
		checkInitialize(t, answer, img.version)
		if status, _, _, err := post(url, token, session, initialized); err != nil || status != http.StatusAccepted {
			t.Errorf("notifications/initialized: status %d, %v", status, err)
		}
		_, _, answer, err = post(url, token, session, taskAdd(2, "Served over HTTP"))
		if err != nil {
			t.Fatal(err)
		}
		checkTaskAdded(t, answer)
		img.podman(ctx, t, "stop", "-t", "10", id)
		checkLanded(ctx, t, img, dir, "Served over HTTP")
	})
}

// findPodman returns podman's path, or skips the test when podman or runc
// is missing (fails it with BACKLOG_REQUIRE_PODMAN=1).
func findPodman(t *testing.T) string {
	t.Helper()
	podman, err := exec.LookPath("podman")
	if err == nil {
		_, err = exec.LookPath("runc")
	}
	if err != nil {
		msg := "podman and runc are needed to build and run the container image (apt-get install podman runc): " + err.Error()
		if os.Getenv("BACKLOG_REQUIRE_PODMAN") == "1" {
			t.Fatalf("BACKLOG_REQUIRE_PODMAN=1, but %s", msg)
		}
		t.Skip("skipping the image tests: " + msg + " (set BACKLOG_REQUIRE_PODMAN=1 to fail instead)")
	}
	return podman
}

// image is the image under test.
type image struct {
	podmanPath string
	name       string
	version    string // what its binary says it is
}

// podman runs podman and returns its standard output; a failure fails the
// test with podman's words.
func (img *image) podman(ctx context.Context, t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, img.podmanPath, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("podman %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

// buildImage builds the binary here, static, and the image from the
// Dockerfile's prebuilt stage, under a name of its own (removed at the end),
// so that test runs at the same time do not meet. The binary changes at
// every commit, so no layer is worth keeping: --layers=false leaves none
// behind.
func buildImage(ctx context.Context, t *testing.T, podman string) *image {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	ctxDir := t.TempDir()
	bin := filepath.Join(ctxDir, "backlog")
	build := exec.CommandContext(ctx, "go", "build", "-buildvcs=auto", "-trimpath", "-ldflags=-s -w", "-o", bin, "github.com/agent-backlog/backlog/cmd/backlog")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	bi, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	// The host's certificates stand in for the Go image's; a machine
	// without them builds an image that cannot reach a forge, which these
	// tests do not need.
	certs, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt")
	if err != nil {
		t.Logf("no /etc/ssl/certs/ca-certificates.crt here (%v): the image gets an empty one", err)
	}
	if err := os.WriteFile(filepath.Join(ctxDir, "ca-certificates.crt"), certs, 0o644); err != nil {
		t.Fatal(err)
	}
	img := &image{podmanPath: podman, name: "localhost/backlog-imagetest:" + randomHex(t, 6), version: version.Of(bi).String()}
	t.Cleanup(func() { _ = exec.Command(podman, "rmi", "-f", img.name).Run() })
	img.podman(ctx, t, "build", "--runtime", "runc", "--pull=never", "--layers=false", "--target", "prebuilt",
		"-f", filepath.Join(root, "Dockerfile"), "-t", img.name, ctxDir)
	t.Logf("built %s: backlog %s", img.name, img.version)
	return img
}

// dataDir is a directory for /data that the image's user may write, as a
// named volume would be.
func dataDir(t *testing.T) string {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	return dir
}

// checkInitialize checks the answer to initialize: this backlog, with the
// version its binary names.
func checkInitialize(t *testing.T, m map[string]any, version string) {
	t.Helper()
	info, _ := dig(m, "result", "serverInfo").(map[string]any)
	if info["name"] != "backlog" || info["version"] != version {
		t.Errorf("initialize answered %v; want serverInfo backlog %s", m, version)
	}
}

// checkTaskAdded checks the answer to task_add: task 1, no error.
func checkTaskAdded(t *testing.T, m map[string]any) {
	t.Helper()
	if dig(m, "result", "isError") == true || dig(m, "result", "structuredContent", "task", "id") != float64(1) {
		t.Errorf("task_add answered %v; want task 1", m)
	}
}

// checkLanded checks that the backlog file is in dir, written by the
// image's user, and holds the task (read back by the image's CLI).
func checkLanded(ctx context.Context, t *testing.T, img *image, dir, description string) {
	t.Helper()
	fi, err := os.Stat(filepath.Join(dir, "backlog.db"))
	if err != nil {
		t.Fatalf("the backlog is not in the mounted directory: %v", err)
	}
	if uid, ok := owner(fi); ok && os.Getuid() == 0 && uid != 65532 {
		t.Errorf("backlog.db belongs to uid %d, not the image's user 65532", uid)
	}
	out := img.podman(ctx, t, append(append([]string{"run"}, sandboxFlags...), "--rm", "--network", "none", "-v", dir+":/data", img.name, "export")...)
	var tasks []struct{ Description string }
	if err := json.Unmarshal([]byte(out), &tasks); err != nil || len(tasks) != 1 || tasks[0].Description != description {
		t.Errorf("backlog export in the image printed %s (%v); want the one task %q", out, err, description)
	}
}

// post sends one JSON-RPC message to the MCP endpoint and reads the answer,
// as JSON or as the one event of a stream.
func post(url, token, session, body string) (status int, sessionID string, answer map[string]any, err error) {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return 0, "", nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if session != "" {
		req.Header.Set("Mcp-Session-Id", session)
		req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, "", nil, err
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				data = []byte(d)
				break
			}
		}
	}
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(data, &answer); err != nil {
			return resp.StatusCode, "", nil, fmt.Errorf("the answer is not JSON: %q", data)
		}
	}
	return resp.StatusCode, resp.Header.Get("Mcp-Session-Id"), answer, nil
}

// dig follows keys into nested JSON objects.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// freePort is a port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

func randomHex(t *testing.T, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
