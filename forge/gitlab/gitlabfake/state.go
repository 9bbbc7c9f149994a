package gitlabfake

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agent-backlog/backlog/forge"
)

// project is a GitLab project: its issues, merge requests and milestones.
// Issues and merge requests have separate iid sequences, as on GitLab.
type project struct {
	id         int64
	path       string // as first spelled: group/sub/project
	issues     []*issue
	mrs        []*mergeRequest
	milestones []*milestone
	nextMRIID  int64
}

type issue struct {
	id, iid     int64
	title       string
	description string
	labels      []string
	assignees   []*user
	milestone   *milestone
	closed      bool
	author      *user
	createdAt   time.Time
	updatedAt   time.Time
	closedAt    time.Time
	deleted     bool
	notes       []*note
}

type note struct {
	id        int64
	body      string
	author    *user
	system    bool
	createdAt time.Time
}

type user struct {
	id       int64
	username string
}

type milestone struct {
	id, iid int64
	title   string
}

type mergeRequest struct {
	id, iid   int64
	title     string
	createdAt time.Time
}

// author is who creates the issues a test adds and the edits it makes as a
// person; tokenUser is who the token belongs to.
const (
	author    = "alice"
	tokenUser = "backlog-bot"
)

// tick is the server's clock: now, to the millisecond as GitLab keeps it,
// and always after the last timestamp handed out so that updated_after
// sees every change in order. The caller holds s.mu.
func (s *Server) tick() time.Time {
	t := time.Now().UTC().Truncate(time.Millisecond)
	if !t.After(s.clock) {
		t = s.clock.Add(time.Millisecond)
	}
	s.clock = t
	return t
}

func (s *Server) newID() int64 {
	s.nextID++
	return s.nextID
}

// AddProject creates an empty project (group/sub/project) and returns its
// numeric id; a project that exists keeps its id. AddIssue creates its
// project too.
func (s *Server) AddProject(path string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.project(path).id
}

// project finds or creates a project. The caller holds s.mu.
func (s *Server) project(path string) *project {
	if p, ok := s.projects[strings.ToLower(path)]; ok {
		return p
	}
	p := &project{id: s.newID(), path: path}
	s.projects[strings.ToLower(path)] = p
	s.byID[p.id] = p
	return p
}

// lookup finds a project by its path or numeric id. The caller holds s.mu.
func (s *Server) lookup(path string) *project {
	if id, err := strconv.ParseInt(path, 10, 64); err == nil {
		return s.byID[id]
	}
	return s.projects[strings.ToLower(path)]
}

// user finds or creates a user, unless NoUser named it. The caller holds
// s.mu.
func (s *Server) user(username string) *user {
	key := strings.ToLower(username)
	if s.noUsers[key] || username == "" {
		return nil
	}
	if u, ok := s.users[key]; ok {
		return u
	}
	u := &user{id: s.newID(), username: username}
	s.users[key] = u
	return u
}

// userByID finds a user by id. The caller holds s.mu.
func (s *Server) userByID(id int64) *user {
	for _, u := range s.users {
		if u.id == id {
			return u
		}
	}
	return nil
}

// NoUser makes a username unknown: GET /users?username= finds nobody. The
// fake otherwise knows every username (a user is made on first use), so
// that any agent mapping can be assigned.
func (s *Server) NoUser(username string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noUsers[strings.ToLower(username)] = true
	delete(s.users, strings.ToLower(username))
}

// milestone finds or creates a project's milestone by title. The caller
// holds s.mu.
func (p *project) milestone(s *Server, title string) *milestone {
	if title == "" {
		return nil
	}
	for _, m := range p.milestones {
		if m.title == title {
			return m
		}
	}
	m := &milestone{id: s.newID(), iid: int64(len(p.milestones) + 1), title: title}
	p.milestones = append(p.milestones, m)
	return m
}

// issue finds a live issue. The caller holds s.mu.
func (p *project) issue(iid int64) *issue {
	if iid < 1 || iid > int64(len(p.issues)) || p.issues[iid-1].deleted {
		return nil
	}
	return p.issues[iid-1]
}

