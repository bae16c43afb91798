-- 0003: what the analyser found in a job's file (gprint --check --json
-- gives the same object): slicer, layers, time, filament, size,
-- temperatures, thumbnails, objects.
ALTER TABLE job ADD COLUMN meta TEXT NOT NULL DEFAULT '{}';
