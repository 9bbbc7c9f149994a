package cli

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/config"
	"github.com/agent-backlog/backlog/forge"
	"github.com/agent-backlog/backlog/forge/forgeconf"
	"github.com/agent-backlog/backlog/forge/mirror"
)

// DefaultPushTimeout bounds the delivery of upstream changes after a
// command, so that a forge that is down costs a command seconds at most;
// BACKLOG_PUSH_TIMEOUT changes it (0 turns delivery after commands off:
// backlog sync still delivers).
const DefaultPushTimeout = 5 * time.Second

// forgeWait bounds the wait for a rate limit during import and sync.
const forgeWait = time.Minute

// mirrorEnv is the mirror's environment: the variables, and forges.toml
// from BACKLOG_FORGES, the git root or the user's config.
func (a *runner) mirrorEnv(maxWait time.Duration) (*mirror.Env, error) {
	getenv := a.env.Config.Getenv
	root := ""
	if a.cfg != nil && a.cfg.Root != "" {
		root = a.cfg.Root
	} else if a.env.Config.Getwd != nil {
		if wd, err := a.env.Config.Getwd(); err == nil {
			if r, ok := config.FindGitRoot(wd); ok {
				root = r
			}
		}
	}
	home := a.env.Config.Home
	if home == nil {
		home = os.UserHomeDir
	}
	path, err := forgeconf.Find(getenv, home, root)
	if err != nil {
		return nil, err
	}
	var file *forgeconf.File
	if path != "" {
		if file, err = forgeconf.Load(path); err != nil {
			return nil, err
		}
	}
	clock, err := configClock(a)
	if err != nil {
		return nil, err
	}
	return &mirror.Env{Getenv: getenv, Config: file, MaxWait: maxWait, Now: clock}, nil
}

