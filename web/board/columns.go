package board

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/filter"
)

// columnCap is how many cards a column shows; the rest are a link to the
// list. It keeps the page small (and quick) on a backlog of any size.
const columnCap = 50

// A column of the board: which tasks it holds, as filter terms added to
// the user's filter, and in which order.
type columnDef struct {
	Key, Title string
	Terms      string
	Sort       string
	Empty      string // what an empty column says
}

// columns are the board's, left to right. Each live task is in exactly
// one: held or started first, then blocked, then waiting or scheduled,
// else ready.
var columns = []columnDef{
	{Key: "ready", Title: "Ready", Terms: "+READY -ACTIVE -CLAIMED", Empty: "Nothing is ready."},
	{Key: "active", Title: "Active / held", Terms: "( status:pending or status:waiting ) ( +ACTIVE or +CLAIMED )", Empty: "No agent holds a task."},
	{Key: "blocked", Title: "Blocked", Terms: "( status:pending or status:waiting ) +BLOCKED -ACTIVE -CLAIMED", Empty: "Nothing is blocked."},
	{Key: "waiting", Title: "Waiting / scheduled", Terms: "( status:waiting or ( status:pending scheduled.after:now ) ) -BLOCKED -ACTIVE -CLAIMED", Empty: "Nothing is waiting."},
	{Key: "done", Title: "Done today", Terms: "status:completed end:today", Sort: "end-", Empty: "Nothing done yet today."},
}

// column is one column as shown.
type column struct {
	Key, Title, Empty string
	Cards             []card
	More              int // tasks past the cap
}

// boardBody is the board page's data.
type boardBody struct {
	Filter      string
	FilterError *filterError
	Columns     []column
}

// filterError is a filter that does not parse, with the place it goes
// wrong, to show under the filter bar.
type filterError struct {
	Message             string
	Before, At, After   string // the filter cut at the position
	Column              int    // 1-based
	HasPos, AtEndOfText bool
}

func (s *server) boardPage(w http.ResponseWriter, r *http.Request) {
	e, ok := s.engine(w, r)
	if !ok {
		return
	}
	src := strings.TrimSpace(r.URL.Query().Get("filter"))
	p := s.newPage(w, r, e, "board", "Board")
	body, err := s.board(r.Context(), e, src)
	if err != nil {
		s.fail(w, r, e, err)
		return
	}
	p.Body = body
	status := http.StatusOK
	if body.FilterError != nil {
		status = http.StatusUnprocessableEntity
	}
	s.renderStatus(w, status, "board", p)
}

// board reads the columns for a filter; a filter that does not parse is
// reported in the body, not as an error, so that the page still shows.
func (s *server) board(ctx context.Context, e *engine.Engine, src string) (*boardBody, error) {
	body := &boardBody{Filter: src}
	if err := e.CheckFilter(ctx, src); err != nil {
		if !errors.Is(err, backlog.ErrInvalid) {
			return nil, err
		}
		body.FilterError = newFilterError(src, err)
		src = ""
	}
	// The columns are read side by side: each is a query of its own, and
	// a store serves reads in parallel.
	now := e.Now()
	body.Columns = make([]column, len(columns))
	errs := make([]error, len(columns))
	var wg sync.WaitGroup
	for i, def := range columns {
		wg.Go(func() {
			f := def.Terms
			if src != "" {
				f = "( " + src + " ) " + f
			}
			l, err := e.List(ctx, engine.ListOptions{Filter: f, Sort: def.Sort, Limit: columnCap})
			if err != nil {
				errs[i] = err
				return
			}
			c := column{Key: def.Key, Title: def.Title, Empty: def.Empty, More: l.More}
			for _, t := range l.Tasks {
				c.Cards = append(c.Cards, newCard(t, def.Key, now))
			}
			body.Columns[i] = c
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return body, nil
}

// newFilterError cuts the filter at the error's position.
func newFilterError(src string, err error) *filterError {
	fe := &filterError{Message: sentence(err)}
	var pe *filter.Error
	if errors.As(err, &pe) && pe.Pos >= 0 && pe.Pos <= len(src) {
		fe.Message = pe.Msg
		fe.HasPos = true
		fe.Column = len([]rune(src[:pe.Pos])) + 1
		fe.Before = src[:pe.Pos]
		rest := src[pe.Pos:]
		if rest == "" {
			fe.AtEndOfText = true
			return fe
		}
		n := strings.IndexAny(rest, " \t")
		if n <= 0 {
			n = len(rest)
		}
		fe.At, fe.After = rest[:n], rest[n:]
	}
	return fe
}
