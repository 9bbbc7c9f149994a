package hostiletest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// answerTimeout is how long a well-behaved server may take to answer one
// request on a loaded machine; a server that takes longer has stalled.
const answerTimeout = 10 * time.Second

// initLine starts an MCP session; initializedLine completes it.
const (
	initLine        = `{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"hostiletest","version":"1"}}}`
	initializedLine = `{"jsonrpc":"2.0","method":"notifications/initialized","params":{}}`
)

// message is one JSON-RPC message the server wrote.
type message struct {
	ID     json.RawMessage `json:"id"`
	Result *toolResult     `json:"result"`
	Error  *rpcError       `json:"error"`
	raw    string          // the line as written, shortened for messages
	line   []byte          // the line as written
}

// toolResult is the result of tools/call (other results leave it mostly
// empty).
type toolResult struct {
	Content    []content       `json:"content"`
	IsError    bool            `json:"isError"`
	Structured json.RawMessage `json:"structuredContent"`
}

// content is one block of a tool result.
type content struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// rpcError is a JSON-RPC error object.
type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// idText is the message's id as JSON text: `7`, `"x"`, or `null`.
func (m message) idText() string {
	if len(m.ID) == 0 {
		return "null"
	}
	return string(m.ID)
}

// text is the text of a tool result's content.
func (m message) text() string {
	if m.Result == nil {
		return ""
	}
	var parts []string
	for _, c := range m.Result.Content {
		parts = append(parts, c.Text)
	}
	return strings.Join(parts, " ")
}

// succeeded reports whether a tool call was carried out.
func (m message) succeeded() bool { return m.Error == nil && m.Result != nil && !m.Result.IsError }

// lockedBuffer collects a process's stderr while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// stdioServer is `backlog serve` spoken to in raw JSON-RPC lines, so that
// the test can send bytes no SDK client would.
type stdioServer struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr *lockedBuffer
	lines  chan message  // closed when stdout ends
	exited chan struct{} // closed when the process has exited
	status int           // exit status, once exited is closed
	kept   []message     // answers read while waiting for another
	nextID int
}

// serveStdio starts `backlog serve` and initializes a session. The process
// is killed when the test ends.
func (b *backlogEnv) serveStdio() *stdioServer {
	t := b.t
	t.Helper()
	cmd := exec.Command(binary, "serve")
	cmd.Env, cmd.Dir = b.env, b.dir
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &stdioServer{t: t, cmd: cmd, stdin: stdin, stderr: &lockedBuffer{}, lines: make(chan message, 64), exited: make(chan struct{}), nextID: 100}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go s.readLines(stdout)
	go func() {
		err := cmd.Wait()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			s.status = exit.ExitCode()
		}
		close(s.exited)
	}()
	t.Cleanup(func() {
		s.stdin.Close()
		select {
		case <-s.exited:
		case <-time.After(5 * time.Second):
			s.cmd.Process.Kill()
			<-s.exited
		}
	})
	if err := s.write([]byte(initLine + "\n" + initializedLine + "\n")); err != nil {
		t.Fatal(err)
	}
	if m, err := s.await(`"init"`, answerTimeout); err != nil || m.Error != nil {
		t.Fatalf("initialize: %v %s", err, m.raw)
	}
	return s
}

// readLines turns every line of stdout into a message; a line that is not
// JSON becomes a message with an error that says so.
func (s *stdioServer) readLines(stdout io.Reader) {
	defer close(s.lines)
	r := bufio.NewReaderSize(stdout, 1<<16)
	for {
		line, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			var m message
			if jerr := json.Unmarshal(line, &m); jerr != nil {
				m = message{Error: &rpcError{Code: 1, Message: "stdout holds a line that is not JSON-RPC: " + shorten(string(line))}}
			}
			m.raw = shorten(strings.TrimSpace(string(line)))
			m.line = line
			s.lines <- m
		}
		if err != nil {
			return
		}
	}
}

// write sends raw bytes; a server that reads nothing for answerTimeout has
// stalled.
func (s *stdioServer) write(raw []byte) error {
	done := make(chan error, 1)
	go func() {
		_, err := s.stdin.Write(raw)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("writing to the server: %w%s", err, s.exitNote())
		}
		return nil
	case <-time.After(answerTimeout + time.Duration(len(raw)>>20)*time.Second):
		return fmt.Errorf("the server read none of %d bytes for %s%s", len(raw), answerTimeout, s.exitNote())
	}
}

