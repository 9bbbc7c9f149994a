package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
)

type importCmd struct {
	File string `arg:"" optional:"" help:"The JSON file to import, or - for standard input; or github or gitlab."`
	Repo string `arg:"" optional:"" help:"With github or gitlab: the repository, OWNER/REPO or GROUP/SUB/PROJECT."`

	Search   string   `help:"github/gitlab: only issues the forge's search finds." placeholder:"Q" group:"forge"`
	Label    []string `help:"github/gitlab: only issues with this label (repeatable)." placeholder:"L" group:"forge"`
	Assignee string   `help:"github/gitlab: the agent every imported task is held by." placeholder:"AGENT" group:"forge"`
	Project  string   `help:"github/gitlab: the backlog project (default: the repository's name)." placeholder:"P" group:"forge"`
	Issue    []int64  `help:"github/gitlab: just this issue number (repeatable)." placeholder:"N" group:"forge"`
	Yes      bool     `help:"github/gitlab: import every matching issue without the picker." group:"forge"`
	Host     string   `help:"github/gitlab: the server (GitHub Enterprise, self-hosted GitLab); default GITHUB_API_URL / GITLAB_HOST or the public one." placeholder:"URL" group:"forge"`
}

func (c *importCmd) Help() string {
	return `Imports tasks from a JSON array (or JSON lines): backlog export output,
Taskwarrior's task export, or a plan written by hand. All or nothing: one bad
object rejects the batch, naming its index (from 0) and the reason. A task
whose UUID exists already is replaced. An object may carry "ref", a short name
that "depends" of other objects in the batch can use, and "doc", a markdown
doc to attach. Ids are assigned in input order.

backlog import github OWNER/REPO (or gitlab GROUP/PROJECT) imports open issues
as tasks linked to their source, never twice: on a terminal you pick them,
elsewhere (or with --yes) every matching issue not imported yet comes in;
--issue N takes just those. Claims, releases, completions and edits of those
tasks are then mirrored to the issues (see backlog sync --help). Tokens:
GITHUB_TOKEN (or GH_TOKEN), GITLAB_TOKEN.

Examples:

    backlog import backup.json
    task export | backlog import -
    backlog import plan.json --json
    backlog import github acme/app --label agent-ready --yes
    backlog import gitlab acme/platform/api --search "login" --project api`
}

// progressFrom is the input size from which a terminal shows progress.
const progressFrom = 512 << 10

func (c *importCmd) Run(a *runner) error {
	if c.File == "github" || c.File == "gitlab" {
		if _, err := os.Stat(c.File); c.Repo != "" || err != nil {
			return c.importForge(a, c.File)
		}
	}
	if c.Repo != "" {
		return backlog.Invalidf("import takes one file, got %q and %q (for issues: backlog import github OWNER/REPO)", c.File, c.Repo)
	}
	if c.Search != "" || len(c.Label) > 0 || c.Assignee != "" || c.Project != "" || len(c.Issue) > 0 || c.Yes || c.Host != "" {
		return backlog.Invalidf("--search, --label, --assignee, --project, --issue, --yes and --host are for backlog import github|gitlab REPO")
	}
	if c.File == "" {
		return backlog.Invalidf("import needs a file: backlog import tasks.json, or backlog import - to read standard input")
	}
	var data []byte
	var err error
	if c.File == "-" {
		data, err = io.ReadAll(a.env.Stdin)
	} else {
		data, err = os.ReadFile(c.File)
	}
	switch {
	case errors.Is(err, os.ErrNotExist):
		return backlog.Invalidf("cannot import %s: there is no such file", c.File)
	case err != nil:
		return fmt.Errorf("cannot read %s: %w", c.File, err)
	}
	eng, err := a.Engine(true)
	if err != nil {
		return err
	}
	var opts engine.ImportOptions
	if len(data) >= progressFrom && isTerminal(a.env.Stderr) {
		bar := &progressBar{w: a.env.Stderr, label: "Importing"}
		opts.Progress = bar.update
		defer bar.clear()
	}
	res, err := eng.Import(a.ctx, data, opts)
	if err != nil {
		return err
	}
	if a.globals.JSON {
		return a.printJSON(res)
	}
	switch {
	case res.Imported == 0:
		a.say("Imported no tasks.")
	case res.Imported == 1:
		a.say("Imported task %d.", res.Tasks[0].ID)
	default:
		a.say("Imported %d tasks (%s).", res.Imported, idRanges(res.Tasks))
	}
	return nil
}

// idRanges names the ids of tasks compactly: "ids 12-19", "ids 3, 7 and 9-12".
func idRanges(tasks []*backlog.Task) string {
	var parts []string
	for i := 0; i < len(tasks); {
		j := i
		for j+1 < len(tasks) && tasks[j+1].ID == tasks[j].ID+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", tasks[i].ID, tasks[j].ID))
		} else {
			parts = append(parts, fmt.Sprint(tasks[i].ID))
		}
		i = j + 1
	}
	if len(parts) == 1 {
		return "ids " + parts[0]
	}
	return "ids " + strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// progressBar draws "Importing [#####.....] 45%" on one terminal line.
type progressBar struct {
	w       io.Writer
	label   string
	percent int
	drawn   bool
}

func (p *progressBar) update(done, total int) {
	if total <= 0 {
		return
	}
	pc := done * 100 / total
	if p.drawn && pc == p.percent {
		return
	}
	p.percent, p.drawn = pc, true
	const width = 30
	fill := pc * width / 100
	fmt.Fprintf(p.w, "\r%s [%s%s] %3d%%", p.label, strings.Repeat("#", fill), strings.Repeat(".", width-fill), pc)
}

func (p *progressBar) clear() {
	if p.drawn {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", len(p.label)+40))
	}
}
