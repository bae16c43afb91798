/* Unit tests for spoold/sched.c and spoold/dest.c, on a real queue
 * (spoold/queue.c in a temporary spool) and stand-ins for what they
 * call beside it: the backends (backend_print records the hand-over)
 * and the checks (a job fits a printer when its verdict says so).
 * Shown: a class's job goes to the first ready member, and the next to
 * the next; a held job is not dispatched, and is once released (by its
 * time too); awaiting-clear blocks a printer until gpc ready; a job
 * that fits no member is held with the reason; the operator's state
 * rules (accept/reject, enable/disable, the sources a printer takes
 * jobs from), kept across a reload; a re-sent forward id is one job; a
 * job goes only to a printer it suits by what its file was made for. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "event.h"
#include "log.h"
#include "spoold.h"
#include "util.h"

/* The stand-ins. */
static struct {
	struct printer	*p;
	long		 id;
} handed[16];
static int nhanded;

int
backend_print(struct spoold *sd, struct printer *p, long id, int fd,
    const char *between)
{
	(void)sd;
	(void)fd;
	(void)between;
	handed[nhanded].p = p;
	handed[nhanded].id = id;
	nhanded++;
	p->job = id;
	return 0;
}

int
check_busy(const struct spoold *sd, const struct printer *p)
{
	(void)sd;
	(void)p;
	return 0;
}

static int nchecks;

int
check_start(struct spoold *sd, long id, struct printer *p)
{
	(void)sd;
	(void)id;
	(void)p;
	nchecks++;
	return 0;
}

void
check_fingerprint(const struct printer *p, char *out, size_t outsz)
{
	(void)p;
	snprintf(out, outsz, "fp");
}

int
reject_expire(struct spoold *sd, long long now, int max)
{
	(void)sd;
	(void)now;
	(void)max;
	return 0;
}

static char dir[] = "/tmp/gspool-sched-test.XXXXXX";
static struct spoold S;

static void
report(const char *msg, void *arg)
{
	(void)arg;
	fail_msg("configuration: %s", msg);
}

static int
setup(void **state)
{
	char *conf, *text;
	FILE *fp;

	(void)state;
	memset(&S, 0, sizeof(S));
	nhanded = nchecks = 0;
	strcpy(dir, "/tmp/gspool-sched-test.XXXXXX");
	assert_non_null(mkdtemp(dir));
	conf = xasprintf("%s/gspool.conf", dir);
	text = xasprintf("[spool]\ndirectory = %s\n\n"
	    "[printer a]\ndevice = %s/a.tty\nclears_bed = no\n\n"
	    "[printer b]\ndevice = %s/b.tty\nclears_bed = yes\n\n"
	    "[class k]\nprinters = a b\n", dir, dir, dir);
	assert_non_null(fp = fopen(conf, "w"));
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(conf_load(&S.conf, conf, report, NULL), 0);
	free(conf);
	free(text);
	S.dir_jobs = xasprintf("%s/jobs", dir);
	S.dir_tmp = xasprintf("%s/tmp", dir);
	assert_int_equal(mkdir_exist_ok(S.dir_jobs, 0700), 0);
	assert_int_equal(mkdir_exist_ok(S.dir_tmp, 0700), 0);
	assert_int_equal(queue_open(&S), 0);
	S.ev = ev_loop_new();
	dest_init(&S);
	return 0;
}

static int
teardown(void **state)
{
	char *cmd;

	(void)state;
	queue_close(&S);
	ev_loop_free(S.ev);
	jobev_free();
	dest_free(&S);
	free(S.dir_jobs);
	free(S.dir_tmp);
	conf_free(&S.conf);
	cmd = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	return 0;
}

/* A printer whose backend is ready and prints nothing. */
static struct printer *
ready(const char *name)
{
	struct printer *p = printer_find(&S, name);

	assert_non_null(p);
	p->state = PRINTER_READY;
	p->sock = 100;		/* never used: backend_print is a stand-in */
	p->job = 0;
	return p;
}

