package githubfake

import (
	"fmt"
	"time"
)

// The JSON shapes below are GitHub's, with the members a client reads.

type userJSON struct {
	Login     string `json:"login"`
	ID        int64  `json:"id"`
	NodeID    string `json:"node_id"`
	AvatarURL string `json:"avatar_url"`
	URL       string `json:"url"`
	HTMLURL   string `json:"html_url"`
	Type      string `json:"type"`
	SiteAdmin bool   `json:"site_admin"`
}

type labelJSON struct {
	ID          int64   `json:"id"`
	NodeID      string  `json:"node_id"`
	URL         string  `json:"url"`
	Name        string  `json:"name"`
	Color       string  `json:"color"`
	Default     bool    `json:"default"`
	Description *string `json:"description"`
}

type milestoneJSON struct {
	URL     string `json:"url"`
	HTMLURL string `json:"html_url"`
	ID      int64  `json:"id"`
	NodeID  string `json:"node_id"`
	Number  int    `json:"number"`
	Title   string `json:"title"`
	State   string `json:"state"`
}

type pullLinksJSON struct {
	URL      string `json:"url"`
	HTMLURL  string `json:"html_url"`
	DiffURL  string `json:"diff_url"`
	PatchURL string `json:"patch_url"`
}

type issueJSON struct {
	URL               string         `json:"url"`
	RepositoryURL     string         `json:"repository_url"`
	LabelsURL         string         `json:"labels_url"`
	CommentsURL       string         `json:"comments_url"`
	EventsURL         string         `json:"events_url"`
	HTMLURL           string         `json:"html_url"`
	ID                int64          `json:"id"`
	NodeID            string         `json:"node_id"`
	Number            int64          `json:"number"`
	Title             string         `json:"title"`
	User              userJSON       `json:"user"`
	Labels            []labelJSON    `json:"labels"`
	State             string         `json:"state"`
	StateReason       *string        `json:"state_reason"`
	Locked            bool           `json:"locked"`
	Assignee          *userJSON      `json:"assignee"`
	Assignees         []userJSON     `json:"assignees"`
	Milestone         *milestoneJSON `json:"milestone"`
	Comments          int            `json:"comments"`
	CreatedAt         string         `json:"created_at"`
	UpdatedAt         string         `json:"updated_at"`
	ClosedAt          *string        `json:"closed_at"`
	AuthorAssociation string         `json:"author_association"`
	Body              *string        `json:"body"`
	PullRequest       *pullLinksJSON `json:"pull_request,omitempty"`
	Score             *float64       `json:"score,omitempty"`
}

type commentJSON struct {
	URL               string   `json:"url"`
	HTMLURL           string   `json:"html_url"`
	IssueURL          string   `json:"issue_url"`
	ID                int64    `json:"id"`
	NodeID            string   `json:"node_id"`
	User              userJSON `json:"user"`
	Body              string   `json:"body"`
	CreatedAt         string   `json:"created_at"`
	UpdatedAt         string   `json:"updated_at"`
	AuthorAssociation string   `json:"author_association"`
}

type searchJSON struct {
	TotalCount        int         `json:"total_count"`
	IncompleteResults bool        `json:"incomplete_results"`
	Items             []issueJSON `json:"items"`
}

// api is the base of the API URLs inside bodies: GitHub Enterprise's.
func (s *Server) api() string { return s.srv.URL + "/api/v3" }

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (s *Server) htmlURL(project string, i *issue) string {
	if i.pr {
		return fmt.Sprintf("%s/%s/pull/%d", s.srv.URL, project, i.IID)
	}
	return fmt.Sprintf("%s/%s/issues/%d", s.srv.URL, project, i.IID)
}

func (s *Server) userJSON(login string) userJSON {
	id := s.id("user", login)
	return userJSON{
		Login: login, ID: id, NodeID: fmt.Sprintf("U_%d", id),
		AvatarURL: fmt.Sprintf("%s/avatars/u/%d", s.srv.URL, id),
		URL:       s.api() + "/users/" + login, HTMLURL: s.srv.URL + "/" + login,
		Type: "User",
	}
}

