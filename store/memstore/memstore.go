// Package memstore is a store.Store held in memory. It evaluates every
// filter with the pure evaluator, which makes it the reference the SQL
// stores are checked against, and a fast store for engine tests.
package memstore

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store"
)

// Store is an in-memory backlog. Transactions are serialised by a lock; a
// failed write transaction leaves the state as it was. It keeps what a SQL
// store would: dates to the second in UTC, no urgency, and copies, never
// the caller's tasks or entries.
type Store struct {
	mu       sync.RWMutex
	push     sync.Mutex // LockPush
	state    *state
	watchers []chan struct{}
}

type state struct {
	tasks   map[string]*backlog.Task // by UUID
	ids     map[int64]string         // the UUID of each id above 0
	docs    map[string]string
	journal []*store.Entry
	nextID  int64
	udas    map[string]filter.UDAKind
	archive map[string]archived // by UUID
	outbox  []store.OutboxItem
	lastSeq int64 // the outbox's last seq
	meta    map[string]string
}

type archived struct {
	task    *backlog.Task
	segment string
	doc     *string
}

// New returns an empty store.
func New() *Store {
	return &Store{state: &state{tasks: map[string]*backlog.Task{}, ids: map[int64]string{}, docs: map[string]string{},
		udas: map[string]filter.UDAKind{}, archive: map[string]archived{}}}
}

func (s *state) clone() *state {
	c := &state{tasks: make(map[string]*backlog.Task, len(s.tasks)), ids: make(map[int64]string, len(s.ids)),
		docs:    make(map[string]string, len(s.docs)),
		journal: slices.Clone(s.journal), nextID: s.nextID, udas: make(map[string]filter.UDAKind, len(s.udas)),
		archive: make(map[string]archived, len(s.archive)),
		outbox:  slices.Clone(s.outbox), lastSeq: s.lastSeq, meta: make(map[string]string, len(s.meta))}
	for k, v := range s.meta {
		c.meta[k] = v
	}
	for k, v := range s.archive {
		c.archive[k] = v // entries are never changed in place
	}
	for k, v := range s.tasks {
		c.tasks[k] = v.Clone()
	}
	for k, v := range s.ids {
		c.ids[k] = v
	}
	for k, v := range s.docs {
		c.docs[k] = v
	}
	for k, v := range s.udas {
		c.udas[k] = v
	}
	for i, e := range c.journal {
		cp := *e
		c.journal[i] = &cp
	}
	return c
}

// Read implements store.Store.
func (s *Store) Read(ctx context.Context, fn func(store.Tx) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := &tx{st: s.state}
	defer t.end()
	return fn(t)
}

