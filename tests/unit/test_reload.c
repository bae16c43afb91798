/* Unit tests for spoold/reload.c, on a real queue (spoold/queue.c in a
 * temporary spool) with dest.c and sched.c, and stand-ins for the
 * backends and the checks that record what they are asked.  Shown: a
 * printer added and one removed idle; a class's operator state kept and
 * a removed class's job held; a printer changed while it prints keeps
 * its settings and takes no job until its job ends, then takes the new
 * ones (the old configuration freed once no printer runs on it); one
 * removed while it prints stays until its job ends and refuses jobs
 * meanwhile, its queued job held; a file with an error changes nothing;
 * [spool] directory keeps its value until a restart. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cmocka.h>

#include "event.h"
#include "log.h"
#include "spoold.h"
#include "util.h"

/* The stand-ins, and what they were asked. */
static int nadded, nstopped, nrestarts, nreconfigs, nforgot;
static char stopped[8][CONF_NAME_MAX + 1];

int
backend_print(struct spoold *sd, struct printer *p, long id, int fd,
    const char *between)
{
	(void)sd;
	(void)fd;
	(void)between;
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

int
check_start(struct spoold *sd, long id, struct printer *p)
{
	(void)sd;
	(void)id;
	(void)p;
	return 0;
}

void
check_fingerprint(const struct printer *p, char *out, size_t outsz)
{
	snprintf(out, outsz, "bed%d", p->conf->policy.max_bed);
}

void
check_forget(struct spoold *sd, const struct printer *p)
{
	(void)sd;
	(void)p;
	nforgot++;
}

int
reject_expire(struct spoold *sd, long long now, int max)
{
	(void)sd;
	(void)now;
	(void)max;
	return 0;
}

void
backend_add(struct spoold *sd, struct printer *p)
{
	(void)sd;
	(void)p;
	nadded++;
}

void
backend_stop(struct spoold *sd, struct printer *p, int port_wanted)
{
	(void)sd;
	(void)port_wanted;
	snprintf(stopped[nstopped++ % 8], sizeof(stopped[0]), "%s",
	    p->conf->name);
}

int
backend_args_differ(const struct conf_printer *a, const struct conf_printer *b)
{
	return strcmp(a->device, b->device) != 0 || a->window != b->window;
}

int
backend_reconfigure(struct spoold *sd, struct printer *p,
    const struct conf_printer *old)
{
	int r = backend_args_differ(old, p->conf);

	(void)sd;
	nreconfigs++;
	nrestarts += r;
	return r;
}

static char dir[] = "/tmp/gspool-reload-test.XXXXXX";
static struct spoold S;

static void
report(const char *msg, void *arg)
{
	(void)arg;
	fail_msg("configuration: %s", msg);
}

/* gspool.conf: [spool] and then the text given. */
static void
write_conf(const char *spool_dir, const char *text)
{
	char *path = xasprintf("%s/gspool.conf", dir);
	FILE *fp;

	assert_non_null(fp = fopen(path, "w"));
	fprintf(fp, "[spool]\ndirectory = %s\nbackend_dir = %s\n\n%s",
	    spool_dir, dir, text);
	fclose(fp);
	free(path);
}

#define PRINTER(n, more) \
	"[printer " n "]\ndevice = /dev/null/" n "\n" more "\n"

static int
setup(void **state)
{
	char *conf, *prog;
	FILE *fp;

	(void)state;
	memset(&S, 0, sizeof(S));
	nadded = nstopped = nrestarts = nreconfigs = nforgot = 0;
	strcpy(dir, "/tmp/gspool-reload-test.XXXXXX");
	assert_non_null(mkdtemp(dir));
	/* The backend conf_check_host() looks for. */
	prog = xasprintf("%s/serial", dir);
	assert_non_null(fp = fopen(prog, "w"));
	fputs("#!/bin/sh\n", fp);
	fclose(fp);
	assert_int_equal(chmod(prog, 0755), 0);
	free(prog);
	write_conf(dir, PRINTER("a", "max_bed = 120") PRINTER("b", "")
	    "[class k]\nprinters = a b\n");
	conf = xasprintf("%s/gspool.conf", dir);
	assert_int_equal(conf_load(&S.conf, conf, report, NULL), 0);
	free(conf);
	S.dir_jobs = xasprintf("%s/jobs", dir);
	S.dir_tmp = xasprintf("%s/tmp", dir);
	assert_int_equal(mkdir_exist_ok(S.dir_jobs, 0700), 0);
	assert_int_equal(mkdir_exist_ok(S.dir_tmp, 0700), 0);
	assert_int_equal(queue_open(&S), 0);
	S.ev = ev_loop_new();
	dest_init(&S);
	sched_init(&S);
	reload_init(&S);
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
	reload_free(&S);
	free(S.dir_jobs);
	free(S.dir_tmp);
	conf_free(&S.conf);
	cmd = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	return 0;
}

static struct printer *
ready(const char *name)
{
	struct printer *p = printer_find(&S, name);

	assert_non_null(p);
	p->state = PRINTER_READY;
	p->sock = 100;		/* never used: the backends are stand-ins */
	return p;
}

static long
job(const char *dest)
{
	static const struct job_opts plain = { .priority = 50, .copies = 1 };
	char *tmp = xasprintf("%s/job.XXXXXX", S.dir_tmp);
	long id;
	int fd, known;

	assert_true((fd = mkstemp(tmp)) >= 0);
	assert_int_equal(write(fd, "G28\n", 4), 4);
	close(fd);
	id = queue_add(&S, dest, "alice", 1000, "t", 4, 1, "00", "{}", &plain,
	    NULL, tmp, &known);
	free(tmp);
	assert_true(id > 0);
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
test_add_remove_idle(void **state)
{
	struct dest *k;
	char why[512];
	long jb, jk;

	(void)state;
	k = dest_find(&S, "k");
	dest_set(k, "disable", "maintenance");
	jb = job("b");
	jk = job("k");
	write_conf(dir, PRINTER("a", "max_bed = 120") PRINTER("c", "")
	    "[class k]\nprinters = a c\n");
	reload(&S);
	assert_non_null(printer_find(&S, "c"));
	assert_true(dest_known(&S, "c"));
	assert_true(printer_find(&S, "c")->d.accepting);
	assert_int_equal(nadded, 1);
	/* b was idle: gone now, its backend let go, its job held. */
	assert_null(printer_find(&S, "b"));
	assert_false(dest_known(&S, "b"));
	assert_int_equal(nstopped, 1);
	assert_string_equal(stopped[0], "b");
	assert_int_equal(S.nprinters, 2);
	assert_string_equal(state_of(jb, why, sizeof(why)), "held");
	assert_string_equal(why, "printer b was removed from the"
	    " configuration; gpc move the job to another printer or"
	    " class");
	/* k's state is kept, and its job stays the class's. */
	k = dest_find(&S, "k");
	assert_false(k->enabled);
	assert_string_equal(k->enable_reason, "maintenance");
	assert_string_equal(state_of(jk, NULL, 0), "pending");
	/* a did not change: it runs on the new file, the old one freed. */
	assert_ptr_equal(printer_find(&S, "a")->conf, conf_printer(&S.conf,
	    "a"));
	assert_null(S.old_confs);
	assert_int_equal(nreconfigs, 0);
	/* The class removed: its job held. */
	write_conf(dir, PRINTER("a", "max_bed = 120") PRINTER("c", ""));
	reload(&S);
	assert_null(dest_find(&S, "k"));
	assert_string_equal(state_of(jk, why, sizeof(why)), "held");
	assert_string_equal(why, "class k was removed from the"
	    " configuration; gpc move the job to another printer or"
	    " class");
}

static void
test_change_while_printing(void **state)
{
	struct printer *a, *b;

	(void)state;
	a = ready("a");
	a->job = job("a");
	assert_int_equal(queue_start(&S, a->job, "a"), 0);
	write_conf(dir, PRINTER("a", "max_bed = 100") PRINTER("b", "window = 2")
	    "[class k]\nprinters = a b\n");
	reload(&S);
	/* a prints on: its settings as they were, the new ones waiting. */
	assert_int_equal(a->conf->policy.max_bed, 120);
	assert_non_null(a->pending);
	assert_int_equal(a->pending->policy.max_bed, 100);
	assert_string_equal(a->changes, "max_bed");
	assert_non_null(S.old_confs);
	/* b was idle: changed now, its backend restarted. */
	b = printer_find(&S, "b");
	assert_int_equal(b->conf->window, 2);
	assert_null(b->pending);
	assert_int_equal(nrestarts, 1);
	/* Its job ends: no job for a until its settings apply. */
	a->job = 0;
	assert_false(dest_takes_jobs(a));
	reload_settle(&S);
	assert_null(a->pending);
	assert_int_equal(a->conf->policy.max_bed, 100);
	assert_ptr_equal(a->conf, conf_printer(&S.conf, "a"));
	assert_true(dest_takes_jobs(a));
	assert_int_equal(nreconfigs, 2);
	assert_int_equal(nrestarts, 1);	/* max_bed is spoold's */
	/* Nothing runs on the old file now. */
	assert_null(S.old_confs);
}

/* Changed while printing, then changed back: nothing waits. */
static void
test_change_back(void **state)
{
	struct printer *a;

	(void)state;
	a = ready("a");
	a->job = 9;
	write_conf(dir, PRINTER("a", "max_bed = 90") PRINTER("b", "")
	    "[class k]\nprinters = a b\n");
	reload(&S);
	assert_non_null(a->pending);
	write_conf(dir, PRINTER("a", "max_bed = 120") PRINTER("b", "")
	    "[class k]\nprinters = a b\n");
	reload(&S);
	assert_null(a->pending);
	assert_ptr_equal(a->conf, conf_printer(&S.conf, "a"));
	assert_null(S.old_confs);
}

static void
test_remove_while_printing(void **state)
{
	struct printer *a;
	char why[512];
	long queued;

	(void)state;
	a = ready("a");
	a->job = job("a");
	assert_int_equal(queue_start(&S, a->job, "a"), 0);
	queued = job("a");
	write_conf(dir, PRINTER("b", "") "[class k]\nprinters = b\n");
	reload(&S);
	/* Still there while it prints, but no destination. */
	assert_ptr_equal(printer_find(&S, "a"), a);
	assert_true(a->retiring);
	assert_false(dest_known(&S, "a"));
	assert_false(a->d.accepting);
	assert_int_equal(nstopped, 0);
	assert_string_equal(state_of(queued, why, sizeof(why)), "held");
	assert_string_equal(why, "printer a was removed from the"
	    " configuration; gpc move the job to another printer or"
	    " class");
	assert_non_null(S.old_confs);	/* a runs on it */
	/* Ready and idle, it takes no job: then it goes. */
	a->job = 0;
	assert_false(dest_takes_jobs(a));
	reload_settle(&S);
	assert_null(printer_find(&S, "a"));
	assert_int_equal(nstopped, 1);
	assert_string_equal(stopped[0], "a");
	assert_int_equal(nforgot, 1);
	assert_int_equal(S.nprinters, 1);
	assert_null(S.old_confs);
}

/* Removed while printing, and back before its job ended: it stays. */
static void
test_removed_and_back(void **state)
{
	struct printer *a;

	(void)state;
	a = ready("a");
	a->job = 7;
	write_conf(dir, PRINTER("b", "") "[class k]\nprinters = b\n");
	reload(&S);
	assert_true(a->retiring);
	write_conf(dir, PRINTER("a", "max_bed = 120") PRINTER("b", "")
	    "[class k]\nprinters = a b\n");
	reload(&S);
	assert_false(a->retiring);
	assert_true(a->d.accepting);
	assert_true(dest_known(&S, "a"));
	a->job = 0;
	reload_settle(&S);
	assert_ptr_equal(printer_find(&S, "a"), a);
	assert_int_equal(nstopped, 0);
	assert_null(S.old_confs);
}

/* A file with an error: nothing changes. */
static void
test_broken(void **state)
{
	struct conf_printer *before = conf_printer(&S.conf, "a");

	(void)state;
	write_conf(dir, PRINTER("a", "max_bed = 900") "[class k]\n"
	    "printers = a\n");
	reload(&S);
	assert_ptr_equal(conf_printer(&S.conf, "a"), before);
	assert_non_null(printer_find(&S, "b"));
	assert_int_equal(nstopped + nadded + nreconfigs, 0);
	assert_null(S.old_confs);
}

/* [spool] directory: its value kept until a restart. */
static void
test_spool_fixed(void **state)
{
	char *other = xasprintf("%s/elsewhere", dir);
	char *before = xstrdup(S.conf.spool_dir);

	(void)state;
	write_conf(other, PRINTER("a", "max_bed = 120") PRINTER("b", "")
	    "[class k]\nprinters = a b\n");
	reload(&S);
	assert_string_equal(S.conf.spool_dir, before);
	assert_null(S.old_confs);
	free(other);
	free(before);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_remove_idle, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_change_while_printing,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_change_back, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_remove_while_printing,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_removed_and_back, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_broken, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool_fixed, setup,
		    teardown),
	};

	log_init("test_reload", LOG_TO_STDERR, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
