package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/config"
	"github.com/agent-backlog/backlog/forge"
	"github.com/agent-backlog/backlog/forge/mirror"
)

// screen collects what the picker draws; the program writes from its own
// goroutine.
type screen struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// pickerCandidates is a repository of four open issues, the first already
// imported.
func pickerCandidates() []mirror.Candidate {
	return []mirror.Candidate{
		{Issue: forge.Issue{IID: 1, Title: "Already imported", Labels: []string{"bug"}}, Here: true},
		{Issue: forge.Issue{IID: 2, Title: "Fix the login", Labels: []string{"bug", "ui"}}},
		{Issue: forge.Issue{IID: 3, Title: "Write the docs"}},
		{Issue: forge.Issue{IID: 4, Title: "Speed up search", Labels: []string{"perf"}}},
	}
}

// runPicker runs the picker on keys typed into a pipe, as a terminal would
// send them, and returns what it picked and drew. The pipe stays open until
// the picker returns, so that a lone Esc is read as a key, not as the start
// of a sequence cut short.
func runPicker(t *testing.T, cands []mirror.Candidate, keys ...string) ([]forge.Issue, string, error) {
	t.Helper()
	return runPickerEnv(t, map[string]string{"TERM": "xterm-256color"}, cands, keys...)
}

// runPickerEnv is runPicker with these environment variables.
func runPickerEnv(t *testing.T, env map[string]string, cands []mirror.Candidate, keys ...string) ([]forge.Issue, string, error) {
	t.Helper()
	// A bound on a hung picker, not on its speed: it ends the test instead
	// of the test binary's timeout.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	in, typist := io.Pipe()
	out := &screen{}
	a := &runner{ctx: ctx, env: Env{Stdin: in, Stdout: out, Stderr: io.Discard,
		Config: config.Source{Getenv: func(k string) string { return env[k] }}}}
	go func() {
		for _, k := range keys {
			if _, err := io.WriteString(typist, k); err != nil {
				return
			}
		}
	}()
	picked, err := a.pickIssues("github", "octo/app", cands)
	typist.Close()
	if ctx.Err() != nil {
		t.Fatalf("the picker did not return: %v", ctx.Err())
	}
	return picked, out.String(), err
}

func iids(issues []forge.Issue) []int64 {
	var n []int64
	for _, is := range issues {
		n = append(n, is.IID)
	}
	return n
}

func TestPicker(t *testing.T) {
	t.Run("space and x toggle issues, j moves down, enter imports the two picked", func(t *testing.T) {
		picked, drawn, err := runPicker(t, pickerCandidates(), " ", "j", "j", "x", "\r")
		if err != nil {
			t.Fatal(err)
		}
		if got := iids(picked); len(got) != 2 || got[0] != 2 || got[1] != 4 {
			t.Errorf("picked %v, want [2 4]", got)
		}
		for _, want := range []string{"octo/app", "GitHub", "✓", "#2 Fix the login [bug, ui]", "#3 Write the docs", "#4 Speed up search [perf]"} {
			if !strings.Contains(drawn, want) {
				t.Errorf("the picker does not show %q:\n%s", want, drawn)
			}
		}
	})
	t.Run("an issue already imported is shown but cannot be picked", func(t *testing.T) {
		// Up from the first option stays on it: #1 is not an option.
		picked, drawn, err := runPicker(t, pickerCandidates(), "k", "k", "x", "\r")
		if err != nil {
			t.Fatal(err)
		}
		if got := iids(picked); len(got) != 1 || got[0] != 2 {
			t.Errorf("picked %v, want [2]", got)
		}
		if !strings.Contains(drawn, "Already imported, not offered (1):") || !strings.Contains(drawn, "#1 Already imported [bug]") {
			t.Errorf("the picker does not list #1 as already imported:\n%s", drawn)
		}
	})
	t.Run("nothing is selected at first, every option is in view, and enter alone imports nothing", func(t *testing.T) {
		picked, drawn, err := runPicker(t, pickerCandidates(), "\r")
		if err != nil || len(picked) != 0 {
			t.Errorf("picked %v, %v; want nothing and no error", iids(picked), err)
		}
		for _, want := range []string{"#2 ", "#3 ", "#4 "} {
			if !strings.Contains(drawn, want) {
				t.Errorf("the first screen does not show %q:\n%s", want, drawn)
			}
		}
		if strings.Contains(drawn, "✓") {
			t.Errorf("an option is checked before any key:\n%s", drawn)
		}
	})
	for _, c := range []struct{ name, key string }{
		{"esc", "\x1b"},
		{"ctrl-c", "\x03"},
	} {
		t.Run(c.name+" cancels after a pick, and nothing is imported", func(t *testing.T) {
			picked, _, err := runPicker(t, pickerCandidates(), "x", c.key)
			if !errors.Is(err, backlog.ErrInvalid) || err.Error() != "import cancelled: nothing imported" {
				t.Errorf("error %v, want the invalid-input sentence %q", err, "import cancelled: nothing imported")
			}
			if len(picked) != 0 {
				t.Errorf("picked %v after cancelling", iids(picked))
			}
		})
	}
	t.Run("TERM=dumb asks by numbers, and lists the issues already imported", func(t *testing.T) {
		// One line a write: huh reads each answer with a reader of its own.
		picked, drawn, err := runPickerEnv(t, map[string]string{"TERM": "dumb"}, pickerCandidates(), "1\n", "3\n", "0\n")
		if err != nil {
			t.Fatal(err)
		}
		if got := iids(picked); len(got) != 2 || got[0] != 2 || got[1] != 4 {
			t.Errorf("picked %v, want [2 4]", got)
		}
		if !strings.Contains(drawn, "#1 Already imported [bug]") || !strings.Contains(drawn, "1.   #2 Fix the login [bug, ui]") {
			t.Errorf("the plain prompt:\n%s", drawn)
		}
	})
	t.Run("when every issue is already imported there is nothing to ask", func(t *testing.T) {
		cands := pickerCandidates()[:1]
		a := &runner{ctx: context.Background(), env: Env{Stdin: errReader{t}, Stdout: io.Discard, Stderr: io.Discard}}
		picked, err := a.pickIssues("gitlab", "group/app", cands)
		if err != nil || len(picked) != 0 {
			t.Errorf("picked %v, %v; want nothing and no error", iids(picked), err)
		}
	})
}

