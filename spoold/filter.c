/*
 * filter.c - the programs that run beside each job (gspool-filter(7)).
 *
 * A printer's configuration lists its filters (filters = timelapse).
 * When a job starts printing, spoold starts each from filter_dir with
 * CUPS's arguments (job-id user title copies options file) and the
 * printer, the job's folder and the camera in its environment.  It
 * writes the job's events to the filter's standard input, one a line:
 *
 *   start, layer N z=Z, parked N, progress P, paused, resumed,
 *   complaint TEXT, not-responding TEXT, processing, end STATE
 *
 * and reads its standard error: INFO:, WARNING: and ERROR: lines are
 * logged and kept as the job's events, ATTR: name=value lines as the
 * job's attributes (job_attr), UNPARK lets a printer parked for a frame
 * go on, and the exit status is kept as the attribute filter.NAME.exit.
 *
 * A filter never stops a print: its events are written without
 * blocking (one it does not read loses them, and they are counted), its
 * messages are kept at most MSG_RATE a second (the rest counted and
 * dropped; its ATTR: lines, ATTR_MAX at most, are always kept) and as
 * job events EVENTS_MAX at most, its output is read a turn at a time, the files it writes are bounded by filter_max_output
 * (RLIMIT_FSIZE), and once its job has ended it has filter_timeout to
 * finish before it is killed.
 *
 * A filter outlives spoold, as the print does (gspool(7), FILTERS
 * OUTLIVE SPOOLD).  It runs in a session of its own, and the job's
 * backend is given a copy of both its pipes (backend_keep_filter), so
 * that it never reads the end of its events while the job prints.
 * Once the backend says "kept" (filter-kept), the layers and parks are
 * the backend's to write that filter, and no longer ours.  A spoold
 * that re-attaches gets the pipes back (filter-pipe) and follows the
 * filter it did not start by a pidfd: not our child, its exit is seen
 * there and recorded without a status, which went to its reaper.
 *
 * It hears all that as job events (jobev.c): nothing that runs a job
 * calls into this file.
 *
 * Security: a filter is a program of filter_dir, but what it says may
 * come from a camera or a network it reads, so its standard error is
 * taken as anyone's: a line is cut at the buffer's length, an ATTR:
 * name must be a safe name of at most 64 bytes and its value is cleaned
 * of control bytes, and the rates above bound what it costs the queue.
 * A filter started by an earlier spoold is signalled through its pidfd
 * only, never by a pid that may be another process's by now.
 *
 * Diagnostics: each line a filter writes is logged with the job and the
 * filter's name ("mk3-12: filter timelapse: ..."), a malformed ATTR:
 * line or a bad name once with why, and its exit with its status.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jobstate.h"
#include "log.h"
#include "proto.h"
#include "spoold.h"
#include "util.h"

#define MSG_RATE	20	/* messages kept a second, per filter */
#define ATTR_MAX	64	/* attributes kept, per filter */
#define EVENTS_MAX	500	/* messages kept as job events, per filter */
#define READ_MAX	65536	/* bytes read from a filter in one turn */

static struct filter *
filter_slot(struct spoold *sd)
{
	size_t i;

	for (i = 0; i < MAX_FILTERS; i++)
		if (sd->filters[i].pid == 0 && sd->filters[i].err < 0 &&
		    sd->filters[i].in < 0 && sd->filters[i].pidfd < 0)
			return &sd->filters[i];
	return NULL;
}

static struct spoold *filter_sd;	/* for the loop's callbacks */
static struct ev_timer *filter_timer;	/* the first filter's deadline */
static void	filter_read(struct spoold *, struct filter *);
static void	filter_arm(struct spoold *);
static void	filter_tick(void *);
static void	filter_hear(struct spoold *, const struct job_event *, void *);
static void	filter_gone(struct spoold *, struct filter *);
static void	filter_exit_attrs(struct spoold *, struct filter *,
		    const char *);

static void
filter_readable(int fd, int revents, void *arg)
{
	(void)fd;
	(void)revents;
	filter_read(filter_sd, arg);
}

void
filter_init(struct spoold *sd)
{
	size_t i;

	filter_sd = sd;
	filter_timer = ev_timer_new(sd->ev, filter_tick, sd);
	jobev_listen(filter_hear, NULL);
	for (i = 0; i < MAX_FILTERS; i++) {
		memset(&sd->filters[i], 0, sizeof(sd->filters[i]));
		sd->filters[i].in = sd->filters[i].err = -1;
		sd->filters[i].pidfd = -1;
	}
}

