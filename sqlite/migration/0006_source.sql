-- Issues imported from GitHub and GitLab (FORGES.md). A task's source is
-- kept whole as JSON, its type apart for filters (source:github), and its
-- key (host/project#iid, lower-cased) apart for uniqueness: one task per
-- issue in the working set, and the archive's key lets an import see an
-- archived one too.
ALTER TABLE tasks ADD COLUMN source TEXT;
ALTER TABLE tasks ADD COLUMN source_type TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN source_key TEXT;
CREATE UNIQUE INDEX tasks_source ON tasks (source_key) WHERE source_key IS NOT NULL;
ALTER TABLE archive ADD COLUMN source_key TEXT;
CREATE INDEX archive_source ON archive (source_key) WHERE source_key IS NOT NULL;

-- The outbox: upstream changes owed, written in the transaction of the
-- local change that owes them and removed once delivered, so that a change
-- is never lost when the forge is down or the process dies before it
-- pushes. Items of one issue go out in seq order.
CREATE TABLE outbox (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	task_uuid  TEXT    NOT NULL,
	source     TEXT    NOT NULL,           -- JSON of the issue's link
	source_key TEXT    NOT NULL,
	event      TEXT    NOT NULL,           -- JSON of the change owed
	at         INTEGER NOT NULL,           -- unix seconds
	agent      TEXT    NOT NULL DEFAULT '',
	attempts   INTEGER NOT NULL DEFAULT 0,
	next_at    INTEGER NOT NULL DEFAULT 0, -- unix seconds; 0: at once
	last_error TEXT    NOT NULL DEFAULT ''
);

-- Settings a feature keeps in the backlog (a sync's high-water mark).
CREATE TABLE meta (
	key   TEXT NOT NULL PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;
