package mirror

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/forge"
	"github.com/agent-backlog/backlog/store"
)

// ImportOptions select the issues of one repository to import.
type ImportOptions struct {
	Repo     string // OWNER/REPO, GROUP/SUB/PROJECT
	Search   string
	Labels   []string
	Issues   []int64 // just these numbers (open or closed)
	Assignee string  // the agent every imported task gets
	Project  string  // the backlog project; "" for the repository's name
	// Pick, when set, chooses among the open issues listed (every one not
	// imported yet is offered; those already here are passed too, marked).
	// It returns the issues to import.
	Pick func(candidates []Candidate) ([]forge.Issue, error)
	// Progress, when set, hears how many issues have been listed.
	Progress func(listed int)
}

// Candidate is an issue listed for the picker, and whether a task of the
// backlog is already linked to it.
type Candidate struct {
	Issue forge.Issue
	Here  bool
}

// ImportResult counts an import.
type ImportResult struct {
	Imported int             `json:"imported"`
	Already  int             `json:"already"`
	Tasks    []*backlog.Task `json:"tasks"`
}

// ValidRepo checks a repository path for a forge: OWNER/REPO on GitHub,
// GROUP/PROJECT with any subgroups on GitLab.
func ValidRepo(kind, repo string) error {
	parts := strings.Split(repo, "/")
	ok := len(parts) >= 2
	for _, p := range parts {
		if p == "" || strings.ContainsAny(p, " \t\r\n#?%") {
			ok = false
		}
	}
	if kind == "github" && len(parts) != 2 {
		ok = false
	}
	if !ok {
		if kind == "github" {
			return backlog.Invalidf("a GitHub repository is OWNER/REPO, got %q", repo)
		}
		return backlog.Invalidf("a GitLab project is GROUP/PROJECT (subgroups allowed), got %q", repo)
	}
	return nil
}

// Import lists the repository's open issues on f (every page; pull
// requests never appear) or reads the numbers asked for, and makes a task
// of each not imported yet, in one transaction, ids in the order of the
// issue numbers.
func Import(ctx context.Context, env *Env, f forge.Forge, eng *engine.Engine, st store.Store, opts ImportOptions) (*ImportResult, error) {
	if err := ValidRepo(f.Kind(), opts.Repo); err != nil {
		return nil, err
	}
	project := opts.Project
	if project == "" {
		project = ProjectOf(opts.Repo)
	} else if err := backlog.ValidateProject(project); err != nil {
		return nil, err
	}
	if opts.Assignee != "" {
		if err := backlog.ValidateAgent(opts.Assignee); err != nil {
			return nil, err
		}
	}
	var issues []forge.Issue
	if len(opts.Issues) > 0 {
		for _, n := range opts.Issues {
			is, err := f.Get(ctx, opts.Repo, n)
			if forge.IsGone(err) {
				return nil, backlog.NotFoundf("%s has no issue #%d on %s", opts.Repo, n, f.Host())
			}
			if err != nil {
				return nil, err
			}
			issues = append(issues, *is)
		}
	} else {
		listed := 0
		err := f.List(ctx, opts.Repo, forge.ListOptions{Search: opts.Search, Labels: opts.Labels}, func(page []forge.Issue) error {
			issues = append(issues, page...)
			listed += len(page)
			if opts.Progress != nil {
				opts.Progress(listed)
			}
			return nil
		})
		if forge.IsGone(err) {
			return nil, backlog.NotFoundf("%s does not exist on %s, or the token may not see it", opts.Repo, f.Host())
		}
		if err != nil {
			return nil, err
		}
	}
	repo := env.Repo(f.Host(), opts.Repo)
	sourceOf := func(is *forge.Issue) *backlog.Source {
		return &backlog.Source{Type: f.Kind(), Host: f.Host(), Project: opts.Repo, IID: is.IID, URL: is.URL}
	}
	shown := 0 // issues the picker showed as already here
	if opts.Pick != nil {
		here, err := hereKeys(ctx, st, issues, sourceOf)
		if err != nil {
			return nil, err
		}
		cands := make([]Candidate, len(issues))
		for i, is := range issues {
			cands[i] = Candidate{Issue: is, Here: here[sourceOf(&issues[i]).Key()]}
			if cands[i].Here {
				shown++
			}
		}
		if issues, err = opts.Pick(cands); err != nil {
			return nil, err
		}
	}
	// Ids follow the issues' numbers, whatever order the forge lists
	// them in (newest first on both), so that task 1 is the oldest issue.
	slices.SortStableFunc(issues, func(a, b forge.Issue) int { return cmp.Compare(a.IID, b.IID) })
	items := make([]engine.IssueTask, 0, len(issues))
	for i := range issues {
		is := &issues[i]
		fl := FieldsOf(repo, is)
		t := &backlog.Task{Project: project, Source: sourceOf(is)}
		fl.apply(t)
		if opts.Assignee != "" {
			t.Agent = opts.Assignee
		}
		if fl.Closed {
			t.Status = backlog.StatusCompleted
		}
		items = append(items, engine.IssueTask{Task: t, Doc: docOf(is.Body)})
	}
	res := &ImportResult{Tasks: []*backlog.Task{}}
	if len(items) == 0 {
		res.Already = shown
		return res, nil
	}
	summary := fmt.Sprintf("import %d issue%s from %s/%s", len(items), plural(len(items)), f.Host(), opts.Repo)
	r, err := eng.ImportIssues(ctx, items, summary)
	if err != nil {
		return nil, err
	}
	res.Imported, res.Already, res.Tasks = len(r.Imported), len(r.Already)+shown, r.Imported
	if res.Tasks == nil {
		res.Tasks = []*backlog.Task{}
	}
	// The first sync pulls what changed from the start of this import on.
	key := syncKey(f.Kind(), f.Host(), opts.Repo)
	err = st.Write(ctx, func(tx store.Tx) error {
		if v, err := tx.Meta(ctx, key); err != nil || v != "" {
			return err
		}
		return tx.SetMeta(ctx, key, env.now().Add(-time.Minute).UTC().Format(time.RFC3339))
	})
	return res, err
}

// hereKeys says which of the issues a task is linked to already.
func hereKeys(ctx context.Context, st store.Store, issues []forge.Issue, sourceOf func(*forge.Issue) *backlog.Source) (map[string]bool, error) {
	keys := make([]string, len(issues))
	for i := range issues {
		keys[i] = sourceOf(&issues[i]).Key()
	}
	here := map[string]bool{}
	err := st.Read(ctx, func(tx store.Tx) error {
		m, err := tx.SourceTasks(ctx, keys)
		for k := range m {
			here[k] = true
		}
		return err
	})
	return here, err
}

// docOf is an issue's body as a doc: "" when blank, cut to the doc limit.
func docOf(body string) string {
	body = strings.ReplaceAll(body, "\r\n", "\n")
	if strings.TrimSpace(body) == "" {
		return ""
	}
	if len(body) > backlog.MaxDocSize {
		const note = "\n\n… (cut: the issue's body is longer than a doc may be)\n"
		cut := backlog.MaxDocSize - len(note)
		for cut > 0 && (body[cut]&0xC0) == 0x80 {
			cut--
		}
		body = body[:cut] + note
	}
	return body
}

// syncKey is the setting that holds a repository's last sync.
func syncKey(kind, host, repo string) string {
	return "sync:" + kind + ":" + strings.ToLower(host) + "/" + strings.ToLower(repo)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
