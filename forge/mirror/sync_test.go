package mirror_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/forge"
	"github.com/agent-backlog/backlog/forge/mirror"
)

func TestASyncPullsWhatPeopleChangedUpstream(t *testing.T) {
	cases := []struct {
		name    string
		edit    func(*forge.Issue)
		change  string // in the sync's words
		check   func(t *testing.T, task *backlog.Task, doc string)
		reclose bool // the task is completed (and the issue closed) first
	}{
		{name: "a closed issue completes its task", change: "closed: completed",
			edit: func(is *forge.Issue) { is.Closed = true },
			check: func(t *testing.T, task *backlog.Task, _ string) {
				if task.Status != backlog.StatusCompleted || task.End.IsZero() {
					t.Errorf("status %s, end %v", task.Status, task.End)
				}
			}},
		{name: "a reopened issue makes its task pending again", change: "reopened: pending", reclose: true,
			edit: func(is *forge.Issue) {
				is.Closed = false
				is.Labels = slices.DeleteFunc(is.Labels, func(l string) bool { return l == "Done" })
			},
			check: func(t *testing.T, task *backlog.Task, _ string) {
				if task.Status != backlog.StatusPending || !task.End.IsZero() {
					t.Errorf("status %s, end %v", task.Status, task.End)
				}
			}},
		{name: "a new title is the description", change: "title",
			edit: func(is *forge.Issue) { is.Title = "Login fails on Firefox too" },
			check: func(t *testing.T, task *backlog.Task, _ string) {
				if task.Description != "Login fails on Firefox too" {
					t.Errorf("description %q", task.Description)
				}
			}},
		{name: "new labels are the tags", change: "labels",
			edit: func(is *forge.Issue) { is.Labels = []string{"Regression", "area/auth"} },
			check: func(t *testing.T, task *backlog.Task, _ string) {
				if got := slices.Sorted(slices.Values(task.Tags)); !slices.Equal(got, []string{"area-auth", "doc", "regression"}) {
					t.Errorf("tags %q", got)
				}
			}},
		{name: "a priority label is the priority", change: "priority",
			edit: func(is *forge.Issue) { is.Labels = append(is.Labels, "P0") },
			check: func(t *testing.T, task *backlog.Task, _ string) {
				if task.Priority != backlog.PriorityHigh || !task.HasTag("next") {
					t.Errorf("priority %q, tags %q", task.Priority, task.Tags)
				}
			}},
		{name: "a new assignee is the agent the mapping names", change: "assignee",
			edit: func(is *forge.Issue) { is.Assignees = []string{"octo-bot"} },
			check: func(t *testing.T, task *backlog.Task, _ string) {
				if task.Agent != "backend" {
					t.Errorf("agent %q", task.Agent)
				}
			}},
		{name: "a new milestone is the attribute", change: "milestone",
			edit: func(is *forge.Issue) { is.Milestone = "v3" },
			check: func(t *testing.T, task *backlog.Task, _ string) {
				if task.Extra["milestone"] != "v3" {
					t.Errorf("extra %v", task.Extra)
				}
			}},
		{name: "a new body is the doc", change: "body",
			edit: func(is *forge.Issue) { is.Body = "Steps: open the page." },
			check: func(t *testing.T, task *backlog.Task, doc string) {
				if doc != "Steps: open the page." {
					t.Errorf("doc %q", doc)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			eachForge(t, mappedAgents, func(t *testing.T, r *rig) {
				iid := r.fake.AddIssue(r.repo, forge.Issue{Title: "Login fails", Body: "body", Labels: []string{"bug"}, Milestone: "v2"})
				ref := r.importOne(iid)
				if c.reclose {
					if _, err := r.eng.DoneWith(r.ctx, ref, engine.DoneOptions{Close: true}); err != nil {
						t.Fatal(err)
					}
					r.push()
				}
				if res := r.sync(); len(res.Pulled) != 0 {
					t.Fatalf("a sync before any edit pulled %+v", res.Pulled)
				}
				writes := r.fake.Writes()
				r.fake.Edit(r.repo, iid, c.edit)
				res := r.sync()
				if len(res.Pulled) != 1 || res.Pulled[0].Issue != r.repo+"#1" || !slices.Contains(res.Pulled[0].Changes, c.change) {
					t.Fatalf("pulled %+v, want %s#1 with %q", res.Pulled, r.repo, c.change)
				}
				task := r.task(ref)
				doc := ""
				if task.HasDoc {
					doc, _ = r.eng.DocRead(r.ctx, ref)
				}
				c.check(t, task, doc)
				if n := len(r.owed()); n != 0 || r.fake.Writes() != writes {
					t.Errorf("the pull owes %d changes and wrote %d times upstream", n, r.fake.Writes()-writes)
				}
				if again := r.sync(); len(again.Pulled) != 0 {
					t.Errorf("a second sync pulled %+v", again.Pulled)
				}
			})
		})
	}
}

func TestAnIssueWithAChangeOwedIsPulledOnlyOnceTheChangeIsDelivered(t *testing.T) {
	eachForge(t, "", func(t *testing.T, r *rig) {
		iid := r.add("Old title")
		ref := r.importOne(iid)
		r.modify(ref, "Local", "title")
		// Upstream edits the title too, then fails the push.
		r.fake.Edit(r.repo, iid, func(is *forge.Issue) { is.Title = "Upstream title"; is.Labels = []string{"ux"} })
		r.fake.Fail("", 1, http.StatusBadGateway, 0)
		res, err := mirror.Sync(r.ctx, r.env, r.eng, r.st, mirror.SyncOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Owed != 1 || len(res.Pulled) != 0 {
			t.Fatalf("owed %d, pulled %+v; want the edit owed and nothing pulled over it", res.Owed, res.Pulled)
		}
		if task := r.task(ref); task.Description != "Local title" {
			t.Errorf("the local edit was overwritten: %q", task.Description)
		}
		r.sync()
		if is := r.issue(iid); is.Title != "Local title" {
			t.Errorf("upstream title %q, want the local one delivered", is.Title)
		}
		if task := r.task(ref); task.Description != "Local title" || !task.HasTag("ux") {
			t.Errorf("task %q tags %q, want the local title and the upstream label", task.Description, task.Tags)
		}
	})
}

func TestASyncThatCannotReachTheForgeSaysSoAndChangesNothing(t *testing.T) {
	eachForge(t, "", func(t *testing.T, r *rig) {
		iid := r.add("a")
		ref := r.importOne(iid)
		r.fake.Edit(r.repo, iid, func(is *forge.Issue) { is.Closed = true })
		r.fake.Fail(http.MethodGet, 1, http.StatusServiceUnavailable, 0)
		res := r.sync()
		if len(res.Repos) != 1 || !strings.Contains(res.Repos[0].Error, "503") || len(res.Pulled) != 0 {
			t.Fatalf("repos %+v, pulled %+v", res.Repos, res.Pulled)
		}
		if task := r.task(ref); task.Status != backlog.StatusPending {
			t.Errorf("status %s", task.Status)
		}
		// The high-water mark did not move: the next sync sees the close.
		if res := r.sync(); len(res.Pulled) != 1 {
			t.Errorf("the next sync pulled %+v", res.Pulled)
		}
	})
}

func TestASyncOfOneForgeLeavesTheOtherAlone(t *testing.T) {
	gh, gl := newRig(t, "github", ""), newRig(t, "gitlab", "")
	// One backlog with issues of both forges.
	gl.st, gl.eng = gh.st, gh.eng
	a := gh.add("on github")
	b := gl.add("on gitlab")
	gh.importOne(a)
	gl.importOne(b)
	gh.fake.Edit(gh.repo, a, func(is *forge.Issue) { is.Title = "github edited" })
	gl.fake.Edit(gl.repo, b, func(is *forge.Issue) { is.Title = "gitlab edited" })
	env := &mirror.Env{Getenv: func(k string) string {
		return map[string]string{"GITHUB_TOKEN": gh.fake.Token(), "GITHUB_API_URL": gh.fake.URL(),
			"GITLAB_TOKEN": gl.fake.Token(), "GITLAB_HOST": gl.fake.URL()}[k]
	}}
	res, err := mirror.Sync(gh.ctx, env, gh.eng, gh.st, mirror.SyncOptions{Kind: "gitlab"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Pulled) != 1 || res.Pulled[0].Issue != gl.repo+"#1" {
		t.Fatalf("pulled %+v, want the GitLab issue alone", res.Pulled)
	}
	if d := gh.task("1").Description; d != "on github" {
		t.Errorf("the GitHub task became %q", d)
	}
	res, err = mirror.Sync(gh.ctx, env, gh.eng, gh.st, mirror.SyncOptions{Filter: "project:app"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Pulled) != 1 || res.Pulled[0].Issue != gh.repo+"#1" {
		t.Errorf("pulled %+v, want the GitHub issue", res.Pulled)
	}
}

func TestASyncOfSomeTasksLeavesTheOthersForTheNextSync(t *testing.T) {
	eachForge(t, "", func(t *testing.T, r *rig) {
		a, b := r.add("a"), r.add("b")
		r.importAll(mirror.ImportOptions{})
		r.modify("2", "project:other")
		r.push()
		// b changes a minute before a, so a's change is the newest seen.
		now := time.Now()
		r.fake.Edit(r.repo, b, func(is *forge.Issue) { is.Title = "b edited"; is.UpdatedAt = now.Add(time.Minute) })
		r.fake.Edit(r.repo, a, func(is *forge.Issue) { is.Title = "a edited"; is.UpdatedAt = now.Add(2 * time.Minute) })
		res, err := mirror.Sync(r.ctx, r.env, r.eng, r.st, mirror.SyncOptions{Filter: "project:app"})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Pulled) != 1 || res.Pulled[0].ID != 1 {
			t.Fatalf("the filtered sync pulled %+v, want task 1", res.Pulled)
		}
		res = r.sync()
		if len(res.Pulled) != 1 || res.Pulled[0].ID != 2 {
			t.Errorf("the next sync pulled %+v, want task 2", res.Pulled)
		}
		if d := r.task("2").Description; d != "b edited" {
			t.Errorf("task 2 is %q", d)
		}
	})
}

func TestAnIssueLeftAloneForAnOwedChangeIsPulledLater(t *testing.T) {
	eachForge(t, "", func(t *testing.T, r *rig) {
		iid := r.fake.AddIssue(r.repo, forge.Issue{Title: "a", Labels: []string{"ux"}})
		ref := r.importOne(iid)
		// A local tag the issue already has as a label: delivering it
		// writes nothing upstream, so the issue's updated_at stays.
		// Another issue changes later, so this one's change is not the
		// newest seen.
		other := r.add("b")
		r.importOne(other)
		now := time.Now()
		r.fake.Edit(r.repo, iid, func(is *forge.Issue) {
			is.Labels, is.Milestone, is.UpdatedAt = []string{"ux", "perf"}, "v9", now.Add(time.Minute)
		})
		r.fake.Edit(r.repo, other, func(is *forge.Issue) { is.Title = "b edited"; is.UpdatedAt = now.Add(2 * time.Minute) })
		r.modify(ref, "+perf")
		r.fake.Fail(http.MethodGet, 1, http.StatusBadGateway, 0)
		if res := r.sync(); res.Owed != 1 || len(res.Pulled) != 1 || res.Pulled[0].Issue != r.repo+"#2" {
			t.Fatalf("owed %d, pulled %+v; want the tag owed and only #2 pulled", res.Owed, res.Pulled)
		}
		r.sync()
		if task := r.task(ref); task.Extra["milestone"] != "v9" {
			t.Errorf("the milestone set upstream was never pulled: extra %v", task.Extra)
		}
	})
}

func TestASyncOfARepositoryThatIsGoneSaysSo(t *testing.T) {
	eachForge(t, "", func(t *testing.T, r *rig) {
		r.importOne(r.add("a"))
		// The task's link names a repository the fake does not have, as
		// after the repository was deleted or made private.
		gone := r.task("1").Source
		gone.Project = "acme/moved"
		if _, err := r.eng.PullIssues(r.ctx, []string{r.task("1").UUID}, func(cur *backlog.Task, _ *string) engine.PullChange {
			cur.Source = gone
			return engine.PullChange{Task: cur}
		}); err != nil {
			t.Fatal(err)
		}
		res := r.sync()
		if len(res.Repos) != 1 || res.Repos[0].Error != "the repository is gone, or the token may not see it" {
			t.Errorf("repos %+v", res.Repos)
		}
	})
}
