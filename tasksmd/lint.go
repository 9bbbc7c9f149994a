package tasksmd

import (
	"errors"
	"fmt"
	"github.com/agent-backlog/backlog/internal/lazyre"
	"io/fs"
	"os"
	"regexp"
	"sort"
	"strings"
)

// A Finding is one lint error (or, in LintResult.Fixes, one fix).
type Finding struct {
	File    string
	Line    int
	Message string
}

func (f Finding) String() string { return fmt.Sprintf("ERROR: %s:%d: %s", f.File, f.Line, f.Message) }

// A Source is a file to lint: the name to print and its bytes.
type Source struct {
	Path string
	Data []byte
}

// A LintResult is what Lint found across its sources.
type LintResult struct {
	// Findings are the errors, grouped by file in the order given and
	// by line within a file.
	Findings []Finding
	// Fixes are the removed completed tasks (lines of the input), in order.
	Fixes []Finding
	// Fixed holds the new bytes of each source that --fix changed.
	Fixed map[string][]byte
}

var (
	reLintMetaStart  = jsRegexp(`^\s+-\s+\*\*`)
	reLintIndent4    = jsRegexp(`^\s{4,}`)
	reLintAnyBox     = jsRegexp(`^-\s+\[.\]`)
	reLintAnyBoxSp   = jsRegexp(`^-\s+\[.\]\s`)
	reLintPolicy     = jsRegexp(`(?i)policy\s*:`)
	reLintEmptyPol   = jsRegexp(`(?i)<!--\s*policy\s*:\s*-->`)
	reLintBlocked    = jsRegexp(`^\s+-\s+\*\*Blocked\*\*:\s*$`)
	reLintResearch   = jsRegexp(`^\s+-\s+\*\*Research\*\*:\s*$`)
	reLintEnriched   = jsRegexp(`^\s+-\s+\*\*Last-enriched\*\*:\s*(.*)$`)
	reLintDate       = lazyre.New(`^\d{4}-\d{2}-\d{2}$`)
	reLintBadHeading = jsRegexp(`^##\s+P(?:[4-9]|\d{2,})`)
	reLintChecked    = jsRegexp(`^-\s+\[[xX]\]\s`)
	reLintListItem   = jsRegexp(`^-\s+`)
	reLintIDLine     = jsRegexp(`^\s+-\s+\*\*ID\*\*:`)
	reLintBlockLine  = jsRegexp(`^\s+-\s+\*\*Blocked by\*\*:`)
)

// The messages of the lint rules, as the reference prints them.
const (
	msgChecked   = "completed task should be removed, not checked off"
	msgPlacement = "task found before any priority heading; add a '## P0'-'## P3' heading first"
	msgOrphan    = "orphaned metadata (no parent task); nest under a '- [ ]' task line or remove the line"
	msgBlocked   = "**Blocked** must have a non-empty reason (e.g. 'needs-user-approval — ...'); remove the field if the task is no longer blocked"
	msgResearch  = "**Research** must have a non-empty value (research notes or a dated subheading); remove the field if there are no notes yet"
	msgEnrEmpty  = "**Last-enriched** must be an ISO date (YYYY-MM-DD); remove the field if the task hasn't been enriched"
	msgPolicyOut = "policy directive found outside HTML comment; wrap it in <!-- policy: ... -->"
	msgPolicyNil = "policy directive has empty text; add a directive after 'policy:'"
	msgUnclosed  = "unclosed HTML comment; close it with '-->' on the line that ends the comment block"
)

