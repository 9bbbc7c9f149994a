package clienttest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// fixedNow is the server's clock in every run (BACKLOG_NOW): client.mjs
// expects its dates.
const fixedNow = "2026-11-18T10:00:00Z"

// Time limits: the whole test stays well under two minutes on two cores
// once node_modules is installed; npm ci takes about 20 s more.
const (
	npmCITimeout   = 5 * time.Minute
	scriptTimeout  = 90 * time.Second
	startupTimeout = 10 * time.Second
)

// toolNames are the 27 tools of TOOLS.md and task_sync (FORGES.md).
var toolNames = []string{
	"task_list", "task_count", "task_info", "task_projects", "task_tags",
	"task_add", "task_log", "task_duplicate", "task_import",
	"task_modify", "task_start", "task_stop", "task_done", "task_delete", "task_purge",
	"task_annotate", "task_denotate", "task_undo",
	"task_doc_write", "task_doc_read", "task_doc_delete",
	"task_archive", "task_archive_list", "task_archive_load",
	"task_claim", "task_release", "task_summary", "task_sync",
}

// TestRealClients builds `backlog` and drives it with real MCP clients.
func TestRealClients(t *testing.T) {
	bin := buildBacklog(t)

	t.Run("shell pipe", func(t *testing.T) { testShellPipe(t, bin) })

	js := setupNode(t)
	t.Run("typescript sdk over stdio", func(t *testing.T) {
		js.need(t)
		out := js.run(t, js.node, []string{"client.mjs", "stdio"}, "BACKLOG_BIN="+bin, "TASKDATA="+t.TempDir())
		t.Log(lastLines(out, 2))
	})
	t.Run("typescript sdk over http on loopback without a token", func(t *testing.T) {
		js.need(t)
		srv := startHTTP(t, bin, "127.0.0.1:0")
		if strings.Contains(srv.stderr.String(), "Bearer") {
			t.Errorf("a token was generated on loopback:\n%s", srv.stderr)
		}
		out := js.run(t, js.node, []string{"client.mjs", "http", srv.url}, "BACKLOG_BIN="+bin, "TASKDATA="+srv.taskdata)
		t.Log(lastLines(out, 2))
	})
	t.Run("typescript sdk over http with BACKLOG_HTTP_TOKEN", func(t *testing.T) {
		js.need(t)
		srv := startHTTP(t, bin, "127.0.0.1:0", "BACKLOG_HTTP_TOKEN=clienttest-s3cret")
		out := js.run(t, js.node, []string{"client.mjs", "http", srv.url, "clienttest-s3cret"}, "BACKLOG_BIN="+bin, "TASKDATA="+srv.taskdata)
		t.Log(lastLines(out, 2))
	})
	t.Run("typescript sdk over http off loopback with the generated token", func(t *testing.T) {
		js.need(t)
		// A host name that is not "localhost" nor an IP makes the server
		// treat the address as off loopback, so it generates and requires a
		// token; binding it stays on this machine only if the name resolves
		// to loopback addresses alone (as this machine's name does here).
		host, err := os.Hostname()
		if err != nil {
			t.Skipf("no host name: %v", err)
		}
		addrs, err := net.LookupHost(host)
		if err != nil || len(addrs) == 0 || slices.ContainsFunc(addrs, func(a string) bool { ip := net.ParseIP(a); return ip == nil || !ip.IsLoopback() }) ||
			strings.EqualFold(host, "localhost") || net.ParseIP(host) != nil {
			t.Skipf("the host name %q resolves to %v (%v), not to loopback alone: not binding it", host, addrs, err)
		}
		srv := startHTTP(t, bin, net.JoinHostPort(host, "0"))
		m := regexp.MustCompile(`Authorization: Bearer (\S+)`).FindStringSubmatch(srv.stderr.String())
		if m == nil {
			t.Fatalf("serving on %s (not loopback by name), the server printed no token:\n%s", host, srv.stderr)
		}
		out := js.run(t, js.node, []string{"client.mjs", "http", srv.url, m[1]}, "BACKLOG_BIN="+bin, "TASKDATA="+srv.taskdata)
		t.Log(lastLines(out, 2))
	})
	t.Run("inspector cli", func(t *testing.T) {
		js.need(t)
		testInspector(t, js, bin)
	})
	t.Run("conformance suite", func(t *testing.T) {
		js.need(t)
		testConformance(t, js, bin)
	})
}

