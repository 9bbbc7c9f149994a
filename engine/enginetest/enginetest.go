// Package enginetest is the contract every store.Store must pass as the
// engine's store: it drives the engine over the store under test, so that a
// backend is accepted only when every command behaves through it exactly as
// TOOLS.md, PRODUCT.md and FILTER.md say: same results, same error
// sentences, same journal, same undo. What a store promises transaction by
// transaction, without the engine, is store/storetest's.
//
// A backend's test calls Run with a function that opens a fresh, empty store:
//
//	func TestEngineContract(t *testing.T) {
//		enginetest.Run(t, func(t *testing.T) store.Store { return open(t) })
//	}
//
// Run calls open once per scenario and closes the store when the scenario
// ends. The scenarios run in parallel, each on its own store, so open must
// be safe to call from many goroutines and must give each call a backlog
// no other call sees. Every scenario uses a fixed clock in a non-UTC zone
// (UTC+2), moved on by hand where time has to pass.
package enginetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/engine"
	"github.com/agent-backlog/backlog/store"
)

// Run runs the whole contract. open must return a new, empty store each
// time it is called; Run closes it when the scenario that opened it ends.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	groups := []struct {
		name      string
		scenarios []scenario
	}{
		{"add", addScenarios},
		{"task references", refScenarios},
		{"log and duplicate", logDuplicateScenarios},
		{"modify", modifyScenarios},
		{"status commands", statusScenarios},
		{"annotations", annotationScenarios},
		{"docs", docScenarios},
		{"list, count, export and info", queryScenarios},
		{"projects and tags", nameScenarios},
		{"recurrence", recurScenarios},
		{"import", importScenarios},
		{"journal", journalScenarios},
		{"undo", undoScenarios},
		{"concurrency", concurrencyScenarios},
		{"archive", archiveScenarios},
		{"many agents", teamScenarios},
		{"claims by role", roleScenarios},
		{"claims with a lease", leaseScenarios},
		{"issues imported from a forge", sourceScenarios},
		{"lifecycle: recurrence", lifecycleRecurScenarios},
		{"lifecycle: wait and scheduled", lifecycleWaitScenarios},
		{"lifecycle: dependencies", lifecycleDepScenarios},
		{"lifecycle: docs", lifecycleDocScenarios},
		{"lifecycle: archive", lifecycleArchiveScenarios},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			for _, sc := range g.scenarios {
				t.Run(sc.name, func(t *testing.T) {
					t.Parallel()
					sc.run(start(t, open))
				})
			}
		})
	}
}

// scenario is one test of the contract, run on a fresh store.
type scenario struct {
	name string
	run  func(h *H)
}

// Zone is the local zone of every scenario: named dates (friday, eom) are
// resolved in it, and everything is stored in UTC.
var Zone = time.FixedZone("UTC+2", 2*60*60)

// Epoch is the clock's start: Wednesday 4 March 2026, 10:00 local (08:00
// UTC), with a fraction of a second that every stored date must drop.
var Epoch = time.Date(2026, time.March, 4, 10, 0, 0, 123456789, Zone)

// Clock is a settable clock, safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// H is one scenario's harness: the store under test, the clock, an engine
// writing as agent "alice", and helpers that fail the test on unexpected
// errors.
type H struct {
	*testing.T
	Ctx   context.Context
	Store store.Store
	Clock *Clock
	E     *engine.Engine // agent "alice"

	*seen
}

// seen holds every task UUID a scenario has seen, to read the journal by task.
type seen struct {
	mu    sync.Mutex
	uuids map[string]bool
}

func start(t *testing.T, open func(t *testing.T) store.Store) *H {
	s := open(t)
	if s == nil {
		t.Fatal("open returned a nil store")
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("closing the store: %v", err)
		}
	})
	h := &H{T: t, Ctx: context.Background(), Store: s, Clock: &Clock{now: Epoch}, seen: &seen{uuids: map[string]bool{}}}
	h.E = h.Engine("alice")
	return h
}

// Case runs fn as a subtest with its own *testing.T over the same backlog.
func (h *H) Case(name string, fn func(h *H)) {
	h.T.Run(name, func(t *testing.T) {
		c := *h
		c.T = t
		fn(&c)
	})
}

// Engine returns a new engine over the scenario's store, writing as agent,
// on the scenario's clock.
func (h *H) Engine(agent string) *engine.Engine {
	return engine.New(h.Store, engine.Options{Agent: agent, Clock: h.Clock.Now})
}

