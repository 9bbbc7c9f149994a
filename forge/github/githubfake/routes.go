package githubfake

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// reply is a handler's answer, worked out under the server's lock and
// written after it.
type reply struct {
	status int
	body   any
	link   string
}

func notFound() reply {
	return reply{http.StatusNotFound, apiError{Message: "Not Found", DocumentationURL: "https://docs.github.com/rest", Status: "404"}, ""}
}

func invalid(field, code string) reply {
	return reply{http.StatusUnprocessableEntity, apiError{
		Message: "Validation Failed", Errors: []fieldError{{Resource: "Issue", Field: field, Code: code}},
		DocumentationURL: "https://docs.github.com/rest", Status: "422",
	}, ""}
}

func badJSON() reply {
	return reply{http.StatusBadRequest, apiError{Message: "Problems parsing JSON", DocumentationURL: "https://docs.github.com/rest", Status: "400"}, ""}
}

// routes serves every route at the root (github.com's API) and under
// /api/v3 (GitHub Enterprise).
func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	for _, prefix := range []string{"", "/api/v3"} {
		issues := prefix + "/repos/{owner}/{repo}/issues"
		one := issues + "/{number}"
		s.handle(mux, "GET "+issues, s.listIssues)
		s.handle(mux, "GET "+prefix+"/search/issues", s.searchIssues)
		s.handle(mux, "GET "+one, s.withIssue(s.getIssue))
		s.handle(mux, "PATCH "+one, s.withIssue(s.patchIssue))
		s.handle(mux, "GET "+one+"/labels", s.withIssue(s.listLabels))
		s.handle(mux, "POST "+one+"/labels", s.withIssue(s.addLabels))
		s.handle(mux, "PUT "+one+"/labels", s.withIssue(s.setLabels))
		s.handle(mux, "DELETE "+one+"/labels", s.withIssue(s.clearLabels))
		s.handle(mux, "DELETE "+one+"/labels/{name}", s.withIssue(s.removeLabel))
		s.handle(mux, "POST "+one+"/assignees", s.withIssue(s.addAssignees))
		s.handle(mux, "DELETE "+one+"/assignees", s.withIssue(s.removeAssignees))
		s.handle(mux, "GET "+one+"/comments", s.withIssue(s.listComments))
		s.handle(mux, "POST "+one+"/comments", s.withIssue(s.addComment))
	}
	s.handle(mux, "/", func(*http.Request) reply { return notFound() })
	return mux
}

func (s *Server) handle(mux *http.ServeMux, pattern string, h func(*http.Request) reply) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		rep := h(r)
		s.mu.Unlock()
		if rep.link != "" {
			w.Header().Set("Link", rep.link)
		}
		writeJSON(w, rep.status, rep.body)
	})
}

// withIssue finds the route's issue; a missing or deleted one is 404.
func (s *Server) withIssue(h func(*http.Request, *repo, *issue) reply) func(*http.Request) reply {
	return func(r *http.Request) reply {
		rp := s.repo(r.PathValue("owner")+"/"+r.PathValue("repo"), false)
		n, err := strconv.ParseInt(r.PathValue("number"), 10, 64)
		if rp == nil || err != nil || rp.issues[n] == nil {
			return notFound()
		}
		return h(r, rp, rp.issues[n])
	}
}

// touch records a change made through the API.
func (s *Server) touch(i *issue) { i.UpdatedAt = s.now() }

