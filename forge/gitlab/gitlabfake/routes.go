package gitlabfake

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// route serves the API under /api/v4. The path is split on its escaped
// form, so a project written group%2Fsub%2Fproject stays one segment.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/api/v4/")
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "404 Not Found"})
		return
	}
	seg := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	for i, v := range seg {
		u, err := url.PathUnescape(v)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, message("400 Bad request - the path is not escaped properly"))
			return
		}
		seg[i] = u
	}
	method := func(allowed ...string) bool {
		if slices.Contains(allowed, r.Method) {
			return true
		}
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "405 Method Not Allowed"})
		return false
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case len(seg) == 1 && seg[0] == "users":
		if method(http.MethodGet) {
			s.listUsers(w, r)
		}
		return
	case len(seg) < 2 || seg[0] != "projects":
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "404 Not Found"})
		return
	}
	p := s.lookup(seg[1])
	if p == nil {
		writeJSON(w, http.StatusNotFound, message("404 Project Not Found"))
		return
	}
	switch {
	case len(seg) == 2:
		if method(http.MethodGet) {
			writeJSON(w, http.StatusOK, s.projectJSON(p))
		}
	case len(seg) == 3 && seg[2] == "issues":
		if method(http.MethodGet) {
			s.listIssues(w, r, p)
		}
	case len(seg) == 3 && seg[2] == "merge_requests":
		if method(http.MethodGet) {
			s.listMergeRequests(w, r, p)
		}
	case seg[2] == "issues" && (len(seg) == 4 || len(seg) == 5 && seg[4] == "notes"):
		iid, err := strconv.ParseInt(seg[3], 10, 64)
		is := p.issue(iid)
		if err != nil || is == nil {
			writeJSON(w, http.StatusNotFound, message("404 Not found"))
			return
		}
		switch {
		case len(seg) == 5 && method(http.MethodGet, http.MethodPost):
			if r.Method == http.MethodPost {
				s.createNote(w, r, p, is)
			} else {
				s.listNotes(w, r, p, is)
			}
		case len(seg) == 4 && method(http.MethodGet, http.MethodPut):
			if r.Method == http.MethodPut {
				s.updateIssue(w, r, p, is)
			} else {
				writeJSON(w, http.StatusOK, s.issueJSON(p, is))
			}
		}
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "404 Not Found"})
	}
}

// listIssues is GET /projects/:id/issues with GitLab's filters: state
// (default all), labels (comma string, every one required; None, Any),
// search (in title and description, or as `in` says), iids[],
// created_after, updated_after, updated_before, order_by and sort.
func (s *Server) listIssues(w http.ResponseWriter, r *http.Request, p *project) {
	q := r.URL.Query()
	bad := func(text string) { writeJSON(w, http.StatusBadRequest, map[string]string{"error": text}) }

	state := q.Get("state")
	if !slices.Contains([]string{"", "all", "opened", "closed"}, state) {
		bad("state does not have a valid value")
		return
	}
	var times [3]time.Time
	for i, k := range []string{"created_after", "updated_after", "updated_before"} {
		if v := q.Get(k); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				bad(k + " is invalid")
				return
			}
			times[i] = t
		}
	}
	createdAfter, updatedAfter, updatedBefore := times[0], times[1], times[2]
	orderBy, sortDir := cmp.Or(q.Get("order_by"), "created_at"), cmp.Or(q.Get("sort"), "desc")
	if !slices.Contains([]string{"created_at", "updated_at"}, orderBy) {
		bad("order_by does not have a valid value")
		return
	}
	if !slices.Contains([]string{"asc", "desc"}, sortDir) {
		bad("sort does not have a valid value")
		return
	}
	var iids []int64
	for _, v := range q["iids[]"] {
		iid, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			bad("iids is invalid")
			return
		}
		iids = append(iids, iid)
	}
	labels := splitComma(q.Get("labels"))
	search := strings.ToLower(q.Get("search"))
	in := splitComma(cmp.Or(q.Get("in"), "title,description"))

	var found []*issue
	for _, is := range p.issues {
		switch {
		case is.deleted,
			state == "opened" && is.closed,
			state == "closed" && !is.closed,
			!createdAfter.IsZero() && is.createdAt.Before(createdAfter),
			!updatedAfter.IsZero() && is.updatedAt.Before(updatedAfter),
			!updatedBefore.IsZero() && is.updatedAt.After(updatedBefore),
			len(iids) > 0 && !slices.Contains(iids, is.iid),
			!matchLabels(is.labels, labels),
			search != "" && !matchSearch(is, search, in):
			continue
		}
		found = append(found, is)
	}
	slices.SortStableFunc(found, func(a, b *issue) int {
		c := a.createdAt.Compare(b.createdAt)
		if orderBy == "updated_at" {
			c = a.updatedAt.Compare(b.updatedAt)
		}
		c = cmp.Or(c, cmp.Compare(a.id, b.id))
		if sortDir == "desc" {
			c = -c
		}
		return c
	})
	lo, hi, ok := paginate(w, r, len(found))
	if !ok {
		return
	}
	out := []issueJSON{}
	for _, is := range found[lo:hi] {
		out = append(out, s.issueJSON(p, is))
	}
	writeJSON(w, http.StatusOK, out)
}

