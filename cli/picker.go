package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/term"

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
// with those already here listed above it but not offered. Ctrl-C, Esc or q
// cancels, and then nothing is imported. TERM=dumb or ACCESSIBLE asks by
// numbers instead, a line at a time, for screen readers.
func (a *runner) pickIssues(kind, repo string, cands []mirror.Candidate) ([]forge.Issue, error) {
	cols, _ := pickerSize(a.env.Stdout)
	width := max(cols-8, 20) // less the cursor and the checkbox
	var options []string
	var index []int // the candidate each option stands for
	var here []string
	for i, c := range cands {
		line := issueLine(c.Issue, width)
		if c.Here {
			here = append(here, line)
			continue
		}
		options = append(options, line)
		index = append(index, i)
	}
	if len(options) == 0 {
		return nil, nil
	}
	if isTerminal(a.env.Stderr) {
		fmt.Fprint(a.env.Stderr, "\r\033[K") // the listing's progress line
	}
	m := &multiSelect{
		title:   fmt.Sprintf("Import which issues of %s (%s)?", repo, forgeName(kind)),
		note:    hereNote(here),
		options: options,
		size:    func() (int, int) { return pickerSize(a.env.Stdout) },
	}
	var picked []int
	var err error
	if getenv := a.env.Config.Getenv; getenv != nil && (getenv("TERM") == "dumb" || getenv("ACCESSIBLE") != "") {
		picked, err = m.askByNumber(a.ctx, a.env.Stdin, a.env.Stdout)
	} else {
		picked, err = a.runPicker(m)
	}
	switch {
	case errors.Is(err, errPickCancelled):
		return nil, backlog.Invalidf("import cancelled: nothing imported")
	case err != nil && a.ctx.Err() != nil:
		return nil, a.ctx.Err()
	case err != nil:
		return nil, backlog.Environmentf(err, "the issue picker could not run on this terminal (%v): nothing imported; --yes imports every issue, --issue N just the ones named", err)
	}
	out := make([]forge.Issue, len(picked))
	for i, n := range picked {
		out[i] = cands[index[n]].Issue
	}
	return out, nil
}

// runPicker runs m on the runner's terminal, in raw mode when stdin is a
// terminal (so that each key arrives as it is typed and Ctrl-C as a key),
// and puts the terminal back as it was however the picker ends.
func (a *runner) runPicker(m *multiSelect) ([]int, error) {
	if f, ok := a.env.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		state, err := term.MakeRaw(int(f.Fd()))
		if err != nil {
			return nil, err
		}
		defer term.Restore(int(f.Fd()), state)
	}
	return m.run(a.ctx, a.env.Stdin, a.env.Stdout)
}

// errPickCancelled is a picker left with Esc, q, Ctrl-C, or the end of its
// input.
var errPickCancelled = errors.New("cancelled")

// multiSelect is a list of options to tick, drawn in place on a terminal
// and driven by keys read from a stream: ↑/↓ or k/j move, space or x ticks
// the option under the cursor, a ticks every option (or none, when every
// one is), Enter accepts, Esc, q or Ctrl-C cancels; Home/End, g/G and
// PgUp/PgDn move further. When the options are taller than the terminal a
// window of them scrolls with the cursor.
//
// It is written here, on golang.org/x/term alone, instead of on a TUI
// toolkit (charm's huh did this before) because every command paid for the
// toolkit's package init at start-up, a prompt that a few imports ever
// show: ~60 KB in ~350 allocations and 0.4-1.8 ms (an ANSI parser's
// tables, terminal capabilities, a clipboard probe that searches PATH),
// measured with GODEBUG=inittrace=1.
type multiSelect struct {
	title, note string   // above the options; note may have several lines
	options     []string // one line each
	// size is the terminal's columns and rows, asked at each frame so that
	// a resized terminal gets frames that fit; rows 0 is "unknown", and
	// then every option is shown.
	size func() (cols, rows int)
	// escWait is how long an Esc waits for the rest of a sequence; 0 is
	// defaultEscWait.
	escWait time.Duration

	checked []bool
	cursor  int // the option under the cursor
	top     int // the first option in view
	drawn   int // the lines of the frame on the screen
}

