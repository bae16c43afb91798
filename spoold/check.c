/*
 * check.c - a job is checked against the printer it is handed to, at
 * the moment it is handed over (gspool(7), invariant 7).
 *
 * A file is checked when it is queued, against its destination: a
 * printer, or for a class what every member allows.  That is not
 * enough.  `gpc move' sends a job to a printer it was never checked
 * against; a class's members may differ in what the class's policy
 * cannot say (their firmware); the configuration may have changed
 * since, or the firmware learnt at connect may differ from what was
 * assumed.  So the dispatcher asks here before it hands a job over.
 *
 * A verdict is kept in the queue (table job_check) for the job, the
 * printer and a fingerprint of that printer's checks as they stand: the
 * policy of the configuration and, where it names no firmware, the
 * firmware learnt from M115 at connect.  The
 * job is checked again only when no verdict matches: after ingest for
 * the printer it was queued for, nothing is read twice.  Where a check
 * is needed, a worker process reads the spool file and runs the same
 * analyser as ingest, so no file however large makes the loop wait; the
 * printer takes no other job meanwhile (the queue's order holds).  A
 * verdict only records that dispatching is wanted (sched_kick): the
 * loop runs the dispatcher, which acts on it.
 *
 * A job that fails for the printer it was sent to is held, with the
 * reason and the printer's name; one sent to a class waits for a member
 * it fits, and is held once it fits none.  Nothing of it is sent.
 *
 * Security: the worker reads a spool file spoold wrote itself, with the
 * descriptors it does not need closed and a CPU limit; whatever it says
 * is read as one bounded line, and a worker that dies without a verdict
 * is a refusal, never a pass.
 *
 * Diagnostics: a verdict is logged once ("mk3-12: fits mk3", or the
 * reason it does not); a job held for not fitting has the reason, with
 * the line of the file, as its hold reason, which gqueue -l shows.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "analyse.h"
#include "jobstate.h"
#include "log.h"
#include "spoold.h"
#include "util.h"

#define CHECK_BUFSZ	65536
#define CHECK_CPU_S	600		/* a worker's CPU time at most */

/* The checks a printer applies now, as one policy: the configuration's,
 * with what was learnt from the printer at connect. */
void
check_policy(const struct printer *p, struct analyse_policy *pol)
{
	memcpy(pol, &p->conf->check, sizeof(*pol));
	/* The configuration's word wins; else what M115 said. */
	if (pol->firmware == GCODE_FW_UNKNOWN)
		pol->firmware = (enum gcode_firmware)p->firmware;
}

/* A fingerprint of those checks (FNV-1a over the policy's bytes, which
 * the configuration zeroes before it sets them). */
void
check_fingerprint(const struct printer *p, char *out, size_t outsz)
{
	struct analyse_policy pol;
	const unsigned char *b;
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	memset(&pol, 0, sizeof(pol));
	check_policy(p, &pol);
	b = (const unsigned char *)&pol;
	for (i = 0; i < sizeof(pol); i++) {
		h ^= b[i];
		h *= 1099511628211ULL;
	}
	snprintf(out, outsz, "%016llx", (unsigned long long)h);
}

static struct spoold *check_sd;	/* for the loop's callbacks */
static void	check_read(struct spoold *, struct check *);

static void
check_readable(int fd, int revents, void *arg)
{
	(void)fd;
	(void)revents;
	check_read(check_sd, arg);
}

void
check_init(struct spoold *sd)
{
	size_t i;

	check_sd = sd;
	for (i = 0; i < MAX_CHECKS; i++) {
		sd->checks[i].pid = 0;
		sd->checks[i].fd = -1;
	}
}

/* The worker: read the spool file through the analyser, say "ok" or
 * "no REASON" on out, and exit. */
static void __attribute__((noreturn))
check_worker(int in, int out, const struct analyse_policy *pol)
{
	struct rlimit rl = { CHECK_CPU_S, CHECK_CPU_S };
	struct analysis *an;
	char *buf, line[600];
	ssize_t n;
	int r = 0;

	setrlimit(RLIMIT_CPU, &rl);
	an = xmalloc(sizeof(*an));
	buf = xmalloc(CHECK_BUFSZ);
	analyse_init(an, pol);
	for (;;) {
		n = read(in, buf, CHECK_BUFSZ);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(an->error, sizeof(an->error), "cannot read"
			    " the spool file: %s", strerror(errno));
			r = -1;
			break;
		}
		if (n == 0) {
			r = analyse_end(an);
			break;
		}
		if ((r = analyse_bytes(an, buf, (size_t)n)) < 0)
			break;
	}
	if (r == 0 && an->lx.ncmds == 0) {
		snprintf(an->error, sizeof(an->error), "no G-code commands in"
		    " the file");
		r = -1;
	}
	if (r == 0)
		snprintf(line, sizeof(line), "ok\n");
	else
		snprintf(line, sizeof(line), "no %s\n", an->error);
	(void)write_all(out, line, strlen(line));
	_exit(0);
}

/* 1 while a check for the printer has no verdict: it waits for it. */
int
check_busy(const struct spoold *sd, const struct printer *p)
{
	size_t i;

	for (i = 0; i < MAX_CHECKS; i++)
		if (sd->checks[i].fd >= 0 && sd->checks[i].printer == p)
			return 1;
	return 0;
}

