package engine_test

import (
	"context"
	"testing"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/store"
	"github.com/agent-backlog/backlog/store/memstore"
)

func TestMigrateCarriesUpstreamChangesStillOwedOnce(t *testing.T) {
	ctx := context.Background()
	from, to := memstore.New(), memstore.New()
	e := engine.New(from, engine.Options{Agent: "bob"})
	src := &backlog.Source{Type: "github", Host: "github.com", Project: "acme/app", IID: 7}
	if _, err := e.ImportIssues(ctx, []engine.IssueTask{{Task: &backlog.Task{Description: "Fix it", Source: src}}}, "import"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Claim(ctx, engine.ClaimOptions{ID: "1", Agent: "bob"}); err != nil {
		t.Fatal(err)
	}
	owed := func(s store.Store) []*store.OutboxItem {
		var items []*store.OutboxItem
		if err := s.Read(ctx, func(tx store.Tx) error {
			var err error
			items, err = tx.Owed(ctx, 0)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return items
	}
	for run := 1; run <= 2; run++ {
		res, err := engine.Migrate(ctx, from, to, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := 1
		if run == 2 {
			want = 0
		}
		if res.Owed != want {
			t.Errorf("run %d carried %d changes owed, want %d", run, res.Owed, want)
		}
	}
	got := owed(to)
	if len(got) != 1 || got[0].Source.Key() != src.Key() || got[0].Event != `{"op":"claim","agent":"bob"}` {
		t.Errorf("owed in the destination = %+v", got)
	}
}
