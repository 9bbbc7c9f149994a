package mirror_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/forge"
	"github.com/agent-backlog/backlog/forge/mirror"
	"github.com/agent-backlog/backlog/sqlite"
)

func TestAnImportReadsEveryPageAndSkipsPullRequests(t *testing.T) {
	eachForge(t, "", func(t *testing.T, r *rig) {
		const n = 250 // three pages of 100
		for i := range n {
			r.add(fmt.Sprintf("Issue %d", i+1))
			if i%60 == 0 {
				r.fake.AddPullRequest(r.repo, fmt.Sprintf("Pull request %d", i))
			}
		}
		res := r.importAll(mirror.ImportOptions{})
		if res.Imported != n || res.Already != 0 {
			t.Fatalf("imported %d, already here %d; want %d, 0", res.Imported, res.Already, n)
		}
		pages := map[string]bool{}
		for _, q := range r.fake.Requests() {
			v, _ := url.ParseQuery(q.Query)
			if q.Method == "GET" && strings.HasSuffix(q.Path, "/issues") {
				pages[v.Get("page")] = true
			}
		}
		if len(pages) < 3 {
			t.Errorf("the import read %d pages of issues, want 3 or more:%s", len(pages), requestLog(r.fake))
		}
		var last int64
		for _, task := range r.tasks() {
			if strings.HasPrefix(task.Description, "Pull request") {
				t.Errorf("task %d is a pull request: %q", task.ID, task.Description)
			}
			if task.Source.IID < last {
				t.Errorf("task %d is issue #%d, after #%d: ids should follow the issue numbers", task.ID, task.Source.IID, last)
			}
			last = task.Source.IID
		}
		if got := len(r.tasks()); got != n {
			t.Errorf("the backlog holds %d tasks, want %d", got, n)
		}
	})
}

func TestAnIssueIsNeverImportedTwice(t *testing.T) {
	eachForge(t, "", func(t *testing.T, r *rig) {
		for i := range 5 {
			r.add(fmt.Sprintf("Issue %d", i+1))
		}
		first := r.importAll(mirror.ImportOptions{})
		again := r.importAll(mirror.ImportOptions{})
		if first.Imported != 5 || again.Imported != 0 || again.Already != 5 {
			t.Fatalf("first import %d/%d, second %d/%d; want 5/0 then 0/5", first.Imported, first.Already, again.Imported, again.Already)
		}
		r.add("Issue 6")
		third := r.importAll(mirror.ImportOptions{})
		if third.Imported != 1 || third.Already != 5 {
			t.Errorf("after one more issue: imported %d, already here %d; want 1, 5", third.Imported, third.Already)
		}
		byIssue := r.importAll(mirror.ImportOptions{Issues: []int64{2}})
		if byIssue.Imported != 0 || byIssue.Already != 1 {
			t.Errorf("--issue 2 again: imported %d, already here %d; want 0, 1", byIssue.Imported, byIssue.Already)
		}
		// An issue whose task was completed and archived is still here.
		if _, err := r.eng.Done(r.ctx, "1"); err != nil {
			t.Fatal(err)
		}
		later := engine.New(r.st, engine.Options{Agent: "bob", Clock: func() time.Time { return time.Now().Add(72 * time.Hour) }})
		if n, err := later.Archive(r.ctx, 1); err != nil || n != 1 {
			t.Fatalf("archive moved %d tasks (%v), want 1", n, err)
		}
		after := r.importAll(mirror.ImportOptions{})
		if after.Imported != 0 || after.Already != 6 {
			t.Errorf("after archiving one: imported %d, already here %d; want 0, 6", after.Imported, after.Already)
		}
	})
}

func TestTwoImportsAtOnceMakeEachIssueOnce(t *testing.T) {
	eachForge(t, "", func(t *testing.T, r *rig) {
		for i := range 120 {
			r.add(fmt.Sprintf("Issue %d", i+1))
		}
		// Four importers, each with a store of its own on the one file,
		// as four processes would have.
		var wg sync.WaitGroup
		results := make([]*mirror.ImportResult, 4)
		errs := make([]error, 4)
		for i := range results {
			st, err := sqlite.Open(r.ctx, r.path)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			eng := engine.New(st, engine.Options{Agent: fmt.Sprintf("importer%d", i)})
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], errs[i] = mirror.Import(r.ctx, r.env, r.f, eng, st, mirror.ImportOptions{Repo: r.repo})
			}()
		}
		wg.Wait()
		imported := 0
		for i, err := range errs {
			if err != nil {
				t.Fatalf("importer %d: %v", i, err)
			}
			imported += results[i].Imported
			if results[i].Imported+results[i].Already != 120 {
				t.Errorf("importer %d: imported %d, already here %d; want 120 in all", i, results[i].Imported, results[i].Already)
			}
		}
		if imported != 120 {
			t.Errorf("the importers made %d tasks in all, want 120", imported)
		}
		seen := map[int64]int64{}
		for _, task := range r.tasks() {
			if prev, dup := seen[task.Source.IID]; dup {
				t.Errorf("issue #%d has tasks %d and %d", task.Source.IID, prev, task.ID)
			}
			seen[task.Source.IID] = task.ID
		}
		if len(seen) != 120 {
			t.Errorf("%d issues have a task, want 120", len(seen))
		}
	})
}

