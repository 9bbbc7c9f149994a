package mirror

import (
	"context"
	"slices"
	"strings"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/forge"
	"github.com/agent-backlog/backlog/forge/forgeconf"
	"github.com/agent-backlog/backlog/store"
)

// SyncOptions choose what a sync considers.
type SyncOptions struct {
	Kind   string // github, gitlab, or "" for both
	Filter string // the imported tasks to pull into (filter language); "" for all
}

// Pulled is one task a sync changed from upstream, and how.
type Pulled struct {
	ID      int64    `json:"id"`
	Issue   string   `json:"issue"` // owner/repo#42
	Changes []string `json:"changes"`
}

// RepoSync is what a sync did with one repository.
type RepoSync struct {
	Repo   string `json:"repo"` // host/project
	Since  string `json:"since,omitempty"`
	Listed int    `json:"listed"` // issues changed upstream since the last sync
	Error  string `json:"error,omitempty"`
}

// SyncResult is what a sync did on each side.
type SyncResult struct {
	Pulled []Pulled    `json:"pulled"`
	Pushed int         `json:"pushed"`
	Owed   int         `json:"owed"`
	Gone   []string    `json:"gone,omitempty"`
	Repos  []RepoSync  `json:"repos"`
	Push   *PushResult `json:"-"`
}

// Sync pushes every change owed upstream, then pulls what changed upstream
// since the last sync of each repository into its imported tasks: title,
// body, labels, assignee, milestone; closed upstream is completed here, an
// open issue without the done label is pending again. An issue with a
// change still owed upstream is left alone until that change is delivered
// (the backlog's side wins, then the issue's later edits come in). A
// repository that cannot be reached is reported and the others go on.
func Sync(ctx context.Context, env *Env, eng *engine.Engine, st store.Store, opts SyncOptions) (*SyncResult, error) {
	res := &SyncResult{Pulled: []Pulled{}, Repos: []RepoSync{}}
	push, err := Push(ctx, env, eng, st, PushOptions{All: true})
	if err != nil {
		return nil, err
	}
	res.Push, res.Pushed, res.Gone = push, push.Pushed, push.Gone
	owedKeys := map[string]bool{}
	for _, it := range push.Owed {
		owedKeys[it.Source.Key()] = true
	}
	src := "source.any:"
	if opts.Kind != "" {
		src = "source:" + opts.Kind
	}
	if strings.TrimSpace(opts.Filter) != "" {
		src += " (" + opts.Filter + ")"
	}
	tasks, err := eng.Export(ctx, src)
	if err != nil {
		return nil, err
	}
	type repoTasks struct {
		source backlog.Source
		byIID  map[int64]*backlog.Task
	}
	var order []string
	repos := map[string]*repoTasks{}
	for _, t := range tasks {
		if t.Source == nil {
			continue
		}
		k := t.Source.Type + ":" + strings.ToLower(t.Source.Host) + "/" + strings.ToLower(t.Source.Project)
		r, ok := repos[k]
		if !ok {
			r = &repoTasks{source: *t.Source, byIID: map[int64]*backlog.Task{}}
			repos[k] = r
			order = append(order, k)
		}
		r.byIID[t.Source.IID] = t
	}
	for _, k := range order {
		r := repos[k]
		s := r.source
		rs := RepoSync{Repo: strings.ToLower(s.Host) + "/" + s.Project}
		key := syncKey(s.Type, s.Host, s.Project)
		var since time.Time
		if err := st.Read(ctx, func(tx store.Tx) error {
			v, err := tx.Meta(ctx, key)
			if err == nil && v != "" {
				since, _ = time.Parse(time.RFC3339, v)
			}
			return err
		}); err != nil {
			return nil, err
		}
		if !since.IsZero() {
			rs.Since = since.UTC().Format(time.RFC3339)
		}
		pulled, newest, listed, err := pullRepo(ctx, env, eng, st, s, r.byIID, since, owedKeys, strings.TrimSpace(opts.Filter) != "")
		rs.Listed = listed
		if err != nil {
			if !forge.IsAuth(err) && !forge.IsUnavailable(err) && !forge.IsGone(err) {
				return nil, err
			}
			rs.Error = err.Error()
			if forge.IsGone(err) {
				rs.Error = "the repository is gone, or the token may not see it"
			}
			res.Repos = append(res.Repos, rs)
			continue
		}
		res.Pulled = append(res.Pulled, pulled...)
		if newest.After(since) {
			if err := st.Write(ctx, func(tx store.Tx) error {
				return tx.SetMeta(ctx, key, newest.UTC().Format(time.RFC3339))
			}); err != nil {
				return nil, err
			}
		}
		res.Repos = append(res.Repos, rs)
	}
	if err := owed(ctx, st, push); err != nil {
		return nil, err
	}
	res.Owed = len(push.Owed)
	return res, nil
}