// Write implements store.Store.
func (s *Store) Write(ctx context.Context, fn func(store.Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	work := s.state.clone()
	t := &tx{st: work, write: true}
	err := fn(t)
	t.end()
	if err != nil {
		return err
	}
	s.state = work
	for _, w := range s.watchers {
		select {
		case w <- struct{}{}:
		default: // a report is pending already
		}
	}
	return nil
}

// Changes implements store.Store.
func (s *Store) Changes(ctx context.Context) (<-chan int64, error) {
	wake := make(chan struct{}, 1)
	s.mu.Lock()
	s.watchers = append(s.watchers, wake)
	s.mu.Unlock()
	seq := func() int64 {
		s.mu.RLock()
		defer s.mu.RUnlock()
		return int64(len(s.state.journal))
	}
	ch := make(chan int64, 1)
	ch <- seq()
	go func() {
		defer close(ch)
		defer func() {
			s.mu.Lock()
			s.watchers = slices.DeleteFunc(s.watchers, func(w chan struct{}) bool { return w == wake })
			s.mu.Unlock()
		}()
		for {
			select {
			case <-ctx.Done():
				return
			case <-wake:
			}
			select {
			case ch <- seq():
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch, nil
}

// Close implements store.Store.
func (s *Store) Close() error { return nil }

type tx struct {
	st    *state
	write bool
	done  bool
}

var (
	errReadOnly = errors.New("memstore: a change was attempted inside Store.Read; changes belong in Store.Write")
	errDone     = errors.New("memstore: the transaction has ended: a Tx lives only while its function runs")
)

// end makes the transaction unusable, as a SQL store's is once committed
// or rolled back, so that a Tx kept past its function fails here too.
func (t *tx) end() { t.done = true }

// check refuses any call once the transaction has ended, and a change in
// a read transaction.
func (t *tx) check(write bool) error {
	switch {
	case t.done:
		return errDone
	case write && !t.write:
		return errReadOnly
	}
	return nil
}

func (t *tx) all() []*backlog.Task {
	ts := make([]*backlog.Task, 0, len(t.st.tasks))
	for _, task := range t.st.tasks {
		ts = append(ts, task)
	}
	slices.SortFunc(ts, func(a, b *backlog.Task) int { return int(a.ID - b.ID) })
	return ts
}

func (t *tx) Task(ctx context.Context, id int64) (*backlog.Task, error) {
	if err := t.check(false); err != nil {
		return nil, err
	}
	if u, ok := t.st.ids[id]; ok && id > 0 {
		return t.st.tasks[u].Clone(), nil
	}
	return nil, backlog.NotFoundf("no task with id %d", id)
}

func (t *tx) TaskByUUID(ctx context.Context, uuid string) (*backlog.Task, error) {
	if err := t.check(false); err != nil {
		return nil, err
	}
	if task, ok := t.st.tasks[uuid]; ok {
		return task.Clone(), nil
	}
	return nil, backlog.NotFoundf("no task with UUID %s", uuid)
}

func (t *tx) TasksByUUIDPrefix(ctx context.Context, prefix string, limit int) ([]*backlog.Task, error) {
	if err := t.check(false); err != nil {
		return nil, err
	}
	var out []*backlog.Task
	for _, task := range t.all() {
		if strings.HasPrefix(task.UUID, prefix) && len(out) < limit {
			out = append(out, task.Clone())
		}
	}
	return out, nil
}

func (t *tx) Select(ctx context.Context, q store.Query) ([]*backlog.Task, error) {
	if err := t.check(false); err != nil {
		return nil, err
	}
	all := t.all()
	m := filter.Compile(q.Filter, filter.Env{Now: q.Now, Graph: backlog.NewIndex(all)})
	var out []*backlog.Task
	for _, task := range all {
		if m(task) {
			out = append(out, task.Clone())
		}
	}
	return out, nil
}

func (t *tx) Count(ctx context.Context, q store.Query) (int, error) {
	ts, err := t.Select(ctx, q)
	return len(ts), err
}

func (t *tx) Tally(ctx context.Context, q store.Query, by store.TallyKey, ids int) ([]store.Tally, error) {
	ts, err := t.Select(ctx, q)
	if err != nil {
		return nil, err
	}
	return store.TallyTasks(ts, q.Now, by, ids), nil
}

func (t *tx) Graph(ctx context.Context) (backlog.Graph, error) {
	if err := t.check(false); err != nil {
		return nil, err
	}
	return backlog.NewIndex(t.all()), nil
}

func (t *tx) UDAs(ctx context.Context) (map[string]filter.UDAKind, error) {
	if err := t.check(false); err != nil {
		return nil, err
	}
	out := make(map[string]filter.UDAKind, len(t.st.udas))
	for k, v := range t.st.udas {
		out[k] = v
	}
	return out, nil
}

func (t *tx) Names(ctx context.Context, kind store.NameKind) ([]store.NameCount, error) {
	if err := t.check(false); err != nil {
		return nil, err
	}
	counts := map[string]int{}
	for _, task := range t.st.tasks {
		if task.Status != backlog.StatusPending && task.Status != backlog.StatusRecurring {
			continue
		}
		if kind == store.Projects {
			if task.Project != "" {
				counts[task.Project]++
			}
			continue
		}
		for _, tag := range task.Tags {
			counts[tag]++
		}
	}
	out := make([]store.NameCount, 0, len(counts))
	for n, c := range counts {
		out = append(out, store.NameCount{Name: n, Count: c})
	}
	slices.SortFunc(out, func(a, b store.NameCount) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func (t *tx) Dependents(ctx context.Context, uuid string) ([]*backlog.Task, error) {
	if err := t.check(false); err != nil {
		return nil, err
	}
	var out []*backlog.Task
	for _, task := range t.all() {
		if task.IsLive() && slices.Contains(task.Depends, uuid) {
			out = append(out, task.Clone())
		}
	}
	return out, nil
}

func (t *tx) NextID(ctx context.Context) (int64, error) {
	if err := t.check(true); err != nil {
		return 0, err
	}
	t.st.nextID++
	return t.st.nextID, nil
}

// kept is the task as a SQL store keeps it: a copy, dates to the second in
// UTC, without the urgency (computed) or the archive segment (where it is
// kept, not what it is).
func kept(task *backlog.Task) *backlog.Task {
	if task == nil {
		return nil
	}
	c := task.Clone()
	c.Urgency, c.Archived = 0, ""
	for _, d := range []*time.Time{&c.Due, &c.Scheduled, &c.Wait, &c.Until, &c.Entry, &c.Modified, &c.Start, &c.End} {
		*d = second(*d)
	}
	for i := range c.Annotations {
		c.Annotations[i].Entry = second(c.Annotations[i].Entry)
	}
	return c
}

// second is a date as stored: to the second, in UTC; the zero date stays zero.
func second(d time.Time) time.Time {
	if d.IsZero() {
		return time.Time{}
	}
	return d.Truncate(time.Second).UTC()
}

// put stores the task, whose UUID and id the caller has checked, keeping
// the id index, the UDAs and the id counter up to date.
func (t *tx) put(task *backlog.Task) {
	if old, ok := t.st.tasks[task.UUID]; ok && old.ID > 0 && t.st.ids[old.ID] == task.UUID {
		delete(t.st.ids, old.ID)
	}
	t.st.tasks[task.UUID] = kept(task)
	if task.ID > 0 {
		t.st.ids[task.ID] = task.UUID
		t.st.nextID = max(t.st.nextID, task.ID) // an imported id is never handed out again
	}
	for k, v := range task.Extra {
		kind := filter.UDAString
		switch v.(type) {
		case float64:
			kind = filter.UDANumber
		case bool:
			kind = filter.UDABool
		}
		if old, ok := t.st.udas[k]; ok && old != kind {
			kind = filter.UDAMixed
		}
		t.st.udas[k] = kind
	}
}

// idTaken reports whether another task than uuid has the id.
func (t *tx) idTaken(id int64, uuid string) bool {
	other, ok := t.st.ids[id]
	return id > 0 && ok && other != uuid
}

// drop removes a task and its doc from the working set.
func (t *tx) drop(uuid string) {
	if task := t.st.tasks[uuid]; task != nil && task.ID > 0 && t.st.ids[task.ID] == uuid {
		delete(t.st.ids, task.ID)
	}
	delete(t.st.tasks, uuid)
	delete(t.st.docs, uuid)
}

func (t *tx) Insert(ctx context.Context, task *backlog.Task) error {
	if err := t.check(true); err != nil {
		return err
	}
	if _, ok := t.st.tasks[task.UUID]; ok {
		return backlog.Conflictf("a task with UUID %s already exists", task.UUID)
	}
	if t.idTaken(task.ID, task.UUID) {
		return backlog.Conflictf("a task with id %d already exists", task.ID)
	}
	if err := t.sourceFree(task); err != nil {
		return err
	}
	t.put(task)
	return nil
}

func (t *tx) Update(ctx context.Context, task *backlog.Task) error {
	if err := t.check(true); err != nil {
		return err
	}
	if _, ok := t.st.tasks[task.UUID]; !ok {
		return backlog.NotFoundf("no task with UUID %s", task.UUID)
	}
	if t.idTaken(task.ID, task.UUID) {
		return backlog.Conflictf("another task already has id %d", task.ID)
	}
	if err := t.sourceFree(task); err != nil {
		return err
	}
	t.put(task)
	return nil
}

func (t *tx) Purge(ctx context.Context, uuid string) error {
	if err := t.check(true); err != nil {
		return err
	}
	if _, ok := t.st.tasks[uuid]; !ok {
		return backlog.NotFoundf("no task with UUID %s", uuid)
	}
	t.drop(uuid)
	return nil
}

func (t *tx) Doc(ctx context.Context, uuid string) (string, error) {
	if err := t.check(false); err != nil {
		return "", err
	}
	task, ok := t.st.tasks[uuid]
	if !ok {
		return "", backlog.NotFoundf("no task with UUID %s", uuid)
	}
	d, ok := t.st.docs[uuid]
	if !ok {
		return "", backlog.NotFoundf("task %s has no doc", task.Ref())
	}
	return d, nil
}

func (t *tx) SetDoc(ctx context.Context, uuid, content string) error {
	if err := t.check(true); err != nil {
		return err
	}
	if _, ok := t.st.tasks[uuid]; !ok {
		return backlog.NotFoundf("no task with UUID %s", uuid)
	}
	t.st.docs[uuid] = content
	return nil
}

func (t *tx) DeleteDoc(ctx context.Context, uuid string) error {
	if err := t.check(true); err != nil {
		return err
	}
	delete(t.st.docs, uuid)
	return nil
}

// keptEntry is a copy of the entry whose tasks and docs are copies as
// stored, so that neither the caller nor the journal can change the other.
func keptEntry(e *store.Entry) *store.Entry {
	cp := *e
	cp.Changes = make([]store.Change, len(e.Changes))
	for i, c := range e.Changes {
		c.Before, c.After = kept(c.Before), kept(c.After)
		if c.Doc != nil {
			d := *c.Doc
			if d.Before != nil {
				b := *d.Before
				d.Before = &b
			}
			if d.After != nil {
				a := *d.After
				d.After = &a
			}
			c.Doc = &d
		}
		cp.Changes[i] = c
	}
	return &cp
}

func (t *tx) Append(ctx context.Context, e *store.Entry) error {
	if err := t.check(true); err != nil {
		return err
	}
	e.Seq = int64(len(t.st.journal) + 1)
	k := keptEntry(e)
	k.At = second(k.At)
	t.st.journal = append(t.st.journal, k)
	return nil
}

func (t *tx) LatestUndoable(ctx context.Context, agent string) (*store.Entry, error) {
	if err := t.check(false); err != nil {
		return nil, err
	}
	for i := len(t.st.journal) - 1; i >= 0; i-- {
		e := t.st.journal[i]
		if e.Agent == agent && e.Command != "undo" && e.UndoneBy == 0 {
			return keptEntry(e), nil
		}
	}
	return nil, nil
}

func (t *tx) Entries(ctx context.Context, after int64, uuid string, limit int) ([]*store.Entry, error) {
	if err := t.check(false); err != nil {
		return nil, err
	}
	var out []*store.Entry
	for _, e := range t.st.journal {
		if e.Seq <= after {
			continue
		}
		if uuid == "" || slices.ContainsFunc(e.Changes, func(c store.Change) bool { return c.UUID == uuid }) {
			out = append(out, keptEntry(e))
			if limit > 0 && len(out) == limit {
				break
			}
		}
	}
	return out, nil
}

func (t *tx) TryLock(ctx context.Context, uuid string) (bool, error) {
	if err := t.check(true); err != nil {
		return false, err
	}
	return true, nil // write transactions are exclusive
}

func (t *tx) MarkUndone(ctx context.Context, seq, by int64) error {
	if err := t.check(true); err != nil {
		return err
	}
	for _, e := range t.st.journal {
		if e.Seq == seq {
			e.UndoneBy = by
			return nil
		}
	}
	return backlog.NotFoundf("no journal entry %d", seq)
}

func (t *tx) Archive(ctx context.Context, uuid, segment string) error {
	if err := t.check(true); err != nil {
		return err
	}
	task, ok := t.st.tasks[uuid]
	if !ok {
		return backlog.NotFoundf("no task with UUID %s", uuid)
	}
	a := archived{task: task.Clone(), segment: segment}
	if d, ok := t.st.docs[uuid]; ok {
		a.doc = &d
	}
	t.st.archive[uuid] = a
	t.drop(uuid)
	return nil
}

func (t *tx) Unarchive(ctx context.Context, uuid string) (*backlog.Task, error) {
	if err := t.check(true); err != nil {
		return nil, err
	}
	a, ok := t.st.archive[uuid]
	if !ok {
		return nil, backlog.NotFoundf("no archived task with UUID %s", uuid)
	}
	if _, exists := t.st.tasks[uuid]; exists {
		return nil, backlog.Conflictf("a task with UUID %s already exists", uuid)
	}
	t.put(a.task)
	if a.doc != nil {
		t.st.docs[uuid] = *a.doc
	}
	delete(t.st.archive, uuid)
	return a.task.Clone(), nil
}

func (t *tx) ArchivedDoc(ctx context.Context, uuid string) (string, error) {
	if err := t.check(false); err != nil {
		return "", err
	}
	a, ok := t.st.archive[uuid]
	if !ok || a.doc == nil {
		return "", backlog.NotFoundf("no archived doc of task %s", uuid)
	}
	return *a.doc, nil
}

func (t *tx) Segments(ctx context.Context) ([]store.NameCount, error) {
	if err := t.check(false); err != nil {
		return nil, err
	}
	counts := map[string]int{}
	for _, a := range t.st.archive {
		counts[a.segment]++
	}
	out := make([]store.NameCount, 0, len(counts))
	for n, c := range counts {
		out = append(out, store.NameCount{Name: n, Count: c})
	}
	slices.SortFunc(out, func(a, b store.NameCount) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func (t *tx) archivedWhere(keep func(archived) bool, limit int) []*backlog.Task {
	var out []*backlog.Task
	for _, a := range t.st.archive {
		if keep(a) {
			c := a.task.Clone()
			c.Archived = a.segment
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b *backlog.Task) int { return int(a.ID - b.ID) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

func (t *tx) ArchivedTasks(ctx context.Context, segment string) ([]*backlog.Task, error) {
	if err := t.check(false); err != nil {
		return nil, err
	}
	return t.archivedWhere(func(a archived) bool { return a.segment == segment }, 0), nil
}

func (t *tx) FindArchived(ctx context.Context, id int64, prefix string, limit int) ([]*backlog.Task, error) {
	if err := t.check(false); err != nil {
		return nil, err
	}
	return t.archivedWhere(func(a archived) bool {
		if id > 0 {
			return a.task.ID == id
		}
		return strings.HasPrefix(a.task.UUID, prefix)
	}, limit), nil
}

// Journal returns a copy of every entry, oldest first, for tests.
func (s *Store) Journal() []*store.Entry {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*store.Entry, len(s.state.journal))
	for i, e := range s.state.journal {
		out[i] = keptEntry(e)
	}
	return out
}