// buildBacklog builds the command into a temporary directory.
func buildBacklog(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "backlog")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	start := time.Now()
	cmd := exec.Command("go", "build", "-o", bin, "github.com/agent-backlog/backlog/cmd/backlog")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built %s in %v", bin, time.Since(start).Round(time.Millisecond))
	return bin
}

// serverEnv is the environment of a server under test: this process's,
// without any backlog setting, on a new empty store, at the fixed time.
// extra comes last and wins (os/exec keeps the last of duplicate keys).
func serverEnv(t *testing.T, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BACKLOG_") && !strings.HasPrefix(kv, "TASKDATA") {
			env = append(env, kv)
		}
	}
	return append(env, append([]string{"TASKDATA=" + t.TempDir(), "BACKLOG_NOW=" + fixedNow}, extra...)...)
}

// testShellPipe writes initialize, initialized and three tool calls to the
// stdin of `backlog serve`, closes it, and expects the three answers (and
// the initialize answer) before the server exits.
func testShellPipe(t *testing.T, bin string) {
	var batch []map[string]string
	for i := range 300 {
		batch = append(batch, map[string]string{"description": fmt.Sprintf("piped task %d", i), "project": "pipe"})
	}
	batchJSON, _ := json.Marshal(batch)
	requests := strings.Join([]string{
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"sh","version":"1"}}}`,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"task_import","arguments":{"tasks":` + string(batchJSON) + `}}}`,
		`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"task_add","arguments":{"description":"piped too","tags":"a,b"}}}`,
		`{"jsonrpc":"2.0","id":"four","method":"tools/call","params":{"name":"task_info","arguments":{"id":999}}}`,
	}, "\n") + "\n"
	reqFile := filepath.Join(t.TempDir(), "requests.jsonl")
	if err := os.WriteFile(reqFile, []byte(requests), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var cmd *exec.Cmd
	if sh, err := exec.LookPath("sh"); err == nil {
		cmd = exec.CommandContext(ctx, sh, "-c", `cat "$REQUESTS" | "$BACKLOG_BIN" serve`)
	} else {
		cmd = exec.CommandContext(ctx, bin, "serve")
		f, err := os.Open(reqFile)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cmd.Stdin = f
	}
	cmd.Env = serverEnv(t, "REQUESTS="+reqFile, "BACKLOG_BIN="+bin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("the pipe failed: %v\nstderr: %s", err, stderr.String())
	}
	t.Logf("the pipe took %v", time.Since(start).Round(time.Millisecond))
	if stderr.Len() > 0 {
		t.Errorf("the server wrote on stderr: %s", stderr.String())
	}
	answers := map[string]map[string]any{}
	for _, line := range strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n") {
		var msg map[string]any
		if err := json.Unmarshal([]byte(line), &msg); err != nil {
			t.Fatalf("stdout holds a line that is not JSON: %q", line)
		}
		id, _ := json.Marshal(msg["id"])
		answers[string(id)] = msg
	}
	if len(answers) != 4 {
		t.Fatalf("%d answers, want 4 (initialize and three calls):\n%s", len(answers), stdout.String())
	}
	result := func(id string) map[string]any {
		r, _ := answers[id]["result"].(map[string]any)
		if r == nil {
			t.Errorf("answer %s has no result: %s", id, show(answers[id]))
		}
		return r
	}
	if r := result("1"); r != nil && show(r["serverInfo"].(map[string]any)["name"]) != `"backlog"` {
		t.Errorf("initialize: %s", show(r))
	}
	if r := result("2"); r != nil {
		sc, _ := r["structuredContent"].(map[string]any)
		if sc["imported"] != 300.0 || r["isError"] != nil {
			t.Errorf("task_import: %.300s", show(r))
		}
	}
	if r := result("3"); r != nil {
		sc, _ := r["structuredContent"].(map[string]any)
		if tk, _ := sc["task"].(map[string]any); tk == nil || show(tk["tags"]) != `["a","b"]` {
			t.Errorf("task_add: %s", show(r))
		}
	}
	if r := result(`"four"`); r != nil && (r["isError"] != true || show(r["content"]) != `[{"text":"no task with id 999","type":"text"}]`) {
		t.Errorf("task_info 999: %s", show(r))
	}
}

// nodeEnv runs the npm-installed clients.
type nodeEnv struct {
	skip   string // why the node tests cannot run, if they cannot
	dir    string // this package's directory, with node_modules
	node   string // the node on PATH (Node 20 here), for client.mjs
	node22 string // node_modules/.bin/node, from the node@22 package
}

