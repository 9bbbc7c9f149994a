-- Ranking by urgency without computing it for every open task.
--
-- urg_own is the part of a task's urgency that depends on the task alone
-- (backlog.Coefficients.Own, written by the store on every insert and
-- update). blocking_n counts the live tasks that depend on the task, kept
-- by the triggers below. rank_hi is an upper bound of the task's urgency
-- at any time: its own part, plus each other term at its largest (blocking
-- 8, due 12, scheduled 5, age 2; waiting and blocked only lower it); 0 for
-- a finished task, whose urgency is 0. Walking tasks_rank from the top and
-- computing the exact figure only for the tasks met, a ranked select stops
-- as soon as no task further down can beat the ones it holds (rank.go).
-- The constants are backlog.DefaultCoefficients; a test pins them.
--
-- rank_hi is a stored column, not a generated one: SQLite reads a virtual
-- generated column from the table, never from an index, so a walk would
-- fetch every row it passes. The store writes it with the task (without
-- the blocking term, which it adds when blocking_n is above 0), and the
-- triggers that keep blocking_n keep it too.

ALTER TABLE tasks ADD COLUMN urg_own REAL NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN blocking_n INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN rank_hi REAL NOT NULL DEFAULT 0;

-- Within one bound, tasks without a due date come first, oldest first (the
-- age term falls along them), then those with one, earliest first (the due
-- term falls along them).
-- Tasks that tie in all three come in the order they were written. Only
-- open tasks: finished ones rank 0, and most of a backlog's rows are
-- finished ones. The columns after tid let SQLite test a READY filter (and
-- a project) and work out urgency from the index alone.
CREATE INDEX tasks_rank ON tasks (rank_hi DESC, due_at, entry_at, tid, status, wait_at, scheduled_at, agent, urg_own, blocking_n, project)
WHERE status NOT IN ('completed', 'deleted');

-- blocking_n follows the rows of task_deps; rank_hi gains or loses the
-- blocking term (8) as an open task's count leaves or reaches 0. (In an
-- UPDATE, blocking_n on the right is the value before it.)
CREATE TRIGGER task_deps_blocking_insert AFTER INSERT ON task_deps WHEN new.owner_live = 1 BEGIN
	UPDATE tasks SET blocking_n = blocking_n + 1,
		rank_hi = rank_hi + (CASE WHEN blocking_n = 0 AND status NOT IN ('completed', 'deleted') THEN 8.0 ELSE 0.0 END)
	WHERE uuid = new.dep_uuid;
END;
CREATE TRIGGER task_deps_blocking_delete AFTER DELETE ON task_deps WHEN old.owner_live = 1 BEGIN
	UPDATE tasks SET blocking_n = blocking_n - 1,
		rank_hi = rank_hi - (CASE WHEN blocking_n = 1 AND status NOT IN ('completed', 'deleted') THEN 8.0 ELSE 0.0 END)
	WHERE uuid = old.dep_uuid;
END;
CREATE TRIGGER task_deps_blocking_update AFTER UPDATE OF owner_live, dep_uuid ON task_deps
WHEN old.owner_live != new.owner_live OR old.dep_uuid != new.dep_uuid BEGIN
	UPDATE tasks SET blocking_n = blocking_n - 1,
		rank_hi = rank_hi - (CASE WHEN blocking_n = 1 AND status NOT IN ('completed', 'deleted') THEN 8.0 ELSE 0.0 END)
	WHERE uuid = old.dep_uuid AND old.owner_live = 1;
	UPDATE tasks SET blocking_n = blocking_n + 1,
		rank_hi = rank_hi + (CASE WHEN blocking_n = 0 AND status NOT IN ('completed', 'deleted') THEN 8.0 ELSE 0.0 END)
	WHERE uuid = new.dep_uuid AND new.owner_live = 1;
END;
-- A task inserted after the tasks that depend on it (an import in any
-- order, a restore from the archive, an undone purge) starts with their
-- count.
CREATE TRIGGER tasks_blocking_insert AFTER INSERT ON tasks
WHEN EXISTS (SELECT 1 FROM task_deps WHERE dep_uuid = new.uuid AND owner_live = 1) BEGIN
	UPDATE tasks SET blocking_n = (SELECT count(*) FROM task_deps WHERE dep_uuid = new.uuid AND owner_live = 1),
		rank_hi = rank_hi + (CASE WHEN status NOT IN ('completed', 'deleted') THEN 8.0 ELSE 0.0 END)
	WHERE tid = new.tid;