func TestAnImportTakesOnlyWhatTheSearchAndLabelsSelect(t *testing.T) {
	eachForge(t, "", func(t *testing.T, r *rig) {
		r.add("Login fails on Safari", "bug", "agent-ready")
		r.add("Login page is slow", "perf")
		r.add("Logout button misplaced", "bug", "agent-ready")
		r.add("Crash on start", "bug")
		r.fake.AddIssue(r.repo, forge.Issue{Title: "Closed login bug", Labels: []string{"bug", "agent-ready"}, Closed: true})
		r.fake.AddPullRequest(r.repo, "Login refactor")
		for _, c := range []struct {
			name string
			opts mirror.ImportOptions
			want []string
		}{
			{"a search finds the open issues that say login", mirror.ImportOptions{Search: "login"}, []string{"Login fails on Safari", "Login page is slow"}},
			{"one label keeps the issues carrying it", mirror.ImportOptions{Labels: []string{"agent-ready"}}, []string{"Login fails on Safari", "Logout button misplaced"}},
			{"two labels keep the issues carrying both", mirror.ImportOptions{Labels: []string{"bug", "agent-ready"}}, []string{"Login fails on Safari", "Logout button misplaced"}},
			{"a search and a label together", mirror.ImportOptions{Search: "login", Labels: []string{"bug"}}, []string{"Login fails on Safari"}},
		} {
			t.Run(c.name, func(t *testing.T) {
				// Each case imports into a project of its own, and lists
				// what it would import: already-here counts too.
				c.opts.Pick = func(cands []mirror.Candidate) ([]forge.Issue, error) {
					var got []string
					for _, cand := range cands {
						got = append(got, cand.Issue.Title)
					}
					slices.Sort(got)
					if !slices.Equal(got, c.want) {
						t.Errorf("listed %q, want %q", got, c.want)
					}
					return nil, nil
				}
				r.importAll(c.opts)
			})
		}
	})
}