// page cuts n results into the request's page (per_page 30 by default,
// 100 at most) and builds GitHub's Link header.
func (s *Server) page(r *http.Request, n int) (lo, hi int, link string) {
	q := r.URL.Query()
	per := 30
	if v, err := strconv.Atoi(q.Get("per_page")); err == nil && v > 0 {
		per = min(v, 100)
	}
	p := 1
	if v, err := strconv.Atoi(q.Get("page")); err == nil && v > 0 {
		p = v
	}
	last := max(1, (n+per-1)/per)
	lo = min((p-1)*per, n)
	hi = min(lo+per, n)
	at := func(page int, rel string) string {
		q.Set("page", strconv.Itoa(page))
		return fmt.Sprintf(`<%s%s?%s>; rel="%s"`, s.srv.URL, r.URL.Path, q.Encode(), rel)
	}
	var links []string
	if p > 1 {
		links = append(links, at(min(p-1, last), "prev"))
	}
	if p < last {
		links = append(links, at(p+1, "next"), at(last, "last"))
	}
	if p > 1 {
		links = append(links, at(1, "first"))
	}
	return lo, hi, strings.Join(links, ", ")
}

// listIssues is GET /repos/O/R/issues: state, labels (a comma list, every
// one needed), since, assignee, sort, direction; pull requests included.
func (s *Server) listIssues(r *http.Request) reply {
	rp := s.repo(r.PathValue("owner")+"/"+r.PathValue("repo"), false)
	if rp == nil {
		return notFound()
	}
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	if state != "open" && state != "closed" && state != "all" {
		return invalid("state", "invalid")
	}
	var since time.Time
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return invalid("since", "invalid")
		}
		since = t.Truncate(time.Second)
	}
	var labels []string
	for l := range strings.SplitSeq(q.Get("labels"), ",") {
		if l = strings.TrimSpace(l); l != "" {
			labels = append(labels, l)
		}
	}
	assignee := q.Get("assignee")
	var got []*issue
	for _, i := range rp.issues {
		switch {
		case state != "all" && i.Closed != (state == "closed"):
		case !since.IsZero() && i.UpdatedAt.Before(since):
		case !hasAll(i.Labels, labels):
		case assignee == "none" && len(i.Assignees) > 0:
		case assignee == "*" && len(i.Assignees) == 0:
		case assignee != "" && assignee != "none" && assignee != "*" && !hasAll(i.Assignees, []string{assignee}):
		default:
			got = append(got, i)
		}
	}
	order(got, q.Get("sort"), q.Get("direction"))
	lo, hi, link := s.page(r, len(got))
	items := make([]issueJSON, 0, hi-lo)
	for _, i := range got[lo:hi] {
		items = append(items, s.issueJSON(rp, i))
	}
	return reply{http.StatusOK, items, link}
}

// order sorts by created (the number), updated or comments; newest first
// unless direction is asc.
func order(list []*issue, by, direction string) {
	slices.SortFunc(list, func(a, b *issue) int {
		if direction != "asc" {
			a, b = b, a
		}
		c := 0
		switch by {
		case "updated":
			c = a.UpdatedAt.Compare(b.UpdatedAt)
		case "comments":
			c = cmp.Compare(len(a.comments), len(b.comments))
		}
		return cmp.Or(c, cmp.Compare(a.IID, b.IID))
	})
}

// hasAll reports whether have holds every name in want, without case.
func hasAll(have, want []string) bool {
	for _, w := range want {
		if !slices.ContainsFunc(have, func(h string) bool { return strings.EqualFold(h, w) }) {
			return false
		}
	}
	return true
}

func (s *Server) getIssue(_ *http.Request, rp *repo, i *issue) reply {
	return reply{http.StatusOK, s.issueJSON(rp, i), ""}
}

