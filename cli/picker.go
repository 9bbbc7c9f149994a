package cli

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"github.com/charmbracelet/x/term"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/forge"
	"github.com/agent-backlog/backlog/forge/mirror"
)

// pickerShownHere bounds the already-imported issues the picker lists above
// its options, so that a repository mostly imported still leaves the screen
// to the issues one can pick.
const pickerShownHere = 5

// pickIssues asks, on the terminal, which listed issues to import: a
// multi-select of the issues not imported yet, nothing selected at first,
// with those already here listed above it but not offered. Ctrl-C or Esc
// cancels, and then nothing is imported.
func (a *runner) pickIssues(kind, repo string, cands []mirror.Candidate) ([]forge.Issue, error) {
	cols, rows := pickerSize(a.env.Stdout)
	width := max(cols-8, 20) // less the cursor and the checkbox
	var options []huh.Option[int]
	var here []string
	for i, c := range cands {
		line := issueLine(c.Issue, width)
		if c.Here {
			here = append(here, line)
			continue
		}
		options = append(options, huh.NewOption(line, i))
	}
	if len(options) == 0 {
		return nil, nil
	}
	if isTerminal(a.env.Stderr) {
		fmt.Fprint(a.env.Stderr, "\r\033[K") // the listing's progress line
	}
	var picked []int
	title := fmt.Sprintf("Import which issues of %s (%s)?", repo, forgeName(kind))
	note := hereNote(here)
	if err := a.runPicker(issueField(title, note, options, rows, &picked), note, cols); err != nil {
		return nil, err
	}
	sort.Ints(picked)
	out := make([]forge.Issue, len(picked))
	for i, n := range picked {
		out[i] = cands[n].Issue
	}
	return out, nil
}

// issueField is the multi-select of the options, which are indexes of the
// candidates, into picked; note goes above the options.
func issueField(title, note string, options []huh.Option[int], rows int, picked *[]int) *huh.MultiSelect[int] {
	// The height is given because huh, left to itself, takes the title and
	// the note out of the options' lines and so hides the last few options;
	// and on a short terminal, because it counts one line too few below the
	// options (the blank before the help) and so scrolls the title away.
	height := lines(title) + lines(note) + len(options)
	if rows > 0 {
		height = max(min(height, rows-3), lines(title)+lines(note)+1)
	}
	// Filtering is off because Esc, which would leave the filter, cancels.
	return huh.NewMultiSelect[int]().
		Title(title).
		Description(note).
		Options(options...).
		Filterable(false).
		Height(height).
		Value(picked)
}

// runPicker runs the field on the runner's terminal until Enter, or until
// Esc or Ctrl-C, which cancel the import. TERM=dumb or ACCESSIBLE asks for
// huh's plain numbered prompt instead, for screen readers.
func (a *runner) runPicker(field *huh.MultiSelect[int], note string, cols int) error {
	getenv := a.env.Config.Getenv
	accessible := getenv != nil && (getenv("TERM") == "dumb" || getenv("ACCESSIBLE") != "")
	form := huh.NewForm(huh.NewGroup(field)).WithAccessible(accessible)
	// Esc and Ctrl-C end the form as Enter would, so that it clears its
	// lines as on a submit (huh's own cancel leaves them on the screen),
	// and what was picked is then dropped.
	cancelled := false
	cancel := key.NewBinding(key.WithKeys("esc", "ctrl+c"))
	opts := []tea.ProgramOption{tea.WithFilter(func(_ tea.Model, msg tea.Msg) tea.Msg {
		if k, ok := msg.(tea.KeyPressMsg); ok && key.Matches(k, cancel) {
			cancelled = true
			return tea.KeyPressMsg{Code: tea.KeyEnter}
		}
		return msg
	})}
	if !isTerminal(a.env.Stdout) {
		// No terminal to ask its size (a test's pipe): draw on a usual one.
		opts = append(opts, tea.WithWindowSize(cols, 30))
	}
	// WithProgramOptions replaces the program's options, so it comes first.
	form.WithProgramOptions(opts...).WithInput(a.env.Stdin).WithOutput(a.env.Stdout)
	if accessible && note != "" {
		fmt.Fprintln(a.env.Stdout, note) // the plain prompt leaves descriptions out
	}
	err := form.RunWithContext(a.ctx)
	switch {
	case cancelled || errors.Is(err, huh.ErrUserAborted):
		return backlog.Invalidf("import cancelled: nothing imported")
	case err != nil && a.ctx.Err() != nil:
		return a.ctx.Err()
	case err != nil:
		return backlog.Environmentf(err, "the issue picker could not run on this terminal (%v): nothing imported; --yes imports every issue, --issue N just the ones named", err)
	}
	return nil
}

// issueLine is an issue as the picker shows it: `#42 Title [bug, ui]`, cut
// to width columns (counted as runes), control characters dropped so that a
// title cannot move the cursor or recolour the terminal.
func issueLine(is forge.Issue, width int) string {
	line := fmt.Sprintf("#%d %s", is.IID, printable(is.Title))
	if len(is.Labels) > 0 {
		labels := make([]string, len(is.Labels))
		for i, l := range is.Labels {
			labels[i] = printable(l)
		}
		line += " [" + strings.Join(labels, ", ") + "]"
	}
	if width > 1 && utf8.RuneCountInString(line) > width {
		r := []rune(line)
		line = strings.TrimRight(string(r[:width-1]), " ") + "…"
	}
	return line
}

// printable is s on one line, with runs of spaces and control characters
// (escape sequences' introducers among them) made one space.
func printable(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || !unicode.IsPrint(r) && !unicode.IsSpace(r) {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// hereNote lists the issues already imported, which the picker does not
// offer: the first few, then how many more.
func hereNote(here []string) string {
	if len(here) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Already imported, not offered (%d):", len(here))
	for i, line := range here {
		if i == pickerShownHere && len(here) > pickerShownHere+1 {
			fmt.Fprintf(&b, "\n  … and %d more", len(here)-i)
			break
		}
		b.WriteString("\n  " + line)
	}
	return b.String()
}

// lines counts the lines of s, 0 for "".
func lines(s string) int {
	if s == "" {
		return 0
	}
	return strings.Count(s, "\n") + 1
}

// pickerSize is the terminal's size: 80 columns when it is not known, and
// 0 rows.
func pickerSize(w any) (cols, rows int) {
	if f, ok := w.(*os.File); ok {
		cols, rows, _ = term.GetSize(f.Fd())
	}
	if cols <= 0 {
		cols = 80
	}
	return cols, max(rows, 0)
}

// forgeName is the forge's name as people write it.
func forgeName(kind string) string {
	switch kind {
	case "github":
		return "GitHub"
	case "gitlab":
		return "GitLab"
	}
	return kind
}
