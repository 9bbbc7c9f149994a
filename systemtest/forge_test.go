package systemtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/agent-backlog/backlog/forge"
	"github.com/agent-backlog/backlog/forge/forgetest"
	"github.com/agent-backlog/backlog/forge/github/githubfake"
	"github.com/agent-backlog/backlog/forge/gitlab/gitlabfake"
)

// These tests run the backlog binary against the fake forges, as a person
// or cron would: imports from two processes at once, what a command says
// when the forge is down, refuses the token or lost the issue, and a
// process killed between its local commit and its push.

// forgeProc is one backlog working directory wired to one fake forge.
type forgeProc struct {
	t     *testing.T
	bin   string
	dir   string // TASKDATA, HOME and the working directory
	kind  string
	repo  string
	fake  forgetest.Fake
	api   string   // what GITHUB_API_URL / GITLAB_HOST say: the fake, or a proxy in front of it
	extra []string // more variables, last wins
}

func newForgeProc(t *testing.T, bin, kind string) *forgeProc {
	p := &forgeProc{t: t, bin: bin, dir: t.TempDir(), kind: kind, repo: "acme/app"}
	if kind == "github" {
		p.fake = githubfake.New()
	} else {
		p.fake = gitlabfake.New()
		p.repo = "acme/platform/app"
	}
	t.Cleanup(p.fake.Close)
	p.api = p.fake.URL()
	if err := os.WriteFile(filepath.Join(p.dir, "forges.toml"), []byte("[agents]\nbob = \"octo-bob\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// tokenVar and hostVar are the forge's variables.
func (p *forgeProc) tokenVar() string {
	if p.kind == "github" {
		return "GITHUB_TOKEN"
	}
	return "GITLAB_TOKEN"
}

func (p *forgeProc) hostVar() string {
	if p.kind == "github" {
		return "GITHUB_API_URL"
	}
	return "GITLAB_HOST"
}

// environ is the process environment: nothing of the machine's forges or
// backlogs, the fake's address and token, the store in dir, agent bob.
func (p *forgeProc) environ() []string {
	var env []string
	for _, kv := range backlogEnv(p.dir, "bob") {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "GITHUB_TOKEN", "GH_TOKEN", "GITHUB_API_URL", "GITLAB_TOKEN", "GITLAB_HOST", "HOME", "XDG_CONFIG_HOME":
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "HOME="+p.dir, "BACKLOG_FORGES="+filepath.Join(p.dir, "forges.toml"),
		p.tokenVar()+"="+p.fake.Token(), p.hostVar()+"="+p.api)
	return append(env, p.extra...)
}

func (p *forgeProc) command(args ...string) *exec.Cmd {
	cmd := exec.Command(p.bin, args...)
	cmd.Env = p.environ()
	cmd.Dir = p.dir
	return cmd
}

// run runs backlog and returns its stdout, stderr and exit status.
func (p *forgeProc) run(args ...string) (string, string, int) {
	p.t.Helper()
	cmd := p.command(args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := errors.AsType[*exec.ExitError](err); ok {
		code = ee.ExitCode()
	} else if err != nil {
		p.t.Fatalf("backlog %s: %v", strings.Join(args, " "), err)
	}
	return stdout.String(), stderr.String(), code
}

// ok runs backlog, fails the test unless it exits 0, and returns stdout.
func (p *forgeProc) ok(args ...string) string {
	p.t.Helper()
	out, errOut, code := p.run(args...)
	if code != 0 {
		p.t.Fatalf("backlog %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// importAll imports every open issue of the repository.
func (p *forgeProc) importAll() string {
	p.t.Helper()
	return p.ok("import", p.kind, p.repo, "--yes")
}

func updateMethod(kind string) string {
	if kind == "github" {
		return http.MethodPatch
	}
	return http.MethodPut
}

func TestForgesThroughTheBinary(t *testing.T) {
	bin := buildBacklog(t)
	for _, kind := range []string{"github", "gitlab"} {
		t.Run(kind, func(t *testing.T) {
			t.Run("two imports at once make each issue once", func(t *testing.T) { concurrentImports(t, bin, kind, nil) })
			t.Run("two imports at once on PostgreSQL make each issue once", func(t *testing.T) {
				url := requirePostgres(t)
				ns := pgNamespace(t)
				concurrentImports(t, bin, kind, []string{"BACKLOG_BACKEND=postgres", "BACKLOG_DATABASE_URL=" + url, "BACKLOG_NAMESPACE=" + ns})
			})
			t.Run("a wrong token is one sentence naming the variable, never the token", func(t *testing.T) { wrongToken(t, bin, kind) })
			t.Run("a missing token names the variable", func(t *testing.T) { missingToken(t, bin, kind) })
			t.Run("a forge that is down owes the change and sync delivers it", func(t *testing.T) { forgeDown(t, bin, kind) })
			t.Run("each command whose update is owed says so in one line", func(t *testing.T) { owedEveryCommand(t, bin, kind) })
			t.Run("a gone issue keeps the local change and sync --status lists it", func(t *testing.T) { issueGone(t, bin, kind) })
			t.Run("the MCP tools over an imported task push as the commands do", func(t *testing.T) { mcpOverForge(t, bin, kind) })
			t.Run("a process killed before its push is pushed once by the next command", func(t *testing.T) { killedBeforePush(t, bin, kind) })
			t.Run("a process killed before the forge's answer is pushed once by sync", func(t *testing.T) { killedBeforeAnswer(t, bin, kind) })
			t.Run("a claim whose answer was lost is not written twice", func(t *testing.T) { killedBeforeUpdateAnswer(t, bin, kind) })
		})
	}
}

var importedRE = regexp.MustCompile(`^imported (\d+), already here (\d+)\n$`)

func concurrentImports(t *testing.T, bin, kind string, backend []string) {
	p := newForgeProc(t, bin, kind)
	p.extra = backend
	const n = 250
	for i := range n {
		p.fake.AddIssue(p.repo, forge.Issue{Title: fmt.Sprintf("Issue %d", i+1)})
		if i%100 == 0 {
			p.fake.AddPullRequest(p.repo, "a pull request")
		}
	}
	p.ok("add", "a task of our own") // the store exists before the race
	var wg sync.WaitGroup
	outs := make([]string, 2)
	errs := make([]string, 2)
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := p.command("import", kind, p.repo, "--yes")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				errs[i] = fmt.Sprintf("%v: %s", err, stderr.String())
			}
			outs[i] = stdout.String()
		}()
	}
	wg.Wait()
	imported := 0
	for i := range outs {
		if errs[i] != "" {
			t.Fatalf("import %d: %s", i, errs[i])
		}
		m := importedRE.FindStringSubmatch(outs[i])
		if m == nil {
			t.Fatalf("import %d said %q, want 'imported N, already here M'", i, outs[i])
		}
		var a, b int
		fmt.Sscan(m[1], &a)
		fmt.Sscan(m[2], &b)
		if a+b != n {
			t.Errorf("import %d: imported %d, already here %d; want %d in all", i, a, b, n)
		}
		imported += a
	}
	if imported != n {
		t.Errorf("the two imports made %d tasks, want %d", imported, n)
	}
	var tasks []struct {
		ID     int64
		Source *struct{ IID int64 }
	}
	if err := json.Unmarshal([]byte(p.ok("export", "source:"+kind)), &tasks); err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for _, task := range tasks {
		if task.Source == nil || seen[task.Source.IID] {
			t.Errorf("task %d: source %+v twice or missing", task.ID, task.Source)
			continue
		}
		seen[task.Source.IID] = true
	}
	if len(seen) != n {
		t.Errorf("%d issues have a task, want %d", len(seen), n)
	}
	if p.fake.Writes() != 0 {
		t.Errorf("the imports wrote upstream %d times", p.fake.Writes())
	}
	// The store's outbox: a claim owed while the forge is down, delivered
	// once by sync.
	p.fake.Fail("", 1, http.StatusServiceUnavailable, 0)
	if _, errOut, code := p.run("claim", "2"); code != 0 || !strings.Contains(errOut, "owed") { // task 1 is our own
		t.Fatalf("claim: exit %d, stderr %q", code, errOut)
	}
	if out := p.ok("sync"); !strings.Contains(out, "pushed 1, owed 0") {
		t.Errorf("sync said %q", out)
	}
	if is, _ := p.fake.Issue(p.repo, 1); !slices.Equal(is.Assignees, []string{"octo-bob"}) || p.fake.Writes() != 1 {
		t.Errorf("issue #1 %+v after %d writes, want octo-bob after 1", is, p.fake.Writes())
	}
}

// oneLine fails unless s is exactly one line.
func oneLine(t *testing.T, what, s string) {
	t.Helper()
	if strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "\n") {
		t.Errorf("%s is %q, want one line", what, s)
	}
}

func wrongToken(t *testing.T, bin, kind string) {
	p := newForgeProc(t, bin, kind)
	iid := p.fake.AddIssue(p.repo, forge.Issue{Title: "a"})
	p.importAll()
	const bad = "ghp_wrongwrongwrong0123456789"
	p.extra = []string{p.tokenVar() + "=" + bad}
	check := func(what, stdout, stderr string) {
		t.Helper()
		if strings.Contains(stdout+stderr, bad) {
			t.Errorf("%s printed the token: %q %q", what, stdout, stderr)
		}
		if !strings.Contains(stderr, p.tokenVar()) || !strings.Contains(stderr, strings.TrimPrefix(p.fake.URL(), "http://")) {
			t.Errorf("%s: stderr %q does not name %s and the host", what, stderr, p.tokenVar())
		}
	}

	out, errOut, code := p.run("import", kind, p.repo, "--yes")
	if code == 0 {
		t.Errorf("import with a wrong token exited 0")
	}
	oneLine(t, "import's stderr", errOut)
	check("import", out, errOut)

	// A command succeeds and says the update is owed, naming the variable.
	out, errOut, code = p.run("claim", "1")
	if code != 0 || !strings.Contains(out, "task 1") {
		t.Errorf("claim with a wrong token: exit %d, stdout %q", code, out)
	}
	oneLine(t, "claim's stderr", errOut)
	check("claim", out, errOut)
	if !strings.Contains(errOut, "owed") {
		t.Errorf("claim's stderr %q does not say the update is owed", errOut)
	}

	out, errOut, _ = p.run("sync")
	check("sync", out, errOut)

	// GH_TOKEN is named when it is the one used.
	if kind == "github" {
		p.extra = []string{"GITHUB_TOKEN=", "GH_TOKEN=" + bad}
		out, errOut, _ = p.run("import", kind, p.repo, "--yes")
		if !strings.Contains(errOut, "GH_TOKEN") || strings.Contains(out+errOut, bad) {
			t.Errorf("with GH_TOKEN: %q", errOut)
		}
	}
	for _, q := range p.fake.Requests() {
		if strings.Contains(q.Auth, bad) && !strings.Contains(q.Auth, "Bearer "+bad) && kind == "github" {
			t.Errorf("the token went as %q, want a bearer token", q.Auth)
		}
	}
	// The owed claim is delivered once the right token is back.
	p.extra = nil
	p.ok("sync")
	if is, _ := p.fake.Issue(p.repo, iid); !slices.Equal(is.Assignees, []string{"octo-bob"}) {
		t.Errorf("after sync with the right token: assignees %q", is.Assignees)
	}
}

func missingToken(t *testing.T, bin, kind string) {
	p := newForgeProc(t, bin, kind)
	p.fake.AddIssue(p.repo, forge.Issue{Title: "a"})
	p.extra = []string{p.tokenVar() + "="}
	_, errOut, code := p.run("import", kind, p.repo, "--yes")
	if code == 0 || !strings.Contains(errOut, p.tokenVar()+" is not set") {
		t.Errorf("exit %d, stderr %q; want a failure naming %s", code, errOut, p.tokenVar())
	}
	oneLine(t, "stderr", errOut)
	if len(p.fake.Requests()) != 0 {
		t.Errorf("the forge was asked %d times without a token", len(p.fake.Requests()))
	}
}

func forgeDown(t *testing.T, bin, kind string) {
	p := newForgeProc(t, bin, kind)
	iid := p.fake.AddIssue(p.repo, forge.Issue{Title: "a", Labels: []string{"To Do"}})
	p.importAll()
	p.fake.Fail("", 1, http.StatusServiceUnavailable, 0)
	out, errOut, code := p.run("claim", "1")
	if code != 0 || !strings.HasPrefix(out, "Claimed task 1") {
		t.Fatalf("claim while the forge is down: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	oneLine(t, "stderr", errOut)
	if !strings.Contains(errOut, p.repo+"#1") || !strings.Contains(errOut, "owed") || !strings.Contains(errOut, "503") {
		t.Errorf("stderr %q, want the issue, its 503 and that the update is owed", errOut)
	}
	status := p.ok("sync", "--status")
	if !strings.Contains(status, "owed: "+strings.TrimPrefix(p.fake.URL(), "http://")+"/"+p.repo+"#1 claim") {
		t.Errorf("sync --status said %q, want the claim owed", status)
	}
	out = p.ok("sync")
	if !strings.Contains(out, "pushed 1, owed 0") {
		t.Errorf("sync said %q", out)
	}
	is, _ := p.fake.Issue(p.repo, iid)
	if !slices.Equal(is.Assignees, []string{"octo-bob"}) || !slices.Contains(is.Labels, "Doing") || slices.Contains(is.Labels, "To Do") {
		t.Errorf("after sync: %+v", is)
	}
	if w := p.fake.Writes(); w != 1 {
		t.Errorf("%d writes upstream, want 1", w)
	}
	if status := p.ok("sync", "--status"); !strings.Contains(status, "Nothing owed upstream; no issue gone.") {
		t.Errorf("sync --status said %q", status)
	}
}

// heal makes the fake answer again: the failures still injected are used
// up by plain requests.
func heal(t *testing.T, f forgetest.Fake) {
	t.Helper()
	for range 1000 {
		resp, err := http.Get(f.URL() + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			return
		}
	}
	t.Fatal("the fake still fails")
}

func owedEveryCommand(t *testing.T, bin, kind string) {
	p := newForgeProc(t, bin, kind)
	iid := p.fake.AddIssue(p.repo, forge.Issue{Title: "a", Labels: []string{"To Do"}})
	p.fake.AddIssue(p.repo, forge.Issue{Title: "b"})
	p.importAll()
	p.fake.Fail("", 1000, http.StatusServiceUnavailable, 0)
	// The claim fails and waits for its next attempt; the commands after it
	// on the same issue are held behind it, and still say they are owed.
	for _, args := range [][]string{{"claim", "1"}, {"modify", "1", "+ux"}, {"done", "1", "--note", "shipped"}} {
		out, errOut, code := p.run(args...)
		if code != 0 || out == "" {
			t.Fatalf("backlog %v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
		oneLine(t, fmt.Sprintf("backlog %v: stderr", args), errOut)
		if !strings.HasPrefix(errOut, "backlog: "+p.repo+"#1: the upstream update is owed") {
			t.Errorf("backlog %v: stderr %q", args, errOut)
		}
	}
	// Two issues owed by one command: still one line.
	out, errOut, code := p.run("modify", "project:app", "--", "+later")
	if code != 0 || out == "" {
		t.Fatalf("modify of both: exit %d, stderr %q", code, errOut)
	}
	oneLine(t, "modify of both: stderr", errOut)
	if !strings.Contains(errOut, "upstream updates to ") || !strings.Contains(errOut, p.repo+"#1") || !strings.Contains(errOut, p.repo+"#2") {
		t.Errorf("modify of both: stderr %q", errOut)
	}
	// A command that owes nothing does not repeat what is owed.
	if _, errOut, _ := p.run("add", "unrelated"); errOut != "" && !strings.Contains(errOut, "503") {
		t.Errorf("add: stderr %q", errOut)
	}
	heal(t, p.fake)
	out = p.ok("sync")
	if !strings.Contains(out, "owed 0") {
		t.Errorf("sync said %q", out)
	}
	is, _ := p.fake.Issue(p.repo, iid)
	if !slices.Contains(is.Labels, "Done") || !slices.Contains(is.Labels, "ux") || !slices.Equal(is.Assignees, []string{"octo-bob"}) {
		t.Errorf("upstream: %+v", is)
	}
	if other, _ := p.fake.Issue(p.repo, iid+1); !slices.Contains(other.Labels, "later") {
		t.Errorf("upstream: %+v", other)
	}
	if c := p.fake.Comments(p.repo, iid); !slices.Equal(c, []string{"shipped"}) {
		t.Errorf("comments %q", c)
	}
}

func issueGone(t *testing.T, bin, kind string) {
	p := newForgeProc(t, bin, kind)
	iid := p.fake.AddIssue(p.repo, forge.Issue{Title: "a"})
	p.importAll()
	p.fake.Delete(p.repo, iid)
	out, errOut, code := p.run("done", "1", "--close", "--note", "shipped")
	if code != 0 || !strings.HasPrefix(out, "Completed task 1") {
		t.Fatalf("done on a gone issue: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	oneLine(t, "stderr", errOut)
	if !strings.Contains(errOut, "upstream issue gone") {
		t.Errorf("stderr %q", errOut)
	}
	info := p.ok("info", "1", "--json")
	if !strings.Contains(info, `"status":"completed"`) || !strings.Contains(info, "upstream issue gone (404)") {
		t.Errorf("info %s, want completed and annotated", info)
	}
	if status := p.ok("sync", "--status"); !strings.Contains(status, "gone upstream: task 1 (") {
		t.Errorf("sync --status said %q", status)
	}
}

// waitFor polls until ok or the bound (a deadlock guard, not a measure).
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// killDuring starts backlog with args, waits until cond holds, and kills it
// with SIGKILL.
func (p *forgeProc) killDuring(cond func() bool, args ...string) {
	p.t.Helper()
	cmd := p.command(args...)
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	waitFor(p.t, "the push to start", func() bool {
		select {
		case err := <-done:
			p.t.Fatalf("backlog %s ended before the kill: %v", strings.Join(args, " "), err)
		default:
		}
		return cond()
	})
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		p.t.Fatal(err)
	}
	<-done
}

// hanging reports whether a request with the method hangs at the fake.
func hanging(f forgetest.Fake, method string) bool {
	for _, q := range f.Requests() {
		if q.Method == method && q.Status == 0 {
			return true
		}
	}
	return false
}

func killedBeforePush(t *testing.T, bin, kind string) {
	p := newForgeProc(t, bin, kind)
	iid := p.fake.AddIssue(p.repo, forge.Issue{Title: "a", Labels: []string{"To Do"}})
	p.importAll()
	p.extra = []string{"BACKLOG_PUSH_TIMEOUT=2m"}
	p.fake.Hang(updateMethod(kind), 1)
	p.killDuring(func() bool { return hanging(p.fake, updateMethod(kind)) }, "claim", "1")
	if w := p.fake.Writes(); w != 0 {
		t.Fatalf("%d writes before the next command", w)
	}
	// The local change committed before the kill; the next command, any
	// command, pushes it.
	info := p.ok("info", "1", "--json")
	if !strings.Contains(info, `"agent":"bob"`) {
		t.Errorf("the claim did not survive the kill: %s", info)
	}
	if w := p.fake.Writes(); w != 1 {
		t.Errorf("%d writes after the next command, want 1", w)
	}
	if status := p.ok("sync", "--status"); !strings.Contains(status, "Nothing owed upstream") {
		t.Errorf("after the next command, sync --status said %q", status)
	}
	p.ok("sync")
	p.ok("list")
	if w := p.fake.Writes(); w != 1 {
		t.Errorf("%d writes after sync, want 1", w)
	}
	is, _ := p.fake.Issue(p.repo, iid)
	if !slices.Equal(is.Assignees, []string{"octo-bob"}) || !slices.Contains(is.Labels, "Doing") {
		t.Errorf("upstream: %+v", is)
	}
}

// swallowingProxy is a proxy in front of a fake that, for requests
// matching swallow, lets the fake answer and then never passes the answer
// on: the forge has done the work, the client never hears of it.
func swallowingProxy(t *testing.T, target string, swallow func(*http.Request) bool) (string, func() bool) {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	swallowed := false
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(resp *http.Response) error {
		if !swallow(resp.Request) {
			return nil
		}
		mu.Lock()
		swallowed = true
		mu.Unlock()
		<-resp.Request.Context().Done()
		return context.Canceled
	}
	rp.ErrorLog = log.New(io.Discard, "", 0)
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	return srv.URL, func() bool { mu.Lock(); defer mu.Unlock(); return swallowed }
}

func killedBeforeAnswer(t *testing.T, bin, kind string) {
	p := newForgeProc(t, bin, kind)
	iid := p.fake.AddIssue(p.repo, forge.Issue{Title: "a", Labels: []string{"To Do"}})
	var once sync.Once
	armed := false
	var mu sync.Mutex
	proxy, swallowed := swallowingProxy(t, p.fake.URL(), func(r *http.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		hit := false
		if armed && r.Method == http.MethodPost && (strings.HasSuffix(r.URL.Path, "/comments") || strings.HasSuffix(r.URL.Path, "/notes")) {
			once.Do(func() { hit = true })
		}
		return hit
	})
	p.api = proxy
	p.importAll()
	mu.Lock()
	armed = true
	mu.Unlock()
	p.extra = []string{"BACKLOG_PUSH_TIMEOUT=2m"}
	p.killDuring(swallowed, "done", "1", "--close", "--note", "Fixed in 4f2a9c1")
	if c := p.fake.Comments(p.repo, iid); len(c) != 1 {
		t.Fatalf("comments before sync: %q", c)
	}
	out := p.ok("sync")
	if !strings.Contains(out, "owed 0") {
		t.Errorf("sync said %q", out)
	}
	if c := p.fake.Comments(p.repo, iid); !slices.Equal(c, []string{"Fixed in 4f2a9c1"}) {
		t.Errorf("comments after sync: %q, want the note once", c)
	}
	is, _ := p.fake.Issue(p.repo, iid)
	if !is.Closed || !slices.Contains(is.Labels, "Done") {
		t.Errorf("upstream: %+v", is)
	}
}

// startForgeMCP starts backlog serve with the forge's environment and the
// forges toolset, and initializes the session.
func (p *forgeProc) startForgeMCP() *mcpClient {
	cmd := p.command("serve")
	cmd.Env = append(cmd.Env, "BACKLOG_TOOLSETS=core,agents,forges")
	return serveMCP(p.t, cmd, 20*time.Second)
}

func mcpOverForge(t *testing.T, bin, kind string) {
	p := newForgeProc(t, bin, kind)
	a := p.fake.AddIssue(p.repo, forge.Issue{Title: "a", Labels: []string{"To Do"}})
	b := p.fake.AddIssue(p.repo, forge.Issue{Title: "b"})
	p.importAll()
	c := p.startForgeMCP()
	issue := func(iid int64) forge.Issue { is, _ := p.fake.Issue(p.repo, iid); return is }

	out, err := c.tool("task_claim", map[string]any{"id": 1})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"agent":"bob"`) {
		t.Errorf("task_claim returned %s", out)
	}
	waitFor(t, "the claim upstream", func() bool {
		is := issue(a)
		return slices.Equal(is.Assignees, []string{"octo-bob"}) && slices.Contains(is.Labels, "Doing") && !slices.Contains(is.Labels, "To Do")
	})

	if _, err := c.tool("task_done", map[string]any{"id": 1, "note": "Fixed in 4f2a9c1", "close": true}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the completion upstream", func() bool {
		is := issue(a)
		return is.Closed && slices.Contains(is.Labels, "Done") && len(p.fake.Comments(p.repo, a)) == 1
	})
	if c := p.fake.Comments(p.repo, a); c[0] != "Fixed in 4f2a9c1" {
		t.Errorf("comments %q", c)
	}

	// The forge is down for a claim: the tool succeeds, and task_sync
	// delivers the claim once the forge is back.
	p.fake.Fail("", 1, http.StatusServiceUnavailable, 0)
	if _, err := c.tool("task_claim", map[string]any{"id": 2}); err != nil {
		t.Fatalf("task_claim while the forge is down: %v", err)
	}
	waitFor(t, "the failed push", func() bool {
		for _, q := range p.fake.Requests() {
			if q.Status == http.StatusServiceUnavailable {
				return true
			}
		}
		return false
	})
	p.fake.Edit(p.repo, b, func(is *forge.Issue) { is.Milestone = "v2" })
	out, err = c.tool("task_sync", map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Pulled []struct {
			ID    int64
			Issue string
		}
		Owed int
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("task_sync returned %s: %v", out, err)
	}
	if res.Owed != 0 || !slices.ContainsFunc(res.Pulled, func(pl struct {
		ID    int64
		Issue string
	}) bool {
		return pl.ID == 2
	}) {
		t.Errorf("task_sync returned %s, want task 2 pulled and nothing owed", out)
	}
	if is := issue(b); !slices.Equal(is.Assignees, []string{"octo-bob"}) {
		t.Errorf("after task_sync: assignees %q", is.Assignees)
	}
	writes := p.fake.Writes()
	if _, err := c.tool("task_sync", map[string]any{}); err != nil {
		t.Fatal(err)
	}
	if p.fake.Writes() != writes {
		t.Errorf("a second task_sync wrote %d times", p.fake.Writes()-writes)
	}
}

func killedBeforeUpdateAnswer(t *testing.T, bin, kind string) {
	p := newForgeProc(t, bin, kind)
	iid := p.fake.AddIssue(p.repo, forge.Issue{Title: "a", Labels: []string{"To Do"}})
	var mu sync.Mutex
	armed := false
	proxy, swallowed := swallowingProxy(t, p.fake.URL(), func(r *http.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		hit := armed && r.Method == updateMethod(kind)
		if hit {
			armed = false
		}
		return hit
	})
	p.api = proxy
	p.importAll()
	mu.Lock()
	armed = true
	mu.Unlock()
	p.extra = []string{"BACKLOG_PUSH_TIMEOUT=2m"}
	p.killDuring(swallowed, "claim", "1")
	if w := p.fake.Writes(); w != 1 {
		t.Fatalf("%d writes before sync, want the swallowed one", w)
	}
	if out := p.ok("sync"); !strings.Contains(out, "owed 0") {
		t.Errorf("sync said %q", out)
	}
	if w := p.fake.Writes(); w != 1 {
		t.Errorf("%d writes after sync, want 1", w)
	}
	is, _ := p.fake.Issue(p.repo, iid)
	if !slices.Equal(is.Assignees, []string{"octo-bob"}) || !slices.Contains(is.Labels, "Doing") {
		t.Errorf("upstream: %+v", is)
	}
}