// patchIssue is PATCH /repos/O/R/issues/N: title, body, state,
// state_reason, labels, assignees (or assignee), milestone. Everything is
// checked before anything changes.
func (s *Server) patchIssue(r *http.Request, rp *repo, i *issue) reply {
	var in map[string]json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		return badJSON()
	}
	next := *i
	next.Labels, next.Assignees = clone(i.Labels), clone(i.Assignees)
	if raw, ok := in["title"]; ok {
		if json.Unmarshal(raw, &next.Title) != nil || next.Title == "" {
			return invalid("title", "invalid")
		}
	}
	if raw, ok := in["body"]; ok {
		var body *string
		if json.Unmarshal(raw, &body) != nil {
			return invalid("body", "invalid")
		}
		next.Body = ""
		if body != nil {
			next.Body = *body
		}
	}
	if raw, ok := in["state"]; ok {
		var state string
		if json.Unmarshal(raw, &state) != nil || (state != "open" && state != "closed") {
			return invalid("state", "invalid")
		}
		next.Closed = state == "closed"
	}
	if raw, ok := in["labels"]; ok {
		names, err := labelNames(raw)
		if err != nil {
			return invalid("labels", "invalid")
		}
		next.Labels = dedupe(names)
	}
	if raw, ok := in["assignees"]; ok {
		var logins []string
		if json.Unmarshal(raw, &logins) != nil {
			return invalid("assignees", "invalid")
		}
		next.Assignees = dedupe(logins)
	} else if raw, ok := in["assignee"]; ok {
		var login *string
		if json.Unmarshal(raw, &login) != nil {
			return invalid("assignee", "invalid")
		}
		next.Assignees = nil
		if login != nil && *login != "" {
			next.Assignees = []string{*login}
		}
	}
	if raw, ok := in["milestone"]; ok {
		var n *int
		if json.Unmarshal(raw, &n) != nil || (n != nil && (*n < 1 || *n > len(rp.milestones))) {
			return invalid("milestone", "invalid")
		}
		next.Milestone = ""
		if n != nil {
			next.Milestone = rp.milestones[*n-1]
		}
	}
	var reason string
	if raw, ok := in["state_reason"]; ok {
		json.Unmarshal(raw, &reason)
	}
	switch {
	case next.Closed && !i.Closed:
		next.closedAt, next.stateReason = s.now(), "completed"
		if reason != "" {
			next.stateReason = reason
		}
	case !next.Closed && i.Closed:
		next.closedAt, next.stateReason = time.Time{}, "reopened"
	}
	if !sameIssue(*i, next) {
		s.touch(&next)
	}
	*i = next
	return reply{http.StatusOK, s.issueJSON(rp, i), ""}
}

func sameIssue(a, b issue) bool {
	return a.Title == b.Title && a.Body == b.Body && a.Closed == b.Closed && a.Milestone == b.Milestone &&
		slices.Equal(a.Labels, b.Labels) && slices.Equal(a.Assignees, b.Assignees)
}

// labelNames reads a label list given as names or objects with a name
// (mixed too), bare or under "labels".
func labelNames(raw json.RawMessage) ([]string, error) {
	var wrapped struct {
		Labels json.RawMessage `json:"labels"`
	}
	if json.Unmarshal(raw, &wrapped) == nil && wrapped.Labels != nil {
		raw = wrapped.Labels
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(elems))
	for _, e := range elems {
		var name string
		if json.Unmarshal(e, &name) != nil {
			var obj struct {
				Name string `json:"name"`
			}
			if err := json.Unmarshal(e, &obj); err != nil || obj.Name == "" {
				return nil, fmt.Errorf("a label is neither a name nor an object with one: %s", e)
			}
			name = obj.Name
		}
		names = append(names, name)
	}
	return names, nil
}

// dedupe drops empty names and repeats (without case), keeping the first
// spelling.
func dedupe(names []string) []string {
	var out []string
	for _, n := range names {
		if n != "" && !hasAll(out, []string{n}) {
			out = append(out, n)
		}
	}
	return out
}

func (s *Server) listLabels(r *http.Request, rp *repo, i *issue) reply {
	lo, hi, link := s.page(r, len(i.Labels))
	return reply{http.StatusOK, s.labelsJSON(rp, i.Labels[lo:hi]), link}
}

// addLabels is POST …/labels: adds to the issue's labels.
func (s *Server) addLabels(r *http.Request, rp *repo, i *issue) reply {
	var raw json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&raw); err != nil {
		return badJSON()
	}
	names, err := labelNames(raw)
	if err != nil {
		return invalid("labels", "invalid")
	}
	if merged := dedupe(append(clone(i.Labels), names...)); !slices.Equal(merged, i.Labels) {
		i.Labels = merged
		s.touch(i)
	}
	return reply{http.StatusOK, s.labelsJSON(rp, i.Labels), ""}
}

