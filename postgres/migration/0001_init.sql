-- The first schema of the PostgreSQL store. One database (one schema) holds
-- many backlogs: every table has a backlog column, first in every key and
-- index, and every statement of the store names its backlog. Dates are
-- bigint unix seconds (UTC), NULL when unset, as in the SQLite store, so that
-- the two compile filters alike. Text columns that filters compare or sort
-- use the "C" collation: bytewise, as Go and SQLite compare.

-- A backlog per namespace ('' is the default backlog). The row never
-- changes after it is made.
CREATE TABLE backlogs (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	namespace  text COLLATE "C" NOT NULL UNIQUE,
	created_at timestamptz NOT NULL DEFAULT now()
);

-- The id counter of each backlog: the highest task id ever allocated, never
-- lowered. Updated in the write transaction that allocates (NextID).
CREATE TABLE id_counters (
	backlog bigint PRIMARY KEY,
	last_id bigint NOT NULL DEFAULT 0
);

CREATE TABLE tasks (
	tid          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- internal row key
	backlog      bigint NOT NULL,
	id           bigint NOT NULL,                  -- the task's id (0: none)
	uuid         text COLLATE "C" NOT NULL,
	description  text COLLATE "C" NOT NULL,
	status       text COLLATE "C" NOT NULL,        -- stored status: never 'waiting'
	project      text COLLATE "C" NOT NULL DEFAULT '',
	priority     text COLLATE "C" NOT NULL DEFAULT '',
	tags         text[] COLLATE "C",               -- NULL when none
	due_at       bigint,
	scheduled_at bigint,
	wait_at      bigint,
	until_at     bigint,
	recur        text COLLATE "C" NOT NULL DEFAULT '',
	parent       text COLLATE "C" NOT NULL DEFAULT '',
	mask         text COLLATE "C" NOT NULL DEFAULT '',
	depends      text[] COLLATE "C",               -- UUIDs, NULL when none
	agent        text COLLATE "C" NOT NULL DEFAULT '',
	annotations  text,                             -- JSON [{"entry":unix,"description":...}], NULL when none
	has_doc      boolean NOT NULL DEFAULT false,
	entry_at     bigint,
	modified_at  bigint,
	start_at     bigint,
	end_at       bigint,
	extra        jsonb,                            -- UDAs, NULL when none
	search       text COLLATE "C" NOT NULL DEFAULT '' -- filter.Fold of description and annotations, joined by newlines
);

CREATE UNIQUE INDEX tasks_uuid ON tasks (backlog, uuid);
CREATE UNIQUE INDEX tasks_id ON tasks (backlog, id) WHERE id > 0;
-- Lists filter by status first; the other columns serve the default list,
-- +READY and +OVERDUE.
CREATE INDEX tasks_status ON tasks (backlog, status, project, wait_at, scheduled_at, due_at);
CREATE INDEX tasks_due ON tasks (backlog, due_at) WHERE due_at IS NOT NULL;
CREATE INDEX tasks_agent ON tasks (backlog, agent);
CREATE INDEX tasks_parent ON tasks (backlog, parent) WHERE parent <> '';
-- Tags: array overlap (+bug, tags:a,b).
CREATE INDEX tasks_tags ON tasks USING gin (tags);

-- A task's dependencies (the edges of tasks.depends), with what filters and
-- the graph ask of them kept up to date by the store: whether the
-- depending task is live, and the id and liveness of the task depended on
-- (0 and false when it does not exist). As in the SQLite store: the graph
-- reads this table alone, and +BLOCKED, +BLOCKING are sets drawn from it.
-- A write that adds an edge touches the task depended on (see tx.go), so
-- that the liveness copied here cannot go stale under REPEATABLE READ.
CREATE TABLE task_deps (
	backlog    bigint NOT NULL,
	task_tid   bigint NOT NULL,            -- the depending task's row
	dep_uuid   text COLLATE "C" NOT NULL,
	owner_live boolean NOT NULL,
	dep_id     bigint NOT NULL DEFAULT 0,
	dep_live   boolean NOT NULL DEFAULT false,
	PRIMARY KEY (task_tid, dep_uuid)
);
CREATE INDEX task_deps_dep ON task_deps (backlog, dep_uuid);
CREATE INDEX task_deps_blocked ON task_deps (backlog, task_tid) WHERE dep_live;
CREATE INDEX task_deps_blocking ON task_deps (backlog, dep_uuid) WHERE owner_live;

-- Substring search over the folded text: a pg_trgm GIN index serves
-- `search LIKE '%needle%'`. pg_trgm is a trusted extension (PostgreSQL 13+),
-- so the owner of the database may create it; where it cannot be had the
-- index is left out and text search reads the column (same answers, slower).
DO $$
DECLARE
	ext_schema text;