/* Queue a job for dest, checked as fitting each printer in fits. */
static long
job(const char *dest, const struct job_opts *o, const char *fits)
{
	static const struct job_opts plain = { .priority = 50, .copies = 1 };
	char *tmp = xasprintf("%s/job.XXXXXX", S.dir_tmp), name[2] = "";
	long id;
	int fd, known;

	assert_true((fd = mkstemp(tmp)) >= 0);
	assert_int_equal(write(fd, "G28\n", 4), 4);
	close(fd);
	id = queue_add(&S, dest, "alice", 1000, "t", 4, 1, "00", "{}",
	    o ? o : &plain, NULL, tmp, &known);
	free(tmp);
	assert_true(id > 0);
	for (; fits && *fits; fits++) {
		name[0] = *fits;
		assert_int_equal(queue_check_put(&S, id, name, "fp", 1, ""), 0);
	}
	return id;
}

static const char *
state_of(long id, char *reason, size_t reasonsz)
{
	static struct job_row j;

	assert_int_equal(queue_get(&S, id, &j), 1);
	if (reason != NULL)
		snprintf(reason, reasonsz, "%s", j.reason);
	return j.state;
}

static void
test_class_first_ready(void **state)
{
	long j1, j2, j3;

	(void)state;
	ready("b");
	j1 = job("k", NULL, "ab");
	sched_dispatch(&S);
	/* a is not ready: b, the first ready member, takes it. */
	assert_int_equal(nhanded, 1);
	assert_ptr_equal(handed[0].p, printer_find(&S, "b"));
	assert_int_equal(handed[0].id, j1);
	assert_string_equal(state_of(j1, NULL, 0), "processing");
	/* Both ready: the next two go one to each, round robin. */
	printer_find(&S, "b")->job = 0;
	ready("a");
	j2 = job("k", NULL, "ab");
	j3 = job("k", NULL, "ab");
	sched_dispatch(&S);
	assert_int_equal(nhanded, 3);
	assert_ptr_equal(handed[1].p, printer_find(&S, "a"));
	assert_int_equal(handed[1].id, j2);
	assert_ptr_equal(handed[2].p, printer_find(&S, "b"));
	assert_int_equal(handed[2].id, j3);
}

static void
test_unchecked_waits(void **state)
{
	long id;

	(void)state;
	ready("a");
	id = job("a", NULL, "");
	sched_dispatch(&S);
	/* No verdict yet: checked first, not handed over. */
	assert_int_equal(nhanded, 0);
	assert_int_equal(nchecks, 1);
	assert_string_equal(state_of(id, NULL, 0), "pending");
}

static void
test_held(void **state)
{
	struct job_opts o = { .priority = 50, .copies = 1, .hold = 1 };
	long id;

	(void)state;
	ready("a");
	id = job("a", &o, "a");
	assert_string_equal(state_of(id, NULL, 0), "held");
	sched_dispatch(&S);
	assert_int_equal(nhanded, 0);
	assert_int_equal(queue_release(&S, id, "alice", "released"), 0);
	sched_dispatch(&S);
	assert_int_equal(nhanded, 1);
	assert_int_equal(handed[0].id, id);
}

/* What dispatch sees of a re-sent forward: one job.  A forward id
 * queued for its owner makes no second job (the first one's id, known
 * set, its file left to the caller); another owner's same id is a job
 * of its own; the job row carries the id, and the expiry of ended jobs
 * takes the id with the job. */
static long
add_as(const char *owner, const struct job_opts *o, int *known)
{
	char *tmp = xasprintf("%s/job.XXXXXX", S.dir_tmp);
	long id;
	int fd;

	assert_true((fd = mkstemp(tmp)) >= 0);
	assert_int_equal(write(fd, "G28\n", 4), 4);
	close(fd);
	id = queue_add(&S, "a", owner, 1000, "t", 4, 1, "00", "{}", o, NULL,
	    tmp, known);
	if (*known)
		assert_int_equal(unlink(tmp), 0);	/* left to the caller */
	free(tmp);
	return id;
}

