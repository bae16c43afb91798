-- 0005: what a job's filters report (gspool-filter(7)): "ATTR: name=value"
-- lines, and each filter's exit; one value a name.
CREATE TABLE job_attr (
	job		INTEGER NOT NULL REFERENCES job (id),
	name		TEXT NOT NULL,
	value		TEXT NOT NULL,
	PRIMARY KEY (job, name)
) STRICT;
