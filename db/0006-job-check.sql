-- 0006: the checks a job passed or failed, one row a printer.  A job is
-- checked against the printer it is handed to (gspool(7), invariant 7);
-- policy is a fingerprint of that printer's checks as they stood, so a
-- change of the configuration (or of the firmware learnt at connect)
-- makes the job checked again before it prints.
CREATE TABLE job_check (
	job		INTEGER NOT NULL REFERENCES job (id),
	printer		TEXT NOT NULL,
	policy		TEXT NOT NULL,
	ok		INTEGER NOT NULL,
	reason		TEXT NOT NULL DEFAULT '',
	checked		INTEGER NOT NULL,
	PRIMARY KEY (job, printer)
) STRICT;