static void
test_forward_once(void **state)
{
	struct job_opts o = { .priority = 50, .copies = 1, .hold = 1 };
	struct job_row jr;
	long first, again, bobs;
	int known;

	(void)state;
	snprintf(o.forward, sizeof(o.forward), "front.7");
	first = add_as("alice", &o, &known);
	assert_true(first > 0);
	assert_int_equal(known, 0);
	assert_int_equal(queue_forward_find(&S, "alice", "front.7"), first);
	again = add_as("alice", &o, &known);
	assert_int_equal(again, first);
	assert_int_equal(known, 1);
	assert_int_equal(queue_count_user(&S, "alice"), 1);
	bobs = add_as("bob", &o, &known);
	assert_true(bobs > first);
	assert_int_equal(known, 0);
	assert_int_equal(queue_get(&S, first, &jr), 1);
	assert_string_equal(jr.forward, "front.7");
	assert_int_equal(queue_get(&S, bobs, &jr), 1);
	assert_string_equal(jr.forward, "front.7");
	assert_int_equal(queue_forward_find(&S, "carol", "front.7"), 0);
	/* Ended and past keep_jobs and keep_files: the row and its id go. */
	assert_int_equal(queue_set_state(&S, first, "canceled", "", "alice"),
	    0);
	assert_true(queue_expire(&S, time(NULL) + S.conf.keep_jobs +
	    S.conf.keep_files + 1, 16) >= 1);
	assert_int_equal(queue_get(&S, first, &jr), 0);
	assert_int_equal(queue_forward_find(&S, "alice", "front.7"), 0);
	assert_int_equal(queue_forward_find(&S, "bob", "front.7"), bobs);
}

/* Held until a time that has come: released by sched's timer, and a
 * dispatch pass follows in the same turn of the loop. */
static void
test_hold_until(void **state)
{
	struct job_opts o = { .priority = 50, .copies = 1 };
	long id;

	(void)state;
	ready("a");
	o.hold_until = (long long)time(NULL) + 3600;
	id = job("a", &o, "a");
	assert_string_equal(state_of(id, NULL, 0), "held");
	sched_init(&S);
	assert_int_equal(ev_turn(S.ev, 0), 0);
	assert_int_equal(nhanded, 0);
	/* Its time brought forward to now. */
	assert_int_equal(queue_hold(&S, id, (long long)time(NULL) - 1,
	    "alice"), 0);
	S.next_release = 0;
	sched_hold_until(&S, (long long)time(NULL) - 1);
	assert_int_equal(ev_turn(S.ev, 0), 0);
	assert_string_equal(state_of(id, NULL, 0), "processing");
	assert_int_equal(nhanded, 1);
}

static void
test_awaiting_clear(void **state)
{
	struct printer *a;
	long id;

	(void)state;
	a = ready("a");
	dest_job_placed(&S, a, 7);	/* a part of job 7 on the bed */
	id = job("a", NULL, "a");
	sched_dispatch(&S);
	assert_int_equal(nhanded, 0);	/* a does not clear its own bed */
	sched_init(&S);
	printer_ready(&S, a, "alice");	/* gpc ready: kicks */
	assert_false(a->d.awaiting_clear);
	assert_int_equal(nhanded, 0);	/* only recorded ... */
	assert_int_equal(ev_turn(S.ev, 0), 0);
	assert_int_equal(nhanded, 1);	/* ... and done by the loop */
	assert_int_equal(handed[0].id, id);
	/* The part of the job handed over is on the bed again. */
	assert_true(a->d.awaiting_clear);
	assert_int_equal(a->d.last_job, id);
}

/* A printer that clears its own bed takes the next job at once. */
static void
test_clears_bed(void **state)
{
	struct printer *b;

	(void)state;
	b = ready("b");
	dest_job_placed(&S, b, 7);
	job("b", NULL, "b");
	sched_dispatch(&S);
	assert_int_equal(nhanded, 1);
}

