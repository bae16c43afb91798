/*
 * notify.c - what spoold tells of a job's life, two ways: the notify
 * command of gspool.conf ([spool] notify), run once for each row of a
 * job's history once it is committed; and Apprise notifications
 * (notify_urls), delivered by gspool-notify(8) for the events each URL
 * chose.
 *
 * The notify command runs with the event in its environment
 * (GSPOOL_EVENT, GSPOOL_JOB, GSPOOL_DEST, GSPOOL_PRINTER, GSPOOL_OWNER,
 * GSPOOL_TITLE, GSPOOL_STATE, GSPOOL_WHO, GSPOOL_REASON,
 * GSPOOL_JOB_NAME, GSPOOL_APPROVERS) and the event and the job's id as its arguments, its
 * standard input /dev/null.  The event is the state the job entered
 * (held, pending, processing, stopped, canceled, aborted, completed) or
 * what happened to it (queued, pausing, paused, resumed, canceling,
 * complaint, not-responding, re-attached, filter, approval, approved,
 * denied), the words of
 * gspool.conf(5); notify_hook_name() maps the rows that the history
 * names otherwise (the first pending row is "queued", a print going on
 * after a pause "resumed").
 *
 * Apprise: an event is sent to the URLs of [spool], of the printer, and
 * of the job's owner ([user NAME], or [account NAME] for an SFTP
 * account's job), each URL once, those whose notify_events hold it;
 * approval, which asks staff to look at a job, goes to the spool's,
 * the destination's and the approvers' ([group NAME] of the job's
 * approve_group), not to the owner's.
 * One gspool-notify process per notification, with the text and the
 * URLs on its standard input, never on a command line; at most
 * notify_max at once, NOTIFY_QUEUE more waiting in memory, and past that
 * a notification is dropped with a log line.  spoold does not wait for
 * any: the pipe is written once, without blocking, and the process is
 * reaped by the loop.  So a service that hangs or refuses holds at most
 * notify_max processes of gspool-notify, never the queue.
 *
 * Security: the job's title and reasons are the submitter's words; they
 * reach the command as environment values, never through a shell, and
 * gspool-notify as lines cleaned of control bytes.  URLs hold secrets:
 * they go to gspool-notify through its pipe and are never logged.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobstate.h"
#include "log.h"
#include "spoold.h"
#include "util.h"

#define NOTIFY_QUEUE	64		/* notifications waiting to start */
#define NOTIFY_RUNNING	64		/* the most notify_max allows */
#define NOTE_MAX	60000		/* bytes of one, under a pipe's 64K */

static struct spoold *notify_sd;	/* for the loop's callbacks */
static char *waiting[NOTIFY_QUEUE];	/* composed, not yet started */
static size_t waiting_len[NOTIFY_QUEUE];
static int wfirst, nwaiting;
static pid_t running[NOTIFY_RUNNING];
static int nrunning;
static long dropped;
static long pausing_job;		/* why the last job paused */
static char pausing_why[256];

/* The notify command's name for a row of a job's history. */
static const char *
notify_hook_name(const struct job_event *ev)
{
	if (strcmp(ev->name, job_state_name(JOB_PENDING)) == 0 &&
	    ev->reason != NULL && strcmp(ev->reason, "queued") == 0)
		return "queued";
	if (strcmp(ev->name, "printing") == 0)
		return "resumed";
	return ev->name;
}