// errReader fails a test that reads it.
type errReader struct{ t *testing.T }

func (r errReader) Read([]byte) (int, error) {
	r.t.Error("the picker read the terminal with nothing to offer")
	return 0, io.EOF
}

func TestIssueLine(t *testing.T) {
	for _, c := range []struct {
		name  string
		issue forge.Issue
		width int
		want  string
	}{
		{"an issue without labels is its number and title", forge.Issue{IID: 42, Title: "Fix it"}, 80, "#42 Fix it"},
		{"labels follow in brackets", forge.Issue{IID: 7, Title: "Crash", Labels: []string{"bug", "P1"}}, 80, "#7 Crash [bug, P1]"},
		{"a title's escape sequences and line breaks cannot reach the terminal", forge.Issue{IID: 1, Title: "Red\x1b[31m\ntitle\r\x07"}, 80, "#1 Red [31m title"},
		{"a long line is cut to the width with an ellipsis", forge.Issue{IID: 9, Title: "A rather long title indeed"}, 14, "#9 A rather l…"},
		{"the cut counts characters, not bytes", forge.Issue{IID: 5, Title: "éééééééééé"}, 8, "#5 éééé…"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := issueLine(c.issue, c.width); got != c.want {
				t.Errorf("issueLine = %q, want %q", got, c.want)
			}
		})
	}
}

func TestHereNote(t *testing.T) {
	t.Run("no issue already imported, no note", func(t *testing.T) {
		if got := hereNote(nil); got != "" {
			t.Errorf("hereNote(nil) = %q", got)
		}
	})
	t.Run("past five, the rest are counted", func(t *testing.T) {
		var here []string
		for _, s := range []string{"#1", "#2", "#3", "#4", "#5", "#6", "#7"} {
			here = append(here, s)
		}
		got := hereNote(here)
		if !strings.HasPrefix(got, "Already imported, not offered (7):") || !strings.Contains(got, "#5") ||
			strings.Contains(got, "#6") || !strings.HasSuffix(got, "… and 2 more") {
			t.Errorf("hereNote = %q", got)
		}
	})
	t.Run("six are all shown rather than one counted", func(t *testing.T) {
		got := hereNote([]string{"#1", "#2", "#3", "#4", "#5", "#6"})
		if !strings.HasSuffix(got, "\n  #6") {
			t.Errorf("hereNote = %q", got)
		}
	})
}

