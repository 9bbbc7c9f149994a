package mirror_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/forge"
	"github.com/agent-backlog/backlog/forge/mirror"
	"github.com/agent-backlog/backlog/sqlite"
)

// BenchmarkImport1000Issues imports 1,000 open issues (10 pages of 100)
// from a fake into an empty SQLite backlog: listing, mapping and the one
// transaction. The target is under 2 s an import.
func BenchmarkImport1000Issues(b *testing.B) {
	for _, kind := range forgeKinds {
		b.Run(kind, func(b *testing.B) {
			r := newRig(b, kind, "")
			for i := range 1000 {
				r.fake.AddIssue(r.repo, forge.Issue{Title: fmt.Sprintf("Issue %d", i+1), Body: "Steps to reproduce.",
					Labels: []string{"bug", "P2", "area/api"}, Assignees: []string{"carol"}})
			}
			dir := b.TempDir()
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				st, err := sqlite.Open(ctx, filepath.Join(dir, fmt.Sprintf("b%d.db", i)))
				if err != nil {
					b.Fatal(err)
				}
				eng := engine.New(st, engine.Options{Agent: "bob"})
				b.StartTimer()
				res, err := mirror.Import(ctx, r.env, r.f, eng, st, mirror.ImportOptions{Repo: r.repo})
				if err != nil || res.Imported != 1000 {
					b.Fatalf("imported %v: %v", res, err)
				}
				b.StopTimer()
				st.Close()
				b.StartTimer()
			}
		})
	}
}

// BenchmarkClaim compares what the command line does for a claim of a
// local task (the claim, then a look at the outbox) with a claim of an
// imported task (the same, then the push to a fake that answers at once).
// The difference is what the push adds to the command; the target is
// under 5 ms.
func BenchmarkClaim(b *testing.B) {
	for _, kind := range forgeKinds {
		for _, imported := range []bool{false, true} {
			name := kind + "/local task"
			if imported {
				name = kind + "/imported task with its push"
			}
			b.Run(name, func(b *testing.B) {
				r := newRig(b, kind, "")
				ref := "1"
				if imported {
					ref = r.importOne(r.add("Fix the login", "To Do"))
				} else if _, err := r.eng.Add(r.ctx, mustChanges(b, "Fix the login")); err != nil {
					b.Fatal(err)
				}
				for b.Loop() {
					b.StopTimer()
					if r.task(ref).Agent != "" {
						if _, err := r.eng.Release(r.ctx, ref, "", true); err != nil {
							b.Fatal(err)
						}
						r.push()
					}
					b.StartTimer()
					if _, err := r.eng.Claim(r.ctx, engine.ClaimOptions{ID: ref, Agent: "bob"}); err != nil {
						b.Fatal(err)
					}
					owed, err := mirror.HasOwed(r.ctx, r.st)
					if err != nil {
						b.Fatal(err)
					}
					if owed != imported {
						b.Fatalf("owed %v after the claim", owed)
					}
					if owed {
						// A command is a process of its own: a fresh
						// environment, client and connection.
						env := &mirror.Env{Getenv: r.env.Getenv, MaxWait: r.env.MaxWait}
						res, err := mirror.Push(r.ctx, env, r.eng, r.st, mirror.PushOptions{})
						if err != nil || res.Pushed != 1 {
							b.Fatalf("pushed %d: %v", res.Pushed, err)
						}
					}
				}
			})
		}
	}
}

func mustChanges(b *testing.B, words ...string) *engine.Changes {
	c, err := engine.ParseNew(words)
	if err != nil {
		b.Fatal(err)
	}
	return c
}
