package gitlabfake

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The JSON shapes below are GitLab's, trimmed to the fields a client of the
// issue API reads; names, nesting and nulls are as GitLab sends them.

type userJSON struct {
	ID        int64   `json:"id"`
	Username  string  `json:"username"`
	Name      string  `json:"name"`
	State     string  `json:"state"`
	Locked    bool    `json:"locked"`
	AvatarURL *string `json:"avatar_url"`
	WebURL    string  `json:"web_url"`
}

type milestoneJSON struct {
	ID          int64   `json:"id"`
	IID         int64   `json:"iid"`
	ProjectID   int64   `json:"project_id"`
	Title       string  `json:"title"`
	Description string  `json:"description"`
	State       string  `json:"state"`
	DueDate     *string `json:"due_date"`
	StartDate   *string `json:"start_date"`
	WebURL      string  `json:"web_url"`
}

type issueJSON struct {
	ID                   int64           `json:"id"`
	IID                  int64           `json:"iid"`
	ProjectID            int64           `json:"project_id"`
	Title                string          `json:"title"`
	Description          *string         `json:"description"`
	State                string          `json:"state"`
	CreatedAt            string          `json:"created_at"`
	UpdatedAt            string          `json:"updated_at"`
	ClosedAt             *string         `json:"closed_at"`
	ClosedBy             *userJSON       `json:"closed_by"`
	Labels               []string        `json:"labels"`
	Milestone            *milestoneJSON  `json:"milestone"`
	Assignees            []userJSON      `json:"assignees"`
	Assignee             *userJSON       `json:"assignee"`
	Author               userJSON        `json:"author"`
	Type                 string          `json:"type"`
	IssueType            string          `json:"issue_type"`
	UserNotesCount       int             `json:"user_notes_count"`
	MergeRequestsCount   int             `json:"merge_requests_count"`
	Upvotes              int             `json:"upvotes"`
	Downvotes            int             `json:"downvotes"`
	DueDate              *string         `json:"due_date"`
	Confidential         bool            `json:"confidential"`
	DiscussionLocked     *bool           `json:"discussion_locked"`
	WebURL               string          `json:"web_url"`
	References           referencesJSON  `json:"references"`
	TaskCompletionStatus completionJSON  `json:"task_completion_status"`
	Links                issueLinksJSON  `json:"_links"`
	Subscribed           bool            `json:"subscribed"`
	MovedToID            *int64          `json:"moved_to_id"`
	ServiceDeskReplyTo   *string         `json:"service_desk_reply_to"`
	TimeStats            json.RawMessage `json:"time_stats"`
}

type referencesJSON struct {
	Short    string `json:"short"`
	Relative string `json:"relative"`
	Full     string `json:"full"`
}

type completionJSON struct {
	Count          int `json:"count"`
	CompletedCount int `json:"completed_count"`
}

type issueLinksJSON struct {
	Self       string `json:"self"`
	Notes      string `json:"notes"`
	AwardEmoji string `json:"award_emoji"`
	Project    string `json:"project"`
}

type noteJSON struct {
	ID           int64    `json:"id"`
	Type         *string  `json:"type"`
	Body         string   `json:"body"`
	Attachment   *string  `json:"attachment"`
	Author       userJSON `json:"author"`
	CreatedAt    string   `json:"created_at"`
	UpdatedAt    string   `json:"updated_at"`
	System       bool     `json:"system"`
	NoteableID   int64    `json:"noteable_id"`
	NoteableType string   `json:"noteable_type"`
	ProjectID    int64    `json:"project_id"`
	NoteableIID  int64    `json:"noteable_iid"`
	Resolvable   bool     `json:"resolvable"`
	Confidential bool     `json:"confidential"`
	Internal     bool     `json:"internal"`
}

