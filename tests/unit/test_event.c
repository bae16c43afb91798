/* Unit tests for lib/event.c: timers' order, deferred calls folded,
 * descriptors removed from inside callbacks, more descriptors than any
 * fixed array held, signals, a wait bounded in microseconds, hang-ups
 * told apart when asked, the deadline of a wait outside the loop. */
#include "config.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "event.h"

static char order[64];
static size_t norder;

static void
note(void *arg)
{
	order[norder++] = *(const char *)arg;
	order[norder] = '\0';
}

static void
test_timer_order(void **state)
{
	struct ev_loop *l = ev_loop_new();
	struct ev_timer *a, *b, *c, *d;
	long long now = ev_now(l);

	(void)state;
	norder = 0;
	a = ev_timer_new(l, note, "a");
	b = ev_timer_new(l, note, "b");
	c = ev_timer_new(l, note, "c");
	d = ev_timer_new(l, note, "d");
	/* Armed out of order; c and d share a time: c was armed first. */
	ev_timer_at(c, now - 10);
	ev_timer_at(a, now - 30);
	ev_timer_at(d, now - 10);
	ev_timer_at(b, now - 20);
	assert_int_equal(ev_turn(l, 0), 0);
	assert_string_equal(order, "abcd");
	assert_false(ev_timer_armed(a));
	/* Armed again, a timer forgets its first time. */
	ev_timer_at(a, now + 3600000);
	ev_timer_at(a, now - 5);
	ev_timer_at(b, now + 3600000);
	assert_int_equal(ev_turn(l, 0), 0);
	assert_string_equal(order, "abcda");
	assert_true(ev_timer_armed(b));
	ev_timer_stop(b);
	assert_false(ev_timer_armed(b));
	ev_loop_free(l);
}

/* A timer that re-arms itself to now runs once a turn, not for ever. */
static struct ev_timer *self;
static int self_runs;

static void
rearm(void *arg)
{
	(void)arg;
	self_runs++;
	ev_timer_at(self, 0);
}

static void
test_timer_rearm(void **state)
{
	struct ev_loop *l = ev_loop_new();

	(void)state;
	self_runs = 0;
	self = ev_timer_new(l, rearm, NULL);
	ev_timer_at(self, 0);
	assert_int_equal(ev_turn(l, 0), 0);
	assert_int_equal(self_runs, 1);
	assert_int_equal(ev_turn(l, -1), 0);	/* due: does not block */
	assert_int_equal(self_runs, 2);
	ev_loop_free(l);
}

/* A turn that waits for a timer, with nothing else to wake it. */
static void
test_timer_wait(void **state)
{
	struct ev_loop *l = ev_loop_new();
	struct ev_timer *t = ev_timer_new(l, note, "w");

	(void)state;
	norder = 0;
	ev_timer_in(t, 20);
	while (norder == 0)
		assert_int_equal(ev_turn(l, -1), 0);
	assert_string_equal(order, "w");
	ev_loop_free(l);
}

/* The deadline a caller that waits outside the loop keeps to: the
 * earliest armed timer's, a stopped one not counted, none with none,
 * and now while a deferred call is posted. */
static void
test_deadline(void **state)
{
	struct ev_loop *l = ev_loop_new();
	struct ev_timer *a = ev_timer_new(l, note, "a");
	struct ev_timer *b = ev_timer_new(l, note, "b");
	struct ev_defer *d = ev_defer_new(l, note, "d");
	long long now;

	(void)state;
	norder = 0;
	assert_int_equal(ev_deadline(l), -1);
	now = ev_now_update(l);
	assert_true(now >= ev_now(l) && ev_now(l) == now);
	ev_timer_at(a, now + 5000);
	ev_timer_at(b, now + 3000);
	assert_int_equal(ev_deadline(l), now + 3000);
	ev_timer_stop(b);
	assert_int_equal(ev_deadline(l), now + 5000);
	ev_defer_post(d);
	assert_int_equal(ev_deadline(l), ev_now(l));
	assert_int_equal(ev_turn(l, 0), 0);	/* runs d */
	assert_string_equal(order, "d");
	assert_int_equal(ev_deadline(l), now + 5000);
	ev_timer_stop(a);
	assert_int_equal(ev_deadline(l), -1);
	ev_loop_free(l);
}

static int calls;
static struct ev_defer *second;

static void
counted(void *arg)
{
	(void)arg;
	calls++;
}

