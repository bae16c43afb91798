/*
 * jobstate.h - the states of a job, as a type.
 *
 * A job is pending (waiting its turn), held (waiting for a release or
 * its time), processing (a printer has it), stopped (it stopped part
 * way: the printer's backend went away, or it was interrupted; its line
 * and layer are kept for gpc resume-from), or one of the three final
 * states: completed, canceled, aborted.
 *
 * Two words say where a job is, and each has one helper:
 *
 *   final     completed, canceled or aborted: in the history, and it
 *             never changes again (the files may be removed);
 *   at rest   final or stopped: no printer has it and none will take it
 *             by itself.  "Ended" means this: what a backend's end
 *             reports, what a client's wait answers, what a filter's
 *             "end STATE" says.
 *
 * The database keeps the words (job_state_name()), so that a queue an
 * older spoold wrote reads the same; JOB_STATES_FINAL_SQL is the final
 * states as an SQL list.
 */
#ifndef GSPOOL_JOBSTATE_H
#define GSPOOL_JOBSTATE_H

enum job_state {
	JOB_PENDING,
	JOB_HELD,
	JOB_PROCESSING,
	JOB_STOPPED,
	JOB_COMPLETED,
	JOB_CANCELED,
	JOB_ABORTED,
	JOB_NSTATES
};

#define JOB_STATES_FINAL_SQL	"('completed', 'canceled', 'aborted')"
#define JOB_STATES_OPEN_SQL	"('pending', 'held', 'processing', 'stopped')"

/* The word of a state, or "unknown" for one out of range. */
const char	*job_state_name(enum job_state);
/* The state a word names: 0 with *st set, or -1 if it names none. */
int		 job_state_parse(const char *, enum job_state *st);
/* completed, canceled, aborted. */
int		 job_state_is_final(enum job_state);
/* final or stopped: no printer has it, and none will by itself. */
int		 job_state_is_at_rest(enum job_state);
/* pending or held: a job that may still be changed (hold, move...). */
int		 job_state_is_waiting(enum job_state);
/* The same for a state's word; a word that names no state is none. */
int		 job_state_word_final(const char *);
int		 job_state_word_at_rest(const char *);

#endif