// setLabels is PUT …/labels: replaces the issue's labels.
func (s *Server) setLabels(r *http.Request, rp *repo, i *issue) reply {
	var raw json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&raw); err != nil {
		return badJSON()
	}
	names, err := labelNames(raw)
	if err != nil {
		return invalid("labels", "invalid")
	}
	if set := dedupe(names); !slices.Equal(set, i.Labels) {
		i.Labels = set
		s.touch(i)
	}
	return reply{http.StatusOK, s.labelsJSON(rp, i.Labels), ""}
}

// clearLabels is DELETE …/labels.
func (s *Server) clearLabels(_ *http.Request, _ *repo, i *issue) reply {
	if len(i.Labels) > 0 {
		i.Labels = nil
		s.touch(i)
	}
	return reply{http.StatusNoContent, nil, ""}
}

// removeLabel is DELETE …/labels/NAME; a label the issue lacks is 404.
func (s *Server) removeLabel(r *http.Request, rp *repo, i *issue) reply {
	name := r.PathValue("name")
	k := slices.IndexFunc(i.Labels, func(l string) bool { return strings.EqualFold(l, name) })
	if k < 0 {
		return reply{http.StatusNotFound, apiError{Message: "Label does not exist", DocumentationURL: "https://docs.github.com/rest", Status: "404"}, ""}
	}
	i.Labels = slices.Delete(clone(i.Labels), k, k+1)
	s.touch(i)
	return reply{http.StatusOK, s.labelsJSON(rp, i.Labels), ""}
}

func assigneesIn(r *http.Request) ([]string, bool) {
	var in struct {
		Assignees []string `json:"assignees"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		return nil, false
	}
	return in.Assignees, true
}

// addAssignees is POST …/assignees.
func (s *Server) addAssignees(r *http.Request, rp *repo, i *issue) reply {
	logins, ok := assigneesIn(r)
	if !ok {
		return badJSON()
	}
	if merged := dedupe(append(clone(i.Assignees), logins...)); !slices.Equal(merged, i.Assignees) {
		i.Assignees = merged
		s.touch(i)
	}
	return reply{http.StatusCreated, s.issueJSON(rp, i), ""}
}

// removeAssignees is DELETE …/assignees.
func (s *Server) removeAssignees(r *http.Request, rp *repo, i *issue) reply {
	logins, ok := assigneesIn(r)
	if !ok {
		return badJSON()
	}
	kept := slices.DeleteFunc(clone(i.Assignees), func(a string) bool { return hasAll(logins, []string{a}) })
	if len(kept) != len(i.Assignees) {
		i.Assignees = clone(kept)
		s.touch(i)
	}
	return reply{http.StatusOK, s.issueJSON(rp, i), ""}
}

// listComments is GET …/comments, oldest first.
func (s *Server) listComments(r *http.Request, rp *repo, i *issue) reply {
	lo, hi, link := s.page(r, len(i.comments))
	out := make([]commentJSON, 0, hi-lo)
	for _, c := range i.comments[lo:hi] {
		out = append(out, s.commentJSON(rp, i, c))
	}
	return reply{http.StatusOK, out, link}
}

// addComment is POST …/comments; an empty body is refused.
func (s *Server) addComment(r *http.Request, rp *repo, i *issue) reply {
	var in struct {
		Body *string `json:"body"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		return badJSON()
	}
	if in.Body == nil || strings.TrimSpace(*in.Body) == "" {
		return invalid("body", "missing_field")
	}
	c := comment{id: s.newID(), body: *in.Body, login: Login, at: s.now()}
	i.comments = append(i.comments, c)
	s.touch(i)
	return reply{http.StatusCreated, s.commentJSON(rp, i, c), ""}
}
