package hostiletest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/agent-backlog/backlog/mcp"
)

// countLine is a well-formed request, with the id given.
func countLine(id int) string {
	return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"task_count","arguments":{}}}`, id)
}

// expect is what the server must answer to a hostile line.
type expect int

const (
	// parseError: one JSON-RPC error -32700 with id null (the line has no
	// readable id).
	parseError expect = iota
	// refusedAs9: a refusal of the request with id 9, or a JSON-RPC error
	// with id null: either names the problem.
	refusedAs9
	// answeredAs9: the request with id 9 is carried out.
	answeredAs9
	// nothingOrParseError: no answer, or a parse error.
	nothingOrParseError
)

// deep nests n JSON arrays.
func deep(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }

// padded is a task_count request with id 9 padded with insignificant
// whitespace to exactly n bytes, newline included.
func padded(n int) string {
	head := `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"task_count","arguments":{}}`
	return head + strings.Repeat(" ", n-len(head)-2) + "}\n"
}

// TestStdioMalformedLines sends each malformed line to a fresh `backlog
// serve`, followed at once by a good request: the bad line gets its error,
// the good one its answer, the server ends cleanly when stdin closes, and
// the store is unchanged.
func TestStdioMalformedLines(t *testing.T) {
	t.Parallel()
	b := seeded(t)
	before := b.snapshot()
	limit := mcp.DefaultMaxBodyBytes
	for _, c := range []struct {
		name string
		line string
		want expect
	}{
		{"a line that is a bare word gets a parse error", "hello\n", parseError},
		{"trailing garbage after an object gets a parse error", countLine(9) + " garbage\n", parseError},
		{"two objects on one line get a parse error", countLine(9) + countLine(10) + "\n", parseError},
		{"a truncated line followed by a good request gets a parse error", `{"jsonrpc":"2.0","id":9,"method":` + "\n", parseError},
		{"a line of invalid UTF-8 bytes gets a parse error", "\xff\xfe\xfd\n", parseError},
		{"a lone closing brace gets a parse error", "}\n", parseError},
		{"JSON nested 100,000 levels deep as a whole line gets a parse error", deep(100_000) + "\n", parseError},
		{"an argument nested over 10,000 levels deep is refused", `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"task_count","arguments":{"filter":` + deep(10_001) + `}}}` + "\n", refusedAs9},
		{"a request whose params are nested over 10,000 levels deep is refused", `{"jsonrpc":"2.0","id":9,"method":"tools/list","params":` + deep(10_001) + "}\n", refusedAs9},
		{"a line just over the size limit is refused", padded(limit + 1024), refusedAs9},
		{"a line of 17 MB is refused", padded(17 << 20), refusedAs9},
		{"a line just under the size limit is read", padded(limit - 1024), answeredAs9},
		{"an argument of 3 MB of the wrong type is refused with a short sentence", `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"task_count","arguments":{"filter":[` + strings.Repeat(`{"k":1},`, 3<<17) + `1]}}}` + "\n", refusedAs9},
		{"a request that is a number gets an error", "42\n", nothingOrParseError},
		{"an empty batch gets an error", "[]\n", nothingOrParseError},
		{"an empty line is ignored or gets a parse error", "\n", nothingOrParseError},
		{"a request without jsonrpc is refused", `{"id":9,"method":"tools/call","params":{"name":"task_count","arguments":{}}}` + "\n", refusedAs9},
		{"a request with an unknown method is refused", `{"jsonrpc":"2.0","id":9,"method":"tasks/steal","params":{}}` + "\n", refusedAs9},
		{"a call of an unknown tool is refused", `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"task_steal","arguments":{}}}` + "\n", refusedAs9},
		{"a call whose params are a string is refused", `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":"task_count"}` + "\n", refusedAs9},
	} {
		t.Run(c.name, func(t *testing.T) {
			skipKnownOpen(t, c.name)
			s := b.serveStdio()
			// The good request follows the bad line at once, as a client
			// pipelining its requests would send it.
			if err := s.write([]byte(c.line + countLine(10) + "\n")); err != nil {
				t.Fatal(err)
			}
			wait := answerTimeout + time.Duration(len(c.line)>>20)*time.Second
			switch c.want {
			case parseError:
				m, err := s.await("null", wait, "9")
				if err != nil {
					t.Fatal(err)
				}
				if m.Error == nil || m.Error.Code != -32700 || m.idText() != "null" {
					t.Errorf("want a parse error (-32700) with id null, got %s", m.raw)
				} else if p := sentenceProblem(m.Error.Message); p != "" {
					t.Error(p)
				}
			case refusedAs9:
				m, err := s.await("9", wait, "null")
				if err != nil {
					t.Fatal(err)
				}
				if p := refusalProblem(m); p != "" {
					t.Error(p)
				}
			case answeredAs9:
				m, err := s.await("9", wait)
				if err != nil {
					t.Fatal(err)
				}
				if !m.succeeded() {
					t.Errorf("the request was not carried out: %s", m.raw)
				}
			}
			m, err := s.await("10", answerTimeout)
			if err != nil {
				t.Fatalf("the good request after the bad line: %v", err)
			}
			if !m.succeeded() {
				t.Errorf("the good request after the bad line got %s", m.raw)
			}
			if p := s.alive(); p != "" {
				t.Error(p)
			}
			if c.want == nothingOrParseError {
				for _, k := range s.kept {
					if k.idText() != "null" || k.Error == nil {
						t.Errorf("an unexpected answer: %s", k.raw)
					} else if p := sentenceProblem(k.Error.Message); p != "" {
						t.Error(p)
					}
				}
			}
			if p := s.closeCleanly(); p != "" {
				t.Error(p)
			}
			if d := b.unchanged(before); d != "" {
				t.Error(d)
			}
		})
	}
}