// need skips a test when node is missing.
func (e *nodeEnv) need(t *testing.T) {
	t.Helper()
	if e.skip != "" {
		t.Skip(e.skip)
	}
}

// setupNode finds node and npm and installs node_modules when it is missing
// or was installed from another package-lock.json. Without node or npm, or
// offline without the packages in npm's cache, the node tests skip, unless
// BACKLOG_REQUIRE_NODE=1 (CI), when they fail.
func setupNode(t *testing.T) *nodeEnv {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	node, nerr := exec.LookPath("node")
	npm, perr := exec.LookPath("npm")
	if nerr != nil || perr != nil {
		msg := "node and npm are not on PATH: the real-client tests (TypeScript SDK, Inspector, conformance suite) cannot run; install Node.js 20+ and npm"
		if os.Getenv("BACKLOG_REQUIRE_NODE") == "1" {
			t.Fatalf("BACKLOG_REQUIRE_NODE=1, but %s", msg)
		}
		t.Log("skipping the node tests: " + msg + " (set BACKLOG_REQUIRE_NODE=1 to fail instead)")
		return &nodeEnv{skip: msg}
	}
	e := &nodeEnv{dir: dir, node: node, node22: filepath.Join(dir, "node_modules", ".bin", "node")}
	if msg := npmCI(t, npm, dir); msg != "" {
		t.Log("skipping the node tests: " + msg + " (set BACKLOG_REQUIRE_NODE=1 to fail instead)")
		return &nodeEnv{skip: msg}
	}
	v22, err := exec.Command(e.node22, "--version").Output()
	if err != nil || !strings.HasPrefix(string(v22), "v22.") {
		t.Fatalf("node_modules/.bin/node (the node@22 package) is not Node 22: %q %v", v22, err)
	}
	v, err := exec.Command(node, "--version").Output()
	if err != nil {
		t.Fatalf("%s --version: %v", node, err)
	}
	t.Logf("node %s for client.mjs; node %s for the Inspector and the conformance suite", bytes.TrimSpace(v), bytes.TrimSpace(v22))
	return e
}

// installed are files npm ci must have produced.
var installed = []string{
	"node_modules/@modelcontextprotocol/sdk/package.json",
	"node_modules/@modelcontextprotocol/conformance/dist/index.js",
	"node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js",
	"node_modules/.bin/node",
}

// npmCI runs `npm ci` unless node_modules was installed from the same
// package.json and package-lock.json (a stamp in node_modules records their
// hash), so that repeated runs reuse it. When npm cannot reach the registry
// for a package its cache lacks, npmCI returns why, for the tests to skip;
// with BACKLOG_REQUIRE_NODE=1 that fails the test instead, after npm's
// retries (without it, npm tries once, so an offline run skips in seconds).
func npmCI(t *testing.T, npm, dir string) (skip string) {
	t.Helper()
	h := sha256.New()
	for _, f := range []string{"package.json", "package-lock.json"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		h.Write(b)
	}
	want := hex.EncodeToString(h.Sum(nil))
	stamp := filepath.Join(dir, "node_modules", ".clienttest-installed")
	current := func() bool {
		got, err := os.ReadFile(stamp)
		if err != nil || strings.TrimSpace(string(got)) != want {
			return false
		}
		for _, f := range installed {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				return false
			}
		}
		return true
	}
	if current() {
		return ""
	}
	// Another test process in this tree may be installing: wait for it.
	unlock := lockFile(t, filepath.Join(os.TempDir(), "backlog-clienttest-"+hashOf(dir)[:16]+".lock"))
	defer unlock()
	if current() {
		return ""
	}
	required := os.Getenv("BACKLOG_REQUIRE_NODE") == "1"
	ctx, cancel := context.WithTimeout(context.Background(), npmCITimeout)
	defer cancel()
	start := time.Now()
	args := []string{"ci", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"}
	if !required {
		args = append(args, "--fetch-retries=0")
	}
	cmd := exec.CommandContext(ctx, npm, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "npm_config_update_notifier=false")
	out, err := cmd.CombinedOutput()
	if code := offlineCode.Find(out); err != nil && code != nil && !required {
		return fmt.Sprintf("npm ci cannot fetch the client packages (%s: offline, or the registry is unreachable, and they are not in npm's cache); run npm ci in %s once online", code, dir)
	}
	if err != nil {
		t.Fatalf("npm ci in %s failed after %v: %v\n%s", dir, time.Since(start).Round(time.Second), err, out)
	}
	for _, f := range installed {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatalf("npm ci did not install %s:\n%s", f, out)
		}
	}
	if err := os.WriteFile(stamp, []byte(want+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("npm ci took %v", time.Since(start).Round(time.Millisecond))
	return ""
}

// offlineCode finds the error codes npm prints when it cannot reach the
// registry, or (--offline) does not have a package in its cache.
var offlineCode = regexp.MustCompile(`\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|ENOTCACHED)\b`)

// run runs a node program in the package directory and returns its
// standard output; a non-zero exit fails the test with all its output.
func (e *nodeEnv) run(t *testing.T, node string, args []string, env ...string) string {
	t.Helper()
	stdout, stderr, err := e.exec(t, node, args, env...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", filepath.Base(node), strings.Join(args, " "), err, stdout, stderr)
	}
	return stdout
}

// exec runs a node program in the package directory, with a temporary
// HOME, and returns its standard output and error.
func (e *nodeEnv) exec(t *testing.T, node string, args []string, env ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = e.dir
	cmd.Env = append(serverEnv(t, "HOME="+t.TempDir(), "NO_COLOR=1"), env...)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("timed out after %v: %w", scriptTimeout, err)
	}
	return stdout.String(), stderr.String(), err
}