// pickOn runs a multiSelect of n options ("#1 option 1" …) on a terminal
// of rows rows, typing each key as one write, and returns what it picked
// and every frame it drew; the last frame is the one on the screen when
// the picker ended.
func pickOn(t *testing.T, n, rows int, note string, keys ...string) ([]int, []string, error) {
	t.Helper()
	m := &multiSelect{title: "Pick some", note: note, size: func() (int, int) { return 80, rows }, escWait: time.Minute}
	for i := range n {
		m.options = append(m.options, fmt.Sprintf("#%d option %d", i+1, i+1))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	in, typist := io.Pipe()
	out := &screen{}
	go func() {
		for _, k := range keys {
			if _, err := io.WriteString(typist, k); err != nil {
				return
			}
		}
	}()
	picked, err := m.run(ctx, in, out)
	typist.Close()
	if ctx.Err() != nil {
		t.Fatalf("the picker did not return: %v", ctx.Err())
	}
	drawn := out.String()
	if !strings.HasSuffix(drawn, "\x1b[?7h\x1b[?25h") {
		t.Errorf("the picker did not give back line wrapping and the cursor: %q", drawn[max(len(drawn)-40, 0):])
	}
	// Every frame but the first begins by erasing the one before; the
	// picker's last write erases the last frame.
	parts := strings.Split(drawn, "\x1b[J")
	return picked, parts[:len(parts)-1], err
}

func TestMultiSelect(t *testing.T) {
	t.Run("arrow keys move as j and k do, and enter picks in order", func(t *testing.T) {
		picked, _, err := pickOn(t, 4, 0, "", "\x1b[B", "\x1b[B", " ", "\x1bOA", "x", "\x1b[A", "\x1b[A", "\r")
		if err != nil || fmt.Sprint(picked) != "[1 2]" {
			t.Errorf("picked %v, %v; want [1 2]", picked, err)
		}
	})
	t.Run("a ticks every option, and a second a unticks them all", func(t *testing.T) {
		picked, frames, err := pickOn(t, 3, 0, "", "a", "\r")
		if err != nil || fmt.Sprint(picked) != "[0 1 2]" {
			t.Errorf("picked %v, %v; want all three", picked, err)
		}
		if last := frames[len(frames)-1]; strings.Count(last, "[✓]") != 3 || !strings.Contains(last, "3 picked ·") {
			t.Errorf("after a:\n%s", last)
		}
		picked, _, err = pickOn(t, 3, 0, "", "x", "a", "a", "\n")
		if err != nil || len(picked) != 0 {
			t.Errorf("picked %v, %v; want none after a twice", picked, err)
		}
	})
	for _, c := range []struct{ name, key string }{{"q", "q"}, {"ctrl-d", "\x04"}} {
		t.Run(c.name+" cancels", func(t *testing.T) {
			if picked, _, err := pickOn(t, 3, 0, "", "x", c.key, "\r"); !errors.Is(err, errPickCancelled) || picked != nil {
				t.Errorf("picked %v, %v; want it cancelled", picked, err)
			}
		})
	}
	t.Run("the end of the input cancels", func(t *testing.T) {
		m := &multiSelect{title: "Pick some", options: []string{"#1 one"}, size: func() (int, int) { return 80, 0 }}
		if _, err := m.run(context.Background(), strings.NewReader("x"), io.Discard); !errors.Is(err, errPickCancelled) {
			t.Errorf("got %v, want it cancelled", err)
		}
	})
	t.Run("an arrow key split over two reads is still an arrow key", func(t *testing.T) {
		picked, _, err := pickOn(t, 3, 0, "", "\x1b", "[B", " ", "\x1b[", "B", " ", "\r")
		if err != nil || fmt.Sprint(picked) != "[1 2]" {
			t.Errorf("picked %v, %v; want [1 2]", picked, err)
		}
	})
	t.Run("a long list scrolls a window that keeps the cursor in view", func(t *testing.T) {
		// Eight rows: the title, six options, the help line.
		_, frames, _ := pickOn(t, 20, 8, "", "j", "j", "j", "j", "j", "j", "x", "\r")
		first, last := frames[0], frames[len(frames)-1]
		if !strings.Contains(first, "#6 option 6") || strings.Contains(first, "#7 option 7") || !strings.Contains(first, "1–6 of 20") {
			t.Errorf("the first frame shows more or less than options 1 to 6:\n%s", first)
		}
		if strings.Contains(last, "#1 option 1\r") || !strings.Contains(last, "> [✓] #7 option 7") || !strings.Contains(last, "2–7 of 20") {
			t.Errorf("after seven moves down the window is not options 2 to 7:\n%s", last)
		}
		for _, f := range frames {
			if n := strings.Count(f, "\r\n") + 1; n > 8 {
				t.Errorf("a frame of %d lines on a terminal of 8:\n%s", n, f)
			}
		}
	})
	t.Run("end, home and the page keys jump through the list", func(t *testing.T) {
		picked, frames, err := pickOn(t, 20, 8, "", "\x1b[F", " ", "\x1b[H", " ", "\x1b[6~", " ", "G", "\x1b[5~", " ", "\r")
		if err != nil || fmt.Sprint(picked) != "[0 6 13 19]" {
			t.Errorf("picked %v, %v; want [0 6 13 19]", picked, err)
		}
		if f := frames[2]; !strings.Contains(f, "> [✓] #20 option 20") || !strings.Contains(f, "15–20 of 20") {
			t.Errorf("after End and a tick:\n%s", f)
		}
	})
	t.Run("a note too tall for the terminal gives way to the options", func(t *testing.T) {
		note := "Already here:\n  #1\n  #2\n  #3"
		_, frames, _ := pickOn(t, 3, 5, note, "\r")
		if strings.Contains(frames[0], "Already here") || !strings.Contains(frames[0], "#3 option 3") {
			t.Errorf("on five rows:\n%s", frames[0])
		}
		_, frames, _ = pickOn(t, 3, 0, note, "\r")
		if !strings.Contains(frames[0], "Already here:\r\n  #1\r\n  #2\r\n  #3\r\n") {
			t.Errorf("on a tall terminal:\n%q", frames[0])
		}
	})
}

func TestDecodeKeys(t *testing.T) {
	for _, c := range []struct {
		name  string
		in    string
		final bool
		want  []pickerKey
		rest  string
	}{
		{"letters and control keys", "jkx a\r\x03", false, []pickerKey{keyDown, keyUp, keyToggle, keyToggle, keyToggleAll, keyAccept, keyCancel}, ""},
		{"CSI and SS3 arrows", "\x1b[A\x1b[B\x1bOA\x1bOB", false, []pickerKey{keyUp, keyDown, keyUp, keyDown}, ""},
		{"Home and End in their several spellings", "\x1b[H\x1b[1~\x1bOF\x1b[4~", false, []pickerKey{keyHome, keyHome, keyEnd, keyEnd}, ""},
		{"a modified arrow is still an arrow", "\x1b[1;5B", false, []pickerKey{keyDown}, ""},
		{"an unknown sequence does nothing", "\x1b[15~\x1b[200~", false, []pickerKey{keyIgnored, keyIgnored}, ""},
		{"a sequence not ended waits for more", "j\x1b[1;", false, []pickerKey{keyDown}, "\x1b[1;"},
		{"a lone Esc waits for more", "\x1b", false, nil, "\x1b"},
		{"a lone Esc past the wait is Esc", "\x1b", true, []pickerKey{keyCancel}, ""},
		{"Esc then a letter is Esc, then the letter", "\x1bj", false, []pickerKey{keyCancel, keyDown}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, rest := decodeKeys([]byte(c.in), c.final)
			if fmt.Sprint(got) != fmt.Sprint(c.want) || string(rest) != c.rest {
				t.Errorf("decodeKeys(%q) = %v, %q; want %v, %q", c.in, got, rest, c.want, c.rest)
			}
		})
	}
}

