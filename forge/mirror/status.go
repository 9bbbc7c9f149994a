package mirror

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/store"
)

// Status is the state of the mirror: imported tasks whose issue is gone,
// changes still owed upstream, and each repository's last sync.
type Status struct {
	Gone  []GoneTask   `json:"gone"`
	Owed  []OwedChange `json:"owed"`
	Repos []RepoStatus `json:"repos"`
}

// GoneTask is an imported task whose issue answered 404 or 410.
type GoneTask struct {
	ID    int64  `json:"id"`
	Issue string `json:"issue"`
	URL   string `json:"url,omitempty"`
}

// OwedChange is one change still owed upstream.
type OwedChange struct {
	Issue     string    `json:"issue"`
	Op        string    `json:"op"`
	At        time.Time `json:"at"`
	Attempts  int       `json:"attempts,omitempty"`
	LastError string    `json:"last_error,omitempty"`
}

// RepoStatus is one repository with imported tasks.
type RepoStatus struct {
	Repo     string `json:"repo"`
	Tasks    int    `json:"tasks"`
	LastSync string `json:"last_sync,omitempty"`
}

// ReadStatus reads the mirror's state.
func ReadStatus(ctx context.Context, eng *engine.Engine, st store.Store) (*Status, error) {
	s := &Status{Gone: []GoneTask{}, Owed: []OwedChange{}, Repos: []RepoStatus{}}
	tasks, err := eng.Export(ctx, "source.any:")
	if err != nil {
		return nil, err
	}
	err = st.Read(ctx, func(tx store.Tx) error {
		items, err := tx.Owed(ctx, 0)
		if err != nil {
			return err
		}
		for _, it := range items {
			var ev engine.UpstreamEvent
			_ = json.Unmarshal([]byte(it.Event), &ev)
			s.Owed = append(s.Owed, OwedChange{Issue: it.Source.Host + "/" + it.Source.Ref(), Op: ev.Op, At: it.At,
				Attempts: it.Attempts, LastError: it.LastError})
		}
		idx := map[string]int{}
		for _, t := range tasks {
			src := t.Source
			v, err := tx.Meta(ctx, goneKey(*src))
			if err != nil {
				return err
			}
			if v != "" {
				s.Gone = append(s.Gone, GoneTask{ID: t.ID, Issue: src.Host + "/" + src.Ref(), URL: src.URL})
			}
			k := src.Type + ":" + strings.ToLower(src.Host) + "/" + strings.ToLower(src.Project)
			i, ok := idx[k]
			if !ok {
				last, err := tx.Meta(ctx, syncKey(src.Type, src.Host, src.Project))
				if err != nil {
					return err
				}
				i = len(s.Repos)
				idx[k] = i
				s.Repos = append(s.Repos, RepoStatus{Repo: strings.ToLower(src.Host) + "/" + src.Project, LastSync: last})
			}
			s.Repos[i].Tasks++
		}
		return nil
	})
	return s, err
}