// closeCleanly closes stdin and reports what is wrong with how the server
// ended: it must exit, with status 0, soon.
func (s *stdioServer) closeCleanly() string {
	s.stdin.Close()
	select {
	case <-s.exited:
	case <-time.After(answerTimeout):
		return fmt.Sprintf("the server did not exit within %s of stdin closing", answerTimeout)
	}
	if s.status != 0 {
		return fmt.Sprintf("the server exited with status %d when stdin closed: %s", s.status, shorten(strings.TrimSpace(s.stderr.String())))
	}
	return ""
}

// TestStdioLinesThatNeverEnd covers input that stops without a newline: a
// line over the limit is dropped as it comes, not buffered, and a truncated
// last line does not keep the server from exiting.
func TestStdioLinesThatNeverEnd(t *testing.T) {
	t.Parallel()
	b := seeded(t)
	before := b.snapshot()
	for _, c := range []struct {
		name string
		test func(t *testing.T, s *stdioServer)
	}{
		{"a line over the limit is read as it comes and refused at its newline", func(t *testing.T, s *stdioServer) {
			head := `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"task_count","arguments":{"filter":"`
			// The write returns only if the server keeps reading a line it
			// will refuse.
			if err := s.write([]byte(head + strings.Repeat("x", mcp.DefaultMaxBodyBytes+4096))); err != nil {
				t.Fatal(err)
			}
			if err := s.write([]byte(strings.Repeat("x", 1000) + `"}}}` + "\n" + countLine(10) + "\n")); err != nil {
				t.Fatal(err)
			}
			m, err := s.await("null", answerTimeout, "9")
			if err != nil {
				t.Fatal(err)
			}
			if p := refusalProblem(m); p != "" {
				t.Error(p)
			}
			if m, err := s.await("10", answerTimeout); err != nil || !m.succeeded() {
				t.Errorf("the request after the long line: %v %s", err, m.raw)
			}
			if p := s.closeCleanly(); p != "" {
				t.Error(p)
			}
		}},
		{"a truncated last line does not keep the server from exiting", func(t *testing.T, s *stdioServer) {
			if err := s.write([]byte(countLine(9) + "\n" + `{"jsonrpc":"2.0","id":10,"method":`)); err != nil {
				t.Fatal(err)
			}
			if m, err := s.await("9", answerTimeout); err != nil || !m.succeeded() {
				t.Errorf("the request before the truncated line: %v %s", err, m.raw)
			}
			s.stdin.Close()
			select {
			case <-s.exited:
			case <-time.After(answerTimeout):
				t.Fatalf("the server did not exit within %s of stdin closing after a truncated line", answerTimeout)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			skipKnownOpen(t, c.name)
			c.test(t, b.serveStdio())
		})
	}
	if d := b.unchanged(before); d != "" {
		t.Error(d)
	}
}

// TestStdioLineThatStopsPartWay leaves a line unfinished with stdin open:
// after mcp.DefaultLineTimeout it is dropped with a parse error and the next
// line is served. It waits that long, in parallel with the other tests.
func TestStdioLineThatStopsPartWay(t *testing.T) {
	t.Parallel()
	const name = "a line that stops part-way is dropped after the line timeout"
	t.Run(name, func(t *testing.T) {
		skipKnownOpen(t, name)
		b := seeded(t)
		before := b.snapshot()
		s := b.serveStdio()
		if err := s.write([]byte(`{"jsonrpc":"2.0","id":9,"method":`)); err != nil {
			t.Fatal(err)
		}
		m, err := s.await("null", mcp.DefaultLineTimeout+answerTimeout, "9")
		if err != nil {
			t.Fatal(err)
		}
		if m.Error == nil || m.Error.Code != -32700 {
			t.Errorf("want a parse error (-32700), got %s", m.raw)
		} else if p := sentenceProblem(m.Error.Message); p != "" {
			t.Error(p)
		}
		if p := s.alive(); p != "" {
			t.Error(p)
		}
		if p := s.closeCleanly(); p != "" {
			t.Error(p)
		}
		if d := b.unchanged(before); d != "" {
			t.Error(d)
		}
	})
}

// TestStdioRequestIDs sends requests whose JSON-RPC ids are odd: each is
// answered with the same id, byte for byte, or refused.
func TestStdioRequestIDs(t *testing.T) {
	t.Parallel()
	b := seeded(t)
	before := b.snapshot()
	s := b.serveStdio()
	for _, c := range []struct {
		name, id string
		echo     bool // the id must come back as sent
	}{
		{"the request id -1 is echoed", "-1", true},
		{"the request id 0 is echoed", "0", true},
		{`the request id " 1" is echoed as a string`, `" 1"`, true},
		{"the request id 2^63 is echoed or refused", "9223372036854775808", false},
		{"the request id 1.5 is echoed or refused", "1.5", false},
		{"a request id that is an object is refused", `{"a":1}`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			skipKnownOpen(t, c.name)
			line := fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"method":"tools/call","params":{"name":"task_count","arguments":{}}}`+"\n", c.id)
			if err := s.write([]byte(line)); err != nil {
				t.Fatal(err)
			}
			m, err := s.await(c.id, answerTimeout, "null")
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case m.idText() == c.id && m.succeeded():
			case c.echo:
				t.Errorf("want an answer with id %s, got %s", c.id, m.raw)
			default:
				if p := refusalProblem(m); p != "" {
					t.Error(p)
				}
			}
			if p := s.alive(); p != "" {
				t.Fatal(p)
			}
		})
	}
	if d := b.unchanged(before); d != "" {
		t.Error(d)
	}
}
