-- 0012: accounting (gspool(7), "A makerspace").  One row for each job
-- that ended (completed, canceled or aborted), written in the
-- transaction that ends it, so that no crash leaves an ended job
-- without its row or with two.  It is not the job's: it stays when the
-- job's row goes (keep_jobs) and goes itself after keep_accounting.
-- share is the copies printed, a stopped copy by the share of its
-- commands sent; mm and g are the analyser's filament (every tool)
-- times share, tools the same per tool ({"mm": [...], "g": [...]},
-- and "materials" where the file said what it was made for); seconds
-- run from the job's first start to its end; cost is each tool's
-- g / 1000 * cost_per_kg (its material's, else the printer's) +
-- seconds / 3600 * cost_per_hour of the printer it ran on, as they
-- stood then.
CREATE TABLE IF NOT EXISTS accounting (
	job		INTEGER PRIMARY KEY,
	owner		TEXT NOT NULL,
	uid		INTEGER NOT NULL,
	printer		TEXT NOT NULL,
	name		TEXT NOT NULL,
	result		TEXT NOT NULL CHECK (result IN ('completed',
			    'canceled', 'aborted')),
	created		INTEGER NOT NULL,
	started		INTEGER,
	finished	INTEGER NOT NULL,
	seconds		INTEGER NOT NULL,
	share		REAL NOT NULL,
	mm		REAL NOT NULL,
	g		REAL NOT NULL,
	tools		TEXT NOT NULL DEFAULT '{}',
	cost		REAL NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS accounting_by_owner ON accounting (owner, finished);
CREATE INDEX IF NOT EXISTS accounting_by_finished ON accounting (finished);
