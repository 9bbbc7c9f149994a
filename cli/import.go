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
	File string `arg:"" optional:"" help:"The JSON file to import, or - for standard input."`
}

func (c *importCmd) Help() string {
	return `Imports tasks from a JSON array (or JSON lines): backlog export output,
Taskwarrior's task export, or a plan written by hand. All or nothing: one bad
object rejects the batch, naming its index (from 0) and the reason. A task
whose UUID exists already is replaced. An object may carry "ref", a short name
that "depends" of other objects in the batch can use, and "doc", a markdown
doc to attach. Ids are assigned in input order.

Examples:

    backlog import backup.json
    task export | backlog import -
    backlog import plan.json --json`
}

// progressFrom is the input size from which a terminal shows progress.
const progressFrom = 512 << 10

func (c *importCmd) Run(a *runner) error {
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