// AddIssue creates an issue (closed when iss.Closed) with its labels,
// assignees and milestone, and returns its iid. iss.IID and iss.URL are
// ignored; UpdatedAt, when set, is also the creation time.
func (s *Server) AddIssue(path string, iss forge.Issue) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.project(path)
	at := iss.UpdatedAt.UTC()
	if iss.UpdatedAt.IsZero() {
		at = s.tick()
	}
	is := &issue{
		id: s.newID(), iid: int64(len(p.issues) + 1),
		title: iss.Title, description: iss.Body,
		labels:    addLabels(nil, iss.Labels),
		milestone: p.milestone(s, iss.Milestone),
		closed:    iss.Closed,
		author:    s.user(author),
		createdAt: at, updatedAt: at,
	}
	for _, name := range iss.Assignees {
		if u := s.user(name); u != nil && !slices.Contains(is.assignees, u) {
			is.assignees = append(is.assignees, u)
		}
	}
	if iss.Closed {
		is.closedAt = at
	}
	p.issues = append(p.issues, is)
	return is.iid
}

// AddPullRequest adds a merge request. GitLab never lists merge requests
// among issues, and numbers them in their own sequence.
func (s *Server) AddPullRequest(path, title string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.project(path)
	p.nextMRIID++
	p.mrs = append(p.mrs, &mergeRequest{id: s.newID(), iid: p.nextMRIID, title: title, createdAt: s.tick()})
	return p.nextMRIID
}

// Issue is the issue as the server holds it now; false when there is no
// such issue or it was deleted.
func (s *Server) Issue(path string, iid int64) (forge.Issue, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.lookup(path)
	if p == nil || p.issue(iid) == nil {
		return forge.Issue{}, false
	}
	return s.forgeIssue(p, p.issue(iid)), true
}

// forgeIssue is an issue as the forge package sees it. The caller holds
// s.mu.
func (s *Server) forgeIssue(p *project, is *issue) forge.Issue {
	out := forge.Issue{
		IID: is.iid, Title: is.title, Body: is.description,
		Labels: slices.Clone(is.labels), Closed: is.closed,
		URL: s.webURL(p, is), UpdatedAt: is.updatedAt,
	}
	for _, u := range is.assignees {
		out.Assignees = append(out.Assignees, u.username)
	}
	if is.milestone != nil {
		out.Milestone = is.milestone.title
	}
	return out
}

func (s *Server) webURL(p *project, is *issue) string {
	return s.URL() + "/" + p.path + "/-/issues/" + strconv.FormatInt(is.iid, 10)
}

// Edit changes an issue as a person would on GitLab's web page: the change
// leaves system notes and bumps UpdatedAt (to fn's own UpdatedAt when fn
// sets one). Assignees and milestones named are made when missing.
func (s *Server) Edit(path string, iid int64, fn func(*forge.Issue)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.lookup(path)
	if p == nil || p.issue(iid) == nil {
		return
	}
	is := p.issue(iid)
	before := s.forgeIssue(p, is)
	after := before
	after.Labels = slices.Clone(before.Labels)
	after.Assignees = slices.Clone(before.Assignees)
	fn(&after)

	c := change{title: &after.Title, description: &after.Body, labels: &after.Labels}
	ids := []int64{}
	for _, name := range after.Assignees {
		if u := s.user(name); u != nil {
			ids = append(ids, u.id)
		}
	}
	c.assignees = &ids
	var mid int64
	if m := p.milestone(s, after.Milestone); m != nil {
		mid = m.id
	}
	c.milestone = &mid
	switch {
	case after.Closed && !before.Closed:
		c.stateEvent = "close"
	case !after.Closed && before.Closed:
		c.stateEvent = "reopen"
	}
	s.apply(p, is, c, s.user(author))
	is.updatedAt = s.tick()
	if !after.UpdatedAt.Equal(before.UpdatedAt) {
		is.updatedAt = after.UpdatedAt.UTC()
	}
}

