-- The archive: completed and deleted tasks moved out of the working set,
-- by the quarter of their end (2026-Q3). A task keeps its id, and its JSON
-- image and doc are kept whole, so that restoring it gives it back exactly.
-- Nothing in the working set's tables or indexes refers to an archived task,
-- so archiving makes lists and counts cheaper, never dearer.
CREATE TABLE archive (
	uuid    TEXT NOT NULL PRIMARY KEY,
	id      INTEGER NOT NULL,
	segment TEXT NOT NULL,
	task    TEXT NOT NULL,
	doc     TEXT
);
CREATE INDEX archive_segment ON archive (segment, id);
CREATE INDEX archive_id ON archive (id);
