package board

import (
	"context"
	"net"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/sqlite"
	"github.com/agent-backlog/backlog/store"
)

func ptr(s string) *string { return &s }

// task is a task to seed: its description and changes.
type seedTask struct {
	desc    string
	project string
	pri     string
	due     string
	wait    string
	tags    []string
	depends []string
}

// seeded is a backlog on disk with the board's tasks, and the board over
// it.
type seeded struct {
	dir   string // TASKDATA of the backlog
	store store.Store
	board *engine.Engine // the engine the board acts through
	srv   *httptest.Server
}

// The seeded tasks' ids, by role.
const (
	idOverdue = "1" // ready, project web, priority H, overdue
	idSpec    = "2" // held by backend, with a doc
	idHTML    = "3" // a description that is HTML
	idBlocked = "4" // depends on 1
	idStale   = "5" // held by worker-7 since three hours ago
	idDone    = "6" // completed today
	idWaiting = "7" // waiting until tomorrow
)

const htmlTitle = `<img src=x onerror=alert(1)>`

const specDoc = "# SSO spec\n\n- [x] pick the provider\n- [ ] write the callback\n\n<script>alert(1)</script>\n\n| step | owner |\n|---|---|\n| login | backend |\n"

// seed makes the backlog in a temporary directory and serves the board
// over it on 127.0.0.1.
func seed(t testing.TB) *seeded {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "backlog.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Now()
	earlier := engine.New(st, engine.Options{Agent: "lead", Clock: func() time.Time { return now.Add(-3 * time.Hour) }})
	lead := engine.New(st, engine.Options{Agent: "lead"})
	add := func(e *engine.Engine, s seedTask) {
		t.Helper()
		c := &engine.Changes{Description: ptr(s.desc)}
		if s.project != "" {
			c.Project = ptr(s.project)
		}
		if s.pri != "" {
			c.Priority = ptr(s.pri)
		}
		if s.due != "" {
			c.Due = ptr(s.due)
		}
		if s.wait != "" {
			c.Wait = ptr(s.wait)
		}
		if s.tags != nil {
			c.Tags = &engine.ListEdit{Replace: true, Set: s.tags}
		}
		if s.depends != nil {
			c.Depends = &engine.ListEdit{Replace: true, Set: s.depends}
		}
		if _, err := e.Add(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	add(lead, seedTask{desc: "Fix the login redirect", project: "web", pri: "H", due: "yesterday", tags: []string{"bug"}})
	add(lead, seedTask{desc: "Write the SSO spec", project: "auth"})
	add(lead, seedTask{desc: htmlTitle})
	add(lead, seedTask{desc: "Ship the login page", project: "web", depends: []string{idOverdue}})
	add(earlier, seedTask{desc: "Migrate the users table", project: "auth"})
	add(lead, seedTask{desc: "Rotate the staging keys", project: "ops"})
	add(lead, seedTask{desc: "Review the quarter", wait: "tomorrow"})
	must(lead.DocWrite(ctx, idSpec, specDoc))
	must(lead.Claim(ctx, engine.ClaimOptions{Agent: "backend", ID: idSpec}))
	must(earlier.Claim(ctx, engine.ClaimOptions{Agent: "worker-7", ID: idStale}))
	must(lead.Done(ctx, idDone))
	must(lead.Annotate(ctx, idSpec, "provider chosen: the company's IdP"))

	s := &seeded{dir: dir, store: st, board: engine.New(st, engine.Options{Agent: "board"})}
	s.srv = httptest.NewUnstartedServer(Handler(Deps{Engine: func(context.Context) (*engine.Engine, error) { return s.board, nil }}))
	// Streams end with the server's context, so that Close need not wait
	// for a browser to hang up.
	base, cancel := context.WithCancel(context.Background())
	s.srv.Config.BaseContext = func(net.Listener) context.Context { return base }
	s.srv.Start()
	t.Cleanup(func() { cancel(); s.srv.Close() })
	return s
}
