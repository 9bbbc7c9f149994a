-- Finished tasks by when they ended: "completed since" in summaries and
-- history, and the archive's cutoff, without scanning every finished task.
CREATE INDEX tasks_end ON tasks (status, end_at) WHERE end_at IS NOT NULL;
