package github

import (
	"context"
	"strconv"
	"strings"
	"time"

	gh "github.com/google/go-github/v92/github"

	"github.com/agent-backlog/backlog/forge"
)

// perPage is GitHub's largest page: fewer round trips for a big import.
const perPage = 100

// List calls page with every page of the repository's issues, pull
// requests left out. Without opts.Search it walks the repository's issue
// list; with it, GitHub's issue search.
func (f *Forge) List(ctx context.Context, project string, opts forge.ListOptions, page func([]forge.Issue) error) error {
	owner, repo, err := splitRepo(project)
	if err != nil {
		return err
	}
	if opts.Search != "" {
		return f.search(ctx, owner, repo, opts, page)
	}
	lo := &gh.IssueListByRepoOptions{
		State:       "open",
		Labels:      opts.Labels,
		Since:       opts.Since,
		ListOptions: gh.ListOptions{PerPage: perPage},
	}
	if opts.All {
		lo.State = "all"
	}
	for {
		got, resp, err := f.client.Issues.ListByRepo(bypass(ctx), owner, repo, lo)
		if err != nil {
			return f.classify(resp, err)
		}
		if err := page(issues(got, opts)); err != nil {
			return err
		}
		if resp.NextPage == 0 || resp.NextPage <= lo.ListOptions.Page {
			return nil
		}
		lo.ListOptions.Page = resp.NextPage
	}
}

// search walks GitHub's issue search for `repo:O/R is:issue is:open Q`,
// one label qualifier per label. Search has no since parameter, so Since
// is applied to what comes back.
func (f *Forge) search(ctx context.Context, owner, repo string, opts forge.ListOptions, page func([]forge.Issue) error) error {
	q := searchQuery(owner, repo, opts)
	so := &gh.SearchOptions{ListOptions: gh.ListOptions{PerPage: perPage}}
	for {
		got, resp, err := f.client.Search.Issues(bypass(ctx), q, so)
		if err != nil {
			return f.classify(resp, err)
		}
		if err := page(issues(got.Issues, opts)); err != nil {
			return err
		}
		if resp.NextPage == 0 || resp.NextPage <= so.Page {
			return nil
		}
		so.Page = resp.NextPage
	}
}

// searchQuery is the q of a search: the repository, issues only, open
// ones unless opts.All, the user's words, then a quoted label qualifier
// per label.
func searchQuery(owner, repo string, opts forge.ListOptions) string {
	parts := []string{"repo:" + owner + "/" + repo, "is:issue"}
	if !opts.All {
		parts = append(parts, "is:open")
	}
	parts = append(parts, strings.TrimSpace(opts.Search))
	for _, l := range opts.Labels {
		parts = append(parts, "label:"+strconv.Quote(l))
	}
	return strings.Join(parts, " ")
}

// issues converts one page, leaving out pull requests and, for a search,
// issues updated before opts.Since.
func issues(got []*gh.Issue, opts forge.ListOptions) []forge.Issue {
	out := make([]forge.Issue, 0, len(got))
	for _, i := range got {
		if i == nil || i.IsPullRequest() {
			continue
		}
		iss := toIssue(i)
		if !opts.Since.IsZero() && iss.UpdatedAt.Before(opts.Since.Truncate(time.Second)) {
			continue
		}
		out = append(out, iss)
	}
	return out
}
