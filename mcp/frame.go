package mcp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// DefaultLineTimeout is how long a stdio line may stop part-way, with no new
// byte, before it is dropped with a parse error: a client that wrote half a
// message and went quiet must not leave the server waiting forever.
const DefaultLineTimeout = 30 * time.Second

// lineTransport frames MCP over a byte stream as newline-delimited JSON, one
// message per line, in place of the SDK's IOTransport: the SDK decodes the
// stream as one run of JSON values, so one bad value (or a value left open)
// ends the session or swallows the lines after it. Here each bad line gets a
// JSON-RPC error of its own and the next line is served.
type lineTransport struct {
	in          io.ReadCloser
	out         io.Writer
	maxLine     int64         // the longest line served, in bytes, newline excluded
	lineTimeout time.Duration // how long a line may stop part-way
	log         *slog.Logger
}

// Connect starts reading the input and returns the connection.
func (t *lineTransport) Connect(context.Context) (sdk.Connection, error) {
	c := &lineConn{
		in: t.in, out: t.out, maxLine: t.maxLine, lineTimeout: t.lineTimeout, log: t.log,
		chunks: make(chan chunk),
		closed: make(chan struct{}),
	}
	go c.readChunks()
	return c, nil
}

// chunk is what one read of the input returned.
type chunk struct {
	data []byte
	err  error
}

// lineConn is an sdk.Connection over newline-delimited JSON. A goroutine
// reads the input in chunks; Read cuts them into lines, so that it can give
// up on a line that stopped part-way without giving up on the input.
type lineConn struct {
	in          io.ReadCloser
	out         io.Writer
	maxLine     int64
	lineTimeout time.Duration
	log         *slog.Logger

	chunks    chan chunk
	closeOnce sync.Once
	closed    chan struct{}
	closeErr  error

	writeMu sync.Mutex

	// The framing state, used by Read alone (the SDK reads from one
	// goroutine).
	rest      []byte    // bytes read and not yet cut into lines
	line      []byte    // the current line so far, while it spans chunks and fits the limit
	lineBytes int64     // the current line's length so far, bytes dropped included
	lastByte  time.Time // when the current line last grew
	lineNo    int       // lines cut so far, empty ones included
	inputErr  error     // how the input ended (io.EOF), once it has
}

// frame is one line cut from the input, without its newline.
type frame struct {
	text    []byte // nil when the line exceeds the limit: its bytes were dropped as they came
	size    int64  // the line's length in bytes
	stalled bool   // the line stopped part-way for lineTimeout
}

// readChunks copies the input to c.chunks until it fails or ends, or the
// connection closes. It blocks while Read has not taken the previous chunk,
// so an unread input is never buffered here.
func (c *lineConn) readChunks() {
	buf := make([]byte, 64<<10)
	for {
		n, err := c.in.Read(buf)
		if n == 0 && err == nil {
			continue
		}
		ch := chunk{err: err}
		if n > 0 {
			ch.data = bytes.Clone(buf[:n])
		}
		select {
		case c.chunks <- ch:
		case <-c.closed:
			return
		}
		if err != nil {
			return
		}
	}
}

// Read returns the next message, answering every bad line before it with a
// JSON-RPC error. It returns io.EOF once the input has ended and its last
// line, with or without a newline, has been served.
func (c *lineConn) Read(ctx context.Context) (jsonrpc.Message, error) {
	for {
		f, err := c.nextFrame(ctx)
		if err != nil {
			return nil, err
		}
		c.lineNo++
		var msg jsonrpc.Message
		var bad *lineError
		switch {
		case f.size > c.maxLine:
			bad = parseError("line %d of %d bytes exceeds the limit of %d bytes", c.lineNo, f.size, c.maxLine)
		case f.stalled:
			bad = parseError("line %d stopped after %d bytes with no newline and no new byte for %s, so it was dropped", c.lineNo, f.size, c.lineTimeout)
		default:
			msg, bad = parseLine(f.text, c.lineNo)
		}
		if bad != nil {
			c.log.Warn("refused a line of input", "error", bad.Message)
			if err := c.refuse(ctx, bad); err != nil {
				return nil, err
			}
			continue
		}
		if msg != nil {
			return msg, nil
		}
	}
}

