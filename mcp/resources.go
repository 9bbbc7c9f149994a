package mcp

import (
	"context"
	"errors"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	backlog "github.com/agent-backlog/backlog"
)

// docTemplate is the URI of each task's doc.
const (
	docPrefix   = "backlog://task/"
	docSuffix   = "/doc"
	docTemplate = docPrefix + "{uuid}" + docSuffix
)

// addResources offers each task's doc as a resource.
func (s *Server) addResources() {
	s.sdk.AddResourceTemplate(&sdk.ResourceTemplate{
		Name:        "task-doc",
		Title:       "Task doc",
		Description: "The markdown doc of the task with this UUID (tasks with a doc have has_doc)",
		MIMEType:    "text/markdown",
		URITemplate: docTemplate,
	}, s.readDoc)
}

// readDoc serves backlog://task/{uuid}/doc. Any task reference the engine
// resolves works in place of the UUID.
func (s *Server) readDoc(ctx context.Context, req *sdk.ReadResourceRequest) (*sdk.ReadResourceResult, error) {
	uri := req.Params.URI
	ref, ok := docRef(uri)
	if !ok {
		return nil, sdk.ResourceNotFoundError(uri)
	}
	e, err := s.engineFor(ctx, s.agentOf(req.ClientInfo()))
	if err != nil {
		return nil, err
	}
	doc, err := e.DocRead(ctx, ref)
	switch {
	case errors.Is(err, backlog.ErrNotFound):
		return nil, sdk.ResourceNotFoundError(uri)
	case errors.Is(err, backlog.ErrInvalid):
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: err.Error()}
	case err != nil:
		return nil, err
	}
	return &sdk.ReadResourceResult{Contents: []*sdk.ResourceContents{{URI: uri, MIMEType: "text/markdown", Text: doc}}}, nil
}