static void
hook_run(struct spoold *sd, const struct job_event *ev)
{
	struct job_row j;
	char ids[32];
	const char *event = notify_hook_name(ev);
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
	setenv("GSPOOL_EVENT", event, 1);
	setenv("GSPOOL_JOB", ids, 1);
	setenv("GSPOOL_DEST", j.printer, 1);
	setenv("GSPOOL_PRINTER", j.ran_on, 1);
	setenv("GSPOOL_OWNER", j.owner, 1);
	setenv("GSPOOL_TITLE", j.title, 1);
	setenv("GSPOOL_STATE", j.state, 1);
	setenv("GSPOOL_WHO", ev->who ? ev->who : "", 1);
	setenv("GSPOOL_REASON", ev->reason ? ev->reason : "", 1);
	setenv("GSPOOL_JOB_NAME", j.name, 1);
	setenv("GSPOOL_APPROVERS", j.approvers, 1);
	execl(sd->conf.notify, sd->conf.notify, event, ids, (char *)NULL);
	fprintf(stderr, "spoold: notify: cannot run %s: %s\n",
	    sd->conf.notify, strerror(errno));
	_exit(127);
}

/* A notification being written: lines of "WORD TEXT" for
 * gspool-notify(8). */
struct note {
	char	*buf;
	size_t	 len, cap;
	int	 nurls;
	int	 too_long;
};

static void
note_add(struct note *n, const char *word, const char *text)
{
	char clean[2048];
	size_t need;

	clean_text(clean, sizeof(clean), text);
	need = strlen(word) + 1 + strlen(clean) + 1;
	if (n->len + need + 4 > NOTE_MAX) {
		n->too_long = 1;
		return;
	}
	if (n->len + need + 1 > n->cap) {
		n->cap = n->cap ? n->cap * 2 : 4096;
		while (n->cap < n->len + need + 1)
			n->cap *= 2;
		n->buf = xrealloc(n->buf, n->cap);
	}
	n->len += (size_t)snprintf(n->buf + n->len, n->cap - n->len, "%s %s\n",
	    word, clean);
}

