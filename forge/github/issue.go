package github

import (
	"context"
	"net/http"
	"slices"
	"strings"

	gh "github.com/google/go-github/v92/github"

	"github.com/agent-backlog/backlog/forge"
)

// Get reads one issue.
func (f *Forge) Get(ctx context.Context, project string, iid int64) (*forge.Issue, error) {
	owner, repo, err := splitRepo(project)
	if err != nil {
		return nil, err
	}
	i, resp, err := f.client.Issues.Get(bypass(ctx), owner, repo, int(iid))
	if err != nil {
		return nil, f.classify(resp, err)
	}
	if i.IsPullRequest() {
		// GitHub serves pull requests on the issue routes too; the
		// backlog knows none, as the lists skip them.
		return nil, &forge.GoneError{Status: http.StatusNotFound}
	}
	iss := toIssue(i)
	return &iss, nil
}

// Update reads the issue, works out the title, body, labels, assignees and
// state the change asks for, and sends one PATCH with only what differs.
// An update already applied (a retried push) finds nothing to change and
// writes nothing.
func (f *Forge) Update(ctx context.Context, project string, iid int64, u forge.Update) (bool, error) {
	if u.IsZero() {
		return false, nil
	}
	owner, repo, err := splitRepo(project)
	if err != nil {
		return false, err
	}
	i, resp, err := f.client.Issues.Get(bypass(ctx), owner, repo, int(iid))
	if err != nil {
		return false, f.classify(resp, err)
	}
	req, changed := edit(toIssue(i), u)
	if !changed {
		return false, nil
	}
	if _, resp, err := f.client.Issues.Update(bypass(ctx), owner, repo, int(iid), req); err != nil {
		return false, f.classify(resp, err)
	}
	return true, nil
}

// edit is the PATCH that brings cur where u wants it, and whether there
// is anything to send. Label names and logins compare as GitHub compares
// them, without case.
func edit(cur forge.Issue, u forge.Update) (gh.UpdateIssueRequest, bool) {
	var req gh.UpdateIssueRequest
	changed := false
	if u.Title != nil && *u.Title != cur.Title {
		req.Title, changed = u.Title, true
	}
	if u.Body != nil && *u.Body != cur.Body {
		req.Body, changed = u.Body, true
	}
	if labels := apply(cur.Labels, u.RemoveLabels, u.AddLabels); !sameFold(labels, cur.Labels) {
		req.Labels, changed = labels, true
	}
	if logins := apply(cur.Assignees, u.RemoveAssignees, u.AddAssignees); !sameFold(logins, cur.Assignees) {
		req.Assignees, changed = logins, true
	}
	switch {
	case u.Close && !cur.Closed:
		req.State, changed = gh.Ptr("closed"), true
	case u.Reopen && cur.Closed:
		req.State, changed = gh.Ptr("open"), true
	}
	return req, changed
}

// apply removes then adds names, keeping cur's order and spelling; never
// nil, so that removing the last label sends an empty list.
func apply(cur, remove, add []string) []string {
	out := make([]string, 0, len(cur)+len(add))
	for _, n := range cur {
		if !containsFold(remove, n) && !containsFold(out, n) {
			out = append(out, n)
		}
	}
	for _, n := range add {
		if n != "" && !containsFold(out, n) {
			out = append(out, n)
		}
	}
	return out
}

func containsFold(names []string, n string) bool {
	return slices.ContainsFunc(names, func(m string) bool { return strings.EqualFold(m, n) })
}

func sameFold(a, b []string) bool {
	return slices.EqualFunc(a, b, strings.EqualFold)
}

// Comment posts body as a comment on the issue.
func (f *Forge) Comment(ctx context.Context, project string, iid int64, body string) error {
	owner, repo, err := splitRepo(project)
	if err != nil {
		return err
	}
	_, resp, err := f.client.Issues.CreateComment(bypass(ctx), owner, repo, int(iid), gh.IssueCommentRequest{Body: body})
	return f.classify(resp, err)
}

// Comments returns the bodies of every comment on the issue, oldest first.
func (f *Forge) Comments(ctx context.Context, project string, iid int64) ([]string, error) {
	owner, repo, err := splitRepo(project)
	if err != nil {
		return nil, err
	}
	opts := &gh.IssueListCommentsOptions{ListOptions: gh.ListOptions{PerPage: perPage}}
	var bodies []string
	for {
		got, resp, err := f.client.Issues.ListComments(bypass(ctx), owner, repo, int(iid), opts)
		if err != nil {
			return nil, f.classify(resp, err)
		}
		for _, c := range got {
			bodies = append(bodies, c.GetBody())
		}
		if resp.NextPage == 0 || resp.NextPage <= opts.Page {
			return bodies, nil
		}
		opts.Page = resp.NextPage
	}
}

// toIssue maps GitHub's issue to forge's: the assignee first, then the
// other assignees.
func toIssue(i *gh.Issue) forge.Issue {
	iss := forge.Issue{
		IID:       int64(i.GetNumber()),
		Title:     i.GetTitle(),
		Body:      i.GetBody(),
		Milestone: i.GetMilestone().GetTitle(),
		Closed:    i.GetState() == "closed",
		URL:       i.GetHTMLURL(),
		UpdatedAt: i.GetUpdatedAt().Time,
	}
	for _, l := range i.Labels {
		if name := l.GetName(); name != "" {
			iss.Labels = append(iss.Labels, name)
		}
	}
	if login := i.GetAssignee().GetLogin(); login != "" {
		iss.Assignees = append(iss.Assignees, login)
	}
	for _, a := range i.Assignees {
		if login := a.GetLogin(); login != "" && !containsFold(iss.Assignees, login) {
			iss.Assignees = append(iss.Assignees, login)
		}
	}
	return iss
}
