/*
 * filters.h - a job's filters' pipes as a backend keeps them (filters.c),
 * shared by the serial backend and the network backends' core: the
 * calls take the backend's state as arguments (the job printing, the
 * socket to spoold), so that either can keep them the same way
 * (gspool-backend(7), "Filters").
 */
#ifndef GSPOOL_FILTERS_H
#define GSPOOL_FILTERS_H

#include "proto.h"

#define FILTERS_MAX	8		/* a job's filters whose pipes we keep */

struct ev_loop;
struct ev_io;
struct msg;

/* A filter of the job: copies of its pipes, kept for spoold. */
struct kept_filter {
	long		 job;		/* 0: a free slot */
	long		 pid;
	char		 name[64];
	int		 in;		/* its events, or -1 */
	int		 err;		/* its words, or -1 */
	int		 pidfd;		/* to see it exit, or -1 */
	struct ev_io	*io;		/* the loop's watch on it, or NULL */
};

struct filters {
	const char	*printer;	/* for the log */
	struct ev_loop	*ev;		/* the backend's loop, once it has one */
	struct kept_filter kept[FILTERS_MAX];
};

void	filters_init(struct filters *fs, const char *printer);
/* filter ID NAME PID in|err, with its pipe, while job printing (0: none)
 * prints: 1 if its events are kept now (answer "kept ID NAME PID"),
 * else 0 (the pipe kept or refused, the refusal logged). */
int	filters_keep(struct filters *fs, long printing, long id,
	    const struct msg *m);
/* An event that begins in the backend (a layer, a park), to job's
 * filters whose events it holds. */
void	filters_tell(struct filters *fs, long job, enum filter_ev e,
	    const char *arg);
/* Job has ended: "end STATE" written if no spoold hears it (spoold 0),
 * and the events' copies closed. */
void	filters_job_end(struct filters *fs, long job, int spoold,
	    const char *state);
/* A new spoold on ctl: each pipe given back (our copies kept). */
void	filters_hand_over(struct filters *fs, int ctl);
void	filters_drop(struct filters *fs);
int	filters_waiting(struct filters *fs);
void	filters_unwatch(struct filters *fs);

#endif