static int held_by_spoold;

static void
hear(struct spoold *sd, const struct job_event *ev, void *arg)
{
	(void)sd;
	(void)arg;
	if (ev->row && strcmp(ev->name, "held") == 0 &&
	    strcmp(ev->who, "spoold") == 0)
		held_by_spoold++;
}

static void
test_unfit(void **state)
{
	char why[512];
	long id, kid;

	(void)state;
	held_by_spoold = 0;
	jobev_listen(hear, NULL);
	ready("a");
	id = job("a", NULL, "");
	assert_int_equal(queue_check_put(&S, id, "a", "fp", 0,
	    "line 3: M104 S305 above max_hotend 285"), 0);
	sched_dispatch(&S);
	assert_int_equal(nhanded, 0);
	assert_string_equal(state_of(id, why, sizeof(why)), "held");
	assert_string_equal(why, "does not fit a: line 3: M104 S305 above"
	    " max_hotend 285");
	assert_int_equal(held_by_spoold, 1);
	/* A class job that does not fit a waits for b ... */
	kid = job("k", NULL, "");
	assert_int_equal(queue_check_put(&S, kid, "a", "fp", 0, "too hot"),
	    0);
	sched_dispatch(&S);
	assert_string_equal(state_of(kid, NULL, 0), "pending");
	/* ... and is held once b refuses it too. */
	assert_int_equal(queue_check_put(&S, kid, "b", "fp", 0, "too big"),
	    0);
	sched_dispatch(&S);
	assert_string_equal(state_of(kid, why, sizeof(why)), "held");
	assert_string_equal(why, "fits no printer of k; a: too hot");
	assert_int_equal(held_by_spoold, 2);
}

static void
test_disabled(void **state)
{
	struct printer *a;
	long id;

	(void)state;
	a = ready("a");
	assert_int_equal(dest_set(&a->d, "disable", "nozzle change"), 0);
	id = job("a", NULL, "a");
	sched_dispatch(&S);
	assert_int_equal(nhanded, 0);
	assert_int_equal(dest_set(&a->d, "enable", ""), 0);
	sched_dispatch(&S);
	assert_int_equal(nhanded, 1);
	assert_int_equal(handed[0].id, id);
	/* A disabled class gives its members none of its jobs. */
	a->job = 0;
	assert_int_equal(dest_set(dest_find(&S, "k"), "disable", ""), 0);
	job("k", NULL, "ab");
	sched_dispatch(&S);
	assert_int_equal(nhanded, 1);
}

static void
test_dest_rules(void **state)
{
	struct dest *k;
	struct printer *a;
	char src[256];

	(void)state;
	assert_null(dest_find(&S, "nope"));
	assert_false(dest_known(&S, "nope"));
	assert_true(dest_known(&S, "k"));
	k = dest_find(&S, "k");
	assert_true(k->accepting && k->enabled);
	assert_int_equal(dest_set(k, "reject", "moving house"), 0);
	assert_false(k->accepting);
	assert_string_equal(k->accept_reason, "moving house");
	assert_int_equal(dest_set(k, "accept", "ignored"), 0);
	assert_true(k->accepting);
	assert_string_equal(k->accept_reason, "");
	assert_int_equal(dest_set(k, "explode", ""), -1);
	/* The sources: itself and its enabled classes. */
	a = printer_find(&S, "a");
	dest_sources(&S, a, src, sizeof(src));
	assert_string_equal(src, "[\"a\",\"k\"]");
	dest_set(k, "disable", "");
	dest_sources(&S, a, src, sizeof(src));
	assert_string_equal(src, "[\"a\"]");
	/* Who takes jobs: ready, idle, enabled, bed clear. */
	ready("a");
	assert_true(dest_takes_jobs(a));
	a->state = PRINTER_CONNECTING;
	assert_false(dest_takes_jobs(a));
	ready("a");
	a->sock = -1;
	assert_false(dest_takes_jobs(a));
	ready("a");
	a->job = 3;
	assert_false(dest_takes_jobs(a));
	ready("a");
	dest_job_placed(&S, a, 9);
	assert_false(dest_takes_jobs(a));
	/* Kept in the queue: a reload sees the same. */
	dest_save(&S, "k");
	dest_free(&S);
	dest_init(&S);
	a = printer_find(&S, "a");
	assert_true(a->d.awaiting_clear);
	assert_int_equal(a->d.last_job, 9);
	assert_false(dest_find(&S, "k")->enabled);
	assert_true(dest_find(&S, "b")->enabled);
}

