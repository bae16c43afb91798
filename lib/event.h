/*
 * event.h - one small event loop: descriptors, timers, deferred calls
 * and signals, for a daemon whose modules each register their own.
 *
 * The loop owns no module's state.  A module adds a descriptor with the
 * interest it has in it (read, write) and a callback, arms a timer on
 * the monotonic clock, or posts a deferred call: a call that runs once
 * after the events of the current turn, before the next poll, however
 * many times it was posted meanwhile (so a producer only records that
 * work is wanted, and the work is done once; Postfix's qmgr folds its
 * scan requests so).  Signals arrive on a signalfd, which is one more
 * descriptor.
 *
 * Nothing has a fixed limit: the arrays grow.  Any callback may add or
 * remove anything, itself included: a removed descriptor, timer or
 * deferred call is never called again, even later in the same turn.
 *
 * Errors: allocation aborts (util.h); ev_signal() returns -1 with errno.
 */
#ifndef GSPOOL_EVENT_H
#define GSPOOL_EVENT_H

#define EV_READ		0x1
#define EV_WRITE	0x2
/* Asked for with the others: a hang-up or an error is reported as
 * EV_HUP as well (with EV_READ, and while bytes are still waiting: read
 * them first), for a caller to whom it means something else than data
 * (a pseudo-terminal's master with no slave open, a serial port gone). */
#define EV_HUP		0x4

struct ev_loop;
struct ev_io;
struct ev_timer;
struct ev_defer;

/* revents: EV_READ and/or EV_WRITE; an error or a hang-up is reported
 * as EV_READ (and EV_WRITE if that was wanted): the read says what.
 * One with nothing to read besides (poll's POLLHUP or POLLERR without
 * POLLIN) is EV_READ | EV_HUP, for a caller that names it so. */
typedef void	ev_io_fn(int fd, int revents, void *arg);
typedef void	ev_fn(void *arg);
typedef void	ev_signal_fn(int signo, void *arg);

struct ev_loop	*ev_loop_new(void);
void		 ev_loop_free(struct ev_loop *);

/* One turn: poll for at most max_ms (-1: until an event or a timer),
 * then run the descriptors' callbacks, the timers that are due, and the
 * deferred calls.  0, or -1 if poll failed (not for EINTR). */
int		 ev_turn(struct ev_loop *, long max_ms);
/* The same, waiting at most max_us microseconds (-1: as ev_turn),
 * for a caller that keeps its own times finer than the timers' ms. */
int		 ev_turn_us(struct ev_loop *, long long max_us);
/* Turns until ev_break(): 0, or -1 if poll failed. */
int		 ev_run(struct ev_loop *);
void		 ev_break(struct ev_loop *);
/* The loop's clock: monotonic milliseconds, read once a turn. */
long long	 ev_now(struct ev_loop *);
/* The clock read again, for a caller that waited outside the loop. */
long long	 ev_now_update(struct ev_loop *);
/* Until when the next turn may wait (ms on the monotonic clock): the
 * earliest armed timer's time, now if a deferred call is posted, -1
 * if nothing bounds it.  For a caller that waits elsewhere a while
 * (a blocking read) and must not make a timer late. */
long long	 ev_deadline(struct ev_loop *);

struct ev_io	*ev_io_add(struct ev_loop *, int fd, int events, ev_io_fn *,
		    void *arg);
void		 ev_io_set(struct ev_io *, int events);
/* Forget the descriptor (the caller closes it). */
void		 ev_io_del(struct ev_io *);

/* A timer is made once and armed as often as wanted; armed again, it
 * forgets its earlier time.  Due timers run in the order of their times,
 * those of one time in the order they were armed. */
struct ev_timer	*ev_timer_new(struct ev_loop *, ev_fn *, void *arg);
void		 ev_timer_at(struct ev_timer *, long long when_ms);
void		 ev_timer_in(struct ev_timer *, long long ms);
void		 ev_timer_stop(struct ev_timer *);
int		 ev_timer_armed(const struct ev_timer *);
void		 ev_timer_free(struct ev_timer *);

struct ev_defer	*ev_defer_new(struct ev_loop *, ev_fn *, void *arg);
/* Run it after this turn's events, once however often posted. */
void		 ev_defer_post(struct ev_defer *);
void		 ev_defer_free(struct ev_defer *);

/* The signal is blocked and read from the loop's signalfd instead;
 * fn runs for each one that arrives.  0, or -1 with errno. */
int		 ev_signal(struct ev_loop *, int signo, ev_signal_fn *,
		    void *arg);

/* Counts, for tests and the log. */
size_t		 ev_io_count(const struct ev_loop *);

#endif