// Lint checks sources as the reference linter does, IDs and blockers
// across all of them. Lines are read as the reference reads them: split at
// "\n" only, so a CRLF file's first line is "# Tasks\r" and fails the header
// rule. With fix, each source with top-level checked tasks (`- [x]`, `- [X]`)
// loses them (with the indented or blank lines after each, up to and
// including the first blank), runs of blank lines are collapsed, and the
// result is what gets linted (line numbers of the fixed content).
//
// Where the reference differs from TASKSMD.md, the spec wins: `- [X]` is a
// checked task too, the line of an ID or blocker finding is the line of the
// field (the reference miscounts past blank lines inside a block), and
// findings are ordered by file then line.
func Lint(srcs []Source, fix bool) LintResult {
	res := LintResult{Fixed: map[string][]byte{}}
	type located struct {
		file string
		line int
	}
	ids := map[string]located{}
	type ref struct {
		id string
		at located
	}
	var refs []ref
	byFile := map[string][]Finding{}
	for _, src := range srcs {
		lines := strings.Split(string(src.Data), "\n")
		if fix {
			fixed, fixes := fixLines(lines)
			for _, n := range fixes {
				res.Fixes = append(res.Fixes, Finding{File: src.Path, Line: n, Message: "removed completed task"})
			}
			if len(fixes) > 0 {
				lines = fixed
				res.Fixed[src.Path] = []byte(strings.Join(lines, "\n"))
			}
		}
		report := func(line int, msg string) {
			byFile[src.Path] = append(byFile[src.Path], Finding{File: src.Path, Line: line, Message: msg})
		}
		lintLines(lines, report)
		for _, t := range parseTasks(src.Path, lines) {
			if f := t.Field("id"); f != nil {
				id := f.Value
				at := located{src.Path, fieldLine(lines, t, reLintIDLine())}
				if !reKebab().MatchString(id) {
					report(at.line, fmt.Sprintf("ID '%s' must be kebab-case (lowercase letters, numbers, hyphens)", id))
				}
				if first, ok := ids[id]; !ok {
					ids[id] = at
				} else if first.file == src.Path {
					report(at.line, fmt.Sprintf("duplicate ID '%s' (first defined at line %d); rename one or merge the two task blocks", id, first.line))
				} else {
					report(at.line, fmt.Sprintf("duplicate ID '%s' (also defined in %s:%d); rename one or merge the two task blocks", id, first.file, first.line))
				}
			}
			if t.Field("blockedby") != nil {
				at := located{src.Path, fieldLine(lines, t, reLintBlockLine())}
				for _, id := range t.BlockedBy() {
					refs = append(refs, ref{id, at})
				}
			}
		}
	}
	for _, r := range refs {
		if _, ok := ids[r.id]; !ok {
			byFile[r.at.file] = append(byFile[r.at.file], Finding{File: r.at.file, Line: r.at.line,
				Message: fmt.Sprintf("blocked-by references unknown ID '%s'; remove the **Blocked by** entry or add a task with that ID", r.id)})
		}
	}
	seen := map[string]bool{}
	for _, src := range srcs {
		if seen[src.Path] {
			continue
		}
		seen[src.Path] = true
		got := byFile[src.Path]
		sort.SliceStable(got, func(i, j int) bool { return got[i].Line < got[j].Line })
		res.Findings = append(res.Findings, got...)
	}
	return res
}

// fieldLine is the first line of t's block that matches re, else the
// task's line.
func fieldLine(lines []string, t *Task, re *regexp.Regexp) int {
	for n := t.StartLine; n <= t.EndLine; n++ {
		if re.MatchString(lines[n-1]) {
			return n
		}
	}
	return t.StartLine
}

// lintLines applies the line rules, in the reference's order, to every
// line after the first.
func lintLines(lines []string, report func(int, string)) {
	if lines[0] != "# Tasks" {
		report(1, fmt.Sprintf("first line must be '# Tasks', got '%s'", lines[0]))
	}
	last := -1
	inTask, inComment := false, false
	for i := 1; i < len(lines); i++ {
		line, n := lines[i], i+1
		opens := strings.Contains(line, "<!--")
		if opens {
			inComment = true
		}
		if strings.Contains(line, "-->") {
			inComment = false
		}
		if !inComment && !opens && containsFoldASCII(line, "policy") && reLintPolicy().MatchString(line) &&
			!reLintMetaStart().MatchString(line) && !reLintIndent4().MatchString(line) && !reLintAnyBox().MatchString(line) {
			report(n, msgPolicyOut)
		}
		if opens && reLintEmptyPol().MatchString(line) {
			report(n, msgPolicyNil)
		}
		if strings.Contains(line, "**:") {
			lintFieldLine(line, n, report)
		}
		if p := matchHeading(line); p >= 0 {
			if p <= last {
				report(n, fmt.Sprintf("priority heading P%d out of order (after P%d); reorder so P0 < P1 < P2 < P3", p, last))
			}
			last, inTask = p, false
			continue
		}
		sp := leadingSpaces(line)
		if sp == 0 && !strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "-") {
			continue
		}
		switch {
		case reLintBadHeading().MatchString(line):
			report(n, fmt.Sprintf("invalid priority heading '%s' (must be P0-P3)", line))
		case reLintChecked().MatchString(line):
			report(n, msgChecked)
		case isTaskLine(line):
			if last < 0 {
				report(n, msgPlacement)
			}
			inTask = true
		case reLintListItem().MatchString(line) && !reLintAnyBoxSp().MatchString(line) && last >= 0:
			report(n, fmt.Sprintf("task must use checkbox format '- [ ]', got '%s'", line))
		case sp >= 2:
			if !inTask && reLintMetaStart().MatchString(line) {
				report(n, msgOrphan)
			}
		}
	}
	if inComment {
		report(len(lines), msgUnclosed)
	}
}

