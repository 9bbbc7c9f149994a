-- The first schema of a backlog. Dates are INTEGER unix seconds (UTC), NULL
-- when unset. Lists and maps are JSON text, so that loading a task reads one
-- row; task_tags and task_deps index them for filters.

CREATE TABLE tasks (
	tid          INTEGER PRIMARY KEY,        -- internal row key; never shown
	id           INTEGER NOT NULL,           -- the task's id (0: none)
	uuid         TEXT    NOT NULL,
	description  TEXT    NOT NULL,
	status       TEXT    NOT NULL,           -- stored status: never 'waiting'
	project      TEXT    NOT NULL DEFAULT '',
	priority     TEXT    NOT NULL DEFAULT '',
	tags         TEXT,                       -- JSON array, NULL when none
	due_at       INTEGER,
	scheduled_at INTEGER,
	wait_at      INTEGER,
	until_at     INTEGER,
	recur        TEXT    NOT NULL DEFAULT '',
	parent       TEXT    NOT NULL DEFAULT '',
	mask         TEXT    NOT NULL DEFAULT '',
	depends      TEXT,                       -- JSON array of UUIDs, NULL when none
	agent        TEXT    NOT NULL DEFAULT '',
	annotations  TEXT,                       -- JSON [{"entry":unix,"description":...}], NULL when none
	has_doc      INTEGER NOT NULL DEFAULT 0,
	entry_at     INTEGER,
	modified_at  INTEGER,
	start_at     INTEGER,
	end_at       INTEGER,
	extra        TEXT,                       -- JSON object of UDAs, NULL when none
	search       TEXT    NOT NULL DEFAULT '' -- folded description and annotations, joined by newlines
);

CREATE UNIQUE INDEX tasks_uuid ON tasks (uuid);
CREATE UNIQUE INDEX tasks_id ON tasks (id) WHERE id > 0;
-- Lists filter by status first; the other columns let counts of the
-- default list, +READY and +OVERDUE read the index alone.
CREATE INDEX tasks_status ON tasks (status, project, wait_at, scheduled_at, due_at);
CREATE INDEX tasks_due ON tasks (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX tasks_agent ON tasks (agent);

CREATE TABLE task_tags (
	task_id INTEGER NOT NULL REFERENCES tasks (tid) ON DELETE CASCADE,
	tag     TEXT    NOT NULL,
	PRIMARY KEY (task_id, tag)
) WITHOUT ROWID;
CREATE INDEX task_tags_tag ON task_tags (tag, task_id);

-- A task's dependencies, with what filters and the graph ask of them kept
-- up to date by the store: whether the depending task is live, and the id
-- and liveness of the task depended on (0 when it does not exist).
CREATE TABLE task_deps (
	task_id    INTEGER NOT NULL REFERENCES tasks (tid) ON DELETE CASCADE,
	dep_uuid   TEXT    NOT NULL,
	owner_live INTEGER NOT NULL,
	dep_id     INTEGER NOT NULL DEFAULT 0,
	dep_live   INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (task_id, dep_uuid)
) WITHOUT ROWID;
CREATE INDEX task_deps_dep ON task_deps (dep_uuid);
CREATE INDEX task_deps_blocked ON task_deps (task_id) WHERE dep_live = 1;
CREATE INDEX task_deps_blocking ON task_deps (dep_uuid) WHERE owner_live = 1;

-- Substring search over the folded text: trigrams of the exact (already
-- folded) characters, content kept in tasks.search.
CREATE VIRTUAL TABLE task_fts USING fts5 (
	search, content = 'tasks', content_rowid = 'tid', tokenize = 'trigram case_sensitive 1'
);
CREATE TRIGGER tasks_fts_insert AFTER INSERT ON tasks BEGIN
	INSERT INTO task_fts (rowid, search) VALUES (new.tid, new.search);
END;
CREATE TRIGGER tasks_fts_delete AFTER DELETE ON tasks BEGIN
	INSERT INTO task_fts (task_fts, rowid, search) VALUES ('delete', old.tid, old.search);
END;
CREATE TRIGGER tasks_fts_update AFTER UPDATE OF search ON tasks WHEN old.search IS NOT new.search BEGIN
	INSERT INTO task_fts (task_fts, rowid, search) VALUES ('delete', old.tid, old.search);
	INSERT INTO task_fts (rowid, search) VALUES (new.tid, new.search);
END;

CREATE TABLE docs (
	task_uuid TEXT NOT NULL PRIMARY KEY REFERENCES tasks (uuid) ON DELETE CASCADE,
	content   TEXT NOT NULL
);

-- The id counter: the highest id ever allocated, never lowered.
CREATE TABLE id_counter (
	only    INTEGER PRIMARY KEY CHECK (only = 1),
	last_id INTEGER NOT NULL
);
INSERT INTO id_counter (only, last_id) VALUES (1, 0);

-- UDA names ever seen, with the JSON types seen: 1 string, 2 number, 4 bool.
CREATE TABLE udas (
	name  TEXT    NOT NULL PRIMARY KEY,
	types INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE journal (
	seq       INTEGER PRIMARY KEY AUTOINCREMENT,
	at        INTEGER NOT NULL,            -- unix seconds
	agent     TEXT    NOT NULL,
	command   TEXT    NOT NULL,
	summary   TEXT    NOT NULL,
	undoes    INTEGER NOT NULL DEFAULT 0,
	undone_by INTEGER NOT NULL DEFAULT 0,
	changes   TEXT    NOT NULL             -- JSON array of {uuid, before, after, doc}
);
CREATE INDEX journal_undoable ON journal (agent, seq) WHERE command != 'undo' AND undone_by = 0;

-- Which entries touched which task, for EntriesAfter.
CREATE TABLE journal_tasks (
	uuid TEXT    NOT NULL,
	seq  INTEGER NOT NULL REFERENCES journal (seq),
	PRIMARY KEY (uuid, seq)
) WITHOUT ROWID;
