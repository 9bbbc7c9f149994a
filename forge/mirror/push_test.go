package mirror_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/forge"
	"github.com/agent-backlog/backlog/forge/mirror"
)

// updateMethod is the method that changes an issue on the forge.
func updateMethod(kind string) string {
	if kind == "github" {
		return http.MethodPatch
	}
	return http.MethodPut
}

const mappedAgents = `
[agents]
backend = "octo-bot"
`

// claimed imports an issue labelled To Do and claims its task as backend.
func (r *rig) claimed() (int64, string) {
	r.t.Helper()
	iid := r.add("Fix the login", "To Do", "bug")
	ref := r.importOne(iid)
	if _, err := r.eng.Claim(r.ctx, engine.ClaimOptions{ID: ref, Agent: "backend"}); err != nil {
		r.t.Fatal(err)
	}
	if res := r.push(); res.Pushed != 1 || len(res.Owed) != 0 {
		r.t.Fatalf("the claim's push: pushed %d, owed %d", res.Pushed, len(res.Owed))
	}
	return iid, ref
}

func TestAClaimAssignsTheMappedUsernameAndMovesTheStatusLabel(t *testing.T) {
	eachForge(t, mappedAgents, func(t *testing.T, r *rig) {
		iid, _ := r.claimed()
		is := r.issue(iid)
		if !slices.Equal(is.Assignees, []string{"octo-bot"}) || !hasFold(is.Labels, "Doing") || hasFold(is.Labels, "To Do") || !hasFold(is.Labels, "bug") {
			t.Errorf("after the claim: assignees %q, labels %q; want octo-bot, Doing and bug without To Do", is.Assignees, is.Labels)
		}
		writes := r.fake.Writes()
		if res := r.push(); res.Pushed != 0 || r.fake.Writes() != writes {
			t.Errorf("a second push delivered %d and wrote %d times", res.Pushed, r.fake.Writes()-writes)
		}
	})
}

func TestAClaimWithoutAMappingUsesTheAgentIdAsUsername(t *testing.T) {
	eachForge(t, "", func(t *testing.T, r *rig) {
		iid := r.add("a")
		ref := r.importOne(iid)
		if _, err := r.eng.Claim(r.ctx, engine.ClaimOptions{ID: ref, Agent: "carol"}); err != nil {
			t.Fatal(err)
		}
		r.push()
		if is := r.issue(iid); !slices.Equal(is.Assignees, []string{"carol"}) {
			t.Errorf("assignees %q, want carol", is.Assignees)
		}
	})
}

func TestAReleaseUnassignsAndPutsTheIssueBackToDo(t *testing.T) {
	eachForge(t, mappedAgents, func(t *testing.T, r *rig) {
		iid, ref := r.claimed()
		if _, err := r.eng.Release(r.ctx, ref, "", true); err != nil {
			t.Fatal(err)
		}
		if res := r.push(); res.Pushed != 1 {
			t.Fatalf("pushed %d, want 1", res.Pushed)
		}
		is := r.issue(iid)
		if len(is.Assignees) != 0 || hasFold(is.Labels, "Doing") || !hasFold(is.Labels, "To Do") {
			t.Errorf("after the release: assignees %q, labels %q", is.Assignees, is.Labels)
		}
	})
}