BEGIN
	SELECT n.nspname INTO ext_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
		WHERE e.extname = 'pg_trgm';
	IF ext_schema IS NULL THEN
		BEGIN
			CREATE EXTENSION pg_trgm SCHEMA public;
		EXCEPTION WHEN OTHERS THEN
			BEGIN
				CREATE EXTENSION pg_trgm;
			EXCEPTION WHEN OTHERS THEN
				RAISE NOTICE 'pg_trgm is not available (%): text search will read every row', SQLERRM;
			END;
		END;
		SELECT n.nspname INTO ext_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
			WHERE e.extname = 'pg_trgm';
	END IF;
	IF ext_schema IS NOT NULL THEN
		EXECUTE format('CREATE INDEX tasks_search ON tasks USING gin (search %I.gin_trgm_ops)', ext_schema);
	END IF;
END $$;

-- Every UUID inserted as a task, or named as a dependency before its task
-- exists. Both writes upsert the row, so that a dependency on a task that
-- another transaction is inserting at the same moment (two imports) is a
-- write-write conflict, and one of them runs again and sees the other:
-- otherwise neither would see the other's rows, and the liveness copied
-- into task_deps would go stale. (A task that exists is touched instead.)
CREATE TABLE task_refs (
	backlog bigint NOT NULL,
	uuid    text COLLATE "C" NOT NULL,
	writes  bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (backlog, uuid)
);

CREATE TABLE docs (
	backlog   bigint NOT NULL,
	task_uuid text COLLATE "C" NOT NULL,
	content   text NOT NULL,
	PRIMARY KEY (backlog, task_uuid)
);

-- UDA names ever seen, with the JSON types seen: 1 string, 2 number, 4 bool.
CREATE TABLE udas (
	backlog bigint NOT NULL,
	name    text COLLATE "C" NOT NULL,
	types   integer NOT NULL,
	PRIMARY KEY (backlog, name)
);

-- The journal. seq comes from one sequence for the whole database: it grows
-- with every entry of a backlog (with gaps where other backlogs wrote), and
-- entries of one backlog commit in seq order (see backlog_append).
CREATE TABLE journal (
	seq       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	backlog   bigint NOT NULL,
	at        bigint NOT NULL,                -- unix seconds
	agent     text NOT NULL,
	command   text NOT NULL,
	summary   text NOT NULL,
	undoes    bigint NOT NULL DEFAULT 0,
	undone_by bigint NOT NULL DEFAULT 0,
	changes   text NOT NULL                   -- JSON array of {uuid, before, after, doc}
);
CREATE INDEX journal_backlog ON journal (backlog, seq);
CREATE INDEX journal_undoable ON journal (backlog, agent, seq) WHERE command <> 'undo' AND undone_by = 0;

-- Which entries touched which task, for Entries by task.
CREATE TABLE journal_tasks (
	backlog bigint NOT NULL,
	uuid    text COLLATE "C" NOT NULL,
	seq     bigint NOT NULL,
	PRIMARY KEY (backlog, uuid, seq)
);

-- The archive: completed and deleted tasks moved out of the working set,
-- kept whole (JSON image and doc) so that restoring gives them back exactly.
CREATE TABLE archive (
	backlog bigint NOT NULL,
	uuid    text COLLATE "C" NOT NULL,
	id      bigint NOT NULL,
	segment text COLLATE "C" NOT NULL,
	task    text NOT NULL,
	doc     text,
	PRIMARY KEY (backlog, uuid)
);
CREATE INDEX archive_segment ON archive (backlog, segment, id);
CREATE INDEX archive_id ON archive (backlog, id);

-- backlog_append adds a journal entry and announces it. It first takes the
-- backlog's journal lock (a transaction-level advisory lock, released at
-- commit or rollback), then draws seq: so the entries of one backlog commit
-- in seq order, and a reader that has seen seq N has seen every entry
-- before it. Advisory locks are outside MVCC: waiting for one never causes a
-- serialization failure. The NOTIFY is delivered at commit, never on
-- rollback.
CREATE FUNCTION backlog_append(b bigint, lock_key bigint, channel text, at_ bigint, agent_ text,
	command_ text, summary_ text, undoes_ bigint, undone_by_ bigint, changes_ text, uuids text[])
RETURNS bigint LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
	s bigint;
BEGIN
	PERFORM pg_advisory_xact_lock(lock_key);
	INSERT INTO journal (backlog, at, agent, command, summary, undoes, undone_by, changes)
		VALUES (b, at_, agent_, command_, summary_, undoes_, undone_by_, changes_) RETURNING seq INTO s;
	INSERT INTO journal_tasks (backlog, uuid, seq) SELECT b, u, s FROM unnest(uuids) AS u;
	PERFORM pg_notify(channel, b::text || ':' || s::text);
	RETURN s;
END $$;

-- backlog_try_lock locks a task for the rest of the transaction unless
-- another transaction holds it (SKIP LOCKED), and reports whether it did.
-- Under REPEATABLE READ, locking a row that another transaction changed and
-- committed after this one's snapshot raises a serialization failure; that
-- task is taken (or changed) by someone else, so it is caught here, in the
-- block's own subtransaction, and reported as not locked: claims never fail
-- because of one another, they move on to the next candidate.
CREATE FUNCTION backlog_try_lock(b bigint, u text) RETURNS boolean
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
	PERFORM 1 FROM tasks WHERE backlog = b AND uuid = u FOR UPDATE SKIP LOCKED;
	RETURN FOUND;
EXCEPTION WHEN serialization_failure THEN
	RETURN false;
END $$;
