package sqlstore

// EntryColumns are the columns a journal entry is read from, in
// scanEntry's order.
const EntryColumns = "seq, at, agent, command, summary, undoes, undone_by, changes"

// Statements are the store's statements in one dialect, made once when a
// store opens. Each is written here once for both databases; where a
// database holds many backlogs (Dialect.Namespace), every statement names
// the store's backlog.
type Statements struct {
	d  Dialect
	tr Traits
	// Prefixes of statements that end with a compiled condition.
	selectTasks, countTasks, selectArchived, sourceKeys string
	// Whole statements, with ? placeholders.
	taskByID, taskByUUID, graph, udas, projects, tags, dependents,
	doc, setDoc, deleteDoc, latestUndoable, entries, entriesOf, markUndone,
	archive, unarchive, archivedDoc, segments, archivedBySegment, archivedByID,
	enqueue, owed, settle, deferItem, meta, deleteMeta, setMeta string
}

// NewStatements writes the statements in the dialect.
func NewStatements(d Dialect) *Statements {
	tr := d.Traits()
	col, val := tr.Namespace, "$1"
	// in scopes a WHERE to the backlog (alias names the table); only is a
	// WHERE that selects the backlog alone; cols and vals begin a row.
	in := func(alias string) string { return "" }
	only, cols, vals := "", "", ""
	if col != "" {
		in = func(alias string) string {
			if alias != "" {
				alias += "."
			}
			return alias + col + " = " + val + " AND "
		}
		only, cols, vals = " WHERE "+col+" = "+val, col+", ", val+", "
	}
	f := tr.False
	const archived = "SELECT task, segment FROM archive WHERE "
	return &Statements{
		d:              d,
		tr:             tr,
		selectTasks:    "SELECT " + TaskColumns + " FROM tasks t WHERE " + in("t"),
		countTasks:     "SELECT count(*) FROM tasks t WHERE " + in("t"),
		selectArchived: archived + in(""),
		sourceKeys:     "SELECT source_key, uuid FROM %s WHERE " + in(""),

		taskByID:   "SELECT " + TaskColumns + " FROM tasks t WHERE " + in("t") + "t.id = ? AND t.id > 0",
		taskByUUID: "SELECT " + TaskColumns + " FROM tasks t WHERE " + in("t") + "t.uuid = ?",
		// Every dependency row, then the highest id as a row of its own
		// (dep_uuid NULL).
		graph: "SELECT dep_uuid, dep_id, dep_live, owner_live FROM task_deps" + only +
			" UNION ALL SELECT NULL, (SELECT coalesce(max(id), 0) FROM tasks WHERE " + in("") + "id > 0), " + f + ", " + f,
		udas: "SELECT name, types FROM udas" + only,
		projects: "SELECT project, count(*) FROM tasks WHERE " + in("") +
			"status IN ('pending', 'recurring') AND project <> '' GROUP BY project ORDER BY project",
		tags:       d.TagCountsSQL(),
		dependents: d.DependentsSQL(),

		doc: "SELECT t.id, d.content FROM tasks t LEFT JOIN docs d ON " + in("d") + "d.task_uuid = t.uuid WHERE " +
			in("t") + "t.uuid = ?",
		setDoc: "INSERT INTO docs (" + cols + "task_uuid, content) SELECT " + vals + "uuid, ? FROM tasks WHERE " +
			in("") + "uuid = ? ON CONFLICT (" + cols + "task_uuid) DO UPDATE SET content = excluded.content",
		deleteDoc: "DELETE FROM docs WHERE " + in("") + "task_uuid = ?",

		latestUndoable: "SELECT " + EntryColumns + " FROM journal WHERE " + in("") +
			"agent = ? AND command <> 'undo' AND undone_by = 0 ORDER BY seq DESC LIMIT 1",
		entries: "SELECT " + EntryColumns + " FROM journal WHERE " + in("") + "seq > ? ORDER BY seq LIMIT ?",
		entriesOf: "SELECT " + EntryColumns + " FROM journal WHERE " + in("") +
			"seq IN (SELECT seq FROM journal_tasks WHERE " + in("") + "uuid = ? AND seq > ?) ORDER BY seq LIMIT ?",
		markUndone: "UPDATE journal SET undone_by = ? WHERE " + in("") + "seq = ?",

		archive: "INSERT INTO archive (" + cols + "uuid, id, segment, task, doc, source_key) SELECT " + vals +
			"?, ?, ?, ?, (SELECT content FROM docs WHERE " + in("") + "task_uuid = ?), ?",
		unarchive:         "DELETE FROM archive WHERE " + in("") + "uuid = ? RETURNING task, doc",
		archivedDoc:       "SELECT doc FROM archive WHERE " + in("") + "uuid = ?",
		segments:          "SELECT segment, count(*) FROM archive" + only + " GROUP BY segment ORDER BY segment",
		archivedBySegment: archived + in("") + "segment = ? ORDER BY id, uuid",
		archivedByID:      archived + in("") + "id = ? ORDER BY id, uuid LIMIT ?",

		enqueue: "INSERT INTO outbox (" + cols + "task_uuid, source, source_key, event, at, agent, attempts, next_at, last_error) VALUES (" +
			vals + "?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
		owed:       "SELECT seq, task_uuid, source, event, at, agent, attempts, next_at, last_error FROM outbox" + only + " ORDER BY seq LIMIT ?",
		settle:     "DELETE FROM outbox WHERE " + in("") + "seq = ?",
		deferItem:  "UPDATE outbox SET attempts = ?, next_at = ?, last_error = ? WHERE " + in("") + "seq = ?",
		meta:       "SELECT value FROM meta WHERE " + in("") + "key = ?",
		deleteMeta: "DELETE FROM meta WHERE " + in("") + "key = ?",
		setMeta: "INSERT INTO meta (" + cols + "key, value) VALUES (" + vals + "?, ?) ON CONFLICT (" + cols +
			"key) DO UPDATE SET value = excluded.value",
	}
}
