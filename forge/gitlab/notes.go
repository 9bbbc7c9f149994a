package gitlab

import (
	"context"
	"errors"
	"strings"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"github.com/agent-backlog/backlog/forge"
)

// Comment posts a note on one issue.
func (f *Forge) Comment(ctx context.Context, project string, iid int64, body string) error {
	if strings.TrimSpace(body) == "" {
		return errors.New("a comment needs some text")
	}
	_, resp, err := f.client.Notes.CreateIssueNote(project, iid, &gl.CreateIssueNoteOptions{Body: &body}, gl.WithContext(ctx))
	return f.classify(err, resp, "the comment on "+ref(project, iid))
}

// Comments returns the bodies of every note people wrote on one issue,
// oldest first, from every page; GitLab's system notes ("added ~Doing
// label", "closed") are left out.
func (f *Forge) Comments(ctx context.Context, project string, iid int64) ([]string, error) {
	opt := &gl.ListIssueNotesOptions{
		ListOptions: gl.ListOptions{PerPage: perPage, Page: 1},
		OrderBy:     gl.Ptr("created_at"),
		Sort:        gl.Ptr("asc"),
	}
	var out []string
	for {
		notes, resp, err := f.client.Notes.ListIssueNotes(project, iid, opt, gl.WithContext(ctx))
		if err != nil {
			return nil, f.classify(err, resp, "the comments of "+ref(project, iid))
		}
		for _, n := range notes {
			if !n.System {
				out = append(out, n.Body)
			}
		}
		if resp.NextPage <= opt.Page {
			return out, nil
		}
		opt.Page = resp.NextPage
	}
}

// userID is the id of a GitLab username, 0 when GitLab knows no such user.
// Answers are kept for the Forge's life: a claim looks its agent up once.
func (f *Forge) userID(ctx context.Context, username string) (int64, error) {
	key := strings.ToLower(username)
	f.mu.Lock()
	id, ok := f.users[key]
	f.mu.Unlock()
	if ok {
		return id, nil
	}
	users, resp, err := f.client.Users.ListUsers(&gl.ListUsersOptions{Username: &username}, gl.WithContext(ctx))
	if err != nil {
		err = f.classify(err, resp, "the lookup of user "+username)
		if !forge.IsGone(err) {
			return 0, err
		}
	}
	for _, u := range users {
		if strings.EqualFold(u.Username, username) {
			id = u.ID
		}
	}
	f.mu.Lock()
	f.users[key] = id
	f.mu.Unlock()
	return id, nil
}