// Now is the clock's time to the second, as the engine keeps dates.
func (h *H) Now() time.Time { return h.Clock.Now().Truncate(time.Second) }

// local returns a time in the scenario's zone.
func local(y int, m time.Month, d, hh, mm, ss int) time.Time {
	return time.Date(y, m, d, hh, mm, ss, 0, Zone)
}

// utc returns a time in UTC.
func utc(y int, m time.Month, d, hh, mm, ss int) time.Time {
	return time.Date(y, m, d, hh, mm, ss, 0, time.UTC)
}

func ptr(s string) *string { return &s }

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// track remembers the UUIDs of tasks, so that the journal can be read by task.
func (h *H) track(ts ...*backlog.Task) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, t := range ts {
		if t != nil && t.UUID != "" {
			h.uuids[t.UUID] = true
		}
	}
}

func (h *H) trackResult(r *engine.Result) {
	if r != nil {
		h.track(r.Task, r.Next)
	}
}

// Mods parses Taskwarrior-style words (the description may be among them).
func (h *H) Mods(words string) *engine.Changes {
	h.Helper()
	ws, err := engine.SplitWords(words)
	if err != nil {
		h.Fatalf("SplitWords(%q): %v", words, err)
	}
	c, err := engine.ParseMods(ws, true)
	if err != nil {
		h.Fatalf("ParseMods(%q): %v", words, err)
	}
	return c
}

// Edits parses modification words with no description allowed.
func (h *H) Edits(words string) *engine.Changes {
	h.Helper()
	ws, err := engine.SplitWords(words)
	if err != nil {
		h.Fatalf("SplitWords(%q): %v", words, err)
	}
	c, err := engine.ParseMods(ws, false)
	if err != nil {
		h.Fatalf("ParseMods(%q): %v", words, err)
	}
	return c
}

// AddR adds a task from words as alice and returns the whole result.
func (h *H) AddR(words string) *engine.Result {
	h.Helper()
	r, err := h.E.Add(h.Ctx, h.Mods(words))
	if err != nil {
		h.Fatalf("add %q: %v", words, err)
	}
	h.trackResult(r)
	return r
}

// Add adds a task from words as alice.
func (h *H) Add(words string) *backlog.Task {
	h.Helper()
	return h.AddR(words).Task
}

// Log logs a completed task from words as alice.
func (h *H) Log(words string) *backlog.Task {
	h.Helper()
	r, err := h.E.Log(h.Ctx, h.Mods(words))
	if err != nil {
		h.Fatalf("log %q: %v", words, err)
	}
	h.trackResult(r)
	return r.Task
}

// Modify modifies as alice and fails on an error.
func (h *H) Modify(filter, words string) *engine.ModifyResult {
	h.Helper()
	r, err := h.E.Modify(h.Ctx, filter, h.Edits(words), false)
	if err != nil {
		h.Fatalf("modify %q %q: %v", filter, words, err)
	}
	h.track(r.Tasks...)
	return r
}

// Do runs a one-task command as alice and fails on an error.
func (h *H) Do(cmd func(context.Context, string) (*engine.Result, error), ref string) *engine.Result {
	h.Helper()
	r, err := cmd(h.Ctx, ref)
	if err != nil {
		h.Fatalf("command on %s: %v", ref, err)
	}
	h.trackResult(r)
	return r
}

// Info returns a task, failing when it cannot be read.
func (h *H) Info(ref string) *backlog.Task {
	h.Helper()
	t, err := h.E.Info(h.Ctx, ref)
	if err != nil {
		h.Fatalf("info %s: %v", ref, err)
	}
	h.track(t)
	return t
}

// Stored reads a task as the store keeps it (stored status, no urgency).
func (h *H) Stored(uuid string) *backlog.Task {
	h.Helper()
	var t *backlog.Task
	err := h.Store.Read(h.Ctx, func(tx store.Tx) error {
		var err error
		t, err = tx.TaskByUUID(h.Ctx, uuid)
		return err
	})
	if err != nil {
		h.Fatalf("reading task %s from the store: %v", uuid, err)
	}
	return t
}

// StoredDoc reads a task's doc from the store; ok is false when it has none.
func (h *H) StoredDoc(uuid string) (doc string, ok bool) {
	h.Helper()
	err := h.Store.Read(h.Ctx, func(tx store.Tx) error {
		var err error
		doc, err = tx.Doc(h.Ctx, uuid)
		return err
	})
	switch {
	case err == nil:
		return doc, true
	case errors.Is(err, backlog.ErrNotFound):
		return "", false
	}
	h.Fatalf("reading the doc of %s from the store: %v", uuid, err)
	return "", false
}

