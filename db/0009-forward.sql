-- 0009: the forwarding ids of jobs sent on by other hosts (gspool(7),
-- "A room of hosts").  An upload whose NAME.options says forward-id =
-- ID is queued once for its sender (owner, the account or user whose
-- drop folder it came through): a re-sent upload with a known id is
-- that job again, never a second one.  A row is written in the
-- transaction that adds its job and goes with the job (keep_jobs).
CREATE TABLE job_forward (
	owner		TEXT NOT NULL,
	forward		TEXT NOT NULL,
	job		INTEGER NOT NULL REFERENCES job (id),
	PRIMARY KEY (owner, forward)
) STRICT;
CREATE INDEX job_forward_by_job ON job_forward (job);
