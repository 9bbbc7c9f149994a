package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
)

// tool is one MCP tool: its contract (name, arguments, result schema,
// hints) and the engine command it runs.
type tool struct {
	name string
	set  string // the toolset it belongs to
	desc string
	args []arg
	out  string // the output schema, compact JSON

	read        bool // changes nothing (readOnlyHint)
	destructive bool
	idempotent  bool

	run func(ctx context.Context, e *engine.Engine, a argv) (any, error)
}

// sdkTool is the tool as tools/list shows it. Every hint is given
// explicitly, as TOOLS.md requires.
func (t *tool) sdkTool() *sdk.Tool {
	destructive, openWorld := t.destructive, false
	return &sdk.Tool{
		Name:         t.name,
		Description:  t.desc,
		InputSchema:  inputSchema(t.args),
		OutputSchema: json.RawMessage(t.out),
		Annotations: &sdk.ToolAnnotations{
			ReadOnlyHint:    t.read,
			DestructiveHint: &destructive,
			IdempotentHint:  t.idempotent,
			OpenWorldHint:   &openWorld,
		},
	}
}

// handler runs a tool call: read the arguments, run the command, and answer
// with the result as structuredContent and as compact JSON text, or with
// the error's sentence and isError.
func (s *Server) handler(t *tool) sdk.ToolHandler {
	return func(ctx context.Context, req *sdk.CallToolRequest) (res *sdk.CallToolResult, err error) {
		start := time.Now()
		agent := s.agentOf(req.ClientInfo())
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("tool panicked", "tool", t.name, "panic", p)
				res, err = errorResult(fmt.Errorf("internal error in %s: %v", t.name, p)), nil
			}
			if res != nil {
				s.log.Debug("tool call", "tool", t.name, "agent", agent, "error", res.IsError, "duration", time.Since(start))
			}
		}()
		var args json.RawMessage
		if req.Params != nil {
			args = req.Params.Arguments
		}
		out, err := s.call(ctx, t, agent, args)
		var perr *protocolError
		switch {
		case errors.As(err, &perr):
			return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: perr.msg}
		case err != nil:
			if !isUserError(err) {
				s.log.Warn("tool failed", "tool", t.name, "agent", agent, "error", err)
			}
			return errorResult(err), nil
		}
		data := compactJSON(out)
		return &sdk.CallToolResult{
			Content:           []sdk.Content{&sdk.TextContent{Text: string(data)}},
			StructuredContent: json.RawMessage(data),
		}, nil
	}
}

// call reads the arguments and runs the command.
func (s *Server) call(ctx context.Context, t *tool, agent string, raw json.RawMessage) (any, error) {
	a, err := readArgs(t.name, t.args, raw)
	if err != nil {
		return nil, err
	}
	e, err := s.engineFor(ctx, agent)
	if err != nil {
		return nil, err
	}
	return t.run(ctx, e, a)
}

// isUserError reports whether err is about the request (bad input, a
// missing task, a refused transition), not about the server.
func isUserError(err error) bool {
	return errors.Is(err, backlog.ErrInvalid) || errors.Is(err, backlog.ErrNotFound) || errors.Is(err, backlog.ErrConflict)
}

// errorResult is a tool error: the sentence alone, for the agent to read
// and correct. It carries no structuredContent, which would have to match
// the output schema.
func errorResult(err error) *sdk.CallToolResult {
	return &sdk.CallToolResult{
		Content: []sdk.Content{&sdk.TextContent{Text: err.Error()}},
		IsError: true,
	}
}

// compactJSON encodes v without indentation or HTML escaping: agents pay
// for every byte. Values here always encode; a failure is a bug.
func compactJSON(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("encoding %T: %v", v, err))
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