static void
post_second(void *arg)
{
	(void)arg;
	calls += 100;
	ev_defer_post(second);
}

static void
test_defer_fold(void **state)
{
	struct ev_loop *l = ev_loop_new();
	struct ev_defer *d = ev_defer_new(l, counted, NULL);
	struct ev_defer *first = ev_defer_new(l, post_second, NULL);
	int i;

	(void)state;
	calls = 0;
	second = ev_defer_new(l, counted, NULL);
	/* Posted five times: called once. */
	for (i = 0; i < 5; i++)
		ev_defer_post(d);
	assert_int_equal(ev_turn(l, 0), 0);
	assert_int_equal(calls, 1);
	assert_int_equal(ev_turn(l, 0), 0);
	assert_int_equal(calls, 1);		/* not posted again */
	/* One posted by another runs in the same turn. */
	ev_defer_post(first);
	ev_defer_post(first);
	assert_int_equal(ev_turn(l, 0), 0);
	assert_int_equal(calls, 102);
	/* Freed while posted: never called. */
	ev_defer_post(d);
	ev_defer_free(d);
	assert_int_equal(ev_turn(l, 0), 0);
	assert_int_equal(calls, 102);
	ev_loop_free(l);
}

/* Descriptors: one callback removes another descriptor that is ready in
 * the same turn, and then itself. */
static struct ev_io *ios[2];
static int efd[2], served[2];

static void
remover(int fd, int revents, void *arg)
{
	int k = (int)(intptr_t)arg;
	uint64_t v;

	assert_true(revents & EV_READ);
	assert_int_equal(read(fd, &v, sizeof(v)), sizeof(v));
	served[k]++;
	ev_io_del(ios[!k]);
	ev_io_del(ios[k]);
}

static void
test_io_remove_in_callback(void **state)
{
	struct ev_loop *l = ev_loop_new();
	uint64_t one = 1;
	int k;

	(void)state;
	for (k = 0; k < 2; k++) {
		efd[k] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		assert_true(efd[k] >= 0);
		assert_int_equal(write(efd[k], &one, sizeof(one)), sizeof(one));
		served[k] = 0;
		ios[k] = ev_io_add(l, efd[k], EV_READ, remover,
		    (void *)(intptr_t)k);
	}
	assert_int_equal(ev_io_count(l), 2);
	assert_int_equal(ev_turn(l, 0), 0);
	/* Both were ready; the first served removed the other. */
	assert_int_equal(served[0] + served[1], 1);
	assert_int_equal(ev_io_count(l), 0);
	assert_int_equal(ev_turn(l, 0), 0);
	assert_int_equal(served[0] + served[1], 1);
	close(efd[0]);
	close(efd[1]);
	ev_loop_free(l);
}

/* More descriptors than spoold's old poll array (361 places) held:
 * every one is served in one turn.  Interest can be turned off. */
#define MANY	1000
static int many_served;

static void
count_read(int fd, int revents, void *arg)
{
	uint64_t v;

	(void)arg;
	assert_true(revents & EV_READ);
	assert_int_equal(read(fd, &v, sizeof(v)), sizeof(v));
	many_served++;
}