// nextFrame cuts the next line from the input, waiting for more of it as
// needed. A line longer than c.maxLine is counted, not kept. A line that
// gets no new byte for c.lineTimeout comes back stalled; at the end of the
// input a last line without a newline comes back as it is.
func (c *lineConn) nextFrame(ctx context.Context) (frame, error) {
	for {
		if len(c.rest) > 0 {
			piece, complete := c.rest, false
			if i := bytes.IndexByte(c.rest, '\n'); i >= 0 {
				piece, complete = c.rest[:i], true
				c.rest = c.rest[i+1:]
			} else {
				c.rest = nil
			}
			if complete && c.lineBytes == 0 {
				// The whole line is in this chunk: no copy.
				return frame{text: piece, size: int64(len(piece))}, nil
			}
			c.grow(piece)
			if complete {
				return c.cut(false), nil
			}
			continue
		}
		if c.inputErr != nil {
			if c.lineBytes > 0 {
				return c.cut(false), nil
			}
			return frame{}, c.inputErr
		}
		stalled, err := c.await(ctx)
		if err != nil {
			return frame{}, err
		}
		if stalled {
			return c.cut(true), nil
		}
	}
}

// await waits for the next chunk of input and puts it in c.rest. While a
// line is part-way, it waits only until c.lineTimeout after the line's last
// byte, and then reports the line stalled.
func (c *lineConn) await(ctx context.Context) (stalled bool, err error) {
	var stall <-chan time.Time
	if c.lineBytes > 0 {
		timer := time.NewTimer(time.Until(c.lastByte.Add(c.lineTimeout)))
		defer timer.Stop()
		stall = timer.C
	}
	select {
	case ch := <-c.chunks:
		c.rest, c.inputErr = ch.data, ch.err
		return false, nil
	case <-stall:
		return true, nil
	case <-ctx.Done():
		return false, ctx.Err()
	case <-c.closed:
		return false, io.EOF
	}
}

// grow adds a piece to the current line, keeping its bytes only while the
// line fits the limit.
func (c *lineConn) grow(piece []byte) {
	c.lastByte = time.Now()
	c.lineBytes += int64(len(piece))
	if c.lineBytes > c.maxLine {
		c.line = nil
		return
	}
	c.line = append(c.line, piece...)
}

// cut ends the current line and returns it. The line's buffer is not reused:
// a message decoded from it may still refer to it.
func (c *lineConn) cut(stalled bool) frame {
	f := frame{text: c.line, size: c.lineBytes, stalled: stalled}
	c.line, c.lineBytes = nil, 0
	return f
}

// refuse writes the JSON-RPC error answering a bad line.
func (c *lineConn) refuse(ctx context.Context, bad *lineError) error {
	data, err := bad.encode()
	if err != nil {
		return err
	}
	return c.writeLine(ctx, data)
}

// Write sends a message as one line. An error answer without a usable id
// (the SDK's answer to a duplicate request id) goes out with "id": null, as
// JSON-RPC requires, rather than with no id at all.
func (c *lineConn) Write(ctx context.Context, msg jsonrpc.Message) error {
	var data []byte
	var err error
	if resp, ok := msg.(*jsonrpc.Response); ok && !resp.ID.IsValid() && resp.Error != nil {
		var wire *jsonrpc.Error
		if !errors.As(resp.Error, &wire) {
			wire = &jsonrpc.Error{Code: jsonrpc.CodeInternalError}
		}
		data, err = (&lineError{Code: wire.Code, Message: resp.Error.Error()}).encode()
	} else {
		data, err = jsonrpc.EncodeMessage(msg)
	}
	if err != nil {
		return fmt.Errorf("cannot encode a message: %w", err)
	}
	return c.writeLine(ctx, data)
}

func (c *lineConn) writeLine(ctx context.Context, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	_, err := c.out.Write(append(data, '\n'))
	return err
}

// Close stops reading: it unblocks Read and closes the input. The output
// stays open; it belongs to the caller.
func (c *lineConn) Close() error {
	c.closeOnce.Do(func() {
		close(c.closed)
		c.closeErr = c.in.Close()
	})
	return c.closeErr
}

// SessionID is empty: a stream is one session.
func (c *lineConn) SessionID() string { return "" }