// pickerKey is what a key press asks of the picker.
type pickerKey int

const (
	keyIgnored pickerKey = iota
	keyUp
	keyDown
	keyPageUp
	keyPageDown
	keyHome
	keyEnd
	keyToggle
	keyToggleAll
	keyAccept
	keyCancel
)

// defaultEscWait is how long an Esc that might begin a key's sequence (the arrow
// keys send Esc [ A) waits for the rest before it is taken as Esc alone.
// A terminal sends a sequence in one write, so the wait matters only on a
// slow link that splits it.
const defaultEscWait = 50 * time.Millisecond

// run shows the picker on out, reads keys from in until Enter, and returns
// the indexes of the options ticked, in order, or errPickCancelled. The
// frame is cleared when it ends, however it ends.
func (m *multiSelect) run(ctx context.Context, in io.Reader, out io.Writer) ([]int, error) {
	m.checked = make([]bool, len(m.options))
	// Hide the cursor and turn line wrapping off, so that every line of a
	// frame takes one row whatever its width and the frame can be redrawn
	// by moving up over it.
	if _, err := io.WriteString(out, "\033[?25l\033[?7l"+m.render()); err != nil {
		return nil, err
	}
	defer func() { io.WriteString(out, m.clear()+"\033[?7h\033[?25h") }()

	rctx, stop := context.WithCancel(ctx)
	defer stop()
	input := readChunks(rctx, in)
	escWait := cmp.Or(m.escWait, defaultEscWait)
	var pending []byte // a sequence begun and not ended
	var wait <-chan time.Time
	for {
		var keys []pickerKey
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-wait:
			keys, pending = decodeKeys(pending, true)
			wait = nil
		case c := <-input:
			if c.err != nil {
				if errors.Is(c.err, io.EOF) {
					return nil, errPickCancelled
				}
				return nil, c.err
			}
			keys, pending = decodeKeys(append(pending, c.data...), false)
			wait = nil
			if len(pending) > 0 {
				wait = time.After(escWait)
			}
		}
		for _, k := range keys {
			switch k {
			case keyAccept:
				return m.picked(), nil
			case keyCancel:
				return nil, errPickCancelled
			}
			m.press(k)
		}
		if len(keys) > 0 {
			if _, err := io.WriteString(out, m.render()); err != nil {
				return nil, err
			}
		}
	}
}

// press moves the cursor or ticks options as k asks.
func (m *multiSelect) press(k pickerKey) {
	last := len(m.options) - 1
	switch k {
	case keyUp:
		m.cursor = max(m.cursor-1, 0)
	case keyDown:
		m.cursor = min(m.cursor+1, last)
	case keyPageUp:
		m.cursor = max(m.cursor-m.window(), 0)
	case keyPageDown:
		m.cursor = min(m.cursor+m.window(), last)
	case keyHome:
		m.cursor = 0
	case keyEnd:
		m.cursor = last
	case keyToggle:
		m.checked[m.cursor] = !m.checked[m.cursor]
	case keyToggleAll:
		all := true
		for _, c := range m.checked {
			all = all && c
		}
		for i := range m.checked {
			m.checked[i] = !all
		}
	}
}

func (m *multiSelect) picked() []int {
	out := []int{}
	for i, c := range m.checked {
		if c {
			out = append(out, i)
		}
	}
	return out
}

// window is how many options a frame shows on a terminal of rows rows:
// what is left by the title, the note and the help line, at least one.
func (m *multiSelect) window() int {
	_, rows := m.size()
	n := len(m.options)
	if rows <= 0 {
		return n
	}
	fixed := lines(m.title) + lines(m.shownNote(rows)) + 1
	return max(min(n, rows-fixed), 1)
}

// shownNote is the note, unless the terminal is too short for it and one
// option besides.
func (m *multiSelect) shownNote(rows int) string {
	if rows > 0 && lines(m.title)+lines(m.note)+2 > rows {
		return ""
	}
	return m.note
}