func TestDoneLabelsTheIssueAndClosesItWhenAsked(t *testing.T) {
	cases := []struct {
		name      string
		config    string
		opts      engine.DoneOptions
		closed    bool
		comments  []string
		annotated bool
	}{
		{name: "done alone labels the issue Done and leaves it open"},
		{name: "done with close closes it", opts: engine.DoneOptions{Close: true}, closed: true},
		{name: "done with a note posts the note as a comment and keeps it here", opts: engine.DoneOptions{Note: "Fixed in 4f2a9c1"}, comments: []string{"Fixed in 4f2a9c1"}, annotated: true},
		{name: "done with close and a note does both", opts: engine.DoneOptions{Close: true, Note: "Shipped"}, closed: true, comments: []string{"Shipped"}, annotated: true},
		{name: "close_on_done closes on every done", config: "close_on_done = true\n", closed: true},
		{name: "a repository's own close_on_done", config: "[\"acme/app\"]\nclose_on_done = true\n[\"acme/platform/app\"]\nclose_on_done = true\n", closed: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			eachForge(t, c.config+"\n"+mappedAgents, func(t *testing.T, r *rig) {
				iid, ref := r.claimed()
				if _, err := r.eng.DoneWith(r.ctx, ref, c.opts); err != nil {
					t.Fatal(err)
				}
				if res := r.push(); res.Pushed != 1 || len(res.Owed) != 0 {
					t.Fatalf("pushed %d, owed %d", res.Pushed, len(res.Owed))
				}
				is := r.issue(iid)
				if is.Closed != c.closed || !hasFold(is.Labels, "Done") || hasFold(is.Labels, "Doing") {
					t.Errorf("closed %v, labels %q; want closed %v, Done without Doing", is.Closed, is.Labels, c.closed)
				}
				if got := r.fake.Comments(r.repo, iid); !slices.Equal(got, c.comments) {
					t.Errorf("comments %q, want %q", got, c.comments)
				}
				task := r.task(ref)
				noted := false
				for _, a := range task.Annotations {
					noted = noted || a.Description == c.opts.Note
				}
				if noted != c.annotated {
					t.Errorf("annotations %v; the note kept: %v, want %v", task.Annotations, noted, c.annotated)
				}
			})
		})
	}
}

func TestEditsOfTheTaskChangeTheIssue(t *testing.T) {
	eachForge(t, "", func(t *testing.T, r *rig) {
		iid := r.fake.AddIssue(r.repo, forge.Issue{Title: "Old title", Body: "old body", Labels: []string{"Bug", "To Do", "area/api"}})
		ref := r.importOne(iid)

		r.modify(ref, "New", "title", "+ux", "-bug")
		if res := r.push(); res.Pushed != 1 {
			t.Fatalf("the modify's push delivered %d", res.Pushed)
		}
		is := r.issue(iid)
		if is.Title != "New title" || !hasFold(is.Labels, "ux") || hasFold(is.Labels, "Bug") || !hasFold(is.Labels, "To Do") || !hasFold(is.Labels, "area/api") {
			t.Errorf("after modify: title %q, labels %q", is.Title, is.Labels)
		}

		if _, err := r.eng.DocWrite(r.ctx, ref, "# New body\n"); err != nil {
			t.Fatal(err)
		}
		r.push()
		if is := r.issue(iid); is.Body != "# New body\n" {
			t.Errorf("after doc write: body %q", is.Body)
		}
		if _, err := r.eng.DocDelete(r.ctx, ref); err != nil {
			t.Fatal(err)
		}
		r.push()
		if is := r.issue(iid); is.Body != "" {
			t.Errorf("after doc delete: body %q", is.Body)
		}
		// The backlog's own doc tag is never a label.
		if is := r.issue(iid); hasFold(is.Labels, "doc") {
			t.Errorf("labels %q carry the doc tag", is.Labels)
		}
	})
}

func TestAnnotationsStayLocalUnlessTheyAreToBeComments(t *testing.T) {
	for _, c := range []struct {
		config string
		want   []string
	}{
		{"", nil},
		{"comment_annotations = true\n", []string{"tried the fix on Safari"}},
	} {
		name := "by default"
		if c.config != "" {
			name = "with comment_annotations"
		}
		t.Run(name, func(t *testing.T) {
			eachForge(t, c.config, func(t *testing.T, r *rig) {
				iid := r.add("a")
				ref := r.importOne(iid)
				if _, err := r.eng.Annotate(r.ctx, ref, "tried the fix on Safari"); err != nil {
					t.Fatal(err)
				}
				r.push()
				if got := r.fake.Comments(r.repo, iid); !slices.Equal(got, c.want) {
					t.Errorf("comments %q, want %q", got, c.want)
				}
				if c.want == nil && r.fake.Writes() != 0 {
					t.Errorf("%d writes upstream:%s", r.fake.Writes(), requestLog(r.fake))
				}
				if n := len(r.owed()); n != 0 {
					t.Errorf("%d items still owed", n)
				}
			})
		})
	}
}

