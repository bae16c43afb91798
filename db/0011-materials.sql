-- 0011: the right printer for each file (gspool.conf(5), model, nozzle,
-- materials).  made_for is what the analyser found the job's file was
-- made for (the made_for object of its meta, kept whole here as meta
-- may be cut): printer model, nozzle and filament type per tool; ''
-- when its slicer says none of it.  A printer's materials are what gpc
-- load last said is loaded, one a tool ("PLA,PETG", "none" for a tool
-- with nothing), kept across restarts; NULL until gpc load says, when
-- the configuration's materials hold.
ALTER TABLE job ADD COLUMN made_for TEXT NOT NULL DEFAULT '';
ALTER TABLE dest ADD COLUMN materials TEXT;
