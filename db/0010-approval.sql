-- 0010: staff approval (gspool.conf(5), approval).  A job that needs it
-- is queued held with approval 'awaiting' and approvers the group that
-- may approve it ('' for the administrators alone); gpc approve makes
-- it 'approved', gpc deny 'denied' (and the job canceled), and
-- approval_by, approval_at and approval_note keep who did, when, and
-- the note or reason.  Both are rows of the job's history too.  A job
-- that needs no approval keeps approval ''.
ALTER TABLE job ADD COLUMN approval TEXT NOT NULL DEFAULT ''
    CHECK (approval IN ('', 'awaiting', 'approved', 'denied'));
ALTER TABLE job ADD COLUMN approvers TEXT NOT NULL DEFAULT '';
ALTER TABLE job ADD COLUMN approval_by TEXT NOT NULL DEFAULT '';
ALTER TABLE job ADD COLUMN approval_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE job ADD COLUMN approval_note TEXT NOT NULL DEFAULT '';
