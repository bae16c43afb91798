-- 0001: jobs and their event log.
-- Job states are IPP's.  Ids are never reused (AUTOINCREMENT).  A job
-- taken from a drop folder remembers the dropped file's identity, so a
-- crash between the commit and the removal of that file never queues it
-- twice.
CREATE TABLE job (
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
	printer		TEXT NOT NULL,
	owner		TEXT NOT NULL,
	uid		INTEGER NOT NULL,
	title		TEXT NOT NULL,
	source		TEXT NOT NULL CHECK (source IN ('gprint', 'drop')),
	size		INTEGER NOT NULL,
	commands	INTEGER NOT NULL,
	sha256		TEXT NOT NULL,
	state		TEXT NOT NULL CHECK (state IN ('pending', 'held',
			    'processing', 'stopped', 'canceled', 'aborted',
			    'completed')),
	reason		TEXT NOT NULL DEFAULT '',
	lines_done	INTEGER NOT NULL DEFAULT 0,
	created		INTEGER NOT NULL,
	started		INTEGER,
	finished	INTEGER,
	drop_path	TEXT,
	drop_dev	INTEGER,
	drop_ino	INTEGER,
	drop_mtime_ns	INTEGER
) STRICT;

CREATE INDEX job_by_state ON job (state, printer, id);
CREATE INDEX job_by_drop ON job (drop_path) WHERE drop_path IS NOT NULL;

CREATE TABLE job_event (
	id		INTEGER PRIMARY KEY,
	job		INTEGER NOT NULL REFERENCES job (id),
	at		INTEGER NOT NULL,
	state		TEXT NOT NULL,
	who		TEXT NOT NULL,
	reason		TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX job_event_by_job ON job_event (job, id);