static void
filter_attr(struct spoold *sd, struct filter *f, const char *what,
    const char *value)
{
	char name[96];

	snprintf(name, sizeof(name), "filter.%s.%s", f->name, what);
	queue_set_attr(sd, f->job, name, value);
}

/* Start one filter for the job a printer has begun. */
static void
filter_start(struct spoold *sd, struct printer *p, const struct job_row *j,
    const char *name)
{
	char *prog, *jobdir, *pdir, *pdirs, *webcam, *file, ids[32], jname[96];
	char copies[16], copy[16];
	int in[2] = { -1, -1 }, err[2] = { -1, -1 };
	struct filter *f;
	pid_t pid;

	if ((f = filter_slot(sd)) == NULL) {
		log_warnx("%s: too many filters running; %s not started",
		    queue_job_name(sd, j->id, p->conf->name), name);
		queue_set_attr(sd, j->id, "filter.error", "too many filters"
		    " running");
		return;
	}
	prog = xasprintf("%s/%s", sd->conf.filter_dir, name);
	jobdir = xasprintf("%s/%ld.d", sd->dir_jobs, j->id);
	pdirs = xasprintf("%s/printers", sd->conf.spool_dir);
	pdir = xasprintf("%s/%s", pdirs, p->conf->name);
	webcam = xasprintf("%s/webcam.jpg", pdir);
	file = queue_job_path(sd, j->id);
	snprintf(ids, sizeof(ids), "%ld", j->id);
	snprintf(jname, sizeof(jname), "%s", queue_job_name(sd, j->id,
	    p->conf->name));
	snprintf(copies, sizeof(copies), "%d", j->copies);
	snprintf(copy, sizeof(copy), "%d", j->copies_done + 1);
	if (mkdir_exist_ok(jobdir, 0755) < 0 ||
	    mkdir_exist_ok(pdirs, 0755) < 0 || mkdir_exist_ok(pdir, 0755) < 0 ||
	    pipe2(in, O_CLOEXEC | O_NONBLOCK) < 0 ||
	    pipe2(err, O_CLOEXEC | O_NONBLOCK) < 0) {
		log_warn("%s: filter %s", jname, name);
		goto fail;
	}
	switch ((pid = fork())) {
	case -1:
		log_warn("%s: filter %s: fork", jname, name);
		goto fail;
	case 0: {
		struct rlimit rl;
		sigset_t none;
		int null;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		/* Its own session: spoold's end, or a signal to spoold's
		 * group, is not the filter's (it outlives spoold). */
		setsid();
		rl.rlim_cur = rl.rlim_max = (rlim_t)sd->conf.filter_max_output;
		setrlimit(RLIMIT_FSIZE, &rl);
		fd_set_nonblock(in[0], 0);
		null = open("/dev/null", O_WRONLY);
		if (dup2(in[0], STDIN_FILENO) < 0 || null < 0 ||
		    dup2(null, STDOUT_FILENO) < 0 ||
		    dup2(err[1], STDERR_FILENO) < 0 || chdir(jobdir) < 0)
			_exit(127);
		setenv("GSPOOL_PRINTER", p->conf->name, 1);
		setenv("GSPOOL_JOB", ids, 1);
		setenv("GSPOOL_JOB_NAME", j->name, 1);
		setenv("GSPOOL_JOB_DIR", jobdir, 1);
		setenv("GSPOOL_WEBCAM", webcam, 1);
		setenv("GSPOOL_COPY", copy, 1);
		if (p->conf->camera != NULL)
			setenv("GSPOOL_CAMERA", p->conf->camera, 1);
		else
			unsetenv("GSPOOL_CAMERA");
		execl(prog, name, ids, j->owner, j->title, copies,
		    p->conf->filter_options ? p->conf->filter_options : "", file,
		    (char *)NULL);
		fprintf(stderr, "ERROR: cannot run %s: %s\n", prog,
		    strerror(errno));
		_exit(127);
	}
	}
	close(in[0]);
	close(err[1]);
	memset(f, 0, sizeof(*f));
	f->pidfd = -1;
	f->pid = pid;
	f->in = in[1];
	f->err = err[0];
	f->io = ev_io_add(sd->ev, f->err, EV_READ, filter_readable, f);
	f->job = j->id;
	snprintf(f->printer, sizeof(f->printer), "%s", p->conf->name);
	f->progress = -1;
	snprintf(f->name, sizeof(f->name), "%s", name);
	log_info("%s: filter %s started, pid %ld", jname, name, (long)pid);
	filter_send_one(f, proto_filter_name(FEV_START));
	/* Copies of both pipes to the backend, which outlives us: the
	 * filter then never reads the end of its events while the job
	 * prints, and a new spoold gets them back (gspool(7)).  Its
	 * layers are ours to write until the backend says "kept". */
	if (backend_keep_filter(sd, p, j->id, name, pid, "in", f->in) == 0)
		backend_keep_filter(sd, p, j->id, name, pid, "err", f->err);
	goto done;
fail:
	if (in[0] >= 0) {
		close(in[0]);
		close(in[1]);
	}
	if (err[0] >= 0) {
		close(err[0]);
		close(err[1]);
	}
	queue_set_attr(sd, j->id, "filter.error", "a filter could not be"
	    " started");
done:
	free(prog);
	free(jobdir);
	free(pdirs);
	free(pdir);
	free(webcam);
	free(file);
}

