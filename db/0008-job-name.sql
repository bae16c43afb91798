-- 0008: the destination a job was submitted to, which names it
-- (DEST-ID) for good: gpc move changes job.printer, where it goes, and
-- ran_on says where it printed, but the name stays the one gprint or
-- the drop folder gave.  A job queued before this migration is named
-- for where it is now.
ALTER TABLE job ADD COLUMN named TEXT;
UPDATE job SET named = printer;
