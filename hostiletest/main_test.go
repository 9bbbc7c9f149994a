package hostiletest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// binary is the backlog command built once for the whole package.
var binary string

// now is the fixed clock of every process: BACKLOG_NOW.
const now = "2026-11-18T10:00:00Z"

// TestMain builds the binary, unless HOSTILETEST_BINARY names one already
// built (a release build, or a build of a clean checkout).
func TestMain(m *testing.M) {
	if binary = os.Getenv("HOSTILETEST_BINARY"); binary != "" {
		os.Exit(checkKnownOpen(m.Run()))
	}
	dir, err := os.MkdirTemp("", "hostiletest")
	if err != nil {
		fmt.Fprintln(os.Stderr, "hostiletest:", err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "backlog")
	if err := build(binary); err != nil {
		fmt.Fprintln(os.Stderr, "hostiletest:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := checkKnownOpen(m.Run())
	os.RemoveAll(dir)
	os.Exit(code)
}

// checkKnownOpen fails a run that passed when knownOpen names cases that do
// not exist.
func checkKnownOpen(code int) int {
	if stale := staleKnownOpen(); len(stale) > 0 {
		fmt.Fprintf(os.Stderr, "hostiletest: knownOpen names cases that do not exist: %s\n", strings.Join(stale, ", "))
		if code == 0 {
			code = 1
		}
	}
	return code
}

// build compiles ./cmd/backlog of the module this package belongs to.
func build(out string) error {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(gomod))
	if mod == "" || mod == os.DevNull {
		return errors.New("the tests do not run inside the backlog module")
	}
	cmd := exec.Command("go", "build", "-o", out, "./cmd/backlog")
	cmd.Dir = filepath.Dir(mod)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("cannot build the backlog binary: %w\n%s", err, msg)
	}
	return nil
}

// backlogEnv is one test's backlog: a data directory of its own and the
// environment every process of the test runs with.
type backlogEnv struct {
	t   *testing.T
	dir string
	env []string
}

// newBacklog makes an empty backlog. Variables of the caller's environment
// that could point elsewhere (BACKLOG_*, TASKDATA*) are dropped.
func newBacklog(t *testing.T) *backlogEnv {
	t.Helper()
	dir := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "BACKLOG_") || strings.HasPrefix(kv, "TASKDATA") || strings.HasPrefix(kv, "TZ=") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"TASKDATA="+filepath.Join(dir, "data"),
		"BACKLOG_AGENT_ID=tester",
		"BACKLOG_NOW="+now,
		"TZ=UTC",
	)
	return &backlogEnv{t: t, dir: dir, env: env}
}

// seedJSON is the seeded store: tags, projects, dependencies, a doc, an
// annotation, tasks held by agents, every status, a recurring template, a
// user-defined attribute, and two tasks whose UUIDs share the 8-digit prefix
// aaaaaaaa. Ids follow input order; the recurring template's first instance
// is task 14.
const seedJSON = `[
{"ref":"schema","uuid":"aaaaaaaa-1111-4111-8111-111111111111","description":"Design the schema","project":"auth","priority":"H","tags":["sso","bug"]},
{"ref":"migrate","uuid":"aaaaaaaa-2222-4222-8222-222222222222","description":"Migrate users","project":"auth","depends":["schema"],"doc":"# Migration\n\nSteps one and two."},
{"description":"Write tests","project":"auth","depends":["schema","migrate"],"tags":["test"],"annotations":[{"entry":"2026-11-01T10:00:00Z","description":"started thinking"}]},
{"description":"Fix login crash","project":"web","priority":"M","tags":["bug","ux"],"due":"2026-11-20T17:00:00Z"},
{"description":"Polish the board","project":"web.ui","tags":["ux"],"priority":"L"},
{"description":"Held by another agent","project":"web","agent":"other","start":"2026-11-17T09:00:00Z"},
{"description":"Active for tester","project":"api","agent":"tester","start":"2026-11-18T09:00:00Z"},
{"description":"Old and done","project":"api","status":"completed","end":"2026-11-10T10:00:00Z"},
{"description":"Thrown away","status":"deleted","end":"2026-11-12T10:00:00Z"},
{"description":"Weekly report","due":"2026-11-23T09:00:00Z","recur":"weekly","tags":["report"]},
{"description":"Waiting for review","wait":"2026-12-01T00:00:00Z"},
{"description":"Scheduled later","scheduled":"2026-12-15T00:00:00Z","extra":{"size":"L"}},
{"description":"Also held by tester","project":"api","agent":"tester","start":"2026-11-18T08:00:00Z"}
]
`

// The two tasks whose UUIDs share a prefix.
const (
	sharedPrefix = "aaaaaaaa"
	uuidOne      = "aaaaaaaa-1111-4111-8111-111111111111"
	uuidTwo      = "aaaaaaaa-2222-4222-8222-222222222222"
)

// seeded makes a backlog holding seedJSON.
func seeded(t *testing.T) *backlogEnv {
	t.Helper()
	b := newBacklog(t)
	file := filepath.Join(b.dir, "seed.json")
	if err := os.WriteFile(file, []byte(seedJSON), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := b.run(nil, "import", file); r.code != 0 || !strings.HasPrefix(r.stdout, "Imported 13 tasks") {
		t.Fatalf("seeding the store: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	return b
}

// cliResult is what one command printed and its exit status.
type cliResult struct {
	stdout, stderr string
	code           int
}

// cliTimeout bounds one command: a command that hangs fails its test.
const cliTimeout = 30 * time.Second

// run runs the binary with args and stdin (nil for none).
func (b *backlogEnv) run(stdin []byte, args ...string) cliResult {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = b.env
	cmd.Dir = b.dir
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	res := cliResult{stdout: out.String(), stderr: errOut.String()}
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		b.t.Fatalf("backlog %s did not finish within %s", shorten(strings.Join(args, " ")), cliTimeout)
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	case err != nil:
		b.t.Fatalf("backlog %s: %v", shorten(strings.Join(args, " ")), err)
	}
	return res
}

// snapshot is what "the store is unchanged" compares: every task of any
// status as exported, and the seeded doc, which export does not carry.
func (b *backlogEnv) snapshot() string {
	b.t.Helper()
	exp := b.run(nil, "export")
	if exp.code != 0 {
		b.t.Fatalf("backlog export: exit %d: %s", exp.code, exp.stderr)
	}
	doc := b.run(nil, "doc", "read", "2")
	return exp.stdout + "-- doc of task 2 --\n" + doc.stdout + doc.stderr
}

// unchanged reports how the store differs from before, "" if it does not.
func (b *backlogEnv) unchanged(before string) string {
	b.t.Helper()
	after := b.snapshot()
	if after == before {
		return ""
	}
	return "the store changed:\n" + lineDiff(before, after)
}

// lineDiff lists the lines that differ, enough to see what changed.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var sb strings.Builder
	for i := range max(len(w), len(g)) {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&sb, "-%s\n+%s\n", shorten(wl), shorten(gl))
		}
	}
	return sb.String()
}

// shorten keeps a long text readable in a failure message.
func shorten(s string) string {
	const keep = 300
	if len(s) <= keep {
		return s
	}
	return fmt.Sprintf("%s…(%d bytes)…%s", s[:keep*2/3], len(s), s[len(s)-keep/3:])
}