static void
filter_job_start(struct spoold *sd, struct printer *p, long id)
{
	struct job_row j;
	int i;

	if (p->conf->nfilters == 0 || queue_get(sd, id, &j) <= 0)
		return;
	for (i = 0; i < p->conf->nfilters; i++)
		filter_start(sd, p, &j, p->conf->filters[i]);
}

/* One event to one filter, without waiting: a filter that does not
 * read loses it. */
void
filter_send_one(struct filter *f, const char *event)
{
	char line[128];
	int n;

	if (f->in < 0)
		return;
	n = snprintf(line, sizeof(line), "%s\n", event);
	if (write(f->in, line, (size_t)n) != n) {
		if (errno == EPIPE) {
			close(f->in);
			f->in = -1;
		} else
			f->events_lost++;
	}
}

/* An event to the job's filters; with ours_only, not to those whose
 * backend writes it them (a layer, a park: filter-kept). */
static void
filter_event(struct spoold *sd, long id, const char *event, int ours_only)
{
	size_t i;

	for (i = 0; i < MAX_FILTERS; i++)
		if (sd->filters[i].job == id && sd->filters[i].in >= 0 &&
		    !(ours_only && sd->filters[i].by_backend))
			filter_send_one(&sd->filters[i], event);
}

/* Progress in whole percent, sent when it changes. */
static void
filter_progress(struct spoold *sd, long id, long long done, long long size)
{
	char ev[32], n[16];
	size_t i;
	int pc;

	if (size <= 0)
		return;
	/* The backend's count, bounded by the file before the sum. */
	if (done < 0)
		done = 0;
	if (done > size)
		done = size;
	pc = (int)((double)done * 100 / (double)size);
	for (i = 0; i < MAX_FILTERS; i++) {
		struct filter *f = &sd->filters[i];

		if (f->job != id || f->in < 0 || f->progress == pc)
			continue;
		f->progress = pc;
		snprintf(n, sizeof(n), "%d", pc);
		if (proto_filter_line(ev, sizeof(ev), FEV_PROGRESS, n) >= 0)
			filter_send_one(f, ev);
	}
}

/* The job has ended: its filters hear how, and have filter_timeout. */
static void
filter_job_end(struct spoold *sd, long id, const char *state)
{
	char ev[64], n[32];
	size_t i;

	if (proto_filter_line(ev, sizeof(ev), FEV_END, state) < 0)
		snprintf(ev, sizeof(ev), "%s %s", proto_filter_name(FEV_END),
		    job_state_name(JOB_ABORTED));
	for (i = 0; i < MAX_FILTERS; i++) {
		struct filter *f = &sd->filters[i];

		if (f->job != id || f->in < 0)
			continue;
		filter_send_one(f, ev);
		if (f->in >= 0)
			close(f->in);
		f->in = -1;
		f->deadline = monotonic_ms() + sd->conf.filter_timeout * 1000;
		filter_arm(sd);
		if (f->events_lost > 0) {
			snprintf(n, sizeof(n), "%ld", f->events_lost);
			filter_attr(sd, f, "events_lost", n);
		}
	}
}