/* Check job id for printer p in a worker.  0 started (or already
 * running), -1 if it cannot be now (every slot busy: try later; or the
 * file is gone: the job is aborted). */
int
check_start(struct spoold *sd, long id, struct printer *p)
{
	struct analyse_policy pol;
	struct check *c = NULL;
	char *path;
	int fd, pfd[2];
	size_t i;
	pid_t pid;

	for (i = 0; i < MAX_CHECKS; i++) {
		if (sd->checks[i].fd >= 0 && sd->checks[i].job == id &&
		    sd->checks[i].printer == p)
			return 0;
		if (sd->checks[i].pid == 0 && sd->checks[i].fd < 0 &&
		    c == NULL)
			c = &sd->checks[i];
	}
	if (c == NULL)
		return -1;	/* the next verdict runs the dispatcher */
	path = queue_job_path(sd, id);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		log_warn("%s: %s", queue_job_name(sd, id, p->conf->name), path);
		free(path);
		queue_set_state(sd, id, job_state_name(JOB_ABORTED),
		    "the spool file is missing", "spoold");
		return -1;
	}
	free(path);
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		log_warn("%s: check: pipe", queue_job_name(sd, id,
		    p->conf->name));
		close(fd);
		return -1;
	}
	memset(&pol, 0, sizeof(pol));
	check_policy(p, &pol);
	switch ((pid = fork())) {
	case -1:
		log_warn("%s: check: fork", queue_job_name(sd, id,
		    p->conf->name));
		close(fd);
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	case 0:
		/* Nothing of spoold's but the file and the answer. */
		if (dup2(fd, 3) < 0 || dup2(pfd[1], 4) < 0)
			_exit(1);
		closefrom(5);
		check_worker(3, 4, &pol);
	}
	close(fd);
	close(pfd[1]);
	fd_set_nonblock(pfd[0], 1);
	c->pid = pid;
	c->fd = pfd[0];
	c->io = ev_io_add(sd->ev, c->fd, EV_READ, check_readable, c);
	c->job = id;
	c->printer = p;
	c->len = 0;
	check_fingerprint(p, c->policy, sizeof(c->policy));
	log_info("%s: checking it against %s before it prints",
	    queue_job_name(sd, id, NULL), p->conf->name);
	return 0;
}

/* A printer a reload removes: a check for it goes on to its end, and
 * its verdict is dropped. */
void
check_forget(struct spoold *sd, const struct printer *p)
{
	size_t i;

	for (i = 0; i < MAX_CHECKS; i++)
		if (sd->checks[i].printer == p)
			sd->checks[i].printer = NULL;
}

/* The verdict is in (or the worker died without one): record it. */
static void
check_done(struct spoold *sd, struct check *c)
{
	struct job_row j;
	const char *why;
	int ok;

	if (c->printer == NULL) {
		log_info("%s: its printer was removed; the check's verdict"
		    " is dropped", queue_job_name(sd, c->job, NULL));
		goto done;
	}
	c->buf[c->len] = '\0';
	c->buf[strcspn(c->buf, "\n")] = '\0';
	ok = strcmp(c->buf, "ok") == 0;
	if (ok)
		why = "";
	else if (strncmp(c->buf, "no ", 3) == 0 && c->buf[3] != '\0')
		why = c->buf + 3;
	else
		why = "the check of the file did not finish";
	queue_check_put(sd, c->job, c->printer->conf->name, c->policy, ok,
	    why);
	if (queue_get(sd, c->job, &j) <= 0)
		snprintf(j.printer, sizeof(j.printer), "%s",
		    c->printer->conf->name);
	log_info("%s: %s %s%s%s", queue_job_name(sd, c->job, j.printer),
	    ok ? "fits" : "does not fit", c->printer->conf->name, ok ? "" : ": ", why);
done:
	ev_io_del(c->io);
	c->io = NULL;
	close(c->fd);
	c->fd = -1;
	/* The dispatcher acts on it (and holds a job that fits nowhere)
	 * after this event: nothing here calls back up into it. */
	sched_kick(sd);
}

static void
check_read(struct spoold *sd, struct check *c)
{
	ssize_t n;

	if (c->fd < 0)
		return;
	n = read(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		c->len += (size_t)n;
		if (c->len < sizeof(c->buf) - 1)
			return;
	}
	check_done(sd, c);
}

/* A worker exited: 1 if it was one.  Its verdict may still be unread. */
int
check_reaped(struct spoold *sd, pid_t pid, int status)
{
	size_t i;

	for (i = 0; i < MAX_CHECKS; i++) {
		struct check *c = &sd->checks[i];

		if (c->pid != pid)
			continue;
		c->pid = 0;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			log_warnx("%s: the check's worker %s %d",
			    queue_job_name(sd, c->job, c->printer != NULL ?
			    c->printer->conf->name : NULL),
			    WIFSIGNALED(status) ? "was killed by signal" :
			    "exited with status", WIFSIGNALED(status) ?
			    WTERMSIG(status) : WEXITSTATUS(status));
		/* Its verdict, if not read yet, comes with the pipe's end;
		 * else a slot is free for a check that waited for one. */
		if (c->fd < 0)
			sched_kick(sd);
		return 1;
	}
	return 0;
}
