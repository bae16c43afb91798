-- 0004: the queue as CUPS keeps it.  A job's destination (job.printer)
-- may be a class; ran_on is the printer it was printed on.  Jobs are
-- taken by priority (1-100, higher first), then by seq (the order they
-- were queued in, which gpc top changes), then by id.  A held job with
-- hold_until (seconds since the epoch) is released then; copies_done
-- counts the copies completed of copies.
ALTER TABLE job ADD COLUMN priority INTEGER NOT NULL DEFAULT 50;
ALTER TABLE job ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE job ADD COLUMN copies INTEGER NOT NULL DEFAULT 1;
ALTER TABLE job ADD COLUMN copies_done INTEGER NOT NULL DEFAULT 0;
ALTER TABLE job ADD COLUMN hold_until INTEGER;
ALTER TABLE job ADD COLUMN ran_on TEXT;
-- 1 once a finished job's spool file is removed (keep_files); the row
-- itself goes after keep_jobs.
ALTER TABLE job ADD COLUMN files_removed INTEGER NOT NULL DEFAULT 0;
UPDATE job SET seq = id;
CREATE INDEX job_by_order ON job (state, priority DESC, seq, id);
CREATE INDEX job_by_finished ON job (finished) WHERE finished IS NOT NULL;

-- What an operator set on a printer or a class, kept across restarts:
-- accepting new jobs (accept/reject), taking jobs from its queue
-- (enable/disable), each with its reason; and, for a printer, whether
-- its bed waits to be cleared (gpc ready) and the job last printed.
CREATE TABLE dest (
	name		TEXT PRIMARY KEY,
	accepting	INTEGER NOT NULL DEFAULT 1,
	accept_reason	TEXT NOT NULL DEFAULT '',
	enabled		INTEGER NOT NULL DEFAULT 1,
	enable_reason	TEXT NOT NULL DEFAULT '',
	awaiting_clear	INTEGER NOT NULL DEFAULT 0,
	last_job	INTEGER NOT NULL DEFAULT 0
) STRICT;