// List lists as alice and fails on an error.
func (h *H) List(filter, sort string, limit int) []*backlog.Task {
	h.Helper()
	l, err := h.E.List(h.Ctx, engine.ListOptions{Filter: filter, Sort: sort, Limit: limit})
	if err != nil {
		h.Fatalf("list %q sort %q: %v", filter, sort, err)
	}
	h.track(l.Tasks...)
	return l.Tasks
}

// Export exports every task the filter selects, of any status.
func (h *H) Export(filter string) []*backlog.Task {
	h.Helper()
	ts, err := h.E.Export(h.Ctx, filter)
	if err != nil {
		h.Fatalf("export %q: %v", filter, err)
	}
	h.track(ts...)
	return ts
}

// Import imports JSON as alice and fails on an error.
func (h *H) Import(data string) *engine.ImportResult {
	h.Helper()
	r, err := h.E.Import(h.Ctx, []byte(data), engine.ImportOptions{})
	if err != nil {
		h.Fatalf("import: %v", err)
	}
	h.track(r.Tasks...)
	return r
}

// Journal returns the journal, oldest first. It is read through the store's
// Entries for every task the scenario has seen (and every task those
// entries touched), so that it works on any backend; a store that also
// offers Journal() (as memstore does) is checked against it.
func (h *H) Journal() []*store.Entry {
	h.Helper()
	h.Export("") // every task that still exists
	bySeq := map[int64]*store.Entry{}
	err := h.Store.Read(h.Ctx, func(tx store.Tx) error {
		done := map[string]bool{}
		for {
			h.mu.Lock()
			var todo []string
			for u := range h.uuids {
				if !done[u] {
					todo = append(todo, u)
				}
			}
			h.mu.Unlock()
			if len(todo) == 0 {
				return nil
			}
			for _, u := range todo {
				done[u] = true
				es, err := tx.Entries(h.Ctx, 0, u, 0)
				if err != nil {
					return err
				}
				for i, e := range es {
					if i > 0 && es[i-1].Seq >= e.Seq {
						h.Errorf("Entries(0, %s) is not ordered oldest first: seq %d then %d", u, es[i-1].Seq, e.Seq)
					}
					if !slices.ContainsFunc(e.Changes, func(c store.Change) bool { return c.UUID == u }) {
						h.Errorf("Entries(0, %s) returned entry %d, which does not touch that task", u, e.Seq)
					}
					bySeq[e.Seq] = e
					for _, c := range e.Changes {
						h.track(&backlog.Task{UUID: c.UUID})
					}
				}
			}
		}
	})
	if err != nil {
		h.Fatalf("reading the journal: %v", err)
	}
	out := make([]*store.Entry, 0, len(bySeq))
	for _, e := range bySeq {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *store.Entry) int { return int(a.Seq - b.Seq) })
	if j, ok := h.Store.(interface{ Journal() []*store.Entry }); ok {
		all := j.Journal()
		if len(all) != len(out) {
			h.Errorf("the journal holds %d entries, but Entries finds %d for the tasks", len(all), len(out))
		}
	}
	return out
}

// JournalLen is the number of entries in the journal.
func (h *H) JournalLen() int {
	h.Helper()
	return len(h.Journal())
}

// Last returns the newest journal entry.
func (h *H) Last() *store.Entry {
	h.Helper()
	j := h.Journal()
	if len(j) == 0 {
		h.Fatalf("the journal is empty")
	}
	return j[len(j)-1]
}

// Snapshot is everything a command may change: every task (as export prints
// it), every doc, and the journal.
type Snapshot struct {
	text string
}