// frame is the picker's lines as they stand, each cut to cols columns.
func (m *multiSelect) frame() []string {
	cols, rows := m.size()
	win := m.window()
	m.top = min(max(m.top, m.cursor-win+1), m.cursor, len(m.options)-win)
	m.top = max(m.top, 0)

	var out []string
	out = append(out, strings.Split(m.title, "\n")...)
	if note := m.shownNote(rows); note != "" {
		out = append(out, strings.Split(note, "\n")...)
	}
	for i := m.top; i < m.top+win; i++ {
		line := "  [ ] "
		if m.checked[i] {
			line = "  [✓] "
		}
		if i == m.cursor {
			line = ">" + line[1:]
		}
		out = append(out, line+m.options[i])
	}
	n := 0
	for _, c := range m.checked {
		if c {
			n++
		}
	}
	// What was picked and where the window is come first: the keys are
	// the part a narrow terminal may cut.
	help := fmt.Sprintf("%d picked · ", n)
	if win < len(m.options) {
		help += fmt.Sprintf("%d–%d of %d · ", m.top+1, m.top+win, len(m.options))
	}
	help += "↑↓ move · space pick · a all · enter import · esc cancel"
	out = append(out, help)
	if cols > 1 {
		for i, l := range out {
			out[i] = cut(l, cols-1)
		}
	}
	return out
}

// render is what moves the cursor back over the frame on the screen,
// clears it and draws the frame anew, the cursor left at the end of its
// last line.
func (m *multiSelect) render() string {
	lines := m.frame()
	s := m.clear() + strings.Join(lines, "\r\n")
	m.drawn = len(lines)
	return s
}

// clear moves the cursor back to where the frame on the screen begins and
// erases it.
func (m *multiSelect) clear() string {
	var b strings.Builder
	if m.drawn > 1 {
		b.WriteString("\033[" + strconv.Itoa(m.drawn-1) + "A")
	}
	if m.drawn > 0 {
		b.WriteString("\r\033[J")
	}
	m.drawn = 0
	return b.String()
}

// decodeKeys reads the key presses in b: bytes as a terminal in raw mode
// sends them. rest is a sequence begun at the end of b and not ended,
// which waits for more bytes unless final, when an Esc that begins it is
// taken as Esc alone.
func decodeKeys(b []byte, final bool) (keys []pickerKey, rest []byte) {
	for len(b) > 0 {
		if b[0] != 0x1b {
			keys = append(keys, byteKey(b[0]))
			b = b[1:]
			continue
		}
		k, n := escapeKey(b)
		if n == 0 { // not ended
			if !final {
				return keys, b
			}
			k, n = keyCancel, 1 // Esc alone
		}
		keys = append(keys, k)
		b = b[n:]
	}
	return keys, nil
}

// byteKey is the key one byte stands for.
func byteKey(c byte) pickerKey {
	switch c {
	case 'k', 0x10: // Ctrl-P
		return keyUp
	case 'j', 0x0e, '\t': // Ctrl-N
		return keyDown
	case 'g':
		return keyHome
	case 'G':
		return keyEnd
	case ' ', 'x':
		return keyToggle
	case 'a':
		return keyToggleAll
	case '\r', '\n':
		return keyAccept
	case 'q', 0x03, 0x04: // Ctrl-C, Ctrl-D
		return keyCancel
	}
	return keyIgnored
}

// escapeKey reads the sequence b begins with (b[0] is Esc) and how many
// bytes it takes; 0 bytes when b ends before it does. CSI (Esc [ …) and
// SS3 (Esc O x) sequences are the keys they stand for, or nothing; Esc
// followed by anything else is Esc, the byte after it left to be read.
func escapeKey(b []byte) (pickerKey, int) {
	if len(b) < 2 {
		return keyIgnored, 0
	}
	switch b[1] {
	case 'O':
		if len(b) < 3 {
			return keyIgnored, 0
		}
		return finalKey(b[2], ""), 3
	case '[':
		// Parameters and intermediates (0x20-0x3f), then one final byte.
		for i := 2; i < len(b); i++ {
			if c := b[i]; c >= 0x40 && c <= 0x7e {
				return finalKey(c, string(b[2:i])), i + 1
			} else if c < 0x20 || c > 0x3f {
				return keyIgnored, i // a broken sequence: dropped
			}
		}
		return keyIgnored, 0
	}
	return keyCancel, 1
}