func (s *Server) labelJSON(r *repo, name string) labelJSON {
	id := s.id("label", r.fullName+"#"+name)
	return labelJSON{
		ID: id, NodeID: fmt.Sprintf("LA_%d", id), Name: name, Color: "ededed",
		URL: fmt.Sprintf("%s/repos/%s/labels/%s", s.api(), r.fullName, name),
	}
}

func (s *Server) labelsJSON(r *repo, names []string) []labelJSON {
	out := make([]labelJSON, 0, len(names))
	for _, n := range names {
		out = append(out, s.labelJSON(r, n))
	}
	return out
}

func (s *Server) issueJSON(r *repo, i *issue) issueJSON {
	api := fmt.Sprintf("%s/repos/%s/issues/%d", s.api(), r.fullName, i.IID)
	id := i.id
	out := issueJSON{
		URL:               api,
		RepositoryURL:     s.api() + "/repos/" + r.fullName,
		LabelsURL:         api + "/labels{/name}",
		CommentsURL:       api + "/comments",
		EventsURL:         api + "/events",
		HTMLURL:           s.htmlURL(r.fullName, i),
		ID:                id,
		NodeID:            fmt.Sprintf("I_%d", id),
		Number:            i.IID,
		Title:             i.Title,
		User:              s.userJSON("octocat"),
		Labels:            s.labelsJSON(r, i.Labels),
		State:             "open",
		Assignees:         make([]userJSON, 0, len(i.Assignees)),
		Comments:          len(i.comments),
		CreatedAt:         stamp(i.created),
		UpdatedAt:         stamp(i.UpdatedAt),
		AuthorAssociation: "MEMBER",
		Body:              optional(i.Body),
		StateReason:       optional(i.stateReason),
	}
	if i.Closed {
		out.State = "closed"
		out.ClosedAt = optional(stamp(i.closedAt))
	}
	for _, login := range i.Assignees {
		out.Assignees = append(out.Assignees, s.userJSON(login))
	}
	if len(out.Assignees) > 0 {
		out.Assignee = &out.Assignees[0]
	}
	if n := r.milestone(i.Milestone); n > 0 {
		mid := s.id("milestone", fmt.Sprintf("%s#%d", r.fullName, n))
		out.Milestone = &milestoneJSON{
			URL:     fmt.Sprintf("%s/repos/%s/milestones/%d", s.api(), r.fullName, n),
			HTMLURL: fmt.Sprintf("%s/%s/milestone/%d", s.srv.URL, r.fullName, n),
			ID:      mid, NodeID: fmt.Sprintf("MI_%d", mid), Number: n, Title: i.Milestone, State: "open",
		}
	}
	if i.pr {
		pull := fmt.Sprintf("%s/%s/pull/%d", s.srv.URL, r.fullName, i.IID)
		out.PullRequest = &pullLinksJSON{
			URL:     fmt.Sprintf("%s/repos/%s/pulls/%d", s.api(), r.fullName, i.IID),
			HTMLURL: pull, DiffURL: pull + ".diff", PatchURL: pull + ".patch",
		}
	}
	return out
}

func (s *Server) commentJSON(r *repo, i *issue, c comment) commentJSON {
	return commentJSON{
		URL:               fmt.Sprintf("%s/repos/%s/issues/comments/%d", s.api(), r.fullName, c.id),
		HTMLURL:           fmt.Sprintf("%s#issuecomment-%d", s.htmlURL(r.fullName, i), c.id),
		IssueURL:          fmt.Sprintf("%s/repos/%s/issues/%d", s.api(), r.fullName, i.IID),
		ID:                c.id,
		NodeID:            fmt.Sprintf("IC_%d", c.id),
		User:              s.userJSON(c.login),
		Body:              c.body,
		CreatedAt:         stamp(c.at),
		UpdatedAt:         stamp(c.at),
		AuthorAssociation: "MEMBER",
	}
}