/* One line of a filter's standard error. */
static void
filter_line(struct spoold *sd, struct filter *f, char *line)
{
	char text[600], *eq;
	long long now = monotonic_ms();

	if (strcmp(line, "UNPARK") == 0) {
		printer_unpark(sd, f->job);
		return;
	}
	if (strncmp(line, "ATTR:", 5) == 0) {
		char *name = line + 5;

		while (*name == ' ')
			name++;
		if ((eq = strchr(name, '=')) == NULL) {
			log_warnx("%s: filter %s: ATTR without '=': %s",
			    queue_job_name(sd, f->job, f->printer), f->name,
			    name);
			return;
		}
		*eq = '\0';
		if (!name_is_safe(name, 64)) {
			log_warnx("%s: filter %s: bad attribute name",
			    queue_job_name(sd, f->job, f->printer), f->name);
			return;
		}
		if (f->attrs++ >= ATTR_MAX)
			return;
		clean_text(text, sizeof(text), eq + 1);
		queue_set_attr(sd, f->job, name, text);
		return;
	}
	if (now - f->window >= 1000) {
		if (f->dropped > 0)
			log_warnx("%s: filter %s: %ld messages dropped (more"
			    " than %d a second)", queue_job_name(sd, f->job,
			    f->printer),
			    f->name, f->dropped, MSG_RATE);
		f->window = now;
		f->in_window = 0;
		f->dropped = 0;
	}
	if (++f->in_window > MSG_RATE) {
		f->dropped++;
		f->total_dropped++;
		return;
	}
	clean_text(text, sizeof(text), line);
	if (strncmp(text, "ERROR:", 6) == 0 ||
	    strncmp(text, "WARNING:", 8) == 0) {
		log_warnx("%s: filter %s: %s", queue_job_name(sd, f->job,
		    f->printer), f->name, text);
		if (f->events++ < EVENTS_MAX)
			queue_add_event(sd, f->job, "filter", text, f->name);
	} else if (strncmp(text, "INFO:", 5) == 0) {
		log_info("%s: filter %s: %s", queue_job_name(sd, f->job,
		    f->printer), f->name, text);
		if (f->events++ < EVENTS_MAX)
			queue_add_event(sd, f->job, "filter", text, f->name);
	} else
		log_info("%s: filter %s says: %s", queue_job_name(sd, f->job,
		    f->printer), f->name, text);
}

static void
filter_read(struct spoold *sd, struct filter *f)
{
	char buf[4096];
	size_t i, total = 0;
	ssize_t n;

	/* A turn's worth: a filter that never stops writing does not hold
	 * the loop. */
	while (total < READ_MAX) {
		n = read(f->err, buf, sizeof(buf));
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			if (f->len > 0) {
				f->buf[f->len] = '\0';
				filter_line(sd, f, f->buf);
			}
			ev_io_del(f->io);
			f->io = NULL;
			close(f->err);
			f->err = -1;
			if (f->adopted && f->pidfd < 0 && f->pid != 0)
				filter_gone(sd, f);
			return;
		}
		total += (size_t)n;
		for (i = 0; i < (size_t)n; i++) {
			if (buf[i] == '\n') {
				f->buf[f->len] = '\0';
				filter_line(sd, f, f->buf);
				f->len = 0;
			} else if (f->len < sizeof(f->buf) - 1)
				f->buf[f->len++] = buf[i];
		}
	}
}

/* A child is reaped: 1 if it was a filter. */
int
filter_reaped(struct spoold *sd, pid_t pid, int status)
{
	char how[64];
	size_t i;

	for (i = 0; i < MAX_FILTERS; i++) {
		struct filter *f = &sd->filters[i];

		if (f->pid != pid || f->adopted)
			continue;
		if (WIFSIGNALED(status))
			snprintf(how, sizeof(how), "signal %d%s",
			    WTERMSIG(status), f->killed ? " (timeout)" : "");
		else
			snprintf(how, sizeof(how), "%d", WEXITSTATUS(status));
		filter_exit_attrs(sd, f, how);
		log_info("%s: filter %s exited: %s", queue_job_name(sd, f->job,
		    f->printer), f->name, how);
		f->pid = 0;
		if (f->in >= 0)
			close(f->in);
		f->in = -1;
		return 1;
	}
	return 0;
}

/* Kill the filters whose time after their job is up. */
static void
filter_tick(void *arg)
{
	struct spoold *sd = arg;
	long long now = monotonic_ms();
	size_t i;

	for (i = 0; i < MAX_FILTERS; i++) {
		struct filter *f = &sd->filters[i];

		if (f->pid == 0 || f->deadline == 0 || now < f->deadline ||
		    f->killed)
			continue;
		log_warnx("%s: filter %s still runs %ld s after its job;"
		    " killed", queue_job_name(sd, f->job, f->printer), f->name,
		    sd->conf.filter_timeout);
		/* One an earlier spoold started is known by its pidfd,
		 * never by a pid that may be another's by now. */
		if (!f->adopted)
			kill(f->pid, SIGKILL);
		else if (f->pidfd >= 0)
			pidfd_send_signal(f->pidfd, SIGKILL, NULL, 0);
		f->killed = 1;
	}
	filter_arm(sd);
}

