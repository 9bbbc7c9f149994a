package cli

import (
	"bufio"
	"fmt"
	"github.com/agent-backlog/backlog/internal/lazyre"
	"slices"
	"strings"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
)

type modifyCmd struct {
	Yes   bool     `help:"Modify more than 25 tasks without asking."`
	Words []string `arg:"" optional:"" help:"<filter> -- <changes>, or ids followed by changes."`
}

func (c *modifyCmd) Help() string {
	return `Changes every task the filter selects (pending tasks, unless the filter
names a status, an id or a UUID), as one command that undo reverses whole.

Which words are the filter: everything before --, and everything after it is
changes. Without --, the leading words that are ids, id lists or ranges
(12, 1,3,5-7) or UUIDs (or prefixes of 8+ hex digits) are the filter and the
rest are changes; any other filter needs the --. Changes are name:value,
+tag and -tag words; name: with no value clears the field; plain words
replace the description.

More than 25 tasks need --yes (on a terminal you are asked instead).

Examples:

    backlog modify 12 priority:H due:eow
    backlog modify 12,14-16 +urgent -later
    backlog modify +bug project:web -- priority:H
    backlog modify project:old -- project:new --yes
    backlog modify 12 due:`
}

// idWord matches the words that can only be task references: ids, id lists
// and ranges, and UUIDs or their prefixes of at least 8 hex digits.
var idWord = lazyre.New(`^(?:[0-9]+(?:-[0-9]+)?(?:,[0-9]+(?:-[0-9]+)?)*|[0-9a-fA-F]{8}(?:-[0-9a-fA-F-]{0,27})?)$`)

// splitModify separates the filter words from the change words.
func splitModify(words []string) (filter, changes []string, err error) {
	if i := slices.Index(words, "--"); i >= 0 {
		filter, changes = words[:i], words[i+1:]
	} else {
		n := 0
		for n < len(words) && idWord().MatchString(words[n]) {
			n++
		}
		filter, changes = words[:n], words[n:]
		if n == 0 && len(words) > 0 {
			return nil, nil, backlog.Invalidf("%q is not a task id: put the filter before -- and the changes after it, as in backlog modify +bug -- priority:H", words[0])
		}
	}
	if len(filter) == 0 {
		return nil, nil, backlog.Invalidf("modify needs a filter: backlog modify 12 priority:H, or backlog modify +bug -- priority:H")
	}
	return filter, changes, nil
}

func (c *modifyCmd) Run(a *runner) error {
	filterWords, changeWords, err := splitModify(c.Words)
	if err != nil {
		return err
	}
	changes, err := engine.ParseMods(changeWords, true)
	if err != nil {
		return err
	}
	if changes.IsEmpty() {
		return backlog.Invalidf("nothing to modify: give changes such as priority:H, +tag or due:friday")
	}
	eng, err := a.Engine(true)
	if err != nil {
		return err
	}
	filter := strings.Join(filterWords, " ")
	confirm := c.Yes
	if !confirm && isTerminal(a.env.Stdin) {
		n, err := eng.Count(a.ctx, filter)
		if err != nil {
			return err
		}
		if n > engine.MaxUnconfirmed {
			fmt.Fprintf(a.env.Stderr, "The filter matches %d tasks. Modify them all? [y/N] ", n)
			answer, _ := bufio.NewReader(a.env.Stdin).ReadString('\n')
			if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
				return backlog.Invalidf("modify cancelled: nothing changed")
			}
			confirm = true
		}
	}
	res, err := eng.Modify(a.ctx, filter, changes, confirm)
	if err != nil {
		return err
	}
	if a.globals.JSON {
		return a.printJSON(res)
	}
	same := len(res.Unchanged)
	switch {
	case res.Modified == 0 && same == 1:
		a.say("Nothing changed: task %d already has those values.", res.Unchanged[0])
		return nil
	case res.Modified == 0 && same > 1:
		a.say("Nothing changed: the %d tasks matched already have those values.", same)
		return nil
	case res.Modified == 1 && same == 0:
		a.say("Modified task %s.", named(res.Tasks[0]))
		return nil
	}
	for _, t := range res.Tasks {
		a.say("Modified task %s.", named(t))
	}
	if same > 0 {
		a.say("Modified %s (%s already had those values).", plural(res.Modified, "task"), plural(same, "other"))
		return nil
	}
	a.say("Modified %s.", plural(res.Modified, "task"))
	return nil
}
