package web

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"

	"github.com/agent-backlog/backlog/internal/httpserve"
	"github.com/agent-backlog/backlog/mcp"
)

// Serve listens on addr and serves Handler until ctx is cancelled. On a
// loopback address no token is needed unless Options.Token is set; on any
// other address a token is required, and when Options.Token is empty one
// is generated and printed once on Stderr. Off loopback, a token that is
// easy to guess is refused before listening (mcp.CheckToken).
func (s *Server) Serve(ctx context.Context, addr string) error {
	if _, err := s.checkAddress(addr); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.serveListener(ctx, ln, addr)
}

// checkAddress reports whether addr is loopback, and refuses an address it
// cannot read or, off loopback, a weak token.
func (s *Server) checkAddress(addr string) (loopback bool, err error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, fmt.Errorf("address %q: %w", addr, err)
	}
	if mcp.IsLoopbackHost(host) {
		return true, nil
	}
	if s.opts.Token != "" {
		return false, mcp.CheckToken(s.opts.Token)
	}
	return false, nil
}

// serveListener serves on ln; addr is the address asked for, which decides
// whether a token is required.
func (s *Server) serveListener(ctx context.Context, ln net.Listener, addr string) error {
	loopback, err := s.checkAddress(addr)
	if err != nil {
		ln.Close()
		return err
	}
	token := s.opts.Token
	if token == "" && !loopback {
		token = rand.Text()
		fmt.Fprintf(s.opts.Stderr, "backlog: %s is not a loopback address, so clients must send\n  Authorization: Bearer %s\n(set BACKLOG_HTTP_TOKEN to choose the token; a browser may open http://%s/?token=%s once)\n", addr, token, ln.Addr(), token)
	}
	at := "http://" + ln.Addr().String()
	return httpserve.Serve(ctx, ln, s.handler(token), func() {
		if s.opts.MCP != nil {
			// Its own line, in the words scripts already look for.
			fmt.Fprintf(s.opts.Stderr, "backlog: serving MCP at %s%s\n", at, MCPPath)
		}
		fmt.Fprintf(s.opts.Stderr, "backlog: serving the board at %s/ and the REST API at %s/api/v1/\n", at, at)
	})
}
