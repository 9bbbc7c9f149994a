package gitlab

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/agent-backlog/backlog/forge"
)

// Comment posts a note on one issue.
func (f *Forge) Comment(ctx context.Context, project string, iid int64, body string) error {
	if strings.TrimSpace(body) == "" {
		return errors.New("a comment needs some text")
	}
	in := struct {
		Body string `json:"body"`
	}{body}
	_, err := f.client.do(ctx, http.MethodPost, issuePath(project, iid)+"/notes", nil, &in, nil)
	return f.classify(err, "the comment on "+ref(project, iid))
}

// Comments returns the bodies of every note people wrote on one issue,
// oldest first, from every page; GitLab's system notes ("added ~Doing
// label", "closed") are left out.
func (f *Forge) Comments(ctx context.Context, project string, iid int64) ([]string, error) {
	q := url.Values{"per_page": {strconv.Itoa(perPage)}, "order_by": {"created_at"}, "sort": {"asc"}}
	path := issuePath(project, iid) + "/notes"
	var out []string
	for page := 1; page > 0; {
		q.Set("page", strconv.Itoa(page))
		var notes []noteJSON
		resp, err := f.client.do(ctx, http.MethodGet, path, q, nil, &notes)
		if err != nil {
			return nil, f.classify(err, "the comments of "+ref(project, iid))
		}
		for _, n := range notes {
			if !n.System {
				out = append(out, n.Body)
			}
		}
		page = nextPage(resp.Header, page)
	}
	return out, nil
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
	var users []userJSON
	_, err := f.client.do(ctx, http.MethodGet, "/users", url.Values{"username": {username}}, nil, &users)
	if err != nil {
		err = f.classify(err, "the lookup of user "+username)
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
