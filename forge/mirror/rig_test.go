package mirror_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/forge"
	"github.com/agent-backlog/backlog/forge/forgeconf"
	"github.com/agent-backlog/backlog/forge/forgetest"
	"github.com/agent-backlog/backlog/forge/github/githubfake"
	"github.com/agent-backlog/backlog/forge/gitlab/gitlabfake"
	"github.com/agent-backlog/backlog/forge/mirror"
	"github.com/agent-backlog/backlog/sqlite"
	"github.com/agent-backlog/backlog/store"
)

// A rig is one backlog (a SQLite file) and one fake forge, wired as the
// CLI wires them: the mirror's environment points at the fake with its
// token, and the engine acts as agent bob.
type rig struct {
	t    testing.TB
	ctx  context.Context
	fake forgetest.Fake
	kind string
	repo string // the repository the tests import: acme/app, acme/platform/app
	path string // the SQLite file
	st   store.Store
	eng  *engine.Engine
	env  *mirror.Env
	f    forge.Forge
}

// forgeKinds are the forges every test runs against.
var forgeKinds = []string{"github", "gitlab"}

// newFake starts a fake of the kind, closed when the test ends.
func newFake(t testing.TB, kind string) forgetest.Fake {
	var f forgetest.Fake
	if kind == "github" {
		f = githubfake.New()
	} else {
		f = gitlabfake.New()
	}
	t.Cleanup(f.Close)
	return f
}

// eachForge runs fn as a subtest per forge, each with a fresh rig; config
// is forges.toml's text ("" for none).
func eachForge(t *testing.T, config string, fn func(t *testing.T, r *rig)) {
	for _, kind := range forgeKinds {
		t.Run(kind, func(t *testing.T) { fn(t, newRig(t, kind, config)) })
	}
}

func newRig(t testing.TB, kind, config string) *rig {
	t.Helper()
	fake := newFake(t, kind)
	r := &rig{t: t, ctx: context.Background(), fake: fake, kind: kind, repo: "acme/app"}
	if kind == "gitlab" {
		r.repo = "acme/platform/app"
	}
	r.path = filepath.Join(t.TempDir(), "backlog.db")
	st, err := sqlite.Open(r.ctx, r.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r.st = st
	r.eng = engine.New(st, engine.Options{Agent: "bob"})
	var file *forgeconf.File
	if config != "" {
		if file, err = forgeconf.Parse("forges.toml", []byte(config)); err != nil {
			t.Fatal(err)
		}
	}
	vars := map[string]string{"GITHUB_TOKEN": fake.Token(), "GITLAB_TOKEN": fake.Token(),
		"GITHUB_API_URL": fake.URL(), "GITLAB_HOST": fake.URL()}
	r.env = &mirror.Env{Getenv: func(k string) string { return vars[k] }, Config: file, MaxWait: 5 * time.Second}
	if r.f, err = r.env.Open(kind, fake.URL()); err != nil {
		t.Fatal(err)
	}
	return r
}

// add creates an issue upstream and returns its number.
func (r *rig) add(title string, labels ...string) int64 {
	return r.fake.AddIssue(r.repo, forge.Issue{Title: title, Labels: labels})
}

// importAll imports with opts (Repo filled in) and fails the test on error.
func (r *rig) importAll(opts mirror.ImportOptions) *mirror.ImportResult {
	r.t.Helper()
	if opts.Repo == "" {
		opts.Repo = r.repo
	}
	res, err := mirror.Import(r.ctx, r.env, r.f, r.eng, r.st, opts)
	if err != nil {
		r.t.Fatalf("import: %v", err)
	}
	return res
}

// importOne imports the issue and returns the id of its task.
func (r *rig) importOne(iid int64) string {
	r.t.Helper()
	res := r.importAll(mirror.ImportOptions{Issues: []int64{iid}})
	if len(res.Tasks) != 1 {
		r.t.Fatalf("importing #%d made %d tasks", iid, len(res.Tasks))
	}
	return res.Tasks[0].Ref()
}

// push delivers the outbox as a command does after it commits.
func (r *rig) push() *mirror.PushResult {
	r.t.Helper()
	res, err := mirror.Push(r.ctx, r.env, r.eng, r.st, mirror.PushOptions{})
	if err != nil {
		r.t.Fatalf("push: %v", err)
	}
	return res
}

// sync runs backlog sync.
func (r *rig) sync() *mirror.SyncResult {
	r.t.Helper()
	res, err := mirror.Sync(r.ctx, r.env, r.eng, r.st, mirror.SyncOptions{})
	if err != nil {
		r.t.Fatalf("sync: %v", err)
	}
	return res
}

// issue is the issue as the fake holds it.
func (r *rig) issue(iid int64) forge.Issue {
	r.t.Helper()
	is, ok := r.fake.Issue(r.repo, iid)
	if !ok {
		r.t.Fatalf("the fake has no issue #%d", iid)
	}
	return is
}

// task reads a task by id.
func (r *rig) task(ref string) *backlog.Task {
	r.t.Helper()
	t, err := r.eng.Info(r.ctx, ref)
	if err != nil {
		r.t.Fatalf("info %s: %v", ref, err)
	}
	return t
}

// tasks is every task of the backlog, by ascending id.
func (r *rig) tasks() []*backlog.Task {
	r.t.Helper()
	ts, err := r.eng.Export(r.ctx, "")
	if err != nil {
		r.t.Fatal(err)
	}
	return ts
}

// modify runs backlog modify ID WORDS….
func (r *rig) modify(ref string, words ...string) {
	r.t.Helper()
	c, err := engine.ParseMods(words, true)
	if err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.eng.Modify(r.ctx, ref, c, true); err != nil {
		r.t.Fatalf("modify %s %v: %v", ref, words, err)
	}
}

// owed is what the outbox holds.
func (r *rig) owed() []*store.OutboxItem {
	r.t.Helper()
	var items []*store.OutboxItem
	err := r.st.Read(r.ctx, func(tx store.Tx) error {
		var err error
		items, err = tx.Owed(r.ctx, 0)
		return err
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return items
}

// hasFold reports whether names holds name, compared without case.
func hasFold(names []string, name string) bool {
	return slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, name) })
}

// requestLog is the fake's requests, one a line, for failure messages.
func requestLog(f forgetest.Fake) string {
	var b strings.Builder
	for _, q := range f.Requests() {
		fmt.Fprintf(&b, "\n  %s %s", q.Method, q.Path)
		if q.Query != "" {
			b.WriteString("?" + q.Query)
		}
		fmt.Fprintf(&b, " → %d", q.Status)
	}
	return b.String()
}
