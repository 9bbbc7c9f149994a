-- Claims with a lease (claim --lease, task_claim's lease): how long a claim
-- holds without a change by its agent, in seconds (0: no lease), and when it
-- lapses (unix seconds, NULL without a lease), as in the SQLite store's
-- migration 0005. Every claim first looks for lapsed leases through the
-- partial index, so that a backlog without leases pays one probe of an
-- empty index per claim.
ALTER TABLE tasks ADD COLUMN lease bigint NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN lease_until_at bigint;
CREATE INDEX tasks_lease ON tasks (backlog, lease_until_at) WHERE lease_until_at IS NOT NULL;