func TestAskByNumber(t *testing.T) {
	ask := func(input string) ([]int, string, error) {
		m := &multiSelect{title: "Pick some", options: []string{"#1 one", "#2 two"}}
		var out bytes.Buffer
		picked, err := m.askByNumber(context.Background(), strings.NewReader(input), &out)
		return picked, out.String(), err
	}
	t.Run("a number ticks, the same number unticks, and an empty line accepts", func(t *testing.T) {
		picked, out, err := ask("2\n1\n2\n\n")
		if err != nil || fmt.Sprint(picked) != "[0]" {
			t.Errorf("picked %v, %v; want [0]", picked, err)
		}
		if !strings.Contains(out, "2. ✓ #2 two") {
			t.Errorf("a ticked option is not marked:\n%s", out)
		}
	})
	t.Run("an answer that is not one of the numbers is said so and asked again", func(t *testing.T) {
		picked, out, err := ask("3\nfoo\n1\n0\n")
		if err != nil || fmt.Sprint(picked) != "[0]" {
			t.Errorf("picked %v, %v; want [0]", picked, err)
		}
		if !strings.Contains(out, `"3" is not a number between 0 and 2.`) || !strings.Contains(out, `"foo" is not`) {
			t.Errorf("no word on a bad answer:\n%s", out)
		}
	})
	for _, input := range []string{"1\nq\n", "1\n"} {
		t.Run(fmt.Sprintf("%q cancels", input), func(t *testing.T) {
			if picked, _, err := ask(input); !errors.Is(err, errPickCancelled) || picked != nil {
				t.Errorf("picked %v, %v; want it cancelled", picked, err)
			}
		})
	}
}