// finalKey is the key of a CSI or SS3 sequence from its final byte and
// parameters: the arrows, Home, End, Page Up, Page Down, Shift-Tab.
func finalKey(final byte, params string) pickerKey {
	switch final {
	case 'A', 'Z':
		return keyUp
	case 'B':
		return keyDown
	case 'H':
		return keyHome
	case 'F':
		return keyEnd
	case '~':
		n, _, _ := strings.Cut(params, ";")
		switch n {
		case "1", "7":
			return keyHome
		case "4", "8":
			return keyEnd
		case "5":
			return keyPageUp
		case "6":
			return keyPageDown
		}
	}
	return keyIgnored
}

// chunk is what one read of the input gave.
type chunk struct {
	data []byte
	err  error
}

// readChunks reads in on a goroutine of its own, so that the picker can
// also wait for the context and for the rest of a sequence; it stops at the
// first error or when ctx is done. A read still blocked when the picker
// ends (a terminal is not closed) takes the next bytes typed and drops
// them: the import that follows reads nothing from the terminal.
func readChunks(ctx context.Context, in io.Reader) <-chan chunk {
	ch := make(chan chunk)
	go func() {
		buf := make([]byte, 256)
		for {
			n, err := in.Read(buf)
			c := chunk{data: append([]byte(nil), buf[:n]...), err: err}
			if n > 0 && err != nil {
				c.err = nil // the bytes first; the error comes again on the next read
			}
			select {
			case ch <- c:
			case <-ctx.Done():
				return
			}
			if c.err != nil {
				return
			}
		}
	}()
	return ch
}

// askByNumber is the picker as numbered lines and a question, for screen
// readers and terminals that cannot be drawn on (TERM=dumb): each number
// typed ticks or unticks its option, and 0 or an empty line accepts; q or
// the end of the input cancels.
func (m *multiSelect) askByNumber(ctx context.Context, in io.Reader, out io.Writer) ([]int, error) {
	m.checked = make([]bool, len(m.options))
	var b strings.Builder
	b.WriteString(m.title + "\n")
	if m.note != "" {
		b.WriteString(m.note + "\n")
	}
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	input := readChunks(rctx, in)
	var buf []byte
	for {
		for i, o := range m.options {
			mark := " "
			if m.checked[i] {
				mark = "✓"
			}
			fmt.Fprintf(&b, "%d. %s %s\n", i+1, mark, o)
		}
		fmt.Fprintf(&b, "Enter a number between 1 and %d to pick or unpick an issue, 0 or nothing to import those picked, q to cancel: ", len(m.options))
		if _, err := io.WriteString(out, b.String()); err != nil {
			return nil, err
		}
		b.Reset()
		var line string
		for {
			if i := strings.IndexByte(string(buf), '\n'); i >= 0 {
				line, buf = string(buf[:i]), buf[i+1:]
				break
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case c := <-input:
				if errors.Is(c.err, io.EOF) {
					return nil, errPickCancelled
				} else if c.err != nil {
					return nil, c.err
				}
				buf = append(buf, c.data...)
			}
		}
		line = strings.TrimSpace(line)
		if line == "q" {
			return nil, errPickCancelled
		}
		n, err := strconv.Atoi(line)
		switch {
		case line == "" || err == nil && n == 0:
			return m.picked(), nil
		case err != nil || n < 0 || n > len(m.options):
			fmt.Fprintf(&b, "%q is not a number between 0 and %d.\n", line, len(m.options))
		default:
			m.checked[n-1] = !m.checked[n-1]
		}
		b.WriteString("\n")
	}
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
	if width > 1 {
		line = cut(line, width)
	}
	return line
}

// cut is s in at most width columns (counted as runes), ending in an
// ellipsis when shortened.
func cut(s string, width int) string {
	if utf8.RuneCountInString(s) <= width {
		return s
	}
	r := []rune(s)
	return strings.TrimRight(string(r[:width-1]), " ") + "…"
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
		cols, rows, _ = term.GetSize(int(f.Fd()))
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