func TestAnIssueBecomesATaskAsTheSpecMapsIt(t *testing.T) {
	const config = `
[agents]
backend = "octo-bot"
`
	long := strings.Repeat("é", 300) // 600 bytes
	cases := []struct {
		name   string
		issue  forge.Issue
		check  func(t *testing.T, task *backlog.Task, doc string)
		gitlab bool // only on GitLab
	}{
		{name: "P0 is priority H and the tag next", issue: forge.Issue{Title: "a", Labels: []string{"P0"}}, check: wantPrioTags(backlog.PriorityHigh, "next")},
		{name: "critical is priority H and the tag next", issue: forge.Issue{Title: "a", Labels: []string{"Critical"}}, check: wantPrioTags(backlog.PriorityHigh, "next")},
		{name: "priority/P1 is priority H", issue: forge.Issue{Title: "a", Labels: []string{"priority/P1"}}, check: wantPrioTags(backlog.PriorityHigh)},
		{name: "high is priority H", issue: forge.Issue{Title: "a", Labels: []string{"high"}}, check: wantPrioTags(backlog.PriorityHigh)},
		{name: "p2 is priority M", issue: forge.Issue{Title: "a", Labels: []string{"p2"}}, check: wantPrioTags(backlog.PriorityMedium)},
		{name: "MEDIUM is priority M", issue: forge.Issue{Title: "a", Labels: []string{"MEDIUM"}}, check: wantPrioTags(backlog.PriorityMedium)},
		{name: "priority/P3 is priority L", issue: forge.Issue{Title: "a", Labels: []string{"priority/P3"}}, check: wantPrioTags(backlog.PriorityLow)},
		{name: "low is priority L", issue: forge.Issue{Title: "a", Labels: []string{"low"}}, check: wantPrioTags(backlog.PriorityLow)},
		{name: "priority::high is priority H", gitlab: true, issue: forge.Issue{Title: "a", Labels: []string{"priority::high"}}, check: wantPrioTags(backlog.PriorityHigh)},
		{name: "priority::P0 is priority H and the tag next", gitlab: true, issue: forge.Issue{Title: "a", Labels: []string{"priority::P0"}}, check: wantPrioTags(backlog.PriorityHigh, "next")},
		{name: "priority::low is priority L", gitlab: true, issue: forge.Issue{Title: "a", Labels: []string{"priority::low"}}, check: wantPrioTags(backlog.PriorityLow)},
		{name: "labels are tags lower-cased with spaces and slashes as dashes",
			issue: forge.Issue{Title: "a", Labels: []string{"Bug", "Good First Issue", "area/api"}},
			check: wantPrioTags("", "area-api", "bug", "good-first-issue")},
		{name: "status labels are not tags",
			issue: forge.Issue{Title: "a", Labels: []string{"To Do", "Doing", "Done", "ux"}},
			check: wantPrioTags("", "ux")},
		{name: "no labels is no tags and no priority", issue: forge.Issue{Title: "a"}, check: wantPrioTags("")},
		{name: "a title over 500 bytes is cut at a UTF-8 boundary with an ellipsis",
			issue: forge.Issue{Title: long},
			check: func(t *testing.T, task *backlog.Task, _ string) {
				d := task.Description
				if len(d) > backlog.MaxDescription || !utf8.ValidString(d) || !strings.HasSuffix(d, "…") ||
					!strings.HasPrefix(long, strings.TrimSuffix(d, "…")) || len(d) < backlog.MaxDescription-4 {
					t.Errorf("description is %d bytes, valid UTF-8 %v: %q", len(d), utf8.ValidString(d), d)
				}
			}},
		{name: "a title of 500 bytes is kept whole",
			issue: forge.Issue{Title: strings.Repeat("é", 250)},
			check: func(t *testing.T, task *backlog.Task, _ string) {
				if task.Description != strings.Repeat("é", 250) {
					t.Errorf("description is %q", task.Description)
				}
			}},
		{name: "the body is the doc",
			issue: forge.Issue{Title: "a", Body: "## Steps\n\n1. open\n2. **crash**\n"},
			check: func(t *testing.T, task *backlog.Task, doc string) {
				if !task.HasDoc || doc != "## Steps\n\n1. open\n2. **crash**\n" {
					t.Errorf("has_doc %v, doc %q", task.HasDoc, doc)
				}
			}},
		{name: "an empty body is no doc",
			issue: forge.Issue{Title: "a", Body: "  \n"},
			check: func(t *testing.T, task *backlog.Task, doc string) {
				if task.HasDoc || task.HasTag("doc") {
					t.Errorf("has_doc %v, tags %q", task.HasDoc, task.Tags)
				}
			}},
		{name: "the milestone is the attribute milestone",
			issue: forge.Issue{Title: "a", Milestone: "v2.0"},
			check: func(t *testing.T, task *backlog.Task, _ string) {
				if task.Extra["milestone"] != "v2.0" {
					t.Errorf("extra = %v", task.Extra)
				}
			}},
		{name: "a mapped assignee is the agent the mapping names",
			issue: forge.Issue{Title: "a", Assignees: []string{"octo-bot"}},
			check: wantAgent("backend")},
		{name: "an assignee with no mapping is an agent of the same name",
			issue: forge.Issue{Title: "a", Assignees: []string{"carol"}},
			check: wantAgent("carol")},
		{name: "the first assignee is the agent",
			issue: forge.Issue{Title: "a", Assignees: []string{"carol", "octo-bot"}},
			check: wantAgent("carol")},
	}
	eachForge(t, config, func(t *testing.T, r *rig) {
		for _, c := range cases {
			if c.gitlab && r.kind != "gitlab" {
				continue
			}
			t.Run(c.name, func(t *testing.T) {
				iid := r.fake.AddIssue(r.repo, c.issue)
				ref := r.importOne(iid)
				task := r.task(ref)
				doc := ""
				if task.HasDoc {
					var err error
					if doc, err = r.eng.DocRead(r.ctx, ref); err != nil {
						t.Fatal(err)
					}
				}
				c.check(t, task, doc)
				want := backlog.Source{Type: r.kind, Host: strings.TrimPrefix(r.fake.URL(), "http://"), Project: r.repo, IID: iid}
				if task.Source == nil {
					t.Fatal("the task has no source")
				}
				got := *task.Source
				got.URL = ""
				if got != want {
					t.Errorf("source = %+v, want %+v", got, want)
				}
				if !strings.HasPrefix(task.Source.URL, r.fake.URL()+"/"+r.repo+"/") || !strings.HasSuffix(task.Source.URL, fmt.Sprintf("/issues/%d", iid)) {
					t.Errorf("source url = %q", task.Source.URL)
				}
				if task.Project != "app" {
					t.Errorf("project = %q, want the repository's name app", task.Project)
				}
			})
		}
	})
}