/* What a job's file was made for against what the printers have
 * loaded (suits.c): a class's job goes only to the member it suits,
 * waits with the reason when none does, a printer's own job is held,
 * and released once what is loaded changes. */
static void
test_suits(void **state)
{
	struct job_opts o = { .priority = 50, .copies = 1 };
	struct printer *a = ready("a"), *b = ready("b");
	char why[FIT_REASON], reason[512];
	long petg, abs, mine;

	(void)state;
	assert_int_equal(fit_parse_materials(&a->conf->fit, "PLA", why,
	    sizeof(why)), 0);
	assert_int_equal(fit_parse_materials(&b->conf->fit, "PETG", why,
	    sizeof(why)), 0);
	o.made_for = "{\"model\":null,\"nozzle\":[],\"materials\":"
	    "[\"PETG\"],\"bed\":null,\"tools\":[0]}";
	petg = job("k", &o, "ab");
	sched_dispatch(&S);
	assert_int_equal(nhanded, 1);
	assert_ptr_equal(handed[0].p, b);
	assert_int_equal(handed[0].id, petg);
	b->job = 0;
	o.made_for = "{\"materials\":[\"ABS\"],\"tools\":[0]}";
	abs = job("k", &o, "ab");
	sched_dispatch(&S);
	assert_int_equal(nhanded, 1);
	assert_string_equal(state_of(abs, reason, sizeof(reason)), "pending");
	assert_string_equal(reason, "no member of k has ABS loaded");
	/* a's own job that needs PETG is held; PETG on a releases it. */
	o.made_for = "{\"materials\":[\"PETG\"],\"tools\":[0]}";
	mine = job("a", &o, "a");
	b->state = PRINTER_BUSY;
	sched_dispatch(&S);
	assert_string_equal(state_of(mine, reason, sizeof(reason)), "held");
	assert_string_equal(reason, "needs PETG; a has PLA loaded (gpc load"
	    " to change)");
	a->d.materials_set = 1;
	snprintf(a->d.materials, sizeof(a->d.materials), "PETG");
	assert_int_equal(suits_loaded(&S, a), 1);
	assert_string_equal(state_of(mine, reason, sizeof(reason)), "pending");
	sched_dispatch(&S);
	assert_int_equal(nhanded, 2);
	assert_ptr_equal(handed[1].p, a);
	assert_int_equal(handed[1].id, mine);
	/* A class's job that only b suits, and b's checks refuse: it
	 * fits none of the members it suits, and is held. */
	a->job = b->job = 0;
	b->state = PRINTER_READY;
	snprintf(a->d.materials, sizeof(a->d.materials), "PLA");
	o.made_for = "{\"materials\":[\"PETG\"],\"tools\":[0]}";
	mine = job("k", &o, "");
	assert_int_equal(queue_check_put(&S, mine, "b", "fp", 0, "too big"),
	    0);
	sched_dispatch(&S);
	assert_string_equal(state_of(mine, reason, sizeof(reason)), "held");
	assert_string_equal(reason, "fits no printer of k; b: too big");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_class_first_ready, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unchecked_waits, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_until, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_awaiting_clear, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_clears_bed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unfit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disabled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dest_rules, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_forward_once, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_suits, setup, teardown),
	};

	log_init("test_sched", LOG_TO_STDERR, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
