package cli

import (
	"bytes"
	"context"
	"errors"
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
