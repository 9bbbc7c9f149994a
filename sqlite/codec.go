package sqlite

import (
	"encoding/json"
	"fmt"
	"strings"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/store/sqlstore"
)

// writeColumns are the columns Insert and Update write, in taskArgs'
// order: the shared ones, then the rank bounds (migration 0004).
var writeColumns = append(sqlstore.WriteColumns[:len(sqlstore.WriteColumns):len(sqlstore.WriteColumns)], "urg_own", "rank_hi")

// insertSQL and updateSQL write every column of a task; updateSQL takes the
// values of writeColumns without the uuid, then the uuid as the key.
var (
	insertSQL = "INSERT INTO tasks (" + strings.Join(writeColumns, ", ") + ") VALUES (?" +
		strings.Repeat(", ?", len(writeColumns)-1) + ") RETURNING tid"
	updateSQL = func() string {
		var set []string
		for _, c := range writeColumns {
			if c != "uuid" {
				set = append(set, c+" = ?")
			}
		}
		return "UPDATE tasks SET " + strings.Join(set, ", ") + " WHERE uuid = ? RETURNING tid, blocking_n"
	}()
)

// taskArgs are the values of writeColumns for t.
func taskArgs(t *backlog.Task) ([]any, error) {
	args, err := sqlstore.TaskArgs(dialect{}, t)
	if err != nil {
		return nil, err
	}
	return append(args, backlog.DefaultCoefficients.Own(t), rankBase(t)), nil
}

// rankBase is the task's rank_hi (migration 0004) before its blocking
// term, which the store adds when live tasks depend on it: the own part of
// its urgency plus the due, scheduled and age terms at their largest, or 0
// for a finished task.
func rankBase(t *backlog.Task) float64 {
	if t.Status == backlog.StatusCompleted || t.Status == backlog.StatusDeleted {
		return 0
	}
	c := backlog.DefaultCoefficients
	u := c.Own(t)
	if !t.Due.IsZero() {
		u += c.Due
	}
	if !t.Scheduled.IsZero() {
		u += c.Scheduled
	}
	if !t.Entry.IsZero() {
		u += c.Age
	}
	return u
}

// jsonList reads a list column, a JSON array of strings or NULL, into the
// slice it points to (sql.Scanner).
type jsonList []string

// Scan implements sql.Scanner.
func (l *jsonList) Scan(src any) error {
	var err error
	switch v := src.(type) {
	case nil:
		*l = nil
	case string:
		*l, err = decodeList(v)
	case []byte:
		*l, err = decodeList(string(v))
	default:
		err = fmt.Errorf("a list column holds %T, not JSON text", src)
	}
	return err
}

// decodeList reads a JSON array of strings. Tags and UUIDs rarely need
// escapes, so plain strings are cut out directly; anything else goes through
// encoding/json.
func decodeList(b string) ([]string, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' || strings.IndexByte(b, '\\') >= 0 {
		return decodeListJSON(b)
	}
	n := strings.Count(b, ",") + 1
	out := make([]string, 0, n)
	rest := b[1 : len(b)-1]
	for len(rest) > 0 {
		if rest[0] != '"' {
			return decodeListJSON(b)
		}
		end := strings.IndexByte(rest[1:], '"')
		if end < 0 {
			return decodeListJSON(b)
		}
		out = append(out, rest[1:1+end])
		rest = rest[2+end:]
		if len(rest) > 0 {
			if rest[0] != ',' {
				return decodeListJSON(b)
			}
			rest = rest[1:]
		}
	}
	return out, nil
}

func decodeListJSON(b string) ([]string, error) {
	var vs []string
	if err := json.Unmarshal([]byte(b), &vs); err != nil {
		return nil, err
	}
	return vs, nil
}
