package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// drainTimeout bounds how long the server waits, once its input has ended,
// for the requests already read to be answered.
const drainTimeout = 30 * time.Second

// ServeStdio speaks MCP as newline-delimited JSON over in and out, the way
// agents spawn a server, until in ends or ctx is cancelled. When in ends,
// every request already read is answered before ServeStdio returns: a shell
// pipe that sends requests and closes stdin gets all its answers.
//
// Every line is one message, and no line can end the session: a line that is
// not JSON (not UTF-8, cut short, followed by more text, nested deeper than
// 1,000 levels) is answered with a -32700 parse error, and JSON that is not a
// message with -32600 invalid request, both with "id": null unless the line
// has a usable id; then the next line is served. JSON-RPC batches (arrays)
// are refused with -32600, since MCP dropped them in protocol 2025-06-18. A
// line longer than Options.MaxBodyBytes (the HTTP body limit) is refused and
// its bytes dropped as they come; a line that stops part-way with no new byte
// for Options.LineTimeout is refused and dropped. Blank lines and CRLF line
// ends are fine; at the end of in, a last line without a newline is served
// like any other.
func (s *Server) ServeStdio(ctx context.Context, in io.Reader, out io.Writer) error {
	rc, ok := in.(io.ReadCloser)
	if !ok {
		rc = io.NopCloser(in)
	}
	maxLine := s.opts.MaxBodyBytes
	if maxLine <= 0 {
		maxLine = DefaultMaxBodyBytes
	}
	lineTimeout := s.opts.LineTimeout
	if lineTimeout <= 0 {
		lineTimeout = DefaultLineTimeout
	}
	t := &drainTransport{inner: &lineTransport{in: rc, out: out, maxLine: maxLine, lineTimeout: lineTimeout, log: s.log}}
	ss, err := s.sdk.Connect(ctx, t, nil)
	if err != nil {
		return err
	}
	s.log.Info("serving MCP on stdio")
	done := make(chan error, 1)
	go func() { done <- ss.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		ss.Close()
		<-done
		return nil
	}
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// drainTransport wraps a transport so that the end of its input does not
// reach the SDK while requests are in flight. The SDK cancels in-flight
// handlers and drops their answers as soon as a read fails, which loses the
// answers to requests a client sent just before closing its side.
type drainTransport struct {
	inner sdk.Transport
}

func (t *drainTransport) Connect(ctx context.Context) (sdk.Connection, error) {
	c, err := t.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &drainConn{Connection: c, inUse: map[jsonrpc.ID]bool{}, changed: make(chan struct{}), closed: make(chan struct{})}, nil
}

// drainConn counts the calls it has read and not yet answered, and holds
// back a read error until they are all answered. It also answers a call
// whose id is taken by a call not yet answered: the SDK drops such a call
// without a word, and its client would wait for ever.
type drainConn struct {
	sdk.Connection

	mu         sync.Mutex
	inUse      map[jsonrpc.ID]bool // ids of the calls read and not yet answered
	unanswered int                 // those calls, and the answers being written
	changed    chan struct{}       // closed and replaced when an answer is written

	closeOnce sync.Once
	closed    chan struct{}
}

func (c *drainConn) Read(ctx context.Context) (jsonrpc.Message, error) {
	for {
		msg, err := c.Connection.Read(ctx)
		if err != nil {
			c.drain(ctx)
			return nil, err
		}
		req, ok := msg.(*jsonrpc.Request)
		if !ok || !req.IsCall() {
			return msg, nil
		}
		c.mu.Lock()
		taken := c.inUse[req.ID]
		if !taken {
			c.inUse[req.ID] = true
			c.unanswered++
		}
		c.mu.Unlock()
		if !taken {
			return msg, nil
		}
		id, _ := json.Marshal(req.ID.Raw())
		refusal := &jsonrpc.Response{Error: &jsonrpc.Error{Code: jsonrpc.CodeInvalidRequest,
			Message: fmt.Sprintf("request id %s is already in use by a request not yet answered", id)}}
		if err := c.Connection.Write(ctx, refusal); err != nil {
			return nil, err
		}
	}
}

// Write frees the id of a call as its answer goes out (the client may reuse
// it as soon as it reads the answer), and counts the call answered once the
// answer is written.
func (c *drainConn) Write(ctx context.Context, msg jsonrpc.Message) error {
	resp, ok := msg.(*jsonrpc.Response)
	answers := false
	if ok && resp.ID.IsValid() {
		c.mu.Lock()
		answers = c.inUse[resp.ID]
		delete(c.inUse, resp.ID)
		c.mu.Unlock()
	}
	err := c.Connection.Write(ctx, msg)
	if answers {
		c.mu.Lock()
		c.unanswered--
		close(c.changed)
		c.changed = make(chan struct{})
		c.mu.Unlock()
	}
	return err
}

func (c *drainConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return c.Connection.Close()
}

// drain waits until every call read has been answered, the connection is
// closed, ctx is done, or drainTimeout has passed.
func (c *drainConn) drain(ctx context.Context) {
	timeout := time.NewTimer(drainTimeout)
	defer timeout.Stop()
	for {
		c.mu.Lock()
		n, changed := c.unanswered, c.changed
		c.mu.Unlock()
		if n == 0 {
			return
		}
		select {
		case <-changed:
		case <-c.closed:
			return
		case <-ctx.Done():
			return
		case <-timeout.C:
			return
		}
	}
}