func TestDeleteAndRemoveNeverTouchTheIssue(t *testing.T) {
	eachForge(t, mappedAgents, func(t *testing.T, r *rig) {
		iid, ref := r.claimed()
		other := r.importOne(r.add("b", "bug"))
		before, writes := r.issue(iid), r.fake.Writes()
		if _, err := r.eng.Delete(r.ctx, ref); err != nil {
			t.Fatal(err)
		}
		if _, err := r.eng.Remove(r.ctx, other); err != nil {
			t.Fatal(err)
		}
		if n := len(r.owed()); n != 0 {
			t.Errorf("delete and remove owe %d changes upstream", n)
		}
		r.push()
		if r.fake.Writes() != writes {
			t.Errorf("delete and remove wrote upstream:%s", requestLog(r.fake))
		}
		after := r.issue(iid)
		if after.Closed != before.Closed || !slices.Equal(after.Labels, before.Labels) || !slices.Equal(after.Assignees, before.Assignees) {
			t.Errorf("the issue changed: %+v → %+v", before, after)
		}
	})
}

func TestAGoneIssueKeepsTheLocalChangeAndIsAnnotated(t *testing.T) {
	eachForge(t, "", func(t *testing.T, r *rig) {
		iid := r.add("a")
		ref := r.importOne(iid)
		r.fake.Delete(r.repo, iid)
		if _, err := r.eng.Claim(r.ctx, engine.ClaimOptions{ID: ref, Agent: "bob"}); err != nil {
			t.Fatal(err)
		}
		res := r.push()
		if len(res.Gone) != 1 || res.Gone[0] != r.repo+"#1" || len(res.Owed) != 0 {
			t.Fatalf("gone %q, owed %d; want %s#1 and nothing owed", res.Gone, len(res.Owed), r.repo)
		}
		task := r.task(ref)
		if task.Agent != "bob" {
			t.Errorf("the claim was lost: agent %q", task.Agent)
		}
		notes := 0
		for _, a := range task.Annotations {
			if a.Description == "upstream issue gone (404)" {
				notes++
			}
		}
		if notes != 1 {
			t.Errorf("annotations %v, want one 'upstream issue gone (404)'", task.Annotations)
		}
		// A later change to the task is not retried forever, nor annotated twice.
		if _, err := r.eng.DoneWith(r.ctx, ref, engine.DoneOptions{}); err != nil {
			t.Fatal(err)
		}
		r.push()
		if n := len(r.owed()); n != 0 {
			t.Errorf("%d items owed for a gone issue", n)
		}
		notes = 0
		for _, a := range r.task(ref).Annotations {
			if a.Description == "upstream issue gone (404)" {
				notes++
			}
		}
		if notes != 1 {
			t.Errorf("%d gone annotations after a second change, want 1", notes)
		}
		st, err := mirror.ReadStatus(r.ctx, r.eng, r.st)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Gone) != 1 || st.Gone[0].ID != task.ID {
			t.Errorf("sync --status lists gone %+v, want task %d", st.Gone, task.ID)
		}
	})
}

func TestAForgeThatIsDownOwesTheChangeUntilSyncDeliversIt(t *testing.T) {
	eachForge(t, mappedAgents, func(t *testing.T, r *rig) {
		iid := r.add("a", "To Do")
		ref := r.importOne(iid)
		// The forge answers the push's first request 503, then recovers.
		r.fake.Fail("", 1, http.StatusServiceUnavailable, 0)
		if _, err := r.eng.Claim(r.ctx, engine.ClaimOptions{ID: ref, Agent: "backend"}); err != nil {
			t.Fatal(err)
		}
		if _, err := r.eng.DoneWith(r.ctx, ref, engine.DoneOptions{Close: true, Note: "done and dusted"}); err != nil {
			t.Fatal(err)
		}
		res := r.push()
		if res.Pushed != 0 || len(res.Owed) != 2 || len(res.Failed) != 1 {
			t.Fatalf("pushed %d, owed %d, tried %d; want 0, 2, 1 (the done waits behind the claim)", res.Pushed, len(res.Owed), len(res.Failed))
		}
		for _, err := range res.Failed {
			if !forge.IsUnavailable(err) || !strings.Contains(err.Error(), "503") {
				t.Errorf("the failure is %v, want the forge's 503", err)
			}
		}
		if task := r.task(ref); task.Agent != "backend" || task.Status != "completed" {
			t.Errorf("the local change did not stand: agent %q, status %s", task.Agent, task.Status)
		}
		st, err := mirror.ReadStatus(r.ctx, r.eng, r.st)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Owed) != 2 || st.Owed[0].Op != "claim" || st.Owed[1].Op != "done" || st.Owed[0].LastError == "" {
			t.Errorf("status owed %+v, want the claim (with its error) then the done", st.Owed)
		}
		if r.fake.Writes() != 0 {
			t.Fatalf("%d writes while the forge was down", r.fake.Writes())
		}

		sres := r.sync()
		if sres.Pushed != 2 || sres.Owed != 0 {
			t.Fatalf("sync pushed %d, owed %d; want 2, 0", sres.Pushed, sres.Owed)
		}
		is := r.issue(iid)
		if !is.Closed || !slices.Equal(is.Assignees, []string{"octo-bot"}) || !hasFold(is.Labels, "Done") || hasFold(is.Labels, "Doing") || hasFold(is.Labels, "To Do") {
			t.Errorf("after recovery: %+v", is)
		}
		if got := r.fake.Comments(r.repo, iid); !slices.Equal(got, []string{"done and dusted"}) {
			t.Errorf("comments %q", got)
		}
		writes := r.fake.Writes()
		r.sync()
		if r.fake.Writes() != writes {
			t.Errorf("a second sync wrote %d times", r.fake.Writes()-writes)
		}
	})
}