// hashOf is the hex SHA-256 of s.
func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// server is a `backlog serve --http` under test.
type server struct {
	url      string
	taskdata string // its store (TASKDATA)
	stderr   *syncBuffer
}

// startHTTP starts `backlog serve --http addr` on an empty store and
// returns once it serves. The server is stopped with an interrupt at the
// end of the test, and must exit cleanly.
func startHTTP(t *testing.T, bin, addr string, env ...string) *server {
	t.Helper()
	srv := &server{taskdata: t.TempDir(), stderr: &syncBuffer{}}
	cmd := exec.Command(bin, "serve", "--http", addr)
	cmd.Env = serverEnv(t, append([]string{"TASKDATA=" + srv.taskdata}, env...)...)
	stderrPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	serving := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`serving MCP at (http://\S+)`)
		sc := bufio.NewScanner(stderrPipe)
		for sc.Scan() {
			srv.stderr.Write([]byte(sc.Text() + "\n"))
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case serving <- m[1]:
				default:
				}
			}
		}
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("backlog serve --http %s did not exit cleanly on interrupt: %v\n%s", addr, err, srv.stderr)
			}
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Errorf("backlog serve --http %s did not stop within 5 s of an interrupt", addr)
		}
	})
	select {
	case srv.url = <-serving:
	case err := <-exited:
		exited <- err
		t.Fatalf("backlog serve --http %s exited: %v\n%s", addr, err, srv.stderr)
	case <-time.After(startupTimeout):
		t.Fatalf("backlog serve --http %s did not start:\n%s", addr, srv.stderr)
	}
	return srv
}