func wantPrioTags(p backlog.Priority, tags ...string) func(*testing.T, *backlog.Task, string) {
	return func(t *testing.T, task *backlog.Task, _ string) {
		got := slices.Clone(task.Tags)
		slices.Sort(got)
		if task.Priority != p || !slices.Equal(got, tags) {
			t.Errorf("priority %q, tags %q; want %q, %q", task.Priority, got, p, tags)
		}
	}
}

func wantAgent(agent string) func(*testing.T, *backlog.Task, string) {
	return func(t *testing.T, task *backlog.Task, _ string) {
		if task.Agent != agent {
			t.Errorf("agent = %q, want %q", task.Agent, agent)
		}
	}
}

func TestAnImportPutsTasksInTheProjectAndWithTheAgentAsked(t *testing.T) {
	eachForge(t, "", func(t *testing.T, r *rig) {
		a := r.fake.AddIssue(r.repo, forge.Issue{Title: "a", Assignees: []string{"carol"}})
		b := r.add("b")
		res := r.importAll(mirror.ImportOptions{Issues: []int64{a}, Assignee: "backend", Project: "web.api"})
		if task := res.Tasks[0]; task.Agent != "backend" || task.Project != "web.api" {
			t.Errorf("with --assignee backend --project web.api: agent %q, project %q", task.Agent, task.Project)
		}
		res = r.importAll(mirror.ImportOptions{Issues: []int64{b}})
		if task := res.Tasks[0]; task.Agent != "" || task.Project != "app" {
			t.Errorf("without: agent %q, project %q; want none and app", task.Agent, task.Project)
		}
		if r.fake.Writes() != 0 {
			t.Errorf("an import wrote upstream %d times:%s", r.fake.Writes(), requestLog(r.fake))
		}
	})
}

func TestAnImportRefusesBadInputInOneSentenceAndChangesNothing(t *testing.T) {
	eachForge(t, "", func(t *testing.T, r *rig) {
		r.add("a")
		for _, c := range []struct {
			name string
			opts mirror.ImportOptions
			want string
		}{
			{"a repository without an owner", mirror.ImportOptions{Repo: "app"}, "is GROUP/PROJECT"},
			{"a bad project name", mirror.ImportOptions{Project: "a b"}, "project"},
			{"a bad agent", mirror.ImportOptions{Assignee: "a\x07b"}, "agent id"},
			{"an issue that does not exist", mirror.ImportOptions{Issues: []int64{99}}, "has no issue #99"},
			{"a repository that does not exist", mirror.ImportOptions{Repo: "acme/nothing"}, "does not exist"},
		} {
			t.Run(c.name, func(t *testing.T) {
				if c.opts.Repo == "" {
					c.opts.Repo = r.repo
				}
				if r.kind == "github" && c.want == "is GROUP/PROJECT" {
					c.want = "is OWNER/REPO"
				}
				_, err := mirror.Import(r.ctx, r.env, r.f, r.eng, r.st, c.opts)
				if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
					t.Errorf("error = %v, want one line saying %q", err, c.want)
				}
				if n := len(r.tasks()); n != 0 {
					t.Errorf("the backlog holds %d tasks", n)
				}
			})
		}
	})
}

func TestAPullRequestAskedForByNumberIsNotImported(t *testing.T) {
	r := newRig(t, "github", "")
	r.add("an issue")
	pr := r.fake.AddPullRequest(r.repo, "a pull request")
	_, err := mirror.Import(r.ctx, r.env, r.f, r.eng, r.st, mirror.ImportOptions{Repo: r.repo, Issues: []int64{pr}})
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("has no issue #%d", pr)) {
		t.Errorf("importing pull request #%d: %v, want a refusal: it is no issue", pr, err)
	}
	if n := len(r.tasks()); n != 0 {
		t.Errorf("the backlog holds %d tasks", n)
	}
}
