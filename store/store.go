// Package store defines what the engine needs from a database: transactions
// over one backlog's tasks, docs and journal. Backends (sqlite/, postgres/)
// implement it; storetest/ is the contract suite every backend must pass.
//
// A Store holds no rules: validation, status transitions, recurrence and undo
// live in the engine, once, so that every backend behaves the same. A store
// persists what it is given and answers queries, pushing what it can of a
// filter down to indexed SQL and evaluating the rest with filter.Compile, so
// that its answers are exactly those of the pure evaluator.
package store

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
)

// Store is one backlog in one database.
type Store interface {
	// Read runs fn in a read-only transaction that sees one consistent state.
	Read(ctx context.Context, fn func(Tx) error) error
	// Write runs fn in a transaction that holds the write lock from its first
	// statement (SQLite: BEGIN IMMEDIATE), so that concurrent writers queue
	// instead of failing. It commits when fn returns nil and rolls back
	// otherwise. A backend may run fn again after a serialization failure, so
	// fn must have no effects outside tx.
	Write(ctx context.Context, fn func(Tx) error) error
	// Close releases the database.
	Close() error
	// Changes reports the journal's newest sequence number: once at once,
	// then whenever it may have grown through a commit of any process,
	// until ctx ends (the channel is then closed). A reader catches up with
	// Tx.Entries from the last sequence it saw; the reports may skip
	// numbers and may repeat one, never go backwards.
	Changes(ctx context.Context) (<-chan int64, error)
}

