package tsbacklog

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/sqlite"
	"github.com/agent-backlog/backlog/store"
)

// fixture is a data directory written by the server's storage engine (see
// testdata/README.md), and expected what that engine read back from it.
const fixture = "testdata/ts-data"

type expectedRecord struct {
	UUID        string   `json:"_id"`
	ID          int64    `json:"id"`
	Description string   `json:"description"`
	Status      string   `json:"status"`
	Project     string   `json:"project"`
	Priority    string   `json:"priority"`
	Tags        []string `json:"tags"`
	Depends     []string `json:"depends"`
	Recur       string   `json:"recur"`
	Parent      string   `json:"parent"`
	Agent       string   `json:"agent"`
	Due         string   `json:"due"`
	Until       string   `json:"until"`
	Entry       string   `json:"entry"`
	Modified    string   `json:"modified"`
	Start       string   `json:"start"`
	End         string   `json:"end"`
	Annotations []struct {
		Entry       string `json:"entry"`
		Description string `json:"description"`
	} `json:"annotations"`
}

type expected struct {
	Live     []expectedRecord            `json:"live"`
	Archived map[string][]expectedRecord `json:"archived"`
	Docs     map[string]string           `json:"docs"`
}

func loadExpected(t *testing.T) *expected {
	t.Helper()
	data, err := os.ReadFile("testdata/ts-data.expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var e expected
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatal(err)
	}
	return &e
}

// all is every expected record with its segment ("" for live).
func (e *expected) all() map[string]struct {
	rec     expectedRecord
	segment string
} {
	out := map[string]struct {
		rec     expectedRecord
		segment string
	}{}
	for _, r := range e.Live {
		out[r.UUID] = struct {
			rec     expectedRecord
			segment string
		}{r, ""}
	}
	for seg, rs := range e.Archived {
		for _, r := range rs {
			out[r.UUID] = struct {
				rec     expectedRecord
				segment string
			}{r, seg}
		}
	}
	return out
}

func date(t *testing.T, s string) time.Time {
	t.Helper()
	if s == "" {
		return time.Time{}
	}
	d, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return d.UTC()
}

// checkTask compares a task with the record the server's engine read.
func checkTask(t *testing.T, got *backlog.Task, want expectedRecord, segment string, recurOf map[string]string) {
	t.Helper()
	name := want.UUID[:8] + " " + want.Description
	if got.Description != want.Description || string(got.Status) != want.Status || got.Project != want.Project ||
		string(got.Priority) != want.Priority || got.Agent != want.Agent || got.Parent != want.Parent {
		t.Errorf("%s: got %q %s project %q priority %q agent %q parent %q", name, got.Description, got.Status, got.Project, got.Priority, got.Agent, got.Parent)
	}
	tags := slices.DeleteFunc(slices.Clone(want.Tags), func(s string) bool { return s == "doc" })
	gotTags := slices.DeleteFunc(slices.Clone(got.Tags), func(s string) bool { return s == "doc" })
	if !slices.Equal(gotTags, tags) {
		t.Errorf("%s: tags %q, want %q", name, gotTags, tags)
	}
	if !slices.Equal(got.Depends, want.Depends) {
		t.Errorf("%s: depends %q, want %q", name, got.Depends, want.Depends)
	}
	wantRecur := want.Recur
	if wantRecur == "" {
		wantRecur = recurOf[want.Parent]
	}
	if got.Recur != wantRecur {
		t.Errorf("%s: recur %q, want %q", name, got.Recur, wantRecur)
	}
	for _, d := range []struct {
		field string
		got   time.Time
		want  string
	}{{"due", got.Due, want.Due}, {"until", got.Until, want.Until}, {"entry", got.Entry, want.Entry},
		{"modified", got.Modified, want.Modified}, {"start", got.Start, want.Start}, {"end", got.End, want.End}} {
		if !d.got.Equal(date(t, d.want)) {
			t.Errorf("%s: %s %v, want %s", name, d.field, d.got, d.want)
		}
	}
	if len(got.Annotations) != len(want.Annotations) {
		t.Fatalf("%s: %d annotations, want %d", name, len(got.Annotations), len(want.Annotations))
	}
	for i, a := range want.Annotations {
		if got.Annotations[i].Description != a.Description || !got.Annotations[i].Entry.Equal(date(t, a.Entry)) {
			t.Errorf("%s: annotation %d is %v, want %v", name, i, got.Annotations[i], a)
		}
	}
	if got.Archived != segment {
		t.Errorf("%s: archived in %q, want %q", name, got.Archived, segment)
	}
}

func recurOf(e *expected) map[string]string {
	m := map[string]string{}
	for _, r := range e.Live {
		if r.Recur != "" {
			m[r.UUID] = r.Recur
		}
	}
	return m
}

