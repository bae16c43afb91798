/*
 * filters.c - the job's filters' pipes, kept by the backend so that the
 * filters outlive spoold as the print does (gspool-backend(7),
 * gspool-filter(7)).
 *
 * spoold starts a job's filters; each has a pipe of events (its
 * standard input) and a pipe of words (its standard error).  spoold
 * gives the backend a copy of both ends it holds ("filter ID NAME PID
 * in|err", the descriptor passed with the message), so that a filter
 * never reads the end of its events while its job prints, whatever
 * becomes of spoold.  From the moment it holds a filter's events it
 * answers "kept ID NAME PID" (the caller does, on filters_keep's word), and from then on it is the backend that
 * writes that filter the events that begin in the backend: a new layer
 * ("layer N z=Z") and a head parked for a frame ("parked N").  They
 * reach the filter whether spoold is there or not, and exactly once:
 * spoold writes a layer itself only to a filter whose "kept" it has not
 * read yet, and it reads that before any progress sent after it.
 *
 * When a new spoold re-attaches, the backend greets it, then gives it
 * each filter's pipes back ("filter ID NAME PID in|err" again, and keeps
 * its own copies for a restart after that one).  A job that ends: the
 * events' copies are closed, after "end STATE" is written to them if no
 * spoold is there to write it.  The words' copies are kept until the
 * next job, and while no spoold is there and a filter of the job still
 * runs, the backend waits for one to collect them (the filter's last
 * lines and its exit), instead of leaving with nothing to do.
 *
 * Security: the descriptors come from spoold alone (the backend's
 * standard input, or a re-attach connection of its own uid).  A name is
 * kept only if it is a safe word, a pid only if it is a number; at most
 * FILTERS_MAX are kept, for the job being printed and no other.  Writes
 * never block: a filter that does not read loses the events.
 * The same file serves the serial backend and the network backends'
 * core (filters.h): what it needs of the backend (the job printing, the
 * socket to spoold, the loop) comes as arguments or in struct filters.
 *
 * Diagnostics: a filter's pipe refused (another job's, too many, a bad
 * name) is logged with the printer, the job and why, and closed.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <unistd.h>

#include "event.h"
#include "log.h"
#include "msg.h"
#include "proto.h"
#include "util.h"
#include "filters.h"

static void
kept_close(struct kept_filter *k)
{
	if (k->in >= 0)
		close(k->in);
	if (k->err >= 0)
		close(k->err);
	ev_io_del(k->io);
	if (k->pidfd >= 0)
		close(k->pidfd);
	memset(k, 0, sizeof(*k));
	k->in = k->err = k->pidfd = -1;
}

void
filters_init(struct filters *fs, const char *printer)
{
	int i;

	memset(fs, 0, sizeof(*fs));
	fs->printer = printer;
	for (i = 0; i < FILTERS_MAX; i++)
		fs->kept[i].in = fs->kept[i].err = fs->kept[i].pidfd = -1;
}

/* The filters of a job no longer printed: spoold has its own copies. */
void
filters_drop(struct filters *fs)
{
	int i;

	for (i = 0; i < FILTERS_MAX; i++)
		if (fs->kept[i].job != 0)
			kept_close(&fs->kept[i]);
}

static struct kept_filter *
kept_find(struct filters *fs, long id, const char *name, long pid)
{
	int i;

	for (i = 0; i < FILTERS_MAX; i++)
		if (fs->kept[i].job == id && fs->kept[i].pid == pid &&
		    strcmp(fs->kept[i].name, name) == 0)
			return &fs->kept[i];
	for (i = 0; i < FILTERS_MAX; i++)
		if (fs->kept[i].job == 0)
			return &fs->kept[i];
	return NULL;
}

/* A filter we wait for has exited: its pidfd stays readable, so it is
 * watched no more (filters_waiting counts it out from now on). */
static void
filter_exited(int fd, int revents, void *arg)
{
	struct kept_filter *k = arg;

	(void)fd;
	(void)revents;
	ev_io_set(k->io, 0);
}

/* filter ID NAME PID in|err, with the pipe: kept for the job printing;
 * 1 when it is its events, for the caller to answer "kept". */
