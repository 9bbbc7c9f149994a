// Package memstore is a store.Store held in memory. It evaluates every
// filter with the pure evaluator, which makes it the reference the SQL
// stores are checked against, and a fast store for engine tests.
package memstore

import (
	"context"
	"slices"
	"strings"
	"sync"

	backlog "github.com/agent-backlog/backlog"
	"github.com/agent-backlog/backlog/filter"
	"github.com/agent-backlog/backlog/store"
)

// Store is an in-memory backlog. Transactions are serialised by a lock; a
// failed write transaction leaves the state as it was.
type Store struct {
	mu       sync.RWMutex
	push     sync.Mutex // LockPush
	state    *state
	watchers []chan struct{}
}

type state struct {
	tasks   map[string]*backlog.Task // by UUID
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
	return &Store{state: &state{tasks: map[string]*backlog.Task{}, docs: map[string]string{},
		udas: map[string]filter.UDAKind{}, archive: map[string]archived{}}}
}

func (s *state) clone() *state {
	c := &state{tasks: make(map[string]*backlog.Task, len(s.tasks)), docs: make(map[string]string, len(s.docs)),
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
	return fn(&tx{st: s.state})
}

// Write implements store.Store.
func (s *Store) Write(ctx context.Context, fn func(store.Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	work := s.state.clone()
	if err := fn(&tx{st: work, write: true}); err != nil {
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
	for _, task := range t.st.tasks {
		if task.ID == id {
			return task.Clone(), nil
		}
	}
	return nil, backlog.NotFoundf("no task with id %d", id)
}

func (t *tx) TaskByUUID(ctx context.Context, uuid string) (*backlog.Task, error) {
	if task, ok := t.st.tasks[uuid]; ok {
		return task.Clone(), nil
	}
	return nil, backlog.NotFoundf("no task with UUID %s", uuid)
}

func (t *tx) TasksByUUIDPrefix(ctx context.Context, prefix string, limit int) ([]*backlog.Task, error) {
	var out []*backlog.Task
	for _, task := range t.all() {
		if strings.HasPrefix(task.UUID, prefix) && len(out) < limit {
			out = append(out, task.Clone())
		}
	}
	return out, nil
}

func (t *tx) Select(ctx context.Context, q store.Query) ([]*backlog.Task, error) {
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
	return backlog.NewIndex(t.all()), nil
}

func (t *tx) UDAs(ctx context.Context) (map[string]filter.UDAKind, error) {
	out := make(map[string]filter.UDAKind, len(t.st.udas))
	for k, v := range t.st.udas {
		out[k] = v
	}
	return out, nil
}

func (t *tx) Names(ctx context.Context, kind store.NameKind) ([]store.NameCount, error) {
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
	var out []*backlog.Task
	for _, task := range t.all() {
		if task.IsLive() && slices.Contains(task.Depends, uuid) {
			out = append(out, task.Clone())
		}
	}
	return out, nil
}

func (t *tx) mustWrite() {
	if !t.write {
		panic("memstore: write in a read transaction")
	}
}

func (t *tx) NextID(ctx context.Context) (int64, error) {
	t.mustWrite()
	t.st.nextID++
	return t.st.nextID, nil
}

func (t *tx) put(task *backlog.Task) {
	t.st.tasks[task.UUID] = task.Clone()
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

func (t *tx) Insert(ctx context.Context, task *backlog.Task) error {
	t.mustWrite()
	if _, ok := t.st.tasks[task.UUID]; ok {
		return backlog.Conflictf("a task with UUID %s already exists", task.UUID)
	}
	if err := t.sourceFree(task); err != nil {
		return err
	}
	t.put(task)
	return nil
}

func (t *tx) Update(ctx context.Context, task *backlog.Task) error {
	t.mustWrite()
	if _, ok := t.st.tasks[task.UUID]; !ok {
		return backlog.NotFoundf("no task with UUID %s", task.UUID)
	}
	if err := t.sourceFree(task); err != nil {
		return err
	}
	t.put(task)
	return nil
}

func (t *tx) Purge(ctx context.Context, uuid string) error {
	t.mustWrite()
	delete(t.st.tasks, uuid)
	delete(t.st.docs, uuid)
	return nil
}

func (t *tx) Doc(ctx context.Context, uuid string) (string, error) {
	d, ok := t.st.docs[uuid]
	if !ok {
		return "", backlog.NotFoundf("task %s has no doc", uuid)
	}
	return d, nil
}

func (t *tx) SetDoc(ctx context.Context, uuid, content string) error {
	t.mustWrite()
	t.st.docs[uuid] = content
	return nil
}

func (t *tx) DeleteDoc(ctx context.Context, uuid string) error {
	t.mustWrite()
	delete(t.st.docs, uuid)
	return nil
}

func (t *tx) Append(ctx context.Context, e *store.Entry) error {
	t.mustWrite()
	e.Seq = int64(len(t.st.journal) + 1)
	cp := *e
	t.st.journal = append(t.st.journal, &cp)
	return nil
}

func (t *tx) LatestUndoable(ctx context.Context, agent string) (*store.Entry, error) {
	for i := len(t.st.journal) - 1; i >= 0; i-- {
		e := t.st.journal[i]
		if e.Agent == agent && e.Command != "undo" && e.UndoneBy == 0 {
			cp := *e
			return &cp, nil
		}
	}
	return nil, nil
}

func (t *tx) Entries(ctx context.Context, after int64, uuid string, limit int) ([]*store.Entry, error) {
	var out []*store.Entry
	for _, e := range t.st.journal {
		if e.Seq <= after {
			continue
		}
		if uuid == "" || slices.ContainsFunc(e.Changes, func(c store.Change) bool { return c.UUID == uuid }) {
			cp := *e
			out = append(out, &cp)
			if limit > 0 && len(out) == limit {
				break
			}
		}
	}
	return out, nil
}

func (t *tx) TryLock(ctx context.Context, uuid string) (bool, error) {
	t.mustWrite()
	return true, nil // write transactions are exclusive
}

func (t *tx) MarkUndone(ctx context.Context, seq, by int64) error {
	t.mustWrite()
	for _, e := range t.st.journal {
		if e.Seq == seq {
			e.UndoneBy = by
			return nil
		}
	}
	return backlog.NotFoundf("no journal entry %d", seq)
}

func (t *tx) Archive(ctx context.Context, uuid, segment string) error {
	t.mustWrite()
	task, ok := t.st.tasks[uuid]
	if !ok {
		return backlog.NotFoundf("no task with UUID %s", uuid)
	}
	a := archived{task: task.Clone(), segment: segment}
	if d, ok := t.st.docs[uuid]; ok {
		a.doc = &d
	}
	t.st.archive[uuid] = a
	delete(t.st.tasks, uuid)
	delete(t.st.docs, uuid)
	return nil
}

func (t *tx) Unarchive(ctx context.Context, uuid string) (*backlog.Task, error) {
	t.mustWrite()
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
	a, ok := t.st.archive[uuid]
	if !ok || a.doc == nil {
		return "", backlog.NotFoundf("no archived doc of task %s", uuid)
	}
	return *a.doc, nil
}

func (t *tx) Segments(ctx context.Context) ([]store.NameCount, error) {
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
	return t.archivedWhere(func(a archived) bool { return a.segment == segment }, 0), nil
}

func (t *tx) FindArchived(ctx context.Context, id int64, prefix string, limit int) ([]*backlog.Task, error) {
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
	return slices.Clone(s.state.journal)
}
