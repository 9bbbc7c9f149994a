package gitlab

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agent-backlog/backlog/forge"
)

// perPage is the most GitLab sends in one page.
const perPage = 100

// List calls page with every page of the project's issues (open ones, or
// all with opts.All), newest first as GitLab orders them. The project is a
// path (group/sub/project) or a numeric id. GitLab takes updated_after to
// the second, so issues updated earlier within that second are dropped
// here.
func (f *Forge) List(ctx context.Context, project string, opts forge.ListOptions, page func([]forge.Issue) error) error {
	q := url.Values{"per_page": {strconv.Itoa(perPage)}, "state": {"opened"}}
	if opts.All {
		q.Set("state", "all")
	}
	if len(opts.Labels) > 0 {
		q.Set("labels", strings.Join(opts.Labels, ","))
	}
	if opts.Search != "" {
		q.Set("search", opts.Search)
	}
	if !opts.Since.IsZero() {
		q.Set("updated_after", opts.Since.UTC().Format(time.RFC3339))
	}
	path := projectPath(project) + "/issues"
	for pageNo := 1; pageNo > 0; {
		q.Set("page", strconv.Itoa(pageNo))
		var got []issueJSON
		resp, err := f.client.do(ctx, http.MethodGet, path, q, nil, &got)
		if err != nil {
			err = f.classify(err, "the issue list of "+project)
			if forge.IsGone(err) {
				return fmt.Errorf("%s has no project %s, or the token in %s may not see it: %w", f.host, project, f.tokenVar, err)
			}
			return err
		}
		issues := make([]forge.Issue, 0, len(got))
		for i := range got {
			iss := toIssue(&got[i])
			if iss.UpdatedAt.Before(opts.Since) {
				continue
			}
			issues = append(issues, iss)
		}
		if len(issues) > 0 {
			if err := page(issues); err != nil {
				return err
			}
		}
		pageNo = nextPage(resp.Header, pageNo)
	}
	return nil
}

// Get reads one issue.
func (f *Forge) Get(ctx context.Context, project string, iid int64) (*forge.Issue, error) {
	is, err := f.issue(ctx, project, iid)
	if err != nil {
		return nil, err
	}
	iss := toIssue(is)
	return &iss, nil
}

// issue is GitLab's issue as it stands.
func (f *Forge) issue(ctx context.Context, project string, iid int64) (*issueJSON, error) {
	var is issueJSON
	if _, err := f.client.do(ctx, http.MethodGet, issuePath(project, iid), nil, nil, &is); err != nil {
		return nil, f.classify(err, "the read of "+ref(project, iid))
	}
	return &is, nil
}

// Update reads the issue, works out what would differ after u, and sends
// one PUT with only that: add_labels and remove_labels for the labels
// missing or present (so that labels a person changes meanwhile are kept),
// assignee_ids for the whole wanted list, state_event, title, description.
// When nothing would differ it writes nothing and returns false. A username
// GitLab does not know is skipped.
func (f *Forge) Update(ctx context.Context, project string, iid int64, u forge.Update) (bool, error) {
	if u.IsZero() {
		return false, nil
	}
	cur, err := f.issue(ctx, project, iid)
	if err != nil {
		return false, err
	}
	var opt issueUpdate
	changed := false
	if u.Title != nil && *u.Title != cur.Title {
		opt.Title, changed = u.Title, true
	}
	if u.Body != nil && *u.Body != cur.Description {
		opt.Description, changed = u.Body, true
	}
	add, remove := labelChanges(cur.Labels, u.AddLabels, u.RemoveLabels)
	if len(add) > 0 {
		opt.AddLabels, changed = strings.Join(add, ","), true
	}
	if len(remove) > 0 {
		opt.RemoveLabels, changed = strings.Join(remove, ","), true
	}
	ids, differ, err := f.assigneeIDs(ctx, cur, u.AddAssignees, u.RemoveAssignees)
	if err != nil {
		return false, err
	}
	if differ {
		opt.AssigneeIDs, changed = &ids, true
	}
	switch {
	case u.Close && cur.State != "closed":
		opt.StateEvent, changed = "close", true
	case u.Reopen && !u.Close && cur.State == "closed":
		opt.StateEvent, changed = "reopen", true
	}
	if !changed {
		return false, nil
	}
	if _, err := f.client.do(ctx, http.MethodPut, issuePath(project, iid), nil, &opt, nil); err != nil {
		return false, f.classify(err, "the change to "+ref(project, iid))
	}
	return true, nil
}

// labelChanges are the labels to add (wanted, not there) and to remove
// (there, unwanted, spelled as on the issue). GitLab matches label titles
// without regard to case; a label both added and removed is added.
func labelChanges(have, add, remove []string) (toAdd, toRemove []string) {
	for _, l := range add {
		if !containsFold(have, l) && !containsFold(toAdd, l) {
			toAdd = append(toAdd, l)
		}
	}
	for _, l := range have {
		if containsFold(remove, l) && !containsFold(add, l) {
			toRemove = append(toRemove, l)
		}
	}
	return toAdd, toRemove
}

// assigneeIDs is the issue's wanted assignee list: the current assignees
// not removed, then the added usernames GitLab knows; differ says whether
// it is not the current list.
func (f *Forge) assigneeIDs(ctx context.Context, cur *issueJSON, add, remove []string) (ids []int64, differ bool, err error) {
	current := cur.Assignees
	if len(current) == 0 && cur.Assignee != nil {
		current = []userJSON{*cur.Assignee}
	}
	ids = []int64{}
	var names []string
	for _, a := range current {
		if !containsFold(remove, a.Username) || containsFold(add, a.Username) {
			ids = append(ids, a.ID)
			names = append(names, a.Username)
		}
	}
	differ = len(ids) != len(current)
	for _, name := range add {
		name = strings.TrimPrefix(name, "@")
		if name == "" || containsFold(names, name) {
			continue
		}
		id, err := f.userID(ctx, name)
		if err != nil {
			return nil, false, err
		}
		if id == 0 || slices.Contains(ids, id) {
			continue
		}
		ids, names, differ = append(ids, id), append(names, name), true
	}
	return ids, differ, nil
}

// toIssue maps GitLab's issue to the backlog's.
func toIssue(is *issueJSON) forge.Issue {
	out := forge.Issue{
		IID: is.IID, Title: is.Title, Body: is.Description,
		Labels: is.Labels,
		Closed: is.State == "closed",
		URL:    is.WebURL,
	}
	for _, a := range is.Assignees {
		out.Assignees = append(out.Assignees, a.Username)
	}
	if len(out.Assignees) == 0 && is.Assignee != nil {
		out.Assignees = []string{is.Assignee.Username}
	}
	if is.Milestone != nil {
		out.Milestone = is.Milestone.Title
	}
	out.UpdatedAt = is.UpdatedAt
	return out
}

// ref names an issue in messages: group/project#12.
func ref(project string, iid int64) string { return project + "#" + strconv.FormatInt(iid, 10) }

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}