// testInspector lists the tools and calls two with the MCP Inspector's CLI
// against `backlog serve` over stdio.
func testInspector(t *testing.T, js *nodeEnv, bin string) {
	store := t.TempDir()
	inspector := func(args ...string) (string, string, error) {
		full := append([]string{"node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js", "--cli"}, args...)
		full = append(full, "-e", "TASKDATA="+store, "-e", "BACKLOG_NOW="+fixedNow, bin, "serve")
		return js.exec(t, js.node22, full)
	}
	// --strict makes tool-schema portability errors (not warnings) fail.
	out, stderr, err := inspector("--strict", "--method", "tools/list")
	if err != nil {
		t.Fatalf("inspector --cli --strict --method tools/list: %v\n%s%s", err, out, stderr)
	}
	var list struct {
		Tools []struct {
			Name         string          `json:"name"`
			Description  string          `json:"description"`
			InputSchema  map[string]any  `json:"inputSchema"`
			OutputSchema map[string]any  `json:"outputSchema"`
			Annotations  map[string]bool `json:"annotations"`
		} `json:"tools"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("the inspector's tools/list is not JSON: %v\n%s", err, out)
	}
	var names []string
	for _, tl := range list.Tools {
		names = append(names, tl.Name)
		if tl.Description == "" || tl.InputSchema["type"] != "object" || tl.OutputSchema["type"] != "object" || len(tl.Annotations) != 4 {
			t.Errorf("%s: description %q, inputSchema %v, outputSchema %v, annotations %v", tl.Name, tl.Description, tl.InputSchema, tl.OutputSchema, tl.Annotations)
		}
	}
	want := slices.Clone(toolNames)
	sort.Strings(want)
	sort.Strings(names)
	if !slices.Equal(names, want) {
		t.Errorf("the inspector lists %d tools:\n got %v\nwant %v", len(names), names, want)
	}
	warnings := strings.Count(stderr, "Warning: tool ")
	if strings.Contains(stderr, "Error: tool ") {
		t.Errorf("the inspector reports tool-schema portability errors:\n%s", stderr)
	}
	t.Logf("inspector: tools/list of %d tools; %d schema portability warnings (type arrays such as [\"string\",\"integer\"]), no errors", len(list.Tools), warnings)

	out, stderr, err = inspector("--method", "tools/call", "--tool-name", "task_add",
		"--tool-arg", "description=Try the inspector & <its> CLI", "--tool-arg", "tags=cli,smoke", "--tool-arg", "priority=H")
	if err != nil {
		t.Fatalf("inspector tools/call task_add: %v\n%s%s", err, out, stderr)
	}
	var res struct {
		Content           []struct{ Type, Text string } `json:"content"`
		StructuredContent map[string]any                `json:"structuredContent"`
		IsError           bool                          `json:"isError"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("the inspector's tools/call is not JSON: %v\n%s", err, out)
	}
	tk, _ := res.StructuredContent["task"].(map[string]any)
	if res.IsError || tk == nil || tk["description"] != "Try the inspector & <its> CLI" || show(tk["tags"]) != `["cli","smoke"]` || tk["priority"] != "H" || tk["entry"] != fixedNow {
		t.Errorf("task_add through the inspector: %s", out)
	}
	var fromText any
	if len(res.Content) != 1 || json.Unmarshal([]byte(res.Content[0].Text), &fromText) != nil || !reflect.DeepEqual(fromText, any(res.StructuredContent)) {
		t.Errorf("the text block does not hold the structuredContent: %s", out)
	}
	if len(res.Content) == 1 {
		var compact bytes.Buffer
		if json.Compact(&compact, []byte(res.Content[0].Text)) != nil || compact.String() != res.Content[0].Text {
			t.Errorf("the text block is not compact JSON: %s", res.Content[0].Text)
		}
	}

	// A tool error: the inspector exits 5 and shows the sentence.
	out, stderr, err = inspector("--method", "tools/call", "--tool-name", "task_info", "--tool-arg", "id=999")
	var exit *exec.ExitError
	res.IsError, res.StructuredContent, res.Content = false, nil, nil
	if !errors.As(err, &exit) || exit.ExitCode() != 5 || json.Unmarshal([]byte(out), &res) != nil || !res.IsError ||
		res.StructuredContent != nil || len(res.Content) != 1 || res.Content[0].Text != "no task with id 999" {
		t.Errorf("task_info 999 through the inspector, want exit 5 and the sentence: %v\n%s%s", err, out, stderr)
	}

	// Over streamable HTTP with a bearer token, as a remote agent would.
	srv := startHTTP(t, bin, "127.0.0.1:0", "BACKLOG_HTTP_TOKEN=inspector-token")
	launcher := "node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js"
	out, stderr, err = js.exec(t, js.node22, []string{launcher, "--cli", srv.url, "--transport", "http",
		"--header", "Authorization: Bearer inspector-token", "--method", "tools/call", "--tool-name", "task_count"})
	if err != nil || strings.TrimSpace(out) == "" || !strings.Contains(out, `"structuredContent": {`) || !strings.Contains(out, `"count": 0`) {
		t.Errorf("task_count over HTTP through the inspector: %v\n%s%s", err, out, stderr)
	}
	out, stderr, err = js.exec(t, js.node22, []string{launcher, "--cli", srv.url, "--transport", "http", "--method", "tools/list"})
	if err == nil || !strings.Contains(out+stderr, "auth_required") {
		t.Errorf("tools/list over HTTP without the token: want the inspector's auth_required, got %v\n%s%s", err, out, stderr)
	}
}

// genericScenarios are the conformance scenarios that need nothing of the
// suite's own fixtures: each must run and pass. (0.1.16 has no scenario of
// its own for header validation, statelessness or caching.)
var genericScenarios = []string{
	"server-initialize", "ping", "logging-set-level", "tools-list", "resources-list", "prompts-list",
	"server-sse-multiple-streams", "dns-rebinding-protection",
}

