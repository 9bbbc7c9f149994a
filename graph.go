package backlog

import "slices"

// virtualTags are the upper-case tags computed from a task, never stored.
var virtualTags = map[string]bool{
	"PENDING": true, "COMPLETED": true, "DELETED": true, "WAITING": true, "RECURRING": true,
	"ACTIVE": true, "BLOCKED": true, "UNBLOCKED": true, "BLOCKING": true, "READY": true,
	"OVERDUE": true, "DUE": true, "TODAY": true, "DUETODAY": true, "YESTERDAY": true,
	"TOMORROW": true, "WEEK": true, "MONTH": true, "QUARTER": true, "YEAR": true,
	"ANNOTATED": true, "TAGGED": true, "PROJECT": true, "PRIORITY": true, "SCHEDULED": true,
	"UNTIL": true, "TEMPLATE": true, "PARENT": true, "INSTANCE": true, "CHILD": true,
	"CLAIMED": true, "DOC": true, "UDA": true, "LATEST": true,
}

// IsVirtualTag reports whether name is one of the virtual tags (exact case).
func IsVirtualTag(name string) bool { return virtualTags[name] }

// VirtualTags returns the virtual tag names, sorted.
func VirtualTags() []string {
	names := make([]string, 0, len(virtualTags))
	for n := range virtualTags {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Graph answers the questions about a task that depend on other tasks:
// dependencies and the newest id. A store may answer them from an index of
// its own; Index answers them from tasks in memory.
type Graph interface {
	// Blocked reports whether t is live and depends on a live task.
	Blocked(t *Task) bool
	// Blocking reports whether t is live and a live task depends on it.
	Blocking(t *Task) bool
	// LatestID is the highest id of any task, whatever its status.
	LatestID() int64
	// IDOf returns the id of the task with the UUID.
	IDOf(uuid string) (int64, bool)
}

// Index is a Graph over a set of tasks held in memory. A dependency on a task
// that is not in the set (purged or archived) counts as resolved.
type Index struct {
	live     map[string]bool // UUIDs of live tasks
	blocking map[string]bool // UUIDs that some live task depends on
	ids      map[string]int64
	latest   int64
}

// NewIndex indexes tasks. It keeps no reference to them.
func NewIndex(tasks []*Task) *Index {
	ix := &Index{
		live:     make(map[string]bool, len(tasks)),
		blocking: make(map[string]bool),
		ids:      make(map[string]int64, len(tasks)),
	}
	for _, t := range tasks {
		if t.ID > 0 {
			ix.ids[t.UUID] = t.ID
		}
		if t.ID > ix.latest {
			ix.latest = t.ID
		}
		if t.IsLive() {
			ix.live[t.UUID] = true
			for _, d := range t.Depends {
				ix.blocking[d] = true
			}
		}
	}
	return ix
}

// Blocked implements Graph.
func (ix *Index) Blocked(t *Task) bool {
	if !t.IsLive() {
		return false
	}
	for _, d := range t.Depends {
		if ix.live[d] {
			return true
		}
	}
	return false
}

// Blocking implements Graph.
func (ix *Index) Blocking(t *Task) bool { return t.IsLive() && ix.blocking[t.UUID] }

// LatestID implements Graph.
func (ix *Index) LatestID() int64 { return ix.latest }

// IDOf implements Graph.
func (ix *Index) IDOf(uuid string) (int64, bool) {
	id, ok := ix.ids[uuid]
	return id, ok
}

// NewGraph builds a Graph from what a store can query cheaply, without
// loading every task: live holds the UUIDs of live tasks that some task
// depends on, blocking the UUIDs that some live task depends on, ids the ids
// of those depended-on tasks, and latest the highest id.
func NewGraph(live, blocking map[string]bool, ids map[string]int64, latest int64) *Index {
	return &Index{live: live, blocking: blocking, ids: ids, latest: latest}
}
