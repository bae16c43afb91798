-- 0002: the layer a job had reached, beside its last acknowledged line,
-- from the layer markers its slicer wrote (0: none seen).
ALTER TABLE job ADD COLUMN layer INTEGER NOT NULL DEFAULT 0;
