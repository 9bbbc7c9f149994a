package githubfake

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"
)

// query is a parsed search q: the qualifiers the fake knows, and free words
// matched in title and body without case.
type query struct {
	repos          []string // repo:O/R, any of them
	issues, pulls  bool     // is:issue / type:issue, is:pr / type:pr
	state          string   // "open", "closed" or "" for both
	labels         []string // label:x, every one
	notLabels      []string // -label:x
	assignees      []string // assignee:login
	noAssignee     bool     // no:assignee
	updated        []func(time.Time) bool
	words, notWord []string
}

// term is one space-separated piece of q; quotes group spaces and are
// dropped ("a b", label:"a b").
type term struct {
	text   string
	quoted bool // the whole term was quoted: always a phrase
	negate bool // a leading '-'
}

func terms(q string) []term {
	var out []term
	var b strings.Builder
	cur, inQuote, started := term{}, false, false
	flush := func() {
		if started {
			cur.text = b.String()
			out = append(out, cur)
		}
		b.Reset()
		cur, started = term{}, false
	}
	for _, r := range q {
		switch {
		case r == '"':
			if !started {
				cur.quoted = true
			}
			inQuote, started = !inQuote, true
		case unicode.IsSpace(r) && !inQuote:
			flush()
		case r == '-' && !started:
			cur.negate, started = true, true
		default:
			b.WriteRune(r)
			started = true
		}
	}
	flush()
	return out
}

func parseQuery(q string) query {
	var p query
	for _, t := range terms(q) {
		key, value, qualified := strings.Cut(t.text, ":")
		if t.quoted || !qualified || value == "" {
			if t.text == "" {
				continue
			}
			if t.negate {
				p.notWord = append(p.notWord, strings.ToLower(t.text))
			} else {
				p.words = append(p.words, strings.ToLower(t.text))
			}
			continue
		}
		switch key = strings.ToLower(key); {
		case key == "repo":
			p.repos = append(p.repos, value)
		case (key == "is" || key == "type") && value == "issue":
			p.issues = true
		case (key == "is" || key == "type") && (value == "pr" || value == "pull-request"):
			p.pulls = true
		case (key == "is" || key == "state") && (value == "open" || value == "closed"):
			p.state = value
		case key == "label" && t.negate:
			p.notLabels = append(p.notLabels, value)
		case key == "label":
			p.labels = append(p.labels, value)
		case key == "assignee":
			p.assignees = append(p.assignees, value)
		case key == "no" && value == "assignee":
			p.noAssignee = true
		case key == "updated":
			if f := dateCond(value); f != nil {
				p.updated = append(p.updated, f)
			}
		default:
			p.words = append(p.words, strings.ToLower(t.text))
		}
	}
	return p
}

// dateCond reads ">=2024-05-01T10:00:00Z", ">2024-05-01", "<…", "<=…".
func dateCond(v string) func(time.Time) bool {
	op := ""
	for _, o := range []string{">=", "<=", ">", "<"} {
		if rest, ok := strings.CutPrefix(v, o); ok {
			op, v = o, rest
			break
		}
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		if t, err = time.Parse(time.DateOnly, v); err != nil {
			return nil
		}
	}
	switch op {
	case ">=":
		return func(u time.Time) bool { return !u.Before(t) }
	case ">":
		return func(u time.Time) bool { return u.After(t) }
	case "<=":
		return func(u time.Time) bool { return !u.After(t) }
	case "<":
		return func(u time.Time) bool { return u.Before(t) }
	}
	return func(u time.Time) bool { return u.Format(time.DateOnly) == t.Format(time.DateOnly) }
}

func (p query) matchRepo(fullName string) bool {
	return len(p.repos) == 0 || slices.ContainsFunc(p.repos, func(r string) bool { return strings.EqualFold(r, fullName) })
}

func (p query) match(i *issue) bool {
	switch {
	case p.issues && !p.pulls && i.pr, p.pulls && !p.issues && !i.pr:
		return false
	case p.state != "" && i.Closed != (p.state == "closed"):
		return false
	case !hasAll(i.Labels, p.labels):
		return false
	case slices.ContainsFunc(p.notLabels, func(l string) bool { return hasAll(i.Labels, []string{l}) }):
		return false
	case !hasAll(i.Assignees, p.assignees), p.noAssignee && len(i.Assignees) > 0:
		return false
	}
	for _, f := range p.updated {
		if !f(i.UpdatedAt) {
			return false
		}
	}
	text := strings.ToLower(i.Title + "\n" + i.Body)
	for _, w := range p.words {
		if !strings.Contains(text, w) {
			return false
		}
	}
	for _, w := range p.notWord {
		if strings.Contains(text, w) {
			return false
		}
	}
	return true
}

type hit struct {
	repo  *repo
	issue *issue
}

// searchIssues is GET /search/issues?q=…: total_count, items with a score,
// pages linked as for lists.
func (s *Server) searchIssues(r *http.Request) reply {
	q := r.URL.Query().Get("q")
	if strings.TrimSpace(q) == "" {
		return reply{http.StatusUnprocessableEntity, apiError{
			Message: "Validation Failed", Errors: []fieldError{{Resource: "Search", Field: "q", Code: "missing"}},
			DocumentationURL: "https://docs.github.com/rest/search/search#search-issues-and-pull-requests", Status: "422",
		}, ""}
	}
	p := parseQuery(q)
	var hits []hit
	for _, rp := range s.repos {
		if !p.matchRepo(rp.fullName) {
			continue
		}
		for _, i := range rp.issues {
			if p.match(i) {
				hits = append(hits, hit{rp, i})
			}
		}
	}
	by, desc := r.URL.Query().Get("sort"), r.URL.Query().Get("order") != "asc"
	slices.SortFunc(hits, func(a, b hit) int {
		if desc {
			a, b = b, a
		}
		c := 0
		switch by {
		case "updated":
			c = a.issue.UpdatedAt.Compare(b.issue.UpdatedAt)
		case "comments":
			c = cmp.Compare(len(a.issue.comments), len(b.issue.comments))
		}
		return cmp.Or(c, a.issue.created.Compare(b.issue.created), cmp.Compare(a.repo.fullName, b.repo.fullName), cmp.Compare(a.issue.IID, b.issue.IID))
	})
	lo, hi, link := s.page(r, len(hits))
	score := 1.0
	out := searchJSON{TotalCount: len(hits), Items: make([]issueJSON, 0, hi-lo)}
	for _, h := range hits[lo:hi] {
		item := s.issueJSON(h.repo, h.issue)
		item.Score = &score
		out.Items = append(out.Items, item)
	}
	return reply{http.StatusOK, out, link}
}
