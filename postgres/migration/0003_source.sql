-- Issues imported from GitHub and GitLab (FORGES.md), as in the SQLite
-- store's migration 0006: the source whole as JSON, its type for filters,
-- its key (host/project#iid, lower-cased) unique per backlog, the
-- archive's key so that an import sees an archived task too, the outbox
-- of upstream changes owed, and settings kept by features.
ALTER TABLE tasks ADD COLUMN source text;
ALTER TABLE tasks ADD COLUMN source_type text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN source_key text COLLATE "C";
CREATE UNIQUE INDEX tasks_source ON tasks (backlog, source_key) WHERE source_key IS NOT NULL;
ALTER TABLE archive ADD COLUMN source_key text COLLATE "C";
CREATE INDEX archive_source ON archive (backlog, source_key) WHERE source_key IS NOT NULL;

CREATE TABLE outbox (
	seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	backlog    bigint NOT NULL,
	task_uuid  text NOT NULL,
	source     text NOT NULL,
	source_key text COLLATE "C" NOT NULL,
	event      text NOT NULL,
	at         bigint NOT NULL,
	agent      text NOT NULL DEFAULT '',
	attempts   integer NOT NULL DEFAULT 0,
	next_at    bigint NOT NULL DEFAULT 0,
	last_error text NOT NULL DEFAULT ''
);
CREATE INDEX outbox_backlog ON outbox (backlog, seq);

CREATE TABLE meta (
	backlog bigint NOT NULL,
	key     text COLLATE "C" NOT NULL,
	value   text NOT NULL,
	PRIMARY KEY (backlog, key)
);