static void
note_addf(struct note *n, const char *word, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void
note_addf(struct note *n, const char *word, const char *fmt, ...)
{
	char text[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	note_add(n, word, text);
}

/* The URLs of one section that hear event e, each once in the note. */
static void
note_urls(struct note *n, const struct conf_notify *cn, int e,
    const struct conf_notify **seen, int *nseen)
{
	int i, k, s;

	if (cn == NULL || !(cn->events & (1u << e)))
		return;
	for (i = 0; i < cn->nurls; i++) {
		int dup = 0;

		for (s = 0; s < *nseen && !dup; s++)
			for (k = 0; k < seen[s]->nurls && !dup; k++)
				dup = strcmp(seen[s]->urls[k], cn->urls[i]) == 0 &&
				    (seen[s]->events & (1u << e));
		if (dup)
			continue;
		note_add(n, "url", cn->urls[i]);
		n->nurls++;
	}
	seen[(*nseen)++] = cn;
}

/* Start the notifications waiting, as many as notify_max allows. */
static void
deliver_next(struct spoold *sd)
{
	while (nwaiting > 0 && nrunning < sd->conf.notify_max &&
	    nrunning < NOTIFY_RUNNING) {
		char *msg = waiting[wfirst], retries[16], timeout[16];
		size_t len = waiting_len[wfirst];
		int pfd[2], foreground;
		sigset_t none;
		ssize_t w;
		pid_t pid;

		waiting[wfirst] = NULL;
		wfirst = (wfirst + 1) % NOTIFY_QUEUE;
		nwaiting--;
		if (pipe2(pfd, O_CLOEXEC) < 0) {
			log_warn("notify: pipe; a notification is dropped");
			goto next;
		}
		/* Its messages go where spoold's go. */
		foreground = sd->foreground || getenv("NOTIFY_SOCKET") != NULL ||
		    getenv("JOURNAL_STREAM") != NULL;
		snprintf(retries, sizeof(retries), "%ld",
		    sd->conf.notify_retries);
		snprintf(timeout, sizeof(timeout), "%ld",
		    sd->conf.notify_timeout);
		if ((pid = fork()) < 0) {
			log_warn("notify: fork; a notification is dropped");
			close(pfd[0]);
			close(pfd[1]);
			goto next;
		}
		if (pid == 0) {
			sigemptyset(&none);
			sigprocmask(SIG_SETMASK, &none, NULL);
			dup2(pfd[0], STDIN_FILENO);
			execl(sd->conf.notifier, sd->conf.notifier, "-a",
			    sd->conf.apprise, "-r", retries, "-t", timeout,
			    "-T", sd->dir_tmp, foreground ? "-d" : (char *)NULL,
			    (char *)NULL);
			fprintf(stderr, "spoold: notify: cannot run %s: %s\n",
			    sd->conf.notifier, strerror(errno));
			_exit(127);
		}
		close(pfd[0]);
		running[nrunning++] = pid;
		/* A pipe holds 64K: the note, under NOTE_MAX, goes at once,
		 * and spoold never waits on it. */
		fd_set_nonblock(pfd[1], 1);
		w = write(pfd[1], msg, len);
		if (w < 0 || (size_t)w != len)
			log_warnx("notify: a notification was cut short (%s);"
			    " gspool-notify drops it",
			    w < 0 ? strerror(errno) : "the pipe is full");
		close(pfd[1]);
next:
		explicit_bzero(msg, len);
		free(msg);
	}
}

/* Queue a notification, or drop it when NOTIFY_QUEUE wait already. */
static void
deliver(struct spoold *sd, struct note *n, const char *title)
{
	if (n->too_long) {
		log_warnx("notify: %s: longer than %d bytes; not sent", title,
		    NOTE_MAX);
		free(n->buf);
		return;
	}
	note_add(n, "end", "");
	if (nwaiting == NOTIFY_QUEUE) {
		dropped++;
		log_warnx("notify: %s: %d notifications wait for %ld running;"
		    " this one is dropped (%ld so far)", title, NOTIFY_QUEUE,
		    sd->conf.notify_max, dropped);
		explicit_bzero(n->buf, n->len);
		free(n->buf);
		return;
	}
	waiting[(wfirst + nwaiting) % NOTIFY_QUEUE] = n->buf;
	waiting_len[(wfirst + nwaiting) % NOTIFY_QUEUE] = n->len;
	nwaiting++;
	log_info("notify: %s: %d URL%s", title, n->nurls,
	    n->nurls == 1 ? "" : "s");
	deliver_next(sd);
}

int
notify_reaped(struct spoold *sd, pid_t pid, int status)
{
	int i;

	for (i = 0; i < nrunning; i++) {
		if (running[i] != pid)
			continue;
		running[i] = running[--nrunning];
		if (WIFEXITED(status) && WEXITSTATUS(status) == 2)
			log_warnx("notify: gspool-notify %ld refused its"
			    " notification", (long)pid);
		else if (WIFSIGNALED(status))
			log_warnx("notify: gspool-notify %ld killed by signal"
			    " %d", (long)pid, WTERMSIG(status));
		deliver_next(sd);
		return 1;
	}
	return 0;
}

/* Does the printer's last report show a heater's target above 0? */
static int
heaters_on(const struct printer *p)
{
	const char *s = p->temps;

	while ((s = strchr(s, '/')) != NULL) {
		char *end;
		double v = strtod(s + 1, &end);

		if (end != s + 1 && v > 0)
			return 1;
		s++;
	}
	return 0;
}

static const char *
note_type(int e)
{
	switch (e) {
	case NOTIFY_COMPLETED:
		return "success";
	case NOTIFY_ABORTED:
	case NOTIFY_NOT_RESPONDING:
	case NOTIFY_HEATERS_LEFT_ON:
		return "failure";
	case NOTIFY_PAUSED:
	case NOTIFY_STOPPED:
	case NOTIFY_WAITING:
	case NOTIFY_AWAITING_CLEAR:
	case NOTIFY_APPROVAL:
		return "warning";
	default:
		return "info";
	}
}

/* The events that carry the camera's latest frame. */
static int
with_frame(int e)
{
	return e == NOTIFY_FIRST_LAYER || e == NOTIFY_WAITING ||
	    e == NOTIFY_PAUSED || e == NOTIFY_STOPPED || e == NOTIFY_ABORTED ||
	    e == NOTIFY_CANCELED || e == NOTIFY_COMPLETED ||
	    e == NOTIFY_NOT_RESPONDING || e == NOTIFY_AWAITING_CLEAR;
}

static int
has_filter(const struct conf_printer *cp, const char *name)
{
	int i;

	for (i = 0; i < cp->nfilters; i++)
		if (strcmp(cp->filters[i], name) == 0)
			return 1;
	return 0;
}

/* Notify event e of job id (on printer p, if known). */
static void
apprise_event(struct spoold *sd, int e, long id, struct printer *p,
    const char *reason, const char *who, const char *extra)
{
	const struct conf_notify *seen[5];
	struct note n = { 0 };
	struct job_row j;
	char title[160], jname[96], *frame;
	const char *ename = conf_notify_event_name(e);
	int nseen = 0, have_job;
	struct stat st;

	have_job = id != 0 && queue_get(sd, id, &j) > 0;
	if (p == NULL && have_job)
		p = printer_find(sd, j.ran_on[0] ? j.ran_on : j.printer);
	if (have_job)
		snprintf(jname, sizeof(jname), "%s", j.name);
	else
		snprintf(jname, sizeof(jname), "%s", p ? p->conf->name : "?");

	/* Who hears it: the spool's URLs, the printer's, the owner's. */
	note_urls(&n, &sd->conf.notify_all, e, seen, &nseen);
	if (p != NULL)
		note_urls(&n, &p->conf->notify, e, seen, &nseen);
	if (e == NOTIFY_APPROVAL) {
		struct conf_group *g = have_job && j.approvers[0] ?
		    conf_group(&sd->conf, j.approvers) : NULL;
		struct conf_printer *dp = have_job ?
		    conf_printer(&sd->conf, j.printer) : NULL;

		if (dp != NULL && (p == NULL || dp != p->conf))
			note_urls(&n, &dp->notify, e, seen, &nseen);
		note_urls(&n, g ? &g->notify : NULL, e, seen, &nseen);
	} else if (have_job && j.uid == (long)VIRTUAL_UID) {
		struct conf_account *a = conf_account(&sd->conf, j.owner);

		note_urls(&n, a ? &a->notify : NULL, e, seen, &nseen);
	} else if (have_job) {
		struct conf_user *u = conf_user(&sd->conf, j.owner);

		note_urls(&n, u ? &u->notify : NULL, e, seen, &nseen);
	}
	if (n.nurls == 0) {
		free(n.buf);
		return;
	}

	switch (e) {
	case NOTIFY_FIRST_LAYER:
		snprintf(title, sizeof(title), "%s: first layer done", jname);
		break;
	case NOTIFY_WAITING:
		snprintf(title, sizeof(title), "%s is waiting for you", jname);
		break;
	case NOTIFY_NOT_RESPONDING:
		snprintf(title, sizeof(title), "%s: %s is not responding", jname,
		    p ? p->conf->name : "the printer");
		break;
	case NOTIFY_HEATERS_LEFT_ON:
		snprintf(title, sizeof(title), "%s: heaters left on",
		    p ? p->conf->name : jname);
		break;
	case NOTIFY_AWAITING_CLEAR:
		snprintf(title, sizeof(title), "%s: the bed awaits clearing",
		    p ? p->conf->name : jname);
		break;
	case NOTIFY_APPROVAL:
		snprintf(title, sizeof(title), "%s awaits approval", jname);
		break;
	default:
		snprintf(title, sizeof(title), "%s %s", jname, ename);
		break;
	}
	/* The title reaches apprise's command line: no job's title in
	 * it, only its name. */
	note_add(&n, "title", title);
	note_add(&n, "type", note_type(e));
	note_addf(&n, "body", "event: %s", ename);
	if (have_job) {
		note_addf(&n, "body", "job: %s \"%s\" of %s", jname, j.title,
		    j.owner);
		note_addf(&n, "body", "state: %s", j.state);
	}
	if (p != NULL)
		note_addf(&n, "body", "printer: %s", p->conf->name);
	if (reason != NULL && reason[0] != '\0')
		note_addf(&n, "body", "reason: %s", reason);
	if (who != NULL && who[0] != '\0' &&
	    (p == NULL || strcmp(who, p->conf->name) != 0))
		note_addf(&n, "body", "by: %s", who);
	if (extra != NULL && extra[0] != '\0')
		note_add(&n, "body", extra);
	if (e == NOTIFY_COMPLETED && have_job && p != NULL &&
	    has_filter(p->conf, "timelapse")) {
		note_addf(&n, "body", "timelapse: jobs/%ld/timelapse.mp4 over"
		    " SFTP, %s/%ld.d/timelapse.mp4 on the host, once"
		    " rendered", j.id, sd->dir_jobs, j.id);
	}
	/* The latest frame of the printer's camera, as the timelapse
	 * left it, or as a remote queue's backend mirrored the other
	 * host's (gspool-sftp(8)); gspool-notify copies it before it
	 * sends. */
	if (with_frame(e) && p != NULL && (p->conf->camera != NULL ||
	    (p->conf->scheme != NULL && strcmp(p->conf->scheme, "sftp") ==
	    0))) {
		frame = xasprintf("%s/printers/%s/webcam.jpg",
		    sd->conf.spool_dir, p->conf->name);
		if (stat(frame, &st) == 0 && S_ISREG(st.st_mode))
			note_add(&n, "attach", frame);
		free(frame);
	}
	deliver(sd, &n, title);
}

static void
clear_fired(void *arg)
{
	struct printer *p = arg;
	struct spoold *sd = notify_sd;
	char text[96];

	if (p->job != 0 || !p->d.awaiting_clear ||
	    p->d.last_job != p->clear_job)
		return;
	snprintf(text, sizeof(text), "awaiting clear for %lds: gpc ready %s"
	    " once it is clear", sd->conf.awaiting_clear_notify,
	    p->conf->name);
	apprise_event(sd, NOTIFY_AWAITING_CLEAR, p->clear_job, p, NULL, NULL,
	    text);
}

/* A job event, in the notification events it is (-1: none). */
static int
apprise_kind(const struct job_event *ev)
{
	long layer;
	char *end;

	if (!ev->row) {
		if (strcmp(ev->name, "start") == 0)
			return NOTIFY_STARTED;
		if (strcmp(ev->name, "layer") == 0 && ev->reason != NULL) {
			layer = strtol(ev->reason, &end, 10);
			return layer == 2 && end != ev->reason ?
			    NOTIFY_FIRST_LAYER : -1;
		}
		return -1;
	}
	if (strcmp(ev->name, "waiting") == 0)
		return NOTIFY_WAITING;
	if (strcmp(ev->name, "approval") == 0)
		return NOTIFY_APPROVAL;
	if (strcmp(ev->name, "paused") == 0)
		return NOTIFY_PAUSED;
	if (strcmp(ev->name, "printing") == 0)
		return NOTIFY_RESUMED;
	if (strcmp(ev->name, "not-responding") == 0)
		return NOTIFY_NOT_RESPONDING;
	if (strcmp(ev->name, job_state_name(JOB_STOPPED)) == 0)
		return NOTIFY_STOPPED;
	if (strcmp(ev->name, job_state_name(JOB_ABORTED)) == 0)
		return NOTIFY_ABORTED;
	if (strcmp(ev->name, job_state_name(JOB_CANCELED)) == 0)
		return NOTIFY_CANCELED;
	if (strcmp(ev->name, job_state_name(JOB_COMPLETED)) == 0)
		return NOTIFY_COMPLETED;
	return -1;
}

/* The firmware's own pause (//action:paused: M600, a runout, Klipper's
 * PAUSE), whose prompt, if any, comes as a row "waiting" of its own: it
 * is told as paused, so that a filament change is not told twice. */
static int
firmware_pause(const char *reason)
{
	return reason != NULL && strcmp(reason, "the printer paused the job")
	    == 0;
}

static void
apprise_hear(struct spoold *sd, const struct job_event *ev)
{
	struct printer *p = ev->printer;
	const char *reason = ev->reason;
	int e;

	/* The bed of a printer that does not clear itself holds the
	 * part from the job's end until gpc ready. */
	if (!ev->row && strcmp(ev->name, "end") == 0 && p != NULL &&
	    !p->conf->clears_bed && sd->conf.awaiting_clear_notify > 0) {
		/* The printer's own timer, made once: a reload that
		 * removes the printer frees it with the printer. */
		if (p->clear_timer == NULL)
			p->clear_timer = ev_timer_new(sd->ev, clear_fired, p);
		p->clear_job = ev->job;
		ev_timer_in(p->clear_timer, sd->conf.awaiting_clear_notify *
		    1000);
	}
	/* "paused" comes without the reason, which "pausing" had. */
	if (ev->row && strcmp(ev->name, "pausing") == 0) {
		pausing_job = ev->job;
		snprintf(pausing_why, sizeof(pausing_why), "%s",
		    ev->reason ? ev->reason : "");
	}
	if ((e = apprise_kind(ev)) < 0)
		return;
	if (p == NULL && ev->job != 0)
		p = printer_of_job(sd, ev->job);
	if (e == NOTIFY_PAUSED && (ev->reason == NULL ||
	    ev->reason[0] == '\0') && pausing_job == ev->job)
		reason = pausing_why;
	/* A pause the printer made itself (a complaint, the firmware's
	 * own: M600, a runout) waits for a person to resume: the user is
	 * waited for, as a host prompt's job event says. */
	if (e == NOTIFY_PAUSED && p != NULL && ev->who != NULL &&
	    strcmp(ev->who, p->conf->name) == 0 && !firmware_pause(reason))
		e = NOTIFY_WAITING;
	apprise_event(sd, e, ev->job, p, reason, ev->who,
	    e == NOTIFY_FIRST_LAYER ? "layer 1 is printed" :
	    e == NOTIFY_APPROVAL ? "gpc approve JOB [-r NOTE] releases it;"
	    " gpc deny JOB -r REASON cancels it" : NULL);
	/* A printer that stops answering mid-print with a heater's target
	 * set is hot and unwatched. */
	if (e == NOTIFY_NOT_RESPONDING && p != NULL && heaters_on(p)) {
		char text[300];

		snprintf(text, sizeof(text), "last heard: %s", p->temps);
		apprise_event(sd, NOTIFY_HEATERS_LEFT_ON, ev->job, p,
		    "the printer stopped answering with its heaters on", NULL,
		    text);
	}
}

static void
notify_hear(struct spoold *sd, const struct job_event *ev, void *arg)
{
	(void)arg;
	if (ev->row && ev->job != 0 && sd->conf.notify != NULL)
		hook_run(sd, ev);
	/* Whether any URL is set, as the configuration is now (a reload
	 * may add or remove them). */
	if (ev->job != 0 && conf_notify_any(&sd->conf))
		apprise_hear(sd, ev);
}

void
notify_init(struct spoold *sd)
{
	notify_sd = sd;
	jobev_listen(notify_hear, NULL);
}

void
notify_free(struct spoold *sd)
{
	size_t i;

	for (i = 0; i < sd->nprinters; i++) {
		ev_timer_free(sd->printers[i]->clear_timer);
		sd->printers[i]->clear_timer = NULL;
	}
	while (nwaiting > 0) {
		free(waiting[wfirst]);
		wfirst = (wfirst + 1) % NOTIFY_QUEUE;
		nwaiting--;
	}
}
