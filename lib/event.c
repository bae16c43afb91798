/*
 * event.c - the event loop of event.h: poll(2) over every registered
 * descriptor, timers on the monotonic clock, deferred calls, signals
 * read from a signalfd.
 *
 * Each turn rebuilds the poll array from the live descriptors, so it is
 * as long as they are, never a fixed size.  Removing anything marks it
 * dead: a dead entry is skipped for the rest of the turn and freed at
 * the turn's end, so that a callback may remove the very descriptor
 * (or timer) being served, or any other, without the loop calling a
 * freed one.  Timers are few (one per printer or worker at most): they
 * are kept in an array and the earliest is found by a scan, which is
 * cheaper than a heap at that size.  A timer armed during the timer
 * phase waits for the next turn, so that one re-armed to now cannot
 * hold the loop.  Deferred calls posted while the deferred calls run
 * do run in the same turn, after those posted before them.  The wait
 * is ppoll(2)'s, to the microsecond: timers are in milliseconds, but a
 * caller with finer times of its own (the virtual printer's wire) gives
 * its bound in microseconds to ev_turn_us().
 *
 * Diagnostics: poll's failure is the caller's to report (ev_turn
 * returns -1); a signal descriptor that cannot be read is left to the
 * next turn.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "util.h"

struct ev_io {
	struct ev_loop	*loop;
	int		 fd;
	int		 events;
	int		 dead;
	ev_io_fn	*fn;
	void		*arg;
};

struct ev_timer {
	struct ev_loop	*loop;
	long long	 when;
	unsigned long long seq;		/* order of arming, for ties */
	int		 armed;
	int		 dead;
	ev_fn		*fn;
	void		*arg;
};

struct ev_defer {
	struct ev_loop	*loop;
	int		 posted;
	int		 dead;
	ev_fn		*fn;
	void		*arg;
};

struct ev_sig {
	int		 signo;
	ev_signal_fn	*fn;
	void		*arg;
};

struct ev_loop {
	struct ev_io	**ios;
	size_t		 nios, ios_cap;
	struct pollfd	*pfd;
	struct ev_io	**polled;
	size_t		 pfd_cap;
	struct ev_timer	**timers;
	size_t		 ntimers, timers_cap;
	unsigned long long seq;
	struct ev_defer	**defers;
	size_t		 ndefers, defers_cap;
	struct ev_defer	**posted;	/* in the order of posting */
	size_t		 nposted, posted_cap;
	struct ev_sig	*sigs;
	size_t		 nsigs, sigs_cap;
	sigset_t	 sigset;
	int		 sigfd;
	struct ev_io	*sigio;
	int		 garbage;	/* something was removed */
	int		 stop;
	long long	 now;
};

/* Room for one more in an array of n of cap. */
static void *
grow(void *a, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return a;
	*cap = *cap ? *cap * 2 : 16;
	return xrealloc(a, *cap * size);
}

struct ev_loop *
ev_loop_new(void)
{
	struct ev_loop *l = xcalloc(1, sizeof(*l));

	l->sigfd = -1;
	sigemptyset(&l->sigset);
	l->now = monotonic_ms();
	return l;
}

void
ev_loop_free(struct ev_loop *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->nios; i++)
		free(l->ios[i]);
	for (i = 0; i < l->ntimers; i++)
		free(l->timers[i]);
	for (i = 0; i < l->ndefers; i++)
		free(l->defers[i]);
	if (l->sigfd >= 0)
		close(l->sigfd);
	free(l->ios);
	free(l->pfd);
	free(l->polled);
	free(l->timers);
	free(l->defers);
	free(l->posted);
	free(l->sigs);
	free(l);
}

long long
ev_now(struct ev_loop *l)
{
	return l->now;
}

long long
ev_now_update(struct ev_loop *l)
{
	return l->now = monotonic_ms();
}

size_t
ev_io_count(const struct ev_loop *l)
{
	size_t i, n = 0;

	for (i = 0; i < l->nios; i++)
		if (!l->ios[i]->dead)
			n++;
	return n;
}

struct ev_io *
ev_io_add(struct ev_loop *l, int fd, int events, ev_io_fn *fn, void *arg)
{
	struct ev_io *io = xcalloc(1, sizeof(*io));

	io->loop = l;
	io->fd = fd;
	io->events = events;
	io->fn = fn;
	io->arg = arg;
	l->ios = grow(l->ios, &l->ios_cap, l->nios, sizeof(*l->ios));
	l->ios[l->nios++] = io;
	return io;
}

