package gitlab

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// client is a GitLab REST v4 client cut to the calls this adapter makes:
// list, read and update a project's issues, list and post an issue's notes,
// and find a user by name.
//
// It is written here instead of using GitLab's official client
// (gitlab.com/gitlab-org/api/client-go), which the project would otherwise
// prefer, because of start-up cost. Every run of the binary, a 10 ms hook
// included, pays for the package init of whatever it links, whether or not
// the command talks to GitLab: client-go's init registers its 704 API
// routes in a map, each split and matched against a regular expression,
// and brings go-retryablehttp, go-cleanhttp and a GraphQL package along.
// Measured with GODEBUG=inittrace=1 on the project's VM, that was ~250 KB
// in ~2,470 allocations and 0.8-3.5 ms at every start, against a hook's
// 20 ms budget (issue 14), and with charm's TUI packages 10 MB of binary.
// The five endpoints below need only net/http and encoding/json, which the
// binary links anyway, and nothing at init.
//
// The client neither retries nor paces requests: forge.Transport, under
// hc, waits out rate limits up to a bound, and anything else fails at once
// for the mirror to retry later.
type client struct {
	hc    *http.Client
	api   string // scheme://host[/prefix]/api/v4, escaped
	token string
}

// maxErrorBody bounds what is read of an error's body for its message.
const maxErrorBody = 64 << 10

// apiError is an answer outside 2xx. Resp's body is closed; its status and
// headers stay for classify.
type apiError struct {
	resp    *http.Response
	message string // GitLab's message, "" when it sent none
}

func (e *apiError) Error() string {
	if e.message == "" {
		return fmt.Sprintf("GitLab answered %d", e.resp.StatusCode)
	}
	return fmt.Sprintf("GitLab answered %d: %s", e.resp.StatusCode, e.message)
}

// badAnswer is a 2xx answer whose body is not the JSON asked for: a proxy's
// page, say, or a body cut short.
type badAnswer struct{ err error }

func (e *badAnswer) Error() string { return "its answer is not GitLab's JSON: " + e.err.Error() }
func (e *badAnswer) Unwrap() error { return e.err }

// projectPath is the API path of a project, given as a path
// (group/sub/project, its slashes sent as %2F) or a numeric id.
func projectPath(project string) string { return "/projects/" + url.PathEscape(project) }

// issuePath is the API path of one issue.
func issuePath(project string, iid int64) string {
	return projectPath(project) + "/issues/" + strconv.FormatInt(iid, 10)
}

// do sends one request to path (under the API, already escaped) with the
// query and, unless in is nil, in as a JSON body; a 2xx answer's JSON body
// is decoded into out unless out is nil. The returned response's body is
// closed: its headers carry the pagination. An error is a transport
// failure (the context's among them), an *apiError or a *badAnswer.
func (c *client) do(ctx context.Context, method, path string, query url.Values, in, out any) (*http.Response, error) {
	target := c.api + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b) // NewRequest sets GetBody: forge.Transport may send it again
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("PRIVATE-TOKEN", c.token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "agent-backlog")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() {
		io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody)) // lets the connection be reused
		resp.Body.Close()
	}()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return resp, &apiError{resp: resp, message: errorMessage(raw)}
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return resp, ctxErr
			}
			return resp, &badAnswer{err}
		}
	}
	return resp, nil
}

// errorMessage is the text of GitLab's error body: {"message": ...} or
// {"error": ...}, where the message may be a string, a list, or an object
// of a field's problems ({"title": ["can't be blank"]}), written out as
// "title can't be blank". A body that is not such JSON has no message.
func errorMessage(raw []byte) string {
	var body struct {
		Message any `json:"message"`
		Error   any `json:"error"`
	}
	if json.Unmarshal(raw, &body) != nil {
		return ""
	}
	if body.Message != nil {
		return flatten(body.Message)
	}
	return flatten(body.Error)
}

func flatten(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []any:
		parts := make([]string, 0, len(v))
		for _, x := range v {
			if s := flatten(x); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ", ")
	case map[string]any:
		parts := make([]string, 0, len(v))
		for k, x := range v {
			parts = append(parts, strings.TrimSpace(k+" "+flatten(x)))
		}
		slices.Sort(parts)
		return strings.Join(parts, "; ")
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// nextPage is the page after page, from GitLab's X-Next-Page header or,
// where a proxy or a large collection leaves it out, the page parameter of
// the Link header's rel="next"; 0 when this is the last.
func nextPage(h http.Header, page int) int {
	next, err := strconv.Atoi(strings.TrimSpace(h.Get("X-Next-Page")))
	if err != nil || next <= 0 {
		next = linkNextPage(h.Values("Link"))
	}
	if next <= page {
		return 0
	}
	return next
}

// linkNextPage is the page parameter of the rel="next" link, or 0.
func linkNextPage(links []string) int {
	for _, header := range links {
		for _, link := range strings.Split(header, ",") {
			target, params, ok := strings.Cut(link, ";")
			if !ok || !hasRelNext(params) {
				continue
			}
			target = strings.Trim(strings.TrimSpace(target), "<>")
			u, err := url.Parse(target)
			if err != nil {
				return 0
			}
			n, _ := strconv.Atoi(u.Query().Get("page"))
			return n
		}
	}
	return 0
}

func hasRelNext(params string) bool {
	for _, p := range strings.Split(params, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(k, "rel") && slices.Contains(strings.Fields(strings.Trim(v, `"`)), "next") {
			return true
		}
	}
	return false
}

// The JSON shapes below are the fields of GitLab's answers the adapter
// reads; the rest of each answer is skipped.

type userJSON struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
}

type issueJSON struct {
	IID         int64      `json:"iid"`
	Title       string     `json:"title"`
	Description string     `json:"description"` // null when empty
	State       string     `json:"state"`       // opened, closed
	Labels      []string   `json:"labels"`
	Assignees   []userJSON `json:"assignees"`
	Assignee    *userJSON  `json:"assignee"` // the first, and on servers without several the only one
	Milestone   *struct {
		Title string `json:"title"`
	} `json:"milestone"`
	UpdatedAt time.Time `json:"updated_at"`
	WebURL    string    `json:"web_url"`
}

type noteJSON struct {
	Body   string `json:"body"`
	System bool   `json:"system"`
}

// issueUpdate is the body of PUT /projects/:id/issues/:iid: only the fields
// set are sent. Label lists travel as one comma string, as GitLab takes
// them; AssigneeIDs is sent even when empty, which unassigns everyone.
type issueUpdate struct {
	Title        *string  `json:"title,omitempty"`
	Description  *string  `json:"description,omitempty"`
	AddLabels    string   `json:"add_labels,omitempty"`
	RemoveLabels string   `json:"remove_labels,omitempty"`
	AssigneeIDs  *[]int64 `json:"assignee_ids,omitempty"`
	StateEvent   string   `json:"state_event,omitempty"` // close, reopen
}
