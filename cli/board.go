package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"runtime"
	"strings"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/web"
)

// boardCmd serves the web board on a loopback address.
type boardCmd struct {
	Addr string `help:"Serve on ADDR, a loopback address (default 127.0.0.1:7412)." default:"127.0.0.1:7412" placeholder:"ADDR"`
	Open bool   `help:"Open the board in the default browser."`
}

func (c *boardCmd) Help() string {
	return `Serves the board, a live web view of the backlog, until interrupted:
columns of ready, held (by agent), blocked, waiting and done-today tasks
that update as agents work, a filter bar, each task with its doc
rendered, the agents with their stale claims, and the projects with a
chart of their weeks. Its buttons act through the same commands as the
CLI, journalled as BACKLOG_AGENT_ID and undone with its Undo button (or
backlog undo).

Only a loopback address is served here; to reach the board from other
machines, use backlog serve --http ADDR, which requires a token.

Examples:

    backlog board
    backlog board --open
    backlog board --addr 127.0.0.1:8080`
}

func (c *boardCmd) Run(a *runner) error {
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return backlog.Invalidf("--addr %q is not HOST:PORT, such as 127.0.0.1:7412", c.Addr)
	}
	if !loopbackHost(host) {
		return backlog.Invalidf("--addr %q is not a loopback address: backlog board serves this machine only; use backlog serve --http %s, which requires a token, to serve other machines", c.Addr, c.Addr)
	}
	// Open the store file even when it does not exist yet, so that the
	// first writer's tasks show.
	e, err := a.Engine(true)
	if err != nil {
		return err
	}
	clock, err := configClock(a)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return backlog.Environmentf(err, "cannot listen on %s: %v", c.Addr, err)
	}
	srv := &http.Server{
		// The board behind web's checks: Host (DNS rebinding), Origin and
		// CSRF, body limits and headers, as under backlog serve --http.
		Handler: web.New(web.Options{
			Open:  func(context.Context) (store.Store, error) { return e.Store(), nil },
			Agent: e.Agent(), Clock: clock, Stderr: a.env.Stderr,
		}).Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return a.ctx },
	}
	url := "http://" + l.Addr().String() + "/"
	fmt.Fprintf(a.env.Stdout, "The board is at %s (Ctrl-C stops it).\n", url)
	if c.Open {
		if err := openBrowser(url); err != nil {
			fmt.Fprintf(a.env.Stderr, "backlog: cannot open a browser (%v): open %s yourself\n", err, url)
		}
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	select {
	case err := <-done:
		return backlog.Environmentf(err, "the board stopped: %v", err)
	case <-a.ctx.Done():
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// loopbackHost reports whether a listen host is this machine alone.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// openBrowser asks the desktop to open a URL.
func openBrowser(url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() { _ = cmd.Wait() }()
	return nil
}