func matchLabels(have, want []string) bool {
	for _, l := range want {
		switch {
		case strings.EqualFold(l, "None"):
			if len(have) > 0 {
				return false
			}
		case strings.EqualFold(l, "Any"):
			if len(have) == 0 {
				return false
			}
		case !hasLabel(have, l):
			return false
		}
	}
	return true
}

func matchSearch(is *issue, search string, in []string) bool {
	return slices.Contains(in, "title") && strings.Contains(strings.ToLower(is.title), search) ||
		slices.Contains(in, "description") && strings.Contains(strings.ToLower(is.description), search)
}

func splitComma(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// updateIssue is PUT /projects/:id/issues/:iid: title, description,
// labels (replacing), add_labels, remove_labels, assignee_ids (or
// assignee_id), milestone_id and state_event. Nothing is changed unless
// every parameter is valid.
func (s *Server) updateIssue(w http.ResponseWriter, r *http.Request, p *project, is *issue) {
	ps, err := readParams(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, message(err.Error()))
		return
	}
	bad := func(text string) { writeJSON(w, http.StatusBadRequest, map[string]string{"error": text}) }
	var c change
	known := false
	if v, ok := ps.str("title"); ok {
		if strings.TrimSpace(v) == "" {
			writeJSON(w, http.StatusBadRequest, map[string]any{"message": map[string][]string{"title": {"can't be blank"}}})
			return
		}
		c.title, known = &v, true
	}
	if v, ok := ps.str("description"); ok {
		c.description, known = &v, true
	}
	if v, ok := ps.list("labels"); ok {
		c.labels, known = &v, true
	}
	if v, ok := ps.list("add_labels"); ok {
		c.addLabels, known = v, true
	}
	if v, ok := ps.list("remove_labels"); ok {
		c.removeLabels, known = v, true
	}
	for _, k := range []string{"assignee_ids", "assignee_id"} {
		ids, ok, err := ps.ids(k)
		if err != nil {
			bad(err.Error())
			return
		}
		if ok && c.assignees == nil {
			c.assignees, known = &ids, true
		}
	}
	if ids, ok, err := ps.ids("milestone_id"); err != nil {
		bad(err.Error())
		return
	} else if ok {
		id := int64(0)
		if len(ids) > 0 {
			id = ids[0]
		}
		c.milestone, known = &id, true
	}
	if v, ok := ps.str("state_event"); ok {
		if v != "close" && v != "reopen" {
			bad("state_event does not have a valid value")
			return
		}
		c.stateEvent, known = v, true
	}
	if !known {
		bad("title, description, labels, add_labels, remove_labels, assignee_id, assignee_ids, milestone_id, state_event are missing, at least one parameter must be provided")
		return
	}
	s.apply(p, is, c, s.user(tokenUser))
	writeJSON(w, http.StatusOK, s.issueJSON(p, is))
}

// listNotes is GET /projects/:id/issues/:iid/notes, system notes included,
// newest first unless sort=asc.
func (s *Server) listNotes(w http.ResponseWriter, r *http.Request, p *project, is *issue) {
	q := r.URL.Query()
	sortDir := cmp.Or(q.Get("sort"), "desc")
	orderBy := cmp.Or(q.Get("order_by"), "created_at")
	if !slices.Contains([]string{"asc", "desc"}, sortDir) || !slices.Contains([]string{"created_at", "updated_at"}, orderBy) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "sort or order_by does not have a valid value"})
		return
	}
	notes := slices.Clone(is.notes)
	if sortDir == "desc" {
		slices.Reverse(notes)
	}
	lo, hi, ok := paginate(w, r, len(notes))
	if !ok {
		return
	}
	out := []noteJSON{}
	for _, n := range notes[lo:hi] {
		out = append(out, s.noteJSON(p, is, n))
	}
	writeJSON(w, http.StatusOK, out)
}