// Tx is a transaction. Methods that change data may only be called inside
// Store.Write. Dates are stored to the second; the engine truncates them.
type Tx interface {
	// Task returns the task with the id, or an error wrapping backlog.ErrNotFound.
	Task(ctx context.Context, id int64) (*backlog.Task, error)
	// TaskByUUID returns the task with the full UUID, or an error wrapping
	// backlog.ErrNotFound.
	TaskByUUID(ctx context.Context, uuid string) (*backlog.Task, error)
	// TasksByUUIDPrefix returns up to limit tasks whose UUID starts with the
	// lower-case prefix, ordered by id.
	TasksByUUIDPrefix(ctx context.Context, prefix string, limit int) ([]*backlog.Task, error)
	// Select returns the tasks matching q, ordered by id, without urgency.
	Select(ctx context.Context, q Query) ([]*backlog.Task, error)
	// Count returns how many tasks match q, counted in the database wherever
	// the filter allows.
	Count(ctx context.Context, q Query) (int, error)
	// Tally counts the tasks matching q by the value of one attribute,
	// in one pass where the database allows; see Tally.
	Tally(ctx context.Context, q Query, by TallyKey, ids int) ([]Tally, error)
	// Graph answers dependency questions (blocked, blocking, ids of
	// dependencies) and the latest id, for the whole backlog.
	Graph(ctx context.Context) (backlog.Graph, error)
	// UDAs returns the user-defined attributes present on tasks, with the
	// JSON types they hold. Names may outlive the last task that had them.
	UDAs(ctx context.Context) (map[string]filter.UDAKind, error)
	// Names counts the projects or tags of pending and recurring tasks, each
	// exact name on its own (no roll-up), ordered by name.
	Names(ctx context.Context, kind NameKind) ([]NameCount, error)
	// TryLock locks the task with the UUID for the rest of the transaction
	// unless another transaction holds it, and reports whether it did
	// (PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED), so that claimers on
	// many machines never wait on each other. A store whose write
	// transactions exclude each other (SQLite) always succeeds.
	TryLock(ctx context.Context, uuid string) (bool, error)
	// Dependents returns the live tasks that depend on the UUID, by id.
	Dependents(ctx context.Context, uuid string) ([]*backlog.Task, error)

	// NextID allocates the next task id. Ids are never reused, not even
	// after purge, archive or undo.
	NextID(ctx context.Context) (int64, error)
	// Insert stores a new task; its ID and UUID are set by the caller.
	Insert(ctx context.Context, t *backlog.Task) error
	// Update replaces the stored task with the same UUID, whole.
	Update(ctx context.Context, t *backlog.Task) error
	// Purge removes the task with the UUID and its doc for good.
	Purge(ctx context.Context, uuid string) error

	// Doc returns a task's markdown doc, or an error wrapping
	// backlog.ErrNotFound when it has none.
	Doc(ctx context.Context, uuid string) (string, error)
	// SetDoc writes a task's doc, replacing any.
	SetDoc(ctx context.Context, uuid, content string) error
	// DeleteDoc removes a task's doc; removing a missing doc is no error.
	DeleteDoc(ctx context.Context, uuid string) error

	// Append adds an entry to the journal and sets its Seq, which increases
	// with every entry of the backlog.
	Append(ctx context.Context, e *Entry) error
	// LatestUndoable returns the agent's newest entry that is neither an undo
	// nor undone, or nil when there is none.
	LatestUndoable(ctx context.Context, agent string) (*Entry, error)
	// Entries returns the journal's entries with Seq greater than after,
	// oldest first, up to limit of them (0 means all); when uuid is not
	// empty, only those that touched that task. Watch, history, sync and
	// undo read the journal through it.
	Entries(ctx context.Context, after int64, uuid string, limit int) ([]*Entry, error)
	// MarkUndone records that entry seq was reversed by entry by.
	MarkUndone(ctx context.Context, seq, by int64) error

	// Archive moves the task with the UUID, and its doc, out of the working
	// set into the archive segment; it keeps its id and no query of the
	// working set sees it any more.
	Archive(ctx context.Context, uuid, segment string) error
	// Unarchive moves an archived task, and its doc, back into the working
	// set and returns it; an error wrapping backlog.ErrNotFound when the UUID
	// is not archived.
	Unarchive(ctx context.Context, uuid string) (*backlog.Task, error)
	// Segments counts the archived tasks of each segment, ordered by name.
	Segments(ctx context.Context) ([]NameCount, error)
	// ArchivedTasks returns the tasks of a segment, by id, with Archived set.
	ArchivedTasks(ctx context.Context, segment string) ([]*backlog.Task, error)
	// FindArchived returns the archived tasks with the id (when id > 0) or
	// whose UUID starts with prefix (up to limit), by id, with Archived set.
	FindArchived(ctx context.Context, id int64, prefix string, limit int) ([]*backlog.Task, error)
	// ArchivedDoc returns the doc an archived task took into the archive,
	// or an error wrapping backlog.ErrNotFound when the UUID is not
	// archived or archived without a doc.
	ArchivedDoc(ctx context.Context, uuid string) (string, error)

	// SourceTasks returns, for each source key (backlog.Source.Key) that a
	// task of the working set or of the archive holds, that task's UUID.
	SourceTasks(ctx context.Context, keys []string) (map[string]string, error)

	// Enqueue adds upstream changes owed to the outbox, in order, and sets
	// their Seq. It is called in the transaction of the local change, so
	// that the change and what it owes upstream commit together.
	Enqueue(ctx context.Context, items []*OutboxItem) error
	// Owed returns the outbox, oldest first, up to limit items (0: all).
	Owed(ctx context.Context, limit int) ([]*OutboxItem, error)
	// Settle removes an item that was delivered (or will never be).
	Settle(ctx context.Context, seq int64) error
	// Defer records a failed attempt: the count, the error in words, and
	// when the next attempt is due.
	Defer(ctx context.Context, seq int64, attempts int, next time.Time, lastError string) error

	// Meta reads a setting of the backlog kept by a feature (a sync's
	// high-water mark); "" when unset.
	Meta(ctx context.Context, key string) (string, error)
	// SetMeta writes one; "" removes it.
	SetMeta(ctx context.Context, key, value string) error
}

// OutboxItem is one change owed to an issue upstream: what the local
// command did (Event, JSON the mirror reads), to which issue, and how its
// delivery has gone so far. Items of one issue are delivered in Seq order.
type OutboxItem struct {
	Seq       int64
	TaskUUID  string
	Source    backlog.Source // the issue, as the task linked it then
	Event     string         // JSON: {"op":"claim","agent":"backend"}, ...
	At        time.Time      // when the local change committed
	Agent     string         // who made the local change
	Attempts  int
	NextAt    time.Time // not before; zero: at once
	LastError string
}