int
filters_keep(struct filters *fs, long printing, long id, const struct msg *m)
{
	const char *name = msg_field(m, TB_FILTER_NAME);
	const char *which = msg_field(m, TB_FILTER_WHICH);
	const char *why = NULL;
	struct kept_filter *k = NULL;
	int in = strcmp(which, "in") == 0;
	long pid;

	if (m->fd < 0)
		why = "no pipe came with it";
	else if (!in && strcmp(which, "err") != 0)
		why = "it is neither in nor err";
	else if (!name_is_safe(name, sizeof(k->name) - 1))
		why = "its name is not a safe word";
	else if (parse_long(msg_field(m, TB_FILTER_PID), 2, 2000000000L,
	    &pid) < 0)
		why = "its pid is not a number";
	else if (id == 0 || id != printing)
		why = "it is not of the job printing";
	else if ((k = kept_find(fs, id, name, pid)) == NULL)
		why = "too many filters";
	else if ((in ? k->in : k->err) >= 0)
		why = "it is kept already";
	if (why != NULL) {
		log_warnx("%s-%ld: filter %s's pipe refused: %s", fs->printer,
		    id, name, why);
		if (m->fd >= 0)
			close(m->fd);
		return 0;
	}
	if (k->job == 0) {
		k->job = id;
		k->pid = pid;
		snprintf(k->name, sizeof(k->name), "%s", name);
		/* To know, while no spoold is there, when it is over. */
		k->pidfd = pidfd_open((pid_t)pid, 0);
		if (k->pidfd >= 0 && fs->ev != NULL)
			k->io = ev_io_add(fs->ev, k->pidfd, 0, filter_exited,
			    k);
	}
	fd_set_nonblock(m->fd, 1);
	if (in)
		k->in = m->fd;
	else
		k->err = m->fd;
	log_debug("%s-%ld: filter %s's %s kept", fs->printer, id, name,
	    which);
	return in;
}

/* An event that begins here, to the job's filters whose events we
 * hold: a layer, a park. */
void
filters_tell(struct filters *fs, long job, enum filter_ev e, const char *arg)
{
	char line[128];
	int i, n;

	if ((n = proto_filter_line(line, sizeof(line) - 1, e, arg)) < 0)
		return;
	line[n++] = '\n';
	for (i = 0; i < FILTERS_MAX; i++) {
		struct kept_filter *k = &fs->kept[i];

		if (job == 0 || k->job != job || k->in < 0)
			continue;
		if (write(k->in, line, (size_t)n) != n && errno == EPIPE) {
			close(k->in);
			k->in = -1;
		}
	}
}

/* The job has ended: its filters hear it from spoold, or from us when
 * no spoold is there to say it; their events' copies are closed. */
void
filters_job_end(struct filters *fs, long job, int spoold, const char *state)
{
	int i;

	if (!spoold)
		filters_tell(fs, job, FEV_END, state);
	for (i = 0; i < FILTERS_MAX; i++)
		if (job != 0 && fs->kept[i].job == job &&
		    fs->kept[i].in >= 0) {
			close(fs->kept[i].in);
			fs->kept[i].in = -1;
		}
}

/* A new spoold: each filter's pipes back (we keep our copies). */
void
filters_hand_over(struct filters *fs, int ctl)
{
	char ids[32], pids[32];
	int i, w;

	for (i = 0; i < FILTERS_MAX && ctl >= 0; i++) {
		struct kept_filter *k = &fs->kept[i];

		if (k->job == 0)
			continue;
		snprintf(ids, sizeof(ids), "%ld", k->job);
		snprintf(pids, sizeof(pids), "%ld", k->pid);
		for (w = 0; w < 2; w++) {
			int fd = w == 0 ? k->in : k->err;

			if (fd < 0)
				continue;
			if (msg_send(ctl, fd, proto_name(PROTO_FROM_BACKEND,
			    FB_FILTER), ids, k->name, pids, w == 0 ? "in" :
			    "err", (char *)NULL) < 0)
				log_warn("%s-%ld: cannot give filter %s's pipe"
				    " back to spoold", fs->printer, k->job,
				    k->name);
		}
	}
}

/*
 * How many filters of an ended job still run while no spoold is there:
 * the backend waits for one to read their words.  Those that have
 * exited do not hold it, but their words are given to a spoold that
 * comes while it is still there for another reason.  The loop watches
 * the pidfd of each one that runs, to wake when it exits.
 */
int
filters_waiting(struct filters *fs)
{
	struct pollfd p;
	int i, n = 0;

	for (i = 0; i < FILTERS_MAX; i++) {
		struct kept_filter *k = &fs->kept[i];
		int runs;

		if (k->job == 0)
			continue;
		p.fd = k->pidfd;
		p.events = POLLIN;
		runs = k->err >= 0 && k->pidfd >= 0 && poll(&p, 1, 0) == 0;
		if (k->io != NULL)
			ev_io_set(k->io, runs ? EV_READ : 0);
		if (runs)
			n++;	/* else over: its words wait, if we do */
	}
	return n;
}

/* spoold is there, or a job prints: no filter holds the backend. */
void
filters_unwatch(struct filters *fs)
{
	int i;

	for (i = 0; i < FILTERS_MAX; i++)
		if (fs->kept[i].io != NULL)
			ev_io_set(fs->kept[i].io, 0);
}