// Snapshot records the whole state of the backlog.
func (h *H) Snapshot() Snapshot {
	h.Helper()
	var b strings.Builder
	tasks := h.Export("")
	for _, t := range tasks {
		t.Urgency = 0 // computed from the clock, not stored
		j, err := json.Marshal(t)
		if err != nil {
			h.Fatalf("marshalling task %d: %v", t.ID, err)
		}
		fmt.Fprintf(&b, "task %s\n", j)
		if doc, ok := h.StoredDoc(t.UUID); ok {
			fmt.Fprintf(&b, "doc %s %d bytes %q\n", t.UUID, len(doc), clip(doc))
		}
	}
	segs, err := h.E.ArchiveSegments(h.Ctx)
	if err != nil {
		h.Fatalf("archive segments: %v", err)
	}
	for _, s := range segs {
		ts, err := h.E.ArchiveLoad(h.Ctx, s.Name)
		if err != nil {
			h.Fatalf("archive segment %s: %v", s.Name, err)
		}
		for _, t := range ts {
			j, _ := json.Marshal(t)
			fmt.Fprintf(&b, "archived %s %s\n", s.Name, j)
		}
	}
	for _, e := range h.Journal() {
		fmt.Fprintf(&b, "journal %d %s %s %q undoes=%d undoneBy=%d changes=%d\n",
			e.Seq, e.Agent, e.Command, e.Summary, e.Undoes, e.UndoneBy, len(e.Changes))
	}
	return Snapshot{text: b.String()}
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

// Unchanged fails when the backlog is no longer as the snapshot saw it.
func (h *H) Unchanged(before Snapshot, after string) {
	h.Helper()
	now := h.Snapshot()
	if now.text == before.text {
		return
	}
	b, a := strings.Split(before.text, "\n"), strings.Split(now.text, "\n")
	for i := 0; i < max(len(a), len(b)); i++ {
		var x, y string
		if i < len(b) {
			x = b[i]
		}
		if i < len(a) {
			y = a[i]
		}
		if x != y {
			h.Errorf("%s changed the backlog; first difference:\nbefore: %s\nafter:  %s", after, x, y)
			return
		}
	}
}

// Rejects runs a command that must fail with exactly the sentence want and
// the kind (backlog.ErrInvalid, ErrNotFound or ErrConflict), and checks that
// it changed nothing.
func (h *H) Rejects(want string, kind error, cmd func() error) {
	h.Helper()
	before := h.Snapshot()
	err := cmd()
	CheckErr(h.T, err, want, kind)
	h.Unchanged(before, fmt.Sprintf("the rejected command (%q)", want))
}

// CheckErr fails unless err is the sentence want and of the kind.
func CheckErr(t testing.TB, err error, want string, kind error) {
	t.Helper()
	if err == nil {
		t.Errorf("no error; want %q (%v)", want, kind)
		return
	}
	if err.Error() != want {
		t.Errorf("error %q\n                want %q", err.Error(), want)
	}
	if !errors.Is(err, kind) {
		t.Errorf("error %q is not of kind %q (%s)", err.Error(), kind, kindOf(err))
	}
}

func kindOf(err error) string {
	for _, k := range []error{backlog.ErrInvalid, backlog.ErrNotFound, backlog.ErrConflict} {
		if errors.Is(err, k) {
			return "it is " + k.Error()
		}
	}
	return "it has no kind"
}

// ids returns the ids of tasks, in order.
func ids(ts []*backlog.Task) []int64 {
	out := make([]int64, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}

// byID finds a task by id in a list.
func byID(ts []*backlog.Task, id int64) *backlog.Task {
	for _, t := range ts {
		if t.ID == id {
			return t
		}
	}
	return nil
}

// sameTime fails unless got equals want as an instant.
func (h *H) sameTime(what string, got, want time.Time) {
	h.Helper()
	if !got.Equal(want) {
		h.Errorf("%s = %s, want %s", what, fmtTime(got), fmtTime(want))
	}
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "(unset)"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// eqIDs fails unless the ids are as wanted, in order.
func (h *H) eqIDs(what string, got, want []int64) {
	h.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !slices.Equal(got, want) {
		h.Errorf("%s = %v, want %v", what, got, want)
	}
}

// eqStrings fails unless the lists are equal (nil and empty are equal).
func (h *H) eqStrings(what string, got, want []string) {
	h.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !slices.Equal(got, want) {
		h.Errorf("%s = %q, want %q", what, got, want)
	}
}

// eq fails unless got == want.
func eq[T comparable](h *H, what string, got, want T) {
	h.Helper()
	if got != want {
		h.Errorf("%s = %v, want %v", what, got, want)
	}
}

// noPanic runs fn and turns a panic into a test failure, so that one broken
// command does not stop the rest of the suite.
func (h *H) noPanic(what string, fn func()) (panicked bool) {
	h.Helper()
	defer func() {
		if r := recover(); r != nil {
			h.Errorf("%s panicked: %v", what, r)
			panicked = true
		}
	}()
	fn()
	return false
}

// prefix8 is the shortest prefix of a UUID, of at least eight characters,
// that is not all digits: digits alone always name an id.
func prefix8(uuid string) string {
	for n := 8; n < len(uuid); n++ {
		if strings.Trim(uuid[:n], "0123456789-") != "" {
			return uuid[:n]
		}
	}
	return uuid
}