// Delete removes an issue: every later request for it gets 404.
func (s *Server) Delete(path string, iid int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.lookup(path); p != nil && p.issue(iid) != nil {
		p.issue(iid).deleted = true
	}
}

// Comments are the bodies of the issue's comments (system notes left out),
// oldest first.
func (s *Server) Comments(path string, iid int64) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.lookup(path)
	if p == nil || p.issue(iid) == nil {
		return nil
	}
	var out []string
	for _, n := range p.issue(iid).notes {
		if !n.system {
			out = append(out, n.body)
		}
	}
	return out
}

// change is an edit of an issue, from a PUT or from Edit; nil and zero
// fields are left alone.
type change struct {
	title, description      *string
	labels                  *[]string // replaces every label
	addLabels, removeLabels []string
	assignees               *[]int64 // user ids; unknown ones are ignored
	milestone               *int64   // 0 clears
	stateEvent              string   // "close", "reopen"
}

// apply makes the change, leaves a system note for each part that changed
// anything, and bumps updated_at when something did. The caller holds s.mu.
func (s *Server) apply(p *project, is *issue, c change, by *user) {
	var notes []string
	if c.title != nil && *c.title != is.title {
		notes = append(notes, "changed title from **"+is.title+"** to **"+*c.title+"**")
		is.title = *c.title
	}
	if c.description != nil && *c.description != is.description {
		notes = append(notes, "changed the description")
		is.description = *c.description
	}
	labels := slices.Clone(is.labels)
	if c.labels != nil {
		labels = addLabels(nil, *c.labels)
	}
	labels = addLabels(labels, c.addLabels)
	labels = slices.DeleteFunc(labels, func(l string) bool { return hasLabel(c.removeLabels, l) })
	for _, l := range labels {
		if !hasLabel(is.labels, l) {
			notes = append(notes, "added ~"+l+" label")
		}
	}
	for _, l := range is.labels {
		if !hasLabel(labels, l) {
			notes = append(notes, "removed ~"+l+" label")
		}
	}
	is.labels = labels
	if c.assignees != nil {
		var next []*user
		for _, id := range *c.assignees {
			if u := s.userByID(id); u != nil && !slices.Contains(next, u) {
				next = append(next, u)
			}
		}
		for _, u := range next {
			if !slices.Contains(is.assignees, u) {
				notes = append(notes, "assigned to @"+u.username)
			}
		}
		for _, u := range is.assignees {
			if !slices.Contains(next, u) {
				notes = append(notes, "unassigned @"+u.username)
			}
		}
		is.assignees = next
	}
	if c.milestone != nil {
		var m *milestone
		for _, pm := range p.milestones {
			if pm.id == *c.milestone {
				m = pm
			}
		}
		if m != is.milestone {
			if m == nil {
				notes = append(notes, "removed milestone")
			} else {
				notes = append(notes, "changed milestone to %"+m.title)
			}
			is.milestone = m
		}
	}
	switch {
	case c.stateEvent == "close" && !is.closed:
		notes = append(notes, "closed")
		is.closed = true
	case c.stateEvent == "reopen" && is.closed:
		notes = append(notes, "reopened")
		is.closed = false
	}
	if len(notes) == 0 {
		return
	}
	at := s.tick()
	for _, body := range notes {
		is.notes = append(is.notes, &note{id: s.newID(), body: body, author: by, system: true, createdAt: at})
	}
	if is.closed && is.closedAt.IsZero() {
		is.closedAt = at
	}
	if !is.closed {
		is.closedAt = time.Time{}
	}
	is.updatedAt = at
}

// addLabels appends the labels not there yet (GitLab's label titles are
// matched without regard to case), skipping blank ones.
func addLabels(labels, more []string) []string {
	for _, l := range more {
		l = strings.TrimSpace(l)
		if l != "" && !hasLabel(labels, l) {
			labels = append(labels, l)
		}
	}
	return labels
}

func hasLabel(labels []string, l string) bool {
	return slices.ContainsFunc(labels, func(x string) bool { return strings.EqualFold(x, strings.TrimSpace(l)) })
}