type projectJSON struct {
	ID                int64  `json:"id"`
	Name              string `json:"name"`
	Path              string `json:"path"`
	PathWithNamespace string `json:"path_with_namespace"`
	DefaultBranch     string `json:"default_branch"`
	Visibility        string `json:"visibility"`
	WebURL            string `json:"web_url"`
	IssuesEnabled     bool   `json:"issues_enabled"`
}

type mergeRequestJSON struct {
	ID        int64  `json:"id"`
	IID       int64  `json:"iid"`
	ProjectID int64  `json:"project_id"`
	Title     string `json:"title"`
	State     string `json:"state"`
	CreatedAt string `json:"created_at"`
	WebURL    string `json:"web_url"`
}

// stamp is GitLab's timestamp: UTC, milliseconds, a Z.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func optStamp(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := stamp(t)
	return &s
}

// The converters below read the server's state: the caller holds s.mu.

func (s *Server) userJSON(u *user) userJSON {
	return userJSON{ID: u.id, Username: u.username, Name: u.username, State: "active", WebURL: s.URL() + "/" + u.username}
}

func (s *Server) issueJSON(p *project, is *issue) issueJSON {
	api := s.URL() + "/api/v4/projects/" + strconv.FormatInt(p.id, 10)
	self := api + "/issues/" + strconv.FormatInt(is.iid, 10)
	out := issueJSON{
		ID: is.id, IID: is.iid, ProjectID: p.id,
		Title: is.title, State: "opened",
		CreatedAt: stamp(is.createdAt), UpdatedAt: stamp(is.updatedAt),
		Labels:    append([]string{}, is.labels...),
		Assignees: []userJSON{},
		Author:    s.userJSON(is.author),
		Type:      "ISSUE", IssueType: "issue",
		WebURL: s.webURL(p, is),
		References: referencesJSON{
			Short: "#" + strconv.FormatInt(is.iid, 10), Relative: "#" + strconv.FormatInt(is.iid, 10),
			Full: p.path + "#" + strconv.FormatInt(is.iid, 10),
		},
		Links:     issueLinksJSON{Self: self, Notes: self + "/notes", AwardEmoji: self + "/award_emoji", Project: api},
		TimeStats: json.RawMessage(`{"time_estimate":0,"total_time_spent":0,"human_time_estimate":null,"human_total_time_spent":null}`),
	}
	if is.description != "" {
		out.Description = &is.description
	}
	if is.closed {
		out.State = "closed"
		out.ClosedAt = optStamp(is.closedAt)
	}
	for _, u := range is.assignees {
		out.Assignees = append(out.Assignees, s.userJSON(u))
	}
	if len(out.Assignees) > 0 {
		out.Assignee = &out.Assignees[0]
	}
	if m := is.milestone; m != nil {
		out.Milestone = &milestoneJSON{
			ID: m.id, IID: m.iid, ProjectID: p.id, Title: m.title, State: "active",
			WebURL: s.URL() + "/" + p.path + "/-/milestones/" + strconv.FormatInt(m.iid, 10),
		}
	}
	for _, n := range is.notes {
		if !n.system {
			out.UserNotesCount++
		}
	}
	return out
}

func (s *Server) noteJSON(p *project, is *issue, n *note) noteJSON {
	return noteJSON{
		ID: n.id, Body: n.body, Author: s.userJSON(n.author),
		CreatedAt: stamp(n.createdAt), UpdatedAt: stamp(n.createdAt),
		System: n.system, NoteableID: is.id, NoteableType: "Issue",
		ProjectID: p.id, NoteableIID: is.iid,
	}
}

func (s *Server) projectJSON(p *project) projectJSON {
	name := p.path
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	return projectJSON{
		ID: p.id, Name: name, Path: name, PathWithNamespace: p.path,
		DefaultBranch: "main", Visibility: "private", WebURL: s.URL() + "/" + p.path, IssuesEnabled: true,
	}
}

// message is GitLab's error body: {"message": "..."}.
func message(text string) map[string]any { return map[string]any{"message": text} }

// writeJSON answers v as compact JSON with the status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"message":"500 Internal Server Error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}