// PushLocker is a store that can serialise the delivery of its outbox
// across processes, with a lock that dies with its holder (a flock, a
// PostgreSQL session lock), so that an item is never sent by two
// processes at once and a killed process never strands one.
type PushLocker interface {
	// LockPush waits for the lock until ctx ends and returns the function
	// that releases it.
	LockPush(ctx context.Context) (release func(), err error)
}

// Query selects tasks with a parsed filter. The engine applies the implicit
// status rule (filter.DefaultScope) before a store sees it.
type Query struct {
	Filter filter.Expr // nil matches every task, of any status
	Now    time.Time   // the clock for virtual tags and waiting
	// Top, when above 0, lets a store return only the Top matching tasks
	// that come first by Rank, so that "the five most urgent" need not load
	// every match. A store must then return at least those (in any order);
	// it may return more, or every match, as a store that cannot rank does.
	// Among tasks that tie with the Top-th (urgency within 1e-9, the same
	// date) it may return any. The caller still orders what it gets
	// exactly, and asks for slack.
	Top  int
	Rank Rank
}

// Rank is an order Query.Top may pick by.
type Rank int

// The ranks.
const (
	RankUrgency Rank = iota // most urgent first (backlog.Urgency at Now)
	RankDue                 // earliest due first, tasks without one last
	RankEnd                 // latest end first
)

// TallyKey is the attribute Tx.Tally groups by.
type TallyKey int

// The keys.
const (
	TallyStatus TallyKey = iota // the effective status at Query.Now (waiting derived)
	TallyAgent                  // the agent, "" for none
)

// Tally is one group of Tx.Tally: the attribute's value, how many tasks
// have it, and the ids of the first of them by id (at most the ids asked
// for; tasks without an id are counted, never listed). Groups come largest
// first, then by value.
type Tally struct {
	Value string
	Count int
	IDs   []int64
}

// TallyTasks is Tx.Tally over tasks already selected, for stores that
// count in Go.
func TallyTasks(ts []*backlog.Task, now time.Time, by TallyKey, ids int) []Tally {
	idx := map[string]int{}
	var out []Tally
	sorted := slices.IsSortedFunc(ts, func(a, b *backlog.Task) int { return cmp.Compare(a.ID, b.ID) })
	if !sorted {
		ts = slices.Clone(ts)
		slices.SortStableFunc(ts, func(a, b *backlog.Task) int { return cmp.Compare(a.ID, b.ID) })
	}
	for _, t := range ts {
		v := t.Agent
		if by == TallyStatus {
			v = string(t.EffectiveStatus(now))
		}
		i, ok := idx[v]
		if !ok {
			i = len(out)
			idx[v] = i
			out = append(out, Tally{Value: v})
		}
		out[i].Count++
		if t.ID > 0 && len(out[i].IDs) < ids {
			out[i].IDs = append(out[i].IDs, t.ID)
		}
	}
	SortTallies(out)
	return out
}

// SortTallies puts groups in Tally order: largest first, then by value.
func SortTallies(ts []Tally) {
	slices.SortFunc(ts, func(a, b Tally) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return strings.Compare(a.Value, b.Value)
	})
}

// NameKind chooses what Names counts.
type NameKind int

// The kinds of name.
const (
	Projects NameKind = iota
	Tags
)

// NameCount is a project or tag name and how many tasks carry it.
type NameCount struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// Entry is one command in the journal: who ran it, when, and the images of
// every task it touched, which is what undo, history and sync read.
type Entry struct {
	Seq      int64
	At       time.Time
	Agent    string
	Command  string // the command's name: add, modify, done, undo, ...
	Summary  string // what it did, in words: `modify 3 tasks (project:web)`
	Undoes   int64  // for an undo entry, the Seq it reversed
	UndoneBy int64  // the Seq of the undo entry that reversed this one
	Changes  []Change
}

// Change is one task's before and after image within an entry.
type Change struct {
	UUID   string
	Before *backlog.Task // nil: the task did not exist
	After  *backlog.Task // nil: the task no longer exists (purged)
	// Doc images, set only when the command changed the doc; a nil pointer
	// inside DocChange means "no doc".
	Doc *DocChange
	// Archived is the segment the task moved into (Before and After are
	// nil: the archive holds it as it was); Unarchived the segment it came
	// back from (After is the task as restored).
	Archived, Unarchived string
}

// DocChange is a doc's content before and after a command.
type DocChange struct {
	Before, After *string
}
