/*
 * jobname.c - a job's name as a user gives it (jobname.h).
 *
 * Pure: no I/O.  The commands (gqueue, gcancel, gpc, gprint --reprint)
 * read their job arguments here, and check a prefix against the name
 * spoold gives the job, so that they all take and refuse the same
 * names.
 *
 * Security: arg comes from the command line; it is only split and
 * compared, and what is quoted back in why is bounded by whysz.
 * Diagnostics: why says what was given and what the job is called.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "jobname.h"
#include "util.h"

int
job_name_parse(const char *arg, long *id, char *prefix, size_t prefixsz)
{
	const char *dash = strrchr(arg, '-');
	char buf[CONF_NAME_MAX + 1];
	size_t n = dash ? (size_t)(dash - arg) : 0;

	if (parse_long(dash ? dash + 1 : arg, 1, 2000000000L, id) < 0)
		return -1;
	if (dash != NULL) {
		if (n == 0 || n >= sizeof(buf))
			return -1;
		memcpy(buf, arg, n);
		buf[n] = '\0';
		if (!name_is_safe(buf, CONF_NAME_MAX))
			return -1;
	}
	if (prefix != NULL) {
		if (n >= prefixsz)
			return -1;
		memcpy(prefix, arg, n);
		prefix[n] = '\0';
	}
	return 0;
}

int
job_name_check(const char *arg, long id, const char *name,
    const char *printer, char *why, size_t whysz)
{
	char prefix[CONF_NAME_MAX + 1];
	long n;

	if (job_name_parse(arg, &n, prefix, sizeof(prefix)) < 0) {
		snprintf(why, whysz, "%s: not a job (expected NUMBER or"
		    " DEST-NUMBER)", arg);
		return -1;
	}
	if (n != id) {
		snprintf(why, whysz, "%s: not job %ld", arg, id);
		return -1;
	}
	if (prefix[0] == '\0' || strcmp(arg, name) == 0)
		return 0;
	if (printer[0] != '\0' && strncmp(name, printer, strlen(printer)) ==
	    0 && name[strlen(printer)] == '-')
		printer = "";	/* on the printer that names it */
	snprintf(why, whysz, "%s: job %ld is %s%s%s%s, not %s", arg, id, name,
	    printer[0] ? " (on " : "", printer, printer[0] ? ")" : "", arg);
	return -1;
}