// pushTimeout reads BACKLOG_PUSH_TIMEOUT.
func (a *runner) pushTimeout() time.Duration {
	v := strings.TrimSpace(a.env.Config.Getenv("BACKLOG_PUSH_TIMEOUT"))
	if v == "" {
		return DefaultPushTimeout
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return d
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	return DefaultPushTimeout
}

// pushOwed delivers what the command (or an earlier one) left owed
// upstream, within the push timeout, and says in one line per issue what
// is still owed. A command never fails because upstream is down.
func (a *runner) pushOwed() {
	if a.store == nil || a.engine == nil || a.pushed {
		return
	}
	budget := a.pushTimeout()
	if budget == 0 {
		return
	}
	owed, err := mirror.HasOwed(a.ctx, a.store)
	if err != nil || !owed {
		return
	}
	env, err := a.mirrorEnv(budget)
	if err != nil {
		fmt.Fprintf(a.env.Stderr, "backlog: upstream updates are owed and cannot be sent (%s); backlog sync retries them\n", oneLine(err))
		return
	}
	ctx, cancel := context.WithTimeout(a.ctx, budget)
	defer cancel()
	res, err := mirror.Push(ctx, env, a.engine, a.store, mirror.PushOptions{})
	if err != nil {
		fmt.Fprintf(a.env.Stderr, "backlog: upstream updates are owed (%s); backlog sync retries them\n", oneLine(err))
		return
	}
	a.reportPush(res)
}

// reportPush says what a delivery left: a line for each issue found gone,
// and one line for the updates still owed, naming their issues and why.
func (a *runner) reportPush(res *mirror.PushResult) {
	for _, g := range res.Gone {
		fmt.Fprintf(a.env.Stderr, "backlog: %s: upstream issue gone; the local change stands (backlog sync --status lists it)\n", g)
	}
	if line := owedLine(res); line != "" {
		fmt.Fprintln(a.env.Stderr, "backlog: "+line)
	}
}

// owedLine names the updates a delivery left owed that concern the command:
// those it tried and could not deliver, and those never tried (the
// command's own, held behind an earlier update of their issue that is not
// due yet). Older updates waiting for their next attempt are not repeated
// by every command. The reason is the first such issue's last error.
func owedLine(res *mirror.PushResult) string {
	var refs []string
	seen := map[string]bool{}
	why := map[string]string{} // by issue: the error of its first owed update
	reason := ""
	for _, it := range res.Owed {
		key := it.Source.Key()
		if _, ok := why[key]; !ok {
			why[key] = it.LastError
		}
		if _, tried := res.Failed[it.Seq]; !tried && it.Attempts > 0 {
			continue
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		refs = append(refs, it.Source.Ref())
		if reason == "" {
			reason = why[key]
		}
	}
	if reason != "" {
		reason = " (" + strings.Join(strings.Fields(reason), " ") + ")"
	}
	switch len(refs) {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf("%s: the upstream update is owed%s; backlog sync retries it", refs[0], reason)
	}
	const most = 3
	names := strings.Join(refs[:min(len(refs), most)], ", ")
	if len(refs) > most {
		names += fmt.Sprintf(" and %d more", len(refs)-most)
	}
	return fmt.Sprintf("upstream updates to %s are owed%s; backlog sync retries them", names, reason)
}

func oneLine(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }

// importForge is `backlog import github|gitlab REPO`.
func (c *importCmd) importForge(a *runner, kind string) error {
	if c.Repo == "" {
		return backlog.Invalidf("backlog import %s needs the repository: backlog import %s OWNER/REPO", kind, kind)
	}
	if err := mirror.ValidRepo(kind, c.Repo); err != nil {
		return err
	}
	env, err := a.mirrorEnv(forgeWait)
	if err != nil {
		return err
	}
	f, err := env.Open(kind, c.Host)
	if err != nil {
		return err
	}
	eng, err := a.Engine(true)
	if err != nil {
		return err
	}
	a.pushed = true
	opts := mirror.ImportOptions{Repo: c.Repo, Search: c.Search, Labels: c.Label, Issues: c.Issue,
		Assignee: c.Assignee, Project: c.Project}
	if !c.Yes && len(c.Issue) == 0 && !a.globals.JSON && isTerminal(a.env.Stdout) && isTerminal(a.env.Stdin) {
		opts.Pick = func(cands []mirror.Candidate) ([]forge.Issue, error) { return a.pickIssues(kind, c.Repo, cands) }
	}
	if isTerminal(a.env.Stderr) {
		opts.Progress = func(n int) { fmt.Fprintf(a.env.Stderr, "\rListing issues: %d", n) }
		defer fmt.Fprint(a.env.Stderr, "\r\033[K")
	}
	res, err := mirror.Import(a.ctx, env, f, eng, a.store, opts)
	if err != nil {
		return err
	}
	if a.globals.JSON {
		return a.printJSON(res)
	}
	a.say("imported %d, already here %d", res.Imported, res.Already)
	return nil
}

// syncCmd is `backlog sync`.
type syncCmd struct {
	Forge  string   `arg:"" optional:"" help:"github or gitlab (default: both)."`
	Filter []string `arg:"" optional:"" help:"Only the imported tasks this filter selects."`
	Status bool     `help:"Show imported tasks whose issue is gone, updates owed upstream, and each repository's last sync; change nothing."`
}

func (c *syncCmd) Help() string {
	return `Keeps imported GitHub and GitLab issues and their tasks in step. First it
sends every update still owed upstream (claims, releases, completions,
edits a command could not deliver), then it pulls what changed upstream since
the last sync: title, body, labels, assignee and milestone; an issue closed
upstream completes its task, one reopened makes it pending again.

Run it by hand, from cron, or let backlog serve deliver in the background.

Examples:

    backlog sync
    backlog sync github project:app
    backlog sync --status
    */10 * * * * cd ~/src/app && backlog sync >>~/.cache/backlog-sync.log 2>&1`
}

func (c *syncCmd) Run(a *runner) error {
	if c.Forge != "" && c.Forge != "github" && c.Forge != "gitlab" {
		c.Filter = append([]string{c.Forge}, c.Filter...)
		c.Forge = ""
	}
	eng, err := a.Engine(!c.Status)
	if err != nil {
		return err
	}
	a.pushed = true
	if c.Status {
		s, err := mirror.ReadStatus(a.ctx, eng, a.store)
		if err != nil {
			return err
		}
		if a.globals.JSON {
			return a.printJSON(s)
		}
		a.printSyncStatus(s)
		return nil
	}
	env, err := a.mirrorEnv(forgeWait)
	if err != nil {
		return err
	}
	res, err := mirror.Sync(a.ctx, env, eng, a.store, mirror.SyncOptions{Kind: c.Forge, Filter: strings.Join(c.Filter, " ")})
	if err != nil {
		return err
	}
	if a.globals.JSON {
		return a.printJSON(res)
	}
	for _, p := range res.Pulled {
		a.say("pulled %s into task %d: %s", p.Issue, p.ID, strings.Join(p.Changes, ", "))
	}
	for _, r := range res.Repos {
		if r.Error != "" {
			fmt.Fprintf(a.env.Stderr, "backlog: %s: nothing pulled (%s)\n", r.Repo, r.Error)
		}
	}
	a.reportPush(res.Push)
	a.say("pulled %d, pushed %d, owed %d", len(res.Pulled), res.Pushed, res.Owed)
	return nil
}

func (a *runner) printSyncStatus(s *mirror.Status) {
	if len(s.Repos) == 0 {
		a.say("No imported issues: backlog import github OWNER/REPO brings some in.")
		return
	}
	sort.SliceStable(s.Repos, func(i, j int) bool { return s.Repos[i].Repo < s.Repos[j].Repo })
	for _, r := range s.Repos {
		last := r.LastSync
		if last == "" {
			last = "never"
		}
		a.say("%s: %s, last sync %s", r.Repo, plural(r.Tasks, "task"), last)
	}
	for _, g := range s.Gone {
		a.say("gone upstream: task %d (%s)", g.ID, g.Issue)
	}
	for _, o := range s.Owed {
		line := fmt.Sprintf("owed: %s %s since %s", o.Issue, o.Op, o.At.UTC().Format(backlog.DateLayout))
		if o.LastError != "" {
			line += fmt.Sprintf(" (%s; %s)", plural(o.Attempts, "attempt"), o.LastError)
		}
		a.say("%s", line)
	}
	if len(s.Gone) == 0 && len(s.Owed) == 0 {
		a.say("Nothing owed upstream; no issue gone.")
	}
}