void
ev_io_set(struct ev_io *io, int events)
{
	io->events = events;
}

void
ev_io_del(struct ev_io *io)
{
	if (io == NULL)
		return;
	io->dead = 1;
	io->loop->garbage = 1;
}

struct ev_timer *
ev_timer_new(struct ev_loop *l, ev_fn *fn, void *arg)
{
	struct ev_timer *t = xcalloc(1, sizeof(*t));

	t->loop = l;
	t->fn = fn;
	t->arg = arg;
	l->timers = grow(l->timers, &l->timers_cap, l->ntimers,
	    sizeof(*l->timers));
	l->timers[l->ntimers++] = t;
	return t;
}

void
ev_timer_at(struct ev_timer *t, long long when)
{
	t->when = when;
	t->seq = ++t->loop->seq;
	t->armed = 1;
}

void
ev_timer_in(struct ev_timer *t, long long ms)
{
	ev_timer_at(t, monotonic_ms() + ms);
}

void
ev_timer_stop(struct ev_timer *t)
{
	if (t != NULL)
		t->armed = 0;
}

int
ev_timer_armed(const struct ev_timer *t)
{
	return t->armed;
}

void
ev_timer_free(struct ev_timer *t)
{
	if (t == NULL)
		return;
	t->armed = 0;
	t->dead = 1;
	t->loop->garbage = 1;
}

struct ev_defer *
ev_defer_new(struct ev_loop *l, ev_fn *fn, void *arg)
{
	struct ev_defer *d = xcalloc(1, sizeof(*d));

	d->loop = l;
	d->fn = fn;
	d->arg = arg;
	l->defers = grow(l->defers, &l->defers_cap, l->ndefers,
	    sizeof(*l->defers));
	l->defers[l->ndefers++] = d;
	return d;
}

void
ev_defer_post(struct ev_defer *d)
{
	struct ev_loop *l = d->loop;

	if (d->posted || d->dead)
		return;
	d->posted = 1;
	l->posted = grow(l->posted, &l->posted_cap, l->nposted,
	    sizeof(*l->posted));
	l->posted[l->nposted++] = d;
}

void
ev_defer_free(struct ev_defer *d)
{
	if (d == NULL)
		return;
	d->dead = 1;
	d->loop->garbage = 1;
}

static void
signals_read(int fd, int revents, void *arg)
{
	struct ev_loop *l = arg;
	struct signalfd_siginfo si;
	size_t i;

	(void)revents;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		for (i = 0; i < l->nsigs; i++)
			if (l->sigs[i].signo == (int)si.ssi_signo)
				l->sigs[i].fn((int)si.ssi_signo, l->sigs[i].arg);
}