/* The timer at the first filter's deadline. */
static void
filter_arm(struct spoold *sd)
{
	long long t = -1;
	size_t i;

	for (i = 0; i < MAX_FILTERS; i++) {
		struct filter *f = &sd->filters[i];

		if (f->pid != 0 && f->deadline != 0 && !f->killed &&
		    (t < 0 || f->deadline < t))
			t = f->deadline;
	}
	if (t < 0)
		ev_timer_stop(filter_timer);
	else
		ev_timer_at(filter_timer, t);
}

static struct filter *
filter_find(struct spoold *sd, long id, const char *name, pid_t pid)
{
	size_t i;

	for (i = 0; i < MAX_FILTERS; i++) {
		struct filter *f = &sd->filters[i];

		if (f->job == id && f->pid == pid && f->pid != 0 &&
		    strcmp(f->name, name) == 0)
			return f;
	}
	return NULL;
}

/* The filters' counts, kept with the job as it exits. */
static void
filter_exit_attrs(struct spoold *sd, struct filter *f, const char *how)
{
	char n[32];

	filter_attr(sd, f, "exit", how);
	if (f->total_dropped > 0) {
		snprintf(n, sizeof(n), "%ld", f->total_dropped);
		filter_attr(sd, f, "messages_dropped", n);
	}
}

/* A filter an earlier spoold started has exited: its last words read,
 * its end recorded.  Its status went to whoever reaped it (it is not
 * our child), so the attribute says so. */
static void
filter_gone(struct spoold *sd, struct filter *f)
{
	int turns = 0;

	while (f->err >= 0 && turns++ < 64)
		filter_read(sd, f);
	filter_exit_attrs(sd, f, "unknown (started by an earlier spoold)");
	log_info("%s: filter %s exited (started by an earlier spoold:"
	    " its status is not known here)", queue_job_name(sd, f->job,
	    f->printer),
	    f->name);
	f->pid = 0;
	ev_io_del(f->pidio);
	f->pidio = NULL;
	if (f->pidfd >= 0)
		close(f->pidfd);
	f->pidfd = -1;
	if (f->in >= 0)
		close(f->in);
	f->in = -1;
	if (f->err >= 0) {
		ev_io_del(f->io);
		f->io = NULL;
		close(f->err);
		f->err = -1;
	}
	filter_arm(sd);
}

static void
filter_exited(int fd, int revents, void *arg)
{
	(void)fd;
	(void)revents;
	filter_gone(filter_sd, arg);
}

/*
 * filter-pipe: a filter an earlier spoold started, one of whose pipes
 * its backend kept and hands back now.  Followed as our own are, but
 * by its pidfd: its events go on (the backend writes its layers and
 * parks, we the rest), its words are read, its exit recorded.  A pid
 * that is no filter's (not the leader of its own session, as each
 * filter is) is not followed.
 */