static void
test_io_growth(void **state)
{
	struct ev_loop *l = ev_loop_new();
	struct ev_io **io = calloc(MANY, sizeof(*io));
	int *fds = calloc(MANY, sizeof(*fds));
	uint64_t one = 1;
	int i;

	(void)state;
	assert_non_null(io);
	assert_non_null(fds);
	many_served = 0;
	for (i = 0; i < MANY; i++) {
		fds[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (fds[i] < 0) {
			/* Fewer descriptors allowed than MANY. */
			assert_true(i > 400);
			break;
		}
		assert_int_equal(write(fds[i], &one, sizeof(one)),
		    sizeof(one));
		io[i] = ev_io_add(l, fds[i], EV_READ, count_read, NULL);
	}
	assert_int_equal(ev_turn(l, 0), 0);
	assert_int_equal(many_served, i);
	/* No interest: not polled, although readable. */
	assert_int_equal(write(fds[0], &one, sizeof(one)), sizeof(one));
	ev_io_set(io[0], 0);
	assert_int_equal(ev_turn(l, 0), 0);
	assert_int_equal(many_served, i);
	ev_io_set(io[0], EV_READ);
	assert_int_equal(ev_turn(l, 0), 0);
	assert_int_equal(many_served, i + 1);
	while (--i >= 0)
		close(fds[i]);
	free(io);
	free(fds);
	ev_loop_free(l);
}

static int got_signal;

static void
on_signal(int signo, void *arg)
{
	(void)arg;
	got_signal = signo;
}

static void
test_signal(void **state)
{
	struct ev_loop *l = ev_loop_new();

	(void)state;
	got_signal = 0;
	assert_int_equal(ev_signal(l, SIGUSR1, on_signal, NULL), 0);
	assert_int_equal(raise(SIGUSR1), 0);	/* blocked: pending */
	while (got_signal == 0)
		assert_int_equal(ev_turn(l, -1), 0);
	assert_int_equal(got_signal, SIGUSR1);
	ev_loop_free(l);
}

static int got_fd;

static void
saw_fd(int fd, int revents, void *arg)
{
	char c;

	(void)revents;
	(void)arg;
	got_fd = fd;
	assert_int_equal(read(fd, &c, 1), 1);
}

static void
saw_revents(int fd, int revents, void *arg)
{
	(void)fd;
	*(int *)arg = revents;
}

static long long
clock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A turn bounded in microseconds waits that long and no longer than an
 * event: not a whole millisecond rounded from it, nor nothing. */
static void
test_turn_us(void **state)
{
	struct ev_loop *l = ev_loop_new();
	struct ev_timer *t = ev_timer_new(l, note, "t");
	long long t0;
	int fds[2];

	(void)state;
	norder = 0;
	t0 = clock_us();
	assert_int_equal(ev_turn_us(l, 300), 0);
	assert_true(clock_us() - t0 >= 300);
	/* A descriptor ready ends the wait at once, however long. */
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "x", 1), 1);
	got_fd = -1;
	ev_io_add(l, fds[0], EV_READ, saw_fd, NULL);
	assert_int_equal(ev_turn_us(l, 3600LL * 1000000), 0);
	assert_int_equal(got_fd, fds[0]);
	/* The timers still bound it. */
	ev_timer_in(t, 0);
	while (norder == 0)
		assert_int_equal(ev_turn_us(l, 3600LL * 1000000), 0);
	assert_string_equal(order, "t");
	close(fds[0]);
	close(fds[1]);
	ev_loop_free(l);
}

/* A pipe whose writer closed: EV_HUP only for the one that asked. */
static void
test_hup(void **state)
{
	struct ev_loop *l = ev_loop_new();
	int fds[2], r1, r2;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	close(fds[1]);
	got_fd = -1;
	ev_io_add(l, fds[0], EV_READ | EV_HUP, saw_revents, &r1);
	ev_io_add(l, fds[0], EV_READ, saw_revents, &r2);
	r1 = r2 = 0;
	assert_int_equal(ev_turn(l, -1), 0);
	assert_int_equal(r1, EV_READ | EV_HUP);
	assert_int_equal(r2, EV_READ);
	close(fds[0]);
	ev_loop_free(l);
}

/* A pipe whose writer is gone, asked for EV_HUP: told with EV_READ
 * while a byte still waits (the caller reads it first), and again once
 * nothing is left; never to one that did not ask. */
static int hup_seen;

static void
hup_note(int fd, int revents, void *arg)
{
	(void)fd;
	(void)arg;
	hup_seen = revents;
}

static void
test_io_hangup(void **state)
{
	struct ev_loop *l = ev_loop_new();
	char c;
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	close(p[1]);
	ev_io_add(l, p[0], EV_READ | EV_HUP, hup_note, NULL);
	hup_seen = 0;
	assert_int_equal(ev_turn(l, 0), 0);
	assert_int_equal(hup_seen, EV_READ | EV_HUP);
	assert_int_equal(read(p[0], &c, 1), 1);
	hup_seen = 0;
	assert_int_equal(ev_turn(l, 0), 0);
	assert_int_equal(hup_seen, EV_READ | EV_HUP);
	assert_int_equal(read(p[0], &c, 1), 0);
	close(p[0]);
	ev_loop_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timer_order),
		cmocka_unit_test(test_timer_rearm),
		cmocka_unit_test(test_timer_wait),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_defer_fold),
		cmocka_unit_test(test_io_remove_in_callback),
		cmocka_unit_test(test_io_growth),
		cmocka_unit_test(test_signal),
		cmocka_unit_test(test_turn_us),
		cmocka_unit_test(test_hup),
		cmocka_unit_test(test_io_hangup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
