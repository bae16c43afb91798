-- 0013: this spool's identity (gspool(7), "A room of hosts"): 16 hex
-- digits drawn once, in the transaction that makes or migrates the
-- queue, and kept as long as the queue is.  A forward id carries it,
-- so two hosts of one name (two Raspberry Pis both "raspberrypi", the
-- default) sending their job 1 of one file to one other host make two
-- jobs there, not one.  randomblob() is SQLite's generator, seeded
-- from the kernel's (/dev/urandom); a crash before the commit leaves
-- no identity and none used, and the next start draws one.
CREATE TABLE spool_identity (
	id		TEXT NOT NULL CHECK (length(id) = 16 AND
			    id NOT GLOB '*[^0-9a-f]*')
) STRICT;
INSERT INTO spool_identity (id) VALUES (lower(hex(randomblob(8))));