END;

-- The figures of the tasks already there (finished tasks rank 0 whatever
-- their own part; reopening one rewrites it).
UPDATE tasks SET blocking_n = (SELECT count(*) FROM task_deps d WHERE d.dep_uuid = tasks.uuid AND d.owner_live = 1)
WHERE uuid IN (SELECT dep_uuid FROM task_deps WHERE owner_live = 1);
UPDATE tasks SET urg_own =
	(CASE WHEN EXISTS (SELECT 1 FROM task_tags g WHERE g.task_id = tasks.tid AND g.tag = 'next') THEN 15.0 ELSE 0.0 END)
	+ (CASE priority WHEN 'H' THEN 6.0 WHEN 'M' THEN 3.9 WHEN 'L' THEN 1.8 ELSE 0.0 END)
	+ (CASE WHEN start_at IS NOT NULL THEN 4.0 ELSE 0.0 END)
	+ (CASE coalesce(json_array_length(annotations), 0) WHEN 0 THEN 0.0 WHEN 1 THEN 0.8 WHEN 2 THEN 0.9 ELSE 1.0 END)
	+ (CASE coalesce(json_array_length(tags), 0) WHEN 0 THEN 0.0 WHEN 1 THEN 0.8 WHEN 2 THEN 0.9 ELSE 1.0 END)
	+ (CASE WHEN project != '' THEN 1.0 ELSE 0.0 END)
WHERE status NOT IN ('completed', 'deleted');
UPDATE tasks SET rank_hi = urg_own
	+ (CASE WHEN due_at IS NOT NULL THEN 12.0 ELSE 0.0 END)
	+ (CASE WHEN scheduled_at IS NOT NULL THEN 5.0 ELSE 0.0 END)
	+ (CASE WHEN entry_at IS NOT NULL THEN 2.0 ELSE 0.0 END)
	+ (CASE WHEN blocking_n > 0 THEN 8.0 ELSE 0.0 END)
WHERE status NOT IN ('completed', 'deleted');

-- The few tasks at work (+ACTIVE, +CLAIMED), waiting (+WAITING) or with a
-- due date (+OVERDUE, +DUE, +TODAY, +WEEK...), by status: a filter reads
-- its range alone, in date order. Partial, so that a write of a task
-- without the date touches none of them.
CREATE INDEX tasks_status_start ON tasks (status, start_at) WHERE start_at IS NOT NULL;
CREATE INDEX tasks_status_agent ON tasks (status, agent) WHERE agent != '';
CREATE INDEX tasks_status_wait ON tasks (status, wait_at) WHERE wait_at IS NOT NULL;
CREATE INDEX tasks_status_due ON tasks (status, due_at) WHERE due_at IS NOT NULL;
-- The oldest open task, for the age term's bound in a ranked walk.
CREATE INDEX tasks_open_entry ON tasks (entry_at) WHERE status IN ('pending', 'recurring');

-- How many tasks have each stored status, kept by triggers, so that a
-- summary counts a backlog of any size by reading five rows (waiting is
-- counted from tasks_status_wait: it moves with the clock).
CREATE TABLE status_counts (
	status TEXT    NOT NULL PRIMARY KEY,
	n      INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO status_counts (status, n) SELECT status, count(*) FROM tasks GROUP BY status;
CREATE TRIGGER tasks_count_insert AFTER INSERT ON tasks BEGIN
	INSERT INTO status_counts (status, n) VALUES (new.status, 1)
	ON CONFLICT (status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER tasks_count_delete AFTER DELETE ON tasks BEGIN
	UPDATE status_counts SET n = n - 1 WHERE status = old.status;
END;
CREATE TRIGGER tasks_count_update AFTER UPDATE OF status ON tasks WHEN old.status != new.status BEGIN
	UPDATE status_counts SET n = n - 1 WHERE status = old.status;
	INSERT INTO status_counts (status, n) VALUES (new.status, 1)
	ON CONFLICT (status) DO UPDATE SET n = n + 1;
END;