func TestARateLimitIsWaitedOutAsTheForgeAsks(t *testing.T) {
	eachForge(t, "", func(t *testing.T, r *rig) {
		iid := r.add("a")
		ref := r.importOne(iid)
		r.fake.Fail(updateMethod(r.kind), 1, http.StatusTooManyRequests, time.Second)
		if _, err := r.eng.Claim(r.ctx, engine.ClaimOptions{ID: ref, Agent: "bob"}); err != nil {
			t.Fatal(err)
		}
		res := r.push()
		if res.Pushed != 1 || len(res.Owed) != 0 {
			t.Fatalf("pushed %d, owed %d; want the claim delivered after the wait", res.Pushed, len(res.Owed))
		}
		if is := r.issue(iid); !slices.Equal(is.Assignees, []string{"bob"}) {
			t.Errorf("assignees %q", is.Assignees)
		}
		// The retry came no sooner than Retry-After said.
		var limited, retried time.Time
		for _, q := range r.fake.Requests() {
			if q.Method != updateMethod(r.kind) {
				continue
			}
			if q.Status == http.StatusTooManyRequests {
				limited = q.At
			} else if !limited.IsZero() && retried.IsZero() {
				retried = q.At
			}
		}
		if limited.IsZero() || retried.IsZero() || retried.Sub(limited) < 900*time.Millisecond {
			t.Errorf("429 at %v, retried at %v: want a wait of Retry-After (1s):%s", limited, retried, requestLog(r.fake))
		}
	})
}

func TestARateLimitPastTheBoundKeepsTheChangeOwed(t *testing.T) {
	eachForge(t, "", func(t *testing.T, r *rig) {
		iid := r.add("a")
		ref := r.importOne(iid)
		r.env.MaxWait = time.Second
		r.fake.Fail(updateMethod(r.kind), 1, http.StatusTooManyRequests, time.Hour)
		if _, err := r.eng.Claim(r.ctx, engine.ClaimOptions{ID: ref, Agent: "bob"}); err != nil {
			t.Fatal(err)
		}
		res := r.push()
		if res.Pushed != 0 || len(res.Owed) != 1 {
			t.Fatalf("pushed %d, owed %d; want the claim owed", res.Pushed, len(res.Owed))
		}
		for _, err := range res.Failed {
			if !strings.Contains(err.Error(), "rate-limiting") {
				t.Errorf("the failure is %q, want a rate limit named", err)
			}
		}
		r.sync()
		if is := r.issue(iid); !slices.Equal(is.Assignees, []string{"bob"}) {
			t.Errorf("after sync: assignees %q", is.Assignees)
		}
	})
}