int
ev_signal(struct ev_loop *l, int signo, ev_signal_fn *fn, void *arg)
{
	sigset_t one;
	int fd;

	sigemptyset(&one);
	sigaddset(&one, signo);
	if (sigprocmask(SIG_BLOCK, &one, NULL) < 0)
		return -1;
	sigaddset(&l->sigset, signo);
	fd = signalfd(l->sigfd, &l->sigset, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		return -1;
	if (l->sigfd < 0) {
		l->sigfd = fd;
		l->sigio = ev_io_add(l, fd, EV_READ, signals_read, l);
	}
	l->sigs = grow(l->sigs, &l->sigs_cap, l->nsigs, sizeof(*l->sigs));
	l->sigs[l->nsigs].signo = signo;
	l->sigs[l->nsigs].fn = fn;
	l->sigs[l->nsigs].arg = arg;
	l->nsigs++;
	return 0;
}

/* Free what was removed. */
static void
collect(struct ev_loop *l)
{
	size_t i, n;

	if (!l->garbage)
		return;
	l->garbage = 0;
	for (i = n = 0; i < l->nios; i++)
		if (l->ios[i]->dead)
			free(l->ios[i]);
		else
			l->ios[n++] = l->ios[i];
	l->nios = n;
	for (i = n = 0; i < l->ntimers; i++)
		if (l->timers[i]->dead)
			free(l->timers[i]);
		else
			l->timers[n++] = l->timers[i];
	l->ntimers = n;
	/* Only once nothing is posted: the posted list points at them. */
	if (l->nposted > 0) {
		l->garbage = 1;
		return;
	}
	for (i = n = 0; i < l->ndefers; i++)
		if (l->defers[i]->dead)
			free(l->defers[i]);
		else
			l->defers[n++] = l->defers[i];
	l->ndefers = n;
}

static void
run_deferred(struct ev_loop *l)
{
	size_t i;

	/* Those posted meanwhile are appended, and run in this pass. */
	for (i = 0; i < l->nposted; i++) {
		struct ev_defer *d = l->posted[i];

		d->posted = 0;
		if (!d->dead)
			d->fn(d->arg);
	}
	l->nposted = 0;
}

/* The earliest armed timer, or NULL. */
static struct ev_timer *
earliest(struct ev_loop *l, unsigned long long before_seq)
{
	struct ev_timer *best = NULL, *t;
	size_t i;

	for (i = 0; i < l->ntimers; i++) {
		t = l->timers[i];
		if (!t->armed || t->dead || t->seq > before_seq)
			continue;
		if (best == NULL || t->when < best->when ||
		    (t->when == best->when && t->seq < best->seq))
			best = t;
	}
	return best;
}

long long
ev_deadline(struct ev_loop *l)
{
	struct ev_timer *t;

	if (l->nposted > 0)
		return l->now;
	t = earliest(l, l->seq);
	return t != NULL ? t->when : -1;
}

static void
run_timers(struct ev_loop *l)
{
	unsigned long long limit = l->seq;
	struct ev_timer *t;

	while ((t = earliest(l, limit)) != NULL && t->when <= l->now) {
		t->armed = 0;
		t->fn(t->arg);
	}
}

/* One turn, waiting at most max_us (-1: for ever or the timers). */
static int
turn(struct ev_loop *l, long long max_us)
{
	struct ev_timer *t;
	struct timespec ts;
	size_t i, n;
	long long timeout = max_us < 0 ? -1 : max_us;
	int r;

	run_deferred(l);
	collect(l);
	l->now = monotonic_ms();
	if ((t = earliest(l, l->seq)) != NULL) {
		long long left = t->when - l->now;

		if (left < 0)
			left = 0;
		if (left > 86400000LL)
			left = 86400000LL;
		if (timeout < 0 || left * 1000 < timeout)
			timeout = left * 1000;
	}
	if (l->nposted > 0)
		timeout = 0;
	if (l->nios > l->pfd_cap) {
		l->pfd_cap = l->nios;
		l->pfd = xrealloc(l->pfd, l->pfd_cap * sizeof(*l->pfd));
		l->polled = xrealloc(l->polled, l->pfd_cap * sizeof(*l->polled));
	}
	for (i = n = 0; i < l->nios; i++) {
		struct ev_io *io = l->ios[i];

		if (io->dead || io->events == 0)
			continue;
		l->pfd[n].fd = io->fd;
		l->pfd[n].events = (short)((io->events & EV_READ ? POLLIN : 0) |
		    (io->events & EV_WRITE ? POLLOUT : 0));
		l->pfd[n].revents = 0;
		l->polled[n++] = io;
	}
	ts.tv_sec = (time_t)(timeout / 1000000);
	ts.tv_nsec = (long)(timeout % 1000000) * 1000;
	r = ppoll(l->pfd, (nfds_t)n, timeout < 0 ? NULL : &ts, NULL);
	if (r < 0 && errno != EINTR)
		return -1;
	l->now = monotonic_ms();
	for (i = 0; r > 0 && i < n; i++) {
		struct ev_io *io = l->polled[i];
		short re = l->pfd[i].revents;
		int ev = 0;

		if (re == 0 || io->dead)
			continue;
		if (re & (POLLIN | POLLERR | POLLHUP | POLLNVAL))
			ev |= EV_READ;
		if (re & POLLOUT ||
		    (re & (POLLERR | POLLHUP) && io->events & EV_WRITE))
			ev |= EV_WRITE;
		ev &= io->events | EV_READ;
		if (re & (POLLERR | POLLHUP | POLLNVAL) && io->events & EV_HUP)
			ev |= EV_HUP;
		io->fn(io->fd, ev, io->arg);
	}
	run_timers(l);
	run_deferred(l);
	collect(l);
	return 0;
}

int
ev_turn(struct ev_loop *l, long max_ms)
{
	return turn(l, max_ms < 0 ? -1 : (long long)max_ms * 1000);
}

int
ev_turn_us(struct ev_loop *l, long long max_us)
{
	return turn(l, max_us);
}

int
ev_run(struct ev_loop *l)
{
	l->stop = 0;
	while (!l->stop)
		if (ev_turn(l, -1) < 0)
			return -1;
	return 0;
}

void
ev_break(struct ev_loop *l)
{
	l->stop = 1;
}