// pullRepo lists the repository's issues changed since the last sync and
// brings each into its task, in one transaction. It returns the new
// high-water mark: the newest change listed, but no later than the first
// change it had to leave for a later sync (an issue with a change still
// owed, or, when the sync is filtered, one whose task the filter left out),
// so that the next sync lists that issue again.
func pullRepo(ctx context.Context, env *Env, eng *engine.Engine, st store.Store, s backlog.Source, byIID map[int64]*backlog.Task,
	since time.Time, owedKeys map[string]bool, filtered bool) ([]Pulled, time.Time, int, error) {
	f, err := env.ForSource(s)
	if err != nil {
		return nil, time.Time{}, 0, err
	}
	repo := env.Repo(s.Host, s.Project)
	issues := map[string]forge.Issue{} // by task UUID
	var uuids []string
	var left time.Time               // the first change left for later
	others := map[string]time.Time{} // issues without a task of the filter, by source key
	leave := func(at time.Time) {
		if left.IsZero() || at.Before(left) {
			left = at
		}
	}
	newest, listed := since, 0
	err = f.List(ctx, s.Project, forge.ListOptions{All: true, Since: since}, func(page []forge.Issue) error {
		for _, is := range page {
			listed++
			if is.UpdatedAt.After(newest) {
				newest = is.UpdatedAt
			}
			t, ok := byIID[is.IID]
			switch {
			case !ok && filtered:
				src := s
				src.IID = is.IID
				others[src.Key()] = is.UpdatedAt
				continue
			case !ok:
				continue
			case owedKeys[t.Source.Key()]:
				leave(is.UpdatedAt)
				continue
			}
			if _, dup := issues[t.UUID]; !dup {
				uuids = append(uuids, t.UUID)
			}
			issues[t.UUID] = is
		}
		return nil
	})
	if err != nil {
		return nil, time.Time{}, listed, err
	}
	if len(others) > 0 {
		keys := make([]string, 0, len(others))
		for k := range others {
			keys = append(keys, k)
		}
		if err := st.Read(ctx, func(tx store.Tx) error {
			linked, err := tx.SourceTasks(ctx, keys)
			for k := range linked {
				leave(others[k])
			}
			return err
		}); err != nil {
			return nil, time.Time{}, listed, err
		}
	}
	if !left.IsZero() && left.Before(newest) {
		newest = left
	}
	if len(uuids) == 0 {
		return nil, newest, listed, nil
	}
	changed, err := eng.PullIssues(ctx, uuids, func(t *backlog.Task, doc *string) engine.PullChange {
		is := issues[t.UUID]
		return pullChange(repo, t, doc, &is)
	})
	if err != nil {
		return nil, time.Time{}, listed, err
	}
	var out []Pulled
	for _, t := range changed {
		before := byIIDBefore(byIID, t)
		out = append(out, Pulled{ID: t.ID, Issue: t.Source.Ref(), Changes: describe(before, t)})
	}
	return out, newest, listed, nil
}

func byIIDBefore(byIID map[int64]*backlog.Task, t *backlog.Task) *backlog.Task {
	if t.Source == nil {
		return nil
	}
	return byIID[t.Source.IID]
}

// pullChange is what an issue asks of its task: its fields as an import
// maps them (a priority only when a label gives one, an assignee only when
// there is one: agents may have no forge account), closed as completed, an
// open issue without the done label as pending, and the body as the doc.
func pullChange(repo forgeconf.Repo, t *backlog.Task, doc *string, is *forge.Issue) engine.PullChange {
	fl := FieldsOf(repo, is)
	after := t.Clone()
	prio, agent := after.Priority, after.Agent
	fl.apply(after)
	if !slices.ContainsFunc(is.Labels, func(l string) bool { _, _, ok := priorityOf(l); return ok }) {
		after.Priority = prio
	}
	if fl.Agent == "" {
		after.Agent = agent
	}
	done := slices.ContainsFunc(is.Labels, func(l string) bool { return strings.EqualFold(strings.TrimSpace(l), repo.Labels.Done) })
	switch {
	case is.Closed && t.Status == backlog.StatusPending:
		after.Status = backlog.StatusCompleted
	case !is.Closed && !done && t.Status == backlog.StatusCompleted:
		after.Status = backlog.StatusPending
	}
	body := docOf(is.Body)
	var d *string
	if (doc == nil && body != "") || (doc != nil && *doc != body) {
		d = &body
	}
	return engine.PullChange{Task: after, Doc: d}
}

// describe names what a pull changed, for people.
func describe(before, after *backlog.Task) []string {
	if before == nil {
		return []string{"changed"}
	}
	var out []string
	if before.Description != after.Description {
		out = append(out, "title")
	}
	switch {
	case before.Status != backlog.StatusCompleted && after.Status == backlog.StatusCompleted:
		out = append(out, "closed: completed")
	case before.Status == backlog.StatusCompleted && after.Status != backlog.StatusCompleted:
		out = append(out, "reopened: pending")
	}
	if !slices.Equal(withoutDoc(before.Tags), withoutDoc(after.Tags)) {
		out = append(out, "labels")
	}
	if before.Priority != after.Priority {
		out = append(out, "priority")
	}
	if before.Agent != after.Agent {
		out = append(out, "assignee")
	}
	if before.Extra["milestone"] != after.Extra["milestone"] {
		out = append(out, "milestone")
	}
	if before.HasDoc != after.HasDoc || len(out) == 0 {
		out = append(out, "body")
	}
	return out
}

func withoutDoc(tags []string) []string {
	return slices.DeleteFunc(slices.Clone(tags), func(t string) bool { return t == "doc" })
}
