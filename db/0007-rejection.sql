-- 0007: the files refused at ingest (gspool(7), "Every resource
-- counted").  A refused drop file is kept as rejected/OWNER/FILE with
-- FILE.reason beside it until keep_rejected has passed; until then it
-- counts against its sender's quota and job limit.  A file refused on
-- the control socket is not kept (file is NULL), but its row counts
-- towards the sender's max_rejections.
CREATE TABLE rejection (
	id		INTEGER PRIMARY KEY,
	owner		TEXT NOT NULL,
	uid		INTEGER NOT NULL,
	name		TEXT NOT NULL,
	file		TEXT,
	size		INTEGER NOT NULL DEFAULT 0,
	reason		TEXT NOT NULL,
	at		INTEGER NOT NULL
) STRICT;
CREATE INDEX rejection_owner ON rejection (owner, at);
CREATE INDEX rejection_at ON rejection (at);