// createNote is POST /projects/:id/issues/:iid/notes. A note touches its
// issue: updated_at moves, as on GitLab.
func (s *Server) createNote(w http.ResponseWriter, r *http.Request, p *project, is *issue) {
	ps, err := readParams(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, message(err.Error()))
		return
	}
	body, _ := ps.str("body")
	if strings.TrimSpace(body) == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "body is missing"})
		return
	}
	n := &note{id: s.newID(), body: body, author: s.user(tokenUser), createdAt: s.tick()}
	is.notes = append(is.notes, n)
	is.updatedAt = n.createdAt
	writeJSON(w, http.StatusCreated, s.noteJSON(p, is, n))
}

// listUsers is GET /users; with username=, the one user of that name or
// nobody.
func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	var users []*user
	if name, ok := r.URL.Query()["username"]; ok {
		if u := s.user(strings.TrimPrefix(name[0], "@")); u != nil {
			users = append(users, u)
		}
	} else {
		for _, u := range s.users {
			users = append(users, u)
		}
		slices.SortFunc(users, func(a, b *user) int { return cmp.Compare(a.id, b.id) })
	}
	lo, hi, ok := paginate(w, r, len(users))
	if !ok {
		return
	}
	out := []userJSON{}
	for _, u := range users[lo:hi] {
		out = append(out, s.userJSON(u))
	}
	writeJSON(w, http.StatusOK, out)
}

// listMergeRequests is GET /projects/:id/merge_requests, newest first:
// merge requests live here, never among issues.
func (s *Server) listMergeRequests(w http.ResponseWriter, r *http.Request, p *project) {
	lo, hi, ok := paginate(w, r, len(p.mrs))
	if !ok {
		return
	}
	out := []mergeRequestJSON{}
	for i := len(p.mrs) - 1 - lo; i > len(p.mrs)-1-hi; i-- {
		mr := p.mrs[i]
		out = append(out, mergeRequestJSON{
			ID: mr.id, IID: mr.iid, ProjectID: p.id, Title: mr.title, State: "opened",
			CreatedAt: stamp(mr.createdAt), WebURL: s.URL() + "/" + p.path + "/-/merge_requests/" + strconv.FormatInt(mr.iid, 10),
		})
	}
	writeJSON(w, http.StatusOK, out)
}

// paginate picks the items of the page asked for (page, per_page: default
// 20, at most 100) among n and sets GitLab's offset pagination headers:
// X-Page, X-Per-Page, X-Total, X-Total-Pages, X-Next-Page, X-Prev-Page
// (empty at the ends) and Link.
func paginate(w http.ResponseWriter, r *http.Request, n int) (lo, hi int, ok bool) {
	q := r.URL.Query()
	number := func(key string, def int) (int, bool) {
		v := q.Get(key)
		if v == "" {
			return def, true
		}
		i, err := strconv.Atoi(v)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": key + " is invalid"})
			return 0, false
		}
		return i, true
	}
	page, ok1 := number("page", 1)
	per, ok2 := number("per_page", 20)
	if !ok1 || !ok2 {
		return 0, 0, false
	}
	if per < 1 {
		per = 20
	}
	per = min(per, 100)
	page = max(page, 1)
	pages := max((n+per-1)/per, 1)

	h := w.Header()
	h.Set("X-Page", strconv.Itoa(page))
	h.Set("X-Per-Page", strconv.Itoa(per))
	h.Set("X-Total", strconv.Itoa(n))
	h.Set("X-Total-Pages", strconv.Itoa(pages))
	h.Set("X-Next-Page", "")
	h.Set("X-Prev-Page", "")
	link := func(p int, rel string) string {
		lq := r.URL.Query()
		lq.Set("page", strconv.Itoa(p))
		lq.Set("per_page", strconv.Itoa(per))
		return "<http://" + r.Host + r.URL.EscapedPath() + "?" + lq.Encode() + `>; rel="` + rel + `"`
	}
	var links []string
	if page > 1 {
		h.Set("X-Prev-Page", strconv.Itoa(min(page-1, pages)))
		links = append(links, link(min(page-1, pages), "prev"))
	}
	if page < pages {
		h.Set("X-Next-Page", strconv.Itoa(page+1))
		links = append(links, link(page+1, "next"))
	}
	links = append(links, link(1, "first"), link(pages, "last"))
	h.Set("Link", strings.Join(links, ", "))

	lo = min((page-1)*per, n)
	return lo, min(lo+per, n), true
}
