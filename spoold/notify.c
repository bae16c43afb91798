/*
 * notify.c - the notify command of gspool.conf ([spool] notify), run
 * once for each row of a job's history once it is committed: queued,
 * processing, paused, complaint, not-responding, completed ...
 *
 * It runs with the event in its environment (GSPOOL_EVENT, GSPOOL_JOB,
 * GSPOOL_DEST, GSPOOL_PRINTER, GSPOOL_OWNER, GSPOOL_TITLE, GSPOOL_STATE,
 * GSPOOL_WHO, GSPOOL_REASON, GSPOOL_JOB_NAME) and the event and the
 * job's id as its arguments, its standard input /dev/null.  spoold does
 * not wait for it: it is reaped with the other children, and a command
 * that hangs holds nothing of spoold's.
 *
 * Security: the job's title and reasons are the submitter's words; they
 * reach the command as environment values, never through a shell.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "spoold.h"

static void
notify_run(struct spoold *sd, const struct job_event *ev)
{
	struct job_row j;
	char ids[32];
	sigset_t none;
	pid_t pid;
	int fd;

	if (queue_get(sd, ev->job, &j) <= 0)
		return;
	snprintf(ids, sizeof(ids), "%ld", ev->job);
	if ((pid = fork()) < 0) {
		log_warn("notify: fork");
		return;
	}
	if (pid > 0)
		return;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if ((fd = open("/dev/null", O_RDONLY)) >= 0) {
		dup2(fd, STDIN_FILENO);
		if (fd != STDIN_FILENO)
			close(fd);
	}
	setenv("GSPOOL_EVENT", ev->name, 1);
	setenv("GSPOOL_JOB", ids, 1);
	setenv("GSPOOL_DEST", j.printer, 1);
	setenv("GSPOOL_PRINTER", j.ran_on, 1);
	setenv("GSPOOL_OWNER", j.owner, 1);
	setenv("GSPOOL_TITLE", j.title, 1);
	setenv("GSPOOL_STATE", j.state, 1);
	setenv("GSPOOL_WHO", ev->who ? ev->who : "", 1);
	setenv("GSPOOL_REASON", ev->reason ? ev->reason : "", 1);
	setenv("GSPOOL_JOB_NAME", j.name, 1);
	execl(sd->conf.notify, sd->conf.notify, ev->name, ids, (char *)NULL);
	fprintf(stderr, "spoold: notify: cannot run %s: %s\n",
	    sd->conf.notify, strerror(errno));
	_exit(127);
}

static void
notify_hear(struct spoold *sd, const struct job_event *ev, void *arg)
{
	(void)arg;
	if (ev->row && ev->job != 0 && sd->conf.notify != NULL)
		notify_run(sd, ev);
}

void
notify_init(struct spoold *sd)
{
	(void)sd;
	jobev_listen(notify_hear, NULL);
}
