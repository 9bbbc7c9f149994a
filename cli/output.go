package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mattn/go-isatty"

	backlog "github.com/agent-backlog/backlog"
)

// printJSON writes v as one line of compact JSON, without HTML escaping.
func (a *runner) printJSON(v any) error {
	enc := json.NewEncoder(a.env.Stdout)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// say writes one line of human output.
func (a *runner) say(format string, args ...any) {
	fmt.Fprintf(a.env.Stdout, format+"\n", args...)
}

// tasksOrEmpty keeps an empty list a list in JSON ([] rather than null).
func tasksOrEmpty(ts []*backlog.Task) []*backlog.Task {
	if ts == nil {
		return []*backlog.Task{}
	}
	return ts
}

// isTerminal reports whether a stream is a terminal.
func isTerminal(s any) bool {
	f, ok := s.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// colorOn reports whether human output is coloured: only on a terminal, and
// never when NO_COLOR is set (https://no-color.org). CLICOLOR_FORCE forces it
// on anything else, for tests and pagers.
func (a *runner) colorOn() bool {
	if a.color == nil {
		getenv := a.env.Config.Getenv
		on := false
		switch {
		case getenv("NO_COLOR") != "":
		case getenv("CLICOLOR_FORCE") != "" && getenv("CLICOLOR_FORCE") != "0":
			on = true
		default:
			on = isTerminal(a.env.Stdout) && getenv("TERM") != "dumb"
		}
		a.color = &on
	}
	return *a.color
}

// ANSI styles.
const (
	styleBold      = "1"
	styleUnderline = "4"
	styleRed       = "31"
	styleGreen     = "32"
	styleYellow    = "33"
	styleDim       = "2"
)

// paint wraps s in an ANSI style when colour is on.
func (a *runner) paint(style, s string) string {
	if style == "" || s == "" || !a.colorOn() {
		return s
	}
	return "\x1b[" + style + "m" + s + "\x1b[0m"
}

// relative prints a duration the short way Taskwarrior does: 30s, 5min, 3h,
// 2d, 3w, 4mo, 1y; negative for the past ("-3h" is three hours overdue).
func relative(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	const day = 24 * time.Hour
	var n int64
	var unit string
	switch {
	case d >= 365*day:
		n, unit = int64(d/(365*day)), "y"
	case d >= 90*day:
		n, unit = int64(d/(30*day)), "mo"
	case d >= 14*day:
		n, unit = int64(d/(7*day)), "w"
	case d >= day:
		n, unit = int64(d/day), "d"
	case d >= time.Hour:
		n, unit = int64(d/time.Hour), "h"
	case d >= time.Minute:
		n, unit = int64(d/time.Minute), "min"
	default:
		n, unit = int64(d/time.Second), "s"
	}
	if n == 0 {
		sign = ""
	}
	return sign + strconv.FormatInt(n, 10) + unit
}

// table prints rows in aligned columns. Styles colour whole cells; they
// never count towards widths. The last column may be cut to fit width.
type table struct {
	header []string
	rows   [][]string
	styles [][]string // per row, per cell; may be shorter
	right  []bool     // right-align the column
}

func (t *table) add(cells []string, styles ...string) {
	t.rows = append(t.rows, cells)
	t.styles = append(t.styles, styles)
}

// print writes the table. When width > 0 the column named desc is cut with
// an ellipsis so that lines fit.
func (t *table) print(a *runner, w io.Writer, width int, desc int) {
	n := len(t.header)
	widths := make([]int, n)
	for i, h := range t.header {
		widths[i] = utf8.RuneCountInString(h)
	}
	for _, r := range t.rows {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	if width > 0 && desc >= 0 {
		total := n - 1
		for _, wd := range widths {
			total += wd
		}
		if over := total - width; over > 0 {
			widths[desc] = max(widths[desc]-over, 10)
		}
	}
	line := func(cells, styles []string, header bool) {
		var b strings.Builder
		for i, c := range cells {
			if utf8.RuneCountInString(c) > widths[i] {
				c = string([]rune(c)[:widths[i]-1]) + "…"
			}
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			style := ""
			if header {
				style = styleUnderline
			} else if i < len(styles) {
				style = styles[i]
			}
			if t.right != nil && t.right[i] {
				b.WriteString(pad + a.paint(style, c))
			} else if i == len(cells)-1 {
				b.WriteString(a.paint(style, c))
			} else {
				b.WriteString(a.paint(style, c) + pad)
			}
			if i < len(cells)-1 {
				b.WriteByte(' ')
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	line(t.header, nil, true)
	for i, r := range t.rows {
		line(r, t.styles[i], false)
	}
}

// plural is "1 task", "3 tasks".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// idList writes ids as "12", "12 and 14", "12, 14 and 15".
func idList(ids []int64) string {
	words := make([]string, len(ids))
	for i, id := range ids {
		words[i] = strconv.FormatInt(id, 10)
	}
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// named is how confirmations name a task: 12 "Fix login".
func named(t *backlog.Task) string {
	return fmt.Sprintf("%s %q", t.Ref(), t.Description)
}

// width is how wide lines may be: $COLUMNS, else the terminal's width when
// stdout is one, else 0 (no limit: pipes get whole lines).
func (a *runner) width() int {
	if n, err := strconv.Atoi(a.env.Config.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	if f, ok := a.env.Stdout.(*os.File); ok && isTerminal(f) {
		return terminalWidth(f)
	}
	return 0
}

// fileExists reports whether path names an existing file.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
