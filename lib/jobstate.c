/*
 * jobstate.c - the names of a job's states (jobstate.h).
 *
 * Security: a state's word is read back from the queue, which an older
 * or a damaged database may fill with anything: job_state_parse() takes
 * only the exact words and says -1 for any other, which its callers
 * treat as a state that is neither open nor final.
 *
 * Diagnostics: none here; the callers name the job.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "jobstate.h"

static const char *const names[JOB_NSTATES] = {
	[JOB_PENDING] =		"pending",
	[JOB_HELD] =		"held",
	[JOB_PROCESSING] =	"processing",
	[JOB_STOPPED] =		"stopped",
	[JOB_COMPLETED] =	"completed",
	[JOB_CANCELED] =	"canceled",
	[JOB_ABORTED] =		"aborted",
};

const char *
job_state_name(enum job_state st)
{
	if ((int)st < 0 || st >= JOB_NSTATES)
		return "unknown";
	return names[st];
}

int
job_state_parse(const char *s, enum job_state *st)
{
	int i;

	for (i = 0; i < JOB_NSTATES; i++)
		if (strcmp(s, names[i]) == 0) {
			*st = (enum job_state)i;
			return 0;
		}
	return -1;
}

int
job_state_is_final(enum job_state st)
{
	return st == JOB_COMPLETED || st == JOB_CANCELED || st == JOB_ABORTED;
}

int
job_state_is_at_rest(enum job_state st)
{
	return job_state_is_final(st) || st == JOB_STOPPED;
}

int
job_state_is_waiting(enum job_state st)
{
	return st == JOB_PENDING || st == JOB_HELD;
}

int
job_state_word_final(const char *s)
{
	enum job_state st;

	return job_state_parse(s, &st) == 0 && job_state_is_final(st);
}

int
job_state_word_at_rest(const char *s)
{
	enum job_state st;

	return job_state_parse(s, &st) == 0 && job_state_is_at_rest(st);
}