// await waits up to d for the next answer whose id is one of ids (JSON
// text; "null" for errors about lines that have no id), keeping others for
// later.
func (s *stdioServer) await(id string, d time.Duration, more ...string) (message, error) {
	want := append([]string{id}, more...)
	for i, m := range s.kept {
		if slices.Contains(want, m.idText()) {
			s.kept = append(s.kept[:i], s.kept[i+1:]...)
			return m, nil
		}
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case m, ok := <-s.lines:
			if !ok {
				return message{}, fmt.Errorf("the server ended its output without answering %s%s", strings.Join(want, " or "), s.exitNote())
			}
			if m.Error != nil && m.Error.Code == 1 {
				return m, errors.New(m.Error.Message)
			}
			if slices.Contains(want, m.idText()) {
				return m, nil
			}
			s.kept = append(s.kept, m)
		case <-timer.C:
			return message{}, fmt.Errorf("no answer to %s within %s (the server stalled)%s", strings.Join(want, " or "), d, s.exitNote())
		}
	}
}

// exitNote says how the process ended, if it has, with the end of its
// stderr.
func (s *stdioServer) exitNote() string {
	select {
	case <-s.exited:
		return fmt.Sprintf("; the server exited with status %d, stderr: %s", s.status, shorten(strings.TrimSpace(s.stderr.String())))
	default:
		return ""
	}
}

// callLine is a tools/call request line with raw JSON arguments.
func callLine(id int, tool string, args []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":%q,"arguments":`, id, tool)
	b.Write(args)
	b.WriteString("}}\n")
	return b.Bytes()
}

// callRaw calls a tool with raw JSON arguments and waits up to d for the
// answer, or for an answer with one of the other ids (such as "null", the id
// of a parse error).
func (s *stdioServer) callRaw(tool string, args []byte, d time.Duration, other ...string) (message, error) {
	s.nextID++
	id := s.nextID
	if err := s.write(callLine(id, tool, args)); err != nil {
		return message{}, err
	}
	return s.await(strconv.Itoa(id), d, other...)
}

// call calls a tool with arguments marshalled to JSON.
func (s *stdioServer) call(tool string, args any) (message, error) {
	raw, err := json.Marshal(args)
	if err != nil {
		s.t.Fatal(err)
	}
	return s.callRaw(tool, raw, answerTimeout)
}

// alive reports what is wrong with the answer to task_count, the request
// that must follow every hostile one; "" when it was answered.
func (s *stdioServer) alive() string {
	m, err := s.call("task_count", map[string]any{})
	if err != nil {
		return "the next request was not answered: " + err.Error()
	}
	if !m.succeeded() || !strings.Contains(string(m.Result.Structured), `"count"`) {
		return "the next request (task_count) got " + m.raw
	}
	return ""
}

// internalText is text that must never reach a client: Go's decoder and
// type names, driver errors, panics.
var internalText = []string{
	"json: ", "*mcp.", "interface {}", "map[", "%!", "<nil>", "sqlite:", "pq:", "SQL",
	"panic", "goroutine", "runtime error", "jsonrpc2", "reflect",
}

// maxSentence is the longest refusal that is still one clear sentence and
// not an echo of a huge input.
const maxSentence = 1000

// sentenceProblem says why text is not one clear sentence, "" if it is.
func sentenceProblem(text string) string {
	switch {
	case strings.TrimSpace(text) == "":
		return "the refusal is empty"
	case strings.ContainsAny(text, "\n\r"):
		return fmt.Sprintf("the refusal is more than one line: %q", shorten(text))
	case len(text) > maxSentence:
		return fmt.Sprintf("the refusal is %d bytes long, not one sentence: %q", len(text), shorten(text))
	case !utf8.ValidString(text):
		return fmt.Sprintf("the refusal is not valid UTF-8: %q", shorten(text))
	}
	plain := strings.ReplaceAll(text, "PostgreSQL", "")
	for _, bad := range internalText {
		if strings.Contains(plain, bad) {
			return fmt.Sprintf("the refusal shows internal text %q: %q", bad, shorten(text))
		}
	}
	return ""
}

// refusalProblem says why an answer is not a proper refusal: a JSON-RPC
// error or an isError result, either with one sentence.
func refusalProblem(m message) string {
	switch {
	case m.Error != nil:
		if p := sentenceProblem(m.Error.Message); p != "" {
			return "JSON-RPC error: " + p
		}
		return ""
	case m.Result == nil:
		return "the answer is neither a result nor an error: " + m.raw
	case !m.Result.IsError:
		return "the call was carried out instead of refused: " + m.raw
	}
	return sentenceProblem(m.text())
}

// answerProblem accepts a result carried out, or a proper refusal.
func answerProblem(m message) string {
	if m.succeeded() {
		return ""
	}
	return refusalProblem(m)
}

// refusal is the sentence of a refusal, JSON-RPC error or isError result.
func refusal(m message) string {
	if m.Error != nil {
		return m.Error.Message
	}
	return m.text()
}