// lintFieldLine applies the rules of the Blocked, Research and
// Last-enriched fields to one line.
func lintFieldLine(line string, n int, report func(int, string)) {
	if strings.Contains(line, "**Blocked**:") && reLintBlocked().MatchString(line) {
		report(n, msgBlocked)
	}
	if strings.Contains(line, "**Research**:") && reLintResearch().MatchString(line) {
		report(n, msgResearch)
	}
	if !strings.Contains(line, "**Last-enriched**:") {
		return
	}
	if m := reLintEnriched().FindStringSubmatch(line); m != nil {
		if v := jsTrim(m[1]); v == "" {
			report(n, msgEnrEmpty)
		} else if !reLintDate().MatchString(v) {
			report(n, fmt.Sprintf("**Last-enriched** must be an ISO date (YYYY-MM-DD), got '%s'", v))
		}
	}
}

// fixLines removes the checked top-level tasks and collapses blank runs,
// returning the new lines and the (input) line numbers of the removed tasks.
func fixLines(lines []string) ([]string, []int) {
	remove := make([]bool, len(lines))
	var fixes []int
	for i := 1; i < len(lines); i++ {
		if remove[i] || !strings.HasPrefix(lines[i], "-") || !reLintChecked().MatchString(lines[i]) {
			continue
		}
		remove[i] = true
		fixes = append(fixes, i+1)
		for j := i + 1; j < len(lines); j++ {
			blank := jsTrim(lines[j]) == ""
			if !blank && leadingSpaces(lines[j]) < 2 {
				break
			}
			remove[j] = true
			if blank {
				break
			}
		}
	}
	if len(fixes) == 0 {
		return lines, nil
	}
	var kept []string
	for i, l := range lines {
		if !remove[i] {
			kept = append(kept, l)
		}
	}
	out := kept[:0:0]
	for i, l := range kept {
		if i > 0 && jsTrim(l) == "" && jsTrim(kept[i-1]) == "" {
			continue
		}
		out = append(out, l)
	}
	return out, fixes
}

// A LintRun is what `lint [--fix] PATH...` prints and returns.
type LintRun struct {
	Stdout, Stderr string
	Code           int
}

// LintUsage is printed (on stdout, exit 2) when lint gets no PATH.
const LintUsage = "Usage: backlog tasksmd lint [--fix] <file|directory> [file|directory...]\n\n" +
	"Validates TASKS.md files against the spec.\nOptions:\n  --fix    Auto-fix removable issues (completed tasks)\n" +
	"Exits 0 on success, 1 on validation errors, 2 on usage errors.\n"

// RunLint is the whole `lint` command: it expands the PATHs, reads and
// lints the files, writes fixed files with write (the caller's atomic
// replace; nil means os.WriteFile keeping the mode), and returns the exact
// output and exit code. Paths are printed as given (the reference prints
// them absolute). A file that cannot be read counts as an error
// (`Cannot read: <file>`); a fix that cannot be written is an error too.
func RunLint(paths []string, fix bool, write func(path string, data []byte) error) LintRun {
	var out, errOut strings.Builder
	if len(paths) == 0 {
		return LintRun{Stdout: LintUsage, Code: 2}
	}
	var files []string
	for _, p := range paths {
		found, err := ExpandLintPath(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return LintRun{Stderr: "Not found: " + p + "\n", Code: 2}
			}
			return LintRun{Stderr: fmt.Sprintf("Cannot read %s: %v\n", p, errors.Unwrap(err)), Code: 2}
		}
		files = append(files, found...)
	}
	if len(files) == 0 {
		return LintRun{Stderr: "No .md files found in the specified paths.\n", Code: 2}
	}
	if write == nil {
		write = writeKeepingMode
	}
	var srcs []Source
	errs := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			errOut.WriteString("Cannot read: " + f + "\n")
			errs++
			continue
		}
		srcs = append(srcs, Source{Path: f, Data: data})
	}
	res := Lint(srcs, fix)
	for _, src := range srcs {
		if data, ok := res.Fixed[src.Path]; ok {
			if err := write(src.Path, data); err != nil {
				errOut.WriteString(fmt.Sprintf("Cannot write %s: %v\n", src.Path, err))
				errs++
			}
		}
	}
	for _, f := range res.Fixes {
		fmt.Fprintf(&out, "FIX: %s:%d: %s\n", f.File, f.Line, f.Message)
	}
	for _, f := range res.Findings {
		errOut.WriteString(f.String() + "\n")
	}
	errs += len(res.Findings)
	out.WriteString("\n")
	if fix && len(res.Fixes) > 0 {
		fmt.Fprintf(&out, "Checked %d file(s), fixed %d issue(s), %d remaining error(s)\n", len(srcs), len(res.Fixes), errs)
	} else {
		fmt.Fprintf(&out, "Checked %d file(s), found %d error(s)\n", len(srcs), errs)
	}
	code := 0
	if errs > 0 {
		code = 1
	}
	return LintRun{Stdout: out.String(), Stderr: errOut.String(), Code: code}
}

func writeKeepingMode(path string, data []byte) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, st.Mode().Perm())
}

func isTaskLine(line string) bool {
	_, ok := matchTaskLine(line)
	return ok
}