static void
filter_adopt(struct spoold *sd, const struct job_event *ev)
{
	struct printer *p = ev->printer;
	struct filter *f = filter_find(sd, ev->job, ev->reason,
	    (pid_t)ev->pid);
	int in = strcmp(ev->who, "in") == 0, fd;

	if (!name_is_safe(ev->reason, CONF_NAME_MAX)) {
		log_warnx("%s: a filter's pipe with a bad name; ignored",
		    queue_job_name(sd, ev->job, p->conf->name));
		return;
	}
	if (f == NULL) {
		int pidfd = pidfd_open((pid_t)ev->pid, 0);

		if (pidfd < 0 && errno != ESRCH) {
			log_warn("%s: filter %s (pid %ld) cannot be"
			    " followed", queue_job_name(sd, ev->job,
			    p->conf->name), ev->reason,
			    ev->pid);
			return;
		}
		errno = 0;
		if (pidfd >= 0 && getsid((pid_t)ev->pid) != (pid_t)ev->pid &&
		    errno != ESRCH) {
			log_warnx("%s: pid %ld is not filter %s's; not"
			    " followed", queue_job_name(sd, ev->job,
			    p->conf->name), ev->pid,
			    ev->reason);
			close(pidfd);
			return;
		}
		if ((f = filter_slot(sd)) == NULL) {
			log_warnx("%s: too many filters running; %s not"
			    " followed", queue_job_name(sd, ev->job,
			    p->conf->name), ev->reason);
			if (pidfd >= 0)
				close(pidfd);
			return;
		}
		memset(f, 0, sizeof(*f));
		f->in = f->err = -1;
		f->pid = (pid_t)ev->pid;
		f->adopted = 1;
		f->by_backend = 1;
		f->pidfd = pidfd;
		f->job = ev->job;
		snprintf(f->printer, sizeof(f->printer), "%s", p->conf->name);
		f->progress = -1;
		snprintf(f->name, sizeof(f->name), "%s", ev->reason);
		log_info("%s: filter %s followed again, pid %ld%s",
		    queue_job_name(sd, f->job, p->conf->name), f->name, ev->pid,
		    p->job == f->job ?
		    "" : "; its job has ended");
		if (p->job != f->job) {
			/* It heard the end from the backend. */
			f->deadline = monotonic_ms() +
			    sd->conf.filter_timeout * 1000;
			filter_arm(sd);
		}
	}
	if ((in ? f->in : f->err) >= 0 || (in && p->job != f->job))
		return;
	if ((fd = fcntl(ev->fd, F_DUPFD_CLOEXEC, 3)) < 0) {
		log_warn("%s: filter %s", queue_job_name(sd, f->job,
		    p->conf->name), f->name);
		return;
	}
	fd_set_nonblock(fd, 1);
	if (in)
		f->in = fd;
	else {
		f->err = fd;
		f->io = ev_io_add(sd->ev, fd, EV_READ, filter_readable, f);
		/* Its exit is watched once its last words can be read
		 * (the backend gives its messages' pipe after its
		 * events'). */
		if (f->pidfd >= 0 && f->pidio == NULL)
			f->pidio = ev_io_add(sd->ev, f->pidfd, EV_READ,
			    filter_exited, f);
	}
}

/* A job's events, as its filters hear them (gspool-filter(7)). */
static void
filter_hear(struct spoold *sd, const struct job_event *ev, void *arg)
{
	char line[640];

	(void)arg;
	if (ev->job == 0)
		return;
	if (ev->row) {
		/* The rows of the job's history a filter hears. */
		if (strcmp(ev->name, "paused") == 0)
			filter_event(sd, ev->job,
			    proto_filter_name(FEV_PAUSED), 0);
		else if (strcmp(ev->name, "printing") == 0)
			filter_event(sd, ev->job,
			    proto_filter_name(FEV_RESUMED), 0);
		else if (strcmp(ev->name, "waiting") == 0) {
			if (proto_filter_line(line, sizeof(line),
			    FEV_WAITING, ev->reason) >= 0)
				filter_event(sd, ev->job, line, 0);
		} else if (strcmp(ev->name, "complaint") == 0) {
			if (proto_filter_line(line, sizeof(line),
			    FEV_COMPLAINT, ev->reason) >= 0)
				filter_event(sd, ev->job, line, 0);
		} else if (strcmp(ev->name, "not-responding") == 0) {
			snprintf(line, sizeof(line), "%s %s", ev->name,
			    ev->reason ? ev->reason : "");
			filter_event(sd, ev->job, line, 0);
		} else if (strcmp(ev->name, "processing") == 0 &&
		    ev->reason != NULL &&
		    strcmp(ev->reason, JOB_ANSWERS_AGAIN) == 0)
			filter_event(sd, ev->job, "processing", 0);
		return;
	}
	if (strcmp(ev->name, "start") == 0 && ev->printer != NULL)
		filter_job_start(sd, ev->printer, ev->job);
	else if (strcmp(ev->name, "end") == 0)
		filter_job_end(sd, ev->job, ev->reason);
	else if (strcmp(ev->name, "progress") == 0)
		filter_progress(sd, ev->job, ev->done, ev->size);
	else if (strcmp(ev->name, "layer") == 0 ||
	    strcmp(ev->name, "parked") == 0) {
		if (proto_filter_line(line, sizeof(line), ev->name[0] == 'l' ?
		    FEV_LAYER : FEV_PARKED, ev->reason) >= 0)
			filter_event(sd, ev->job, line, 1);
	} else if (strcmp(ev->name, "filter-kept") == 0) {
		struct filter *f = filter_find(sd, ev->job, ev->reason,
		    (pid_t)ev->pid);

		if (f != NULL)
			f->by_backend = 1;
	} else if (strcmp(ev->name, "filter-pipe") == 0 && ev->printer != NULL)
		filter_adopt(sd, ev);
}
