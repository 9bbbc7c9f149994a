package board

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/filter"
)

// columnCap is how many cards a column shows; the rest are a link to the
// list. It keeps the page small (and quick) on a backlog of any size.
const columnCap = 50

// A column of the board as shown: its title and what it says when empty.
// Which tasks it holds is the engine's (engine.Board).
type columnDef struct {
	Key, Title string
	Empty      string
}

// columns are the board's, left to right, as engine.Board reads them.
var columns = []columnDef{
	{Key: "ready", Title: "Ready", Empty: "Nothing is ready."},
	{Key: "active", Title: "Active / held", Empty: "No agent holds a task."},
	{Key: "blocked", Title: "Blocked", Empty: "Nothing is blocked."},
	{Key: "waiting", Title: "Waiting / scheduled", Empty: "Nothing is waiting."},
	{Key: "done", Title: "Done today", Empty: "Nothing done yet today."},
}

// column is one column as shown.
type column struct {
	Key, Title, Empty string
	Cards             []card
	CardsHTML         template.HTML // the cards, written by cardsHTML
	More              int           // tasks past the cap
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
	hidden, err := s.fragment("board", "hidden", p)
	if err != nil {
		s.fail(w, r, e, err)
		return
	}
	for i := range body.Columns {
		body.Columns[i].CardsHTML = cardsHTML(body.Columns[i].Cards, hidden)
	}
	p.Body = body
	status := http.StatusOK
	if body.FilterError != nil {
		status = http.StatusUnprocessableEntity
	}
	s.renderStatus(w, status, "board", p)
}

// board reads the columns for a filter, in one transaction; a filter that
// does not parse is reported in the body, not as an error, so that the
// page still shows, unfiltered.
func (s *server) board(ctx context.Context, e *engine.Engine, src string) (*boardBody, error) {
	body := &boardBody{Filter: src}
	cols, err := e.Board(ctx, engine.BoardOptions{Filter: src, Limit: columnCap})
	if err != nil && errors.Is(err, backlog.ErrInvalid) && src != "" {
		body.FilterError = newFilterError(src, err)
		cols, err = e.Board(ctx, engine.BoardOptions{Limit: columnCap})
	}
	if err != nil {
		return nil, err
	}
	if len(cols) != len(columns) {
		return nil, fmt.Errorf("the engine's board has %d columns, the page %d", len(cols), len(columns))
	}
	now := e.Now()
	body.Columns = make([]column, len(cols))
	for i, def := range columns {
		c := column{Key: def.Key, Title: def.Title, Empty: def.Empty, More: cols[i].More}
		if cols[i].Key != def.Key {
			return nil, fmt.Errorf("the engine's board has %s where the page has %s", cols[i].Key, def.Key)
		}
		c.Cards = make([]card, 0, len(cols[i].Tasks))
		for _, t := range cols[i].Tasks {
			c.Cards = append(c.Cards, newCard(t, def.Key, now))
		}
		body.Columns[i] = c
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