// TestReadSeesWhatTheServersEngineSees reads the fixture and compares every
// task with what the server's own engine read back from it.
func TestReadSeesWhatTheServersEngineSees(t *testing.T) {
	e := loadExpected(t)
	b, err := Read(fixture, "")
	if err != nil {
		t.Fatal(err)
	}
	want := e.all()
	if len(b.Tasks) != 200 || len(want) != 200 {
		t.Fatalf("read %d tasks, the engine %d; the fixture has 200", len(b.Tasks), len(want))
	}
	recur := recurOf(e)
	ids := map[int64]int{}
	for _, got := range b.Tasks {
		w, ok := want[got.UUID]
		if !ok {
			t.Errorf("task %s is not one the engine sees", got.UUID)
			continue
		}
		if got.ID != w.rec.ID {
			t.Errorf("task %s: id %d, want %d", got.UUID, got.ID, w.rec.ID)
		}
		ids[got.ID]++
		checkTask(t, got, w.rec, w.segment, recur)
	}
	if len(b.Docs) != len(e.Docs) {
		t.Errorf("%d docs, want %d", len(b.Docs), len(e.Docs))
	}
	for u, d := range e.Docs {
		if b.Docs[u] != d {
			t.Errorf("doc of %s is %q, want %q", u, b.Docs[u], d)
		}
	}
	clashes := 0
	for _, n := range ids {
		if n > 1 {
			clashes++
		}
	}
	if clashes == 0 {
		t.Error("the fixture's two agents gave no id twice; it should show the clash")
	}
	if !strings.Contains(b.Read, "claude's log") || !strings.Contains(b.Read, "gemini's log") || !strings.Contains(b.Read, "archive 2026-Q4 (26 tasks)") {
		t.Errorf("Read is %q", b.Read)
	}
	if len(b.Skipped) != 0 {
		t.Errorf("skipped %q", b.Skipped)
	}
}

func openSQLite(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "backlog.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestMigrateCopiesEverythingOnce migrates the fixture into a new SQLite
// backlog: every task arrives with its UUID, id (or a new one for a clash),
// annotations, doc, dependencies, recurrence and archive segment; a second
// run copies nothing.
func TestMigrateCopiesEverythingOnce(t *testing.T) {
	ctx := context.Background()
	e := loadExpected(t)
	st := openSQLite(t)
	eng := engine.New(st, engine.Options{Agent: "tester"})
	b, err := Read(fixture, "")
	if err != nil {
		t.Fatal(err)
	}
	res, err := eng.MigrateIn(ctx, b.Source, b.Tasks, b.Docs)
	if err != nil {
		t.Fatal(err)
	}
	if res.Tasks != len(e.Live) || res.Archived != 26 || res.Docs != len(e.Docs) || res.TasksSkipped+res.ArchivedSkipped != 0 {
		t.Fatalf("copied %+v; want %d live, 26 archived, %d docs", res, len(e.Live), len(e.Docs))
	}
	var maxID int64
	for _, w := range e.all() {
		maxID = max(maxID, w.rec.ID)
	}
	renumbered := map[string]engine.Renumbered{}
	for _, r := range res.Renumbered {
		renumbered[r.UUID] = r
		if r.Holder == "" || r.To <= maxID {
			t.Errorf("renumbered %+v: want a holder and an id above the source's", r)
		}
	}
	if len(renumbered) != 13 {
		t.Errorf("%d tasks renumbered, want the fixture's 13 clashes", len(renumbered))
	}

	want := e.all()
	recur := recurOf(e)
	got := map[string]*backlog.Task{}
	docs := map[string]string{}
	err = st.Read(ctx, func(tx store.Tx) error {
		live, err := tx.Select(ctx, store.Query{})
		if err != nil {
			return err
		}
		archived, err := tx.ArchivedTasks(ctx, "2026-Q4")
		if err != nil {
			return err
		}
		for _, t := range append(live, archived...) {
			got[t.UUID] = t
			var doc string
			if t.Archived != "" {
				doc, err = tx.ArchivedDoc(ctx, t.UUID)
			} else {
				doc, err = tx.Doc(ctx, t.UUID)
			}
			if err == nil {
				docs[t.UUID] = doc
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 200 {
		t.Fatalf("the backlog holds %d tasks, want 200", len(got))
	}
	seen := map[int64]bool{}
	for u, w := range want {
		g := got[u]
		if g == nil {
			t.Errorf("task %s did not arrive", u)
			continue
		}
		wantID := w.rec.ID
		if r, ok := renumbered[u]; ok {
			wantID = r.To
		}
		if g.ID != wantID || seen[g.ID] {
			t.Errorf("task %s has id %d, want %d, once", u, g.ID, wantID)
		}
		seen[g.ID] = true
		checkTask(t, g, w.rec, w.segment, recur)
		_, hasDoc := e.Docs[u]
		if g.HasDoc != hasDoc || g.HasTag("doc") != hasDoc || docs[u] != e.Docs[u] {
			t.Errorf("task %s: has_doc %v, doc %q; want %q", u, g.HasDoc, docs[u], e.Docs[u])
		}
	}

	again, err := eng.MigrateIn(ctx, b.Source, b.Tasks, b.Docs)
	if err != nil {
		t.Fatal(err)
	}
	if again.Tasks+again.Archived+again.Docs != 0 || again.TasksSkipped != len(e.Live) || again.ArchivedSkipped != 26 || len(again.Renumbered) != 0 {
		t.Errorf("a second run did %+v; want nothing copied, all 200 found", again)
	}
	var entries []*store.Entry
	_ = st.Read(ctx, func(tx store.Tx) error {
		entries, err = tx.Entries(ctx, 0, "", 0)
		return err
	})
	if len(entries) != 1 || entries[0].Command != "migrate" || len(entries[0].Changes) != len(e.Live) {
		t.Errorf("journal: %d entries; want one migrate entry of %d tasks", len(entries), len(e.Live))
	}
}
