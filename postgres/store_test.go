package postgres

import (
	"time"

	backlog "github.com/agent-backlog/backlog"
)

// Tasks the tests of this package share. What every store promises
// transaction by transaction is store/storetest's contract, run against
// PostgreSQL in contract_test.go.

const (
	uuid1 = "11111111-1111-4111-8111-111111111111"
	uuid2 = "22222222-2222-4222-8222-222222222222"
	uuid3 = "33333333-3333-4333-8333-333333333333"
)

// fullTask has every field set.
func fullTask() *backlog.Task {
	return &backlog.Task{
		ID: 1, UUID: uuid1, Description: "Fix the <login> page & \"quotes\" — naïve",
		Status: backlog.StatusPending, Project: "web.ui", Priority: backlog.PriorityHigh,
		Tags:      []string{"bug", "ux", "ünï"},
		Due:       clock.Add(48 * time.Hour),
		Scheduled: clock.Add(-time.Hour),
		Wait:      clock.Add(-2 * time.Hour),
		Until:     clock.Add(30 * 24 * time.Hour),
		Recur:     "weekly", Parent: uuid3, Mask: "--+",
		Depends: []string{uuid2},
		Agent:   "backend@host",
		Annotations: []backlog.Annotation{
			{Entry: clock.Add(-time.Minute), Description: "first note"},
			{Entry: clock, Description: "Straße ǅ \u212a"},
		},
		HasDoc:   true,
		Entry:    clock.Add(-24 * time.Hour),
		Modified: clock,
		Start:    clock.Add(-30 * time.Minute),
		End:      clock.Add(time.Minute),
		Extra: map[string]any{
			"estimate": 3.5, "big": 1e21, "neg": -2.0, "owner": "ana <a@b>", "billable": true, "draft": false,
		},
	}
}

func second[T any](_ T, err error) error { return err }