// fixtureFailure is how a scenario that needs the suite's fixtures fails on
// a real server: a fixture tool, prompt or resource it does not have, or an
// optional capability it does not declare.
var fixtureFailure = regexp.MustCompile(`unknown tool "test_|unknown prompt "test_|Resource not found|` +
	`method not found: "(completion/complete|resources/subscribe|resources/unsubscribe)"|Tool 'json_schema_2020_12_tool' not found`)

// advisoryWarnings are the WARNING checks an expected failure may have
// instead (server-sse-polling: the server keeps no event store, so its
// streams carry neither a priming event nor a retry field).
var advisoryWarnings = []string{"server-sse-priming-event", "server-sse-retry-field"}

// testConformance runs every server scenario of the MCP conformance suite
// against `backlog serve --http` with the expected failures of
// conformance-expected-failures.yml, then checks the generic scenarios
// passed and each expected failure failed only for want of the suite's
// fixtures.
func testConformance(t *testing.T, js *nodeEnv, bin string) {
	srv := startHTTP(t, bin, "127.0.0.1:0")
	results := t.TempDir()
	start := time.Now()
	out, stderr, err := js.exec(t, js.node22, []string{"node_modules/@modelcontextprotocol/conformance/dist/index.js", "server",
		"--url", srv.url, "--suite", "all", "--expected-failures", "conformance-expected-failures.yml", "-o", results})
	if err != nil {
		t.Errorf("the conformance suite failed: %v\n%s%s", err, summaryPart(out), stderr)
	}
	t.Logf("the conformance suite took %v", time.Since(start).Round(time.Millisecond))

	type check struct {
		ID, Status, ErrorMessage string
	}
	byScenario := map[string][]check{}
	dirs, _ := os.ReadDir(results)
	stamp := regexp.MustCompile(`^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$`)
	for _, d := range dirs {
		m := stamp.FindStringSubmatch(d.Name())
		if m == nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join(results, d.Name(), "checks.json"))
		if err != nil {
			t.Errorf("scenario %s: %v", m[1], err)
			continue
		}
		var checks []check
		if err := json.Unmarshal(b, &checks); err != nil {
			t.Errorf("scenario %s: checks.json: %v", m[1], err)
		}
		byScenario[m[1]] = checks
	}
	expected := expectedFailures(t)
	var passed, failedAsExpected []string
	for name, checks := range byScenario {
		var bad []check
		for _, c := range checks {
			if c.Status == "FAILURE" || c.Status == "WARNING" {
				bad = append(bad, c)
			}
		}
		switch {
		case len(bad) == 0:
			passed = append(passed, name)
		case slices.Contains(expected, name):
			failedAsExpected = append(failedAsExpected, name)
			for _, c := range bad {
				if !(c.Status == "FAILURE" && fixtureFailure.MatchString(c.ErrorMessage)) && !(c.Status == "WARNING" && slices.Contains(advisoryWarnings, c.ID)) {
					t.Errorf("expected failure %s fails for another reason than the suite's fixtures: %s %s: %s", name, c.Status, c.ID, c.ErrorMessage)
				}
			}
		default:
			for _, c := range bad {
				t.Errorf("scenario %s: %s %s: %s", name, c.Status, c.ID, c.ErrorMessage)
			}
		}
	}
	for _, name := range genericScenarios {
		if !slices.Contains(passed, name) {
			t.Errorf("the generic scenario %s did not pass: %v", name, byScenario[name])
		}
	}
	if len(byScenario) < len(genericScenarios)+len(expected) {
		t.Errorf("only %d scenarios ran, want at least %d", len(byScenario), len(genericScenarios)+len(expected))
	}
	sort.Strings(passed)
	sort.Strings(failedAsExpected)
	t.Logf("conformance: %d scenarios; passed (%d): %s; expected failures (%d): %s", len(byScenario),
		len(passed), strings.Join(passed, " "), len(failedAsExpected), strings.Join(failedAsExpected, " "))
}

// expectedFailures reads the scenario names of the baseline file.
func expectedFailures(t *testing.T) []string {
	b, err := os.ReadFile("conformance-expected-failures.yml")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^\s+-\s+([a-z0-9-]+)`).FindAllStringSubmatch(string(b), -1) {
		names = append(names, m[1])
	}
	return names
}

// summaryPart is the conformance output from its summary on, or all of it.
func summaryPart(out string) string {
	if i := strings.Index(out, "=== SUMMARY ==="); i >= 0 {
		return out[i:]
	}
	return out
}

// lastLines returns the last n non-empty lines of out.
func lastLines(out string, n int) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func show(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// syncBuffer is a buffer written by a goroutine and read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