func TestAPushCutShortIsDeliveredOnceByTheNext(t *testing.T) {
	eachForge(t, "", func(t *testing.T, r *rig) {
		iid := r.add("a")
		ref := r.importOne(iid)
		if _, err := r.eng.Claim(r.ctx, engine.ClaimOptions{ID: ref, Agent: "bob"}); err != nil {
			t.Fatal(err)
		}
		if _, err := r.eng.DoneWith(r.ctx, ref, engine.DoneOptions{Note: "noted"}); err != nil {
			t.Fatal(err)
		}
		// The comment's POST hangs until the command's push budget ends;
		// the claim and the done's labels got there first.
		r.fake.Hang(http.MethodPost, 1)
		ctx, cancel := context.WithTimeout(r.ctx, 500*time.Millisecond)
		res, err := mirror.Push(ctx, r.env, r.eng, r.st, mirror.PushOptions{})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Owed) != 1 {
			t.Fatalf("owed %d after the hang, want the done", len(res.Owed))
		}
		res = r.push()
		if res.Pushed != 1 || len(res.Owed) != 0 {
			t.Fatalf("the next push: pushed %d, owed %d", res.Pushed, len(res.Owed))
		}
		if got := r.fake.Comments(r.repo, iid); !slices.Equal(got, []string{"noted"}) {
			t.Errorf("comments %q, want the note once", got)
		}
		r.push()
		if got := r.fake.Comments(r.repo, iid); len(got) != 1 {
			t.Errorf("comments %q after another push", got)
		}
	})
}

func TestARepositorysOwnLabelNamesAreTheOnesSetAndNeverTags(t *testing.T) {
	const config = `
[labels]
doing = "in progress"

["acme/app"]
labels = {todo = "ready", done = "shipped"}
["acme/platform/app"]
labels = {todo = "ready", done = "shipped"}
`
	eachForge(t, config, func(t *testing.T, r *rig) {
		iid := r.fake.AddIssue(r.repo, forge.Issue{Title: "a", Labels: []string{"Ready", "In Progress", "Good First Issue"}})
		ref := r.importOne(iid)
		if tags := r.task(ref).Tags; !slices.Equal(tags, []string{"good-first-issue"}) {
			t.Errorf("tags %q, want the status labels left out", tags)
		}
		if _, err := r.eng.Claim(r.ctx, engine.ClaimOptions{ID: ref, Agent: "bob"}); err != nil {
			t.Fatal(err)
		}
		r.modify(ref, "-good-first-issue")
		if _, err := r.eng.DoneWith(r.ctx, ref, engine.DoneOptions{}); err != nil {
			t.Fatal(err)
		}
		if res := r.push(); res.Pushed != 3 {
			t.Fatalf("pushed %d, want 3", res.Pushed)
		}
		is := r.issue(iid)
		if !hasFold(is.Labels, "shipped") || hasFold(is.Labels, "in progress") || hasFold(is.Labels, "ready") || hasFold(is.Labels, "Good First Issue") {
			t.Errorf("labels %q, want shipped alone", is.Labels)
		}
	})
}

func TestACommentInFlightIsMarkedSoThatAKilledProcessDoesNotPostItTwice(t *testing.T) {
	eachForge(t, "", func(t *testing.T, r *rig) {
		iid := r.add("a")
		ref := r.importOne(iid)
		if _, err := r.eng.DoneWith(r.ctx, ref, engine.DoneOptions{Note: "shipped"}); err != nil {
			t.Fatal(err)
		}
		r.fake.Hang(http.MethodPost, 1)
		ctx, cancel := context.WithCancel(r.ctx)
		done := make(chan error, 1)
		go func() {
			_, err := mirror.Push(ctx, r.env, r.eng, r.st, mirror.PushOptions{})
			done <- err
		}()
		// While the comment's POST hangs, the outbox already says it may
		// be out: a process killed now leaves a marked item.
		var marked bool
		for deadline := time.Now().Add(30 * time.Second); !marked && time.Now().Before(deadline); {
			for _, q := range r.fake.Requests() {
				if q.Method == http.MethodPost && q.Status == 0 {
					items := r.owed()
					marked = len(items) == 1 && items[0].Attempts == 1 && items[0].LastError == "interrupted while posting a comment"
					if !marked {
						t.Fatalf("the outbox while the comment is posted: %+v", items[0])
					}
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if !marked {
			t.Fatal("the comment's POST never hung")
		}
		if res := r.push(); res.Pushed != 1 {
			t.Fatalf("the next push delivered %d", res.Pushed)
		}
		if c := r.fake.Comments(r.repo, iid); !slices.Equal(c, []string{"shipped"}) {
			t.Errorf("comments %q", c)
		}
	})
}
