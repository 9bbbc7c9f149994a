package mirror_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/forge"
	"github.com/agent-backlog/backlog/forge/forgetest"
	"github.com/agent-backlog/backlog/forge/github/githubfake"
	"github.com/agent-backlog/backlog/forge/gitlab/gitlabfake"
	"github.com/agent-backlog/backlog/forge/mirror"
	"github.com/agent-backlog/backlog/sqlite"
)

func fakes(t *testing.T) map[string]forgetest.Fake {
	gh, gl := githubfake.New(), gitlabfake.New()
	t.Cleanup(gh.Close)
	t.Cleanup(gl.Close)
	return map[string]forgetest.Fake{"github": gh, "gitlab": gl}
}

func TestAnImportedIssueIsClaimedAndCompletedUpstream(t *testing.T) {
	for kind, fake := range fakes(t) {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			repo := "acme/app"
			if kind == "gitlab" {
				repo = "acme/platform/app"
			}
			for i := 0; i < 5; i++ {
				fake.AddIssue(repo, forge.Issue{Title: "Issue " + string(rune('A'+i)), Body: "Body", Labels: []string{"bug", "P1"}})
			}
			fake.AddPullRequest(repo, "A pull request")
			st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "b.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			eng := engine.New(st, engine.Options{Agent: "bob"})
			vars := map[string]string{"GITHUB_TOKEN": fake.Token(), "GITLAB_TOKEN": fake.Token(), "GITHUB_API_URL": fake.URL(), "GITLAB_HOST": fake.URL()}
			env := &mirror.Env{Getenv: func(k string) string { return vars[k] }, MaxWait: 5 * time.Second}
			f, err := env.Open(kind, fake.URL())
			if err != nil {
				t.Fatal(err)
			}
			res, err := mirror.Import(ctx, env, f, eng, st, mirror.ImportOptions{Repo: repo})
			if err != nil || res.Imported != 5 {
				t.Fatalf("import: %+v %v", res, err)
			}
			again, err := mirror.Import(ctx, env, f, eng, st, mirror.ImportOptions{Repo: repo})
			if err != nil || again.Imported != 0 || again.Already != 5 {
				t.Fatalf("second import: %+v %v", again, err)
			}
			if _, err := eng.Claim(ctx, engine.ClaimOptions{ID: "1", Agent: "bob"}); err != nil {
				t.Fatal(err)
			}
			if _, err := eng.DoneWith(ctx, "1", engine.DoneOptions{Close: true, Note: "shipped"}); err != nil {
				t.Fatal(err)
			}
			pr, err := mirror.Push(ctx, env, eng, st, mirror.PushOptions{})
			if err != nil || pr.Pushed != 2 || len(pr.Owed) != 0 {
				t.Fatalf("push: %+v %v", pr, err)
			}
			iid := res.Tasks[0].Source.IID
			is, _ := fake.Issue(repo, iid)
			if !is.Closed || strings.Join(is.Assignees, ",") != "bob" || !contains(is.Labels, "Done") || contains(is.Labels, "Doing") {
				t.Errorf("upstream issue = %+v", is)
			}
			if c := fake.Comments(repo, iid); len(c) != 1 || c[0] != "shipped" {
				t.Errorf("comments = %q", c)
			}
		})
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
