/*
 * printer.c - one backend process per printer, and dispatching jobs to
 * them.
 *
 * spoold starts BACKEND_DIR/serial for each printer with a SOCK_SEQPACKET
 * socket as its standard input (gspool-backend(8)).  The backend keeps
 * the port open and reports its state; spoold hands it the next pending
 * job as an open descriptor of the spool file, and records what the
 * backend reports: progress, then the job's end state.
 *
 * A backend that dies is started again after the printer's
 * reconnect_interval; the job it was printing is recorded as stopped,
 * never restarted by itself (a 3D printer cannot print a job twice onto
 * the same bed).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "msg.h"
#include "spoold.h"
#include "util.h"

const char *
printer_state_name(enum printer_state s)
{
	switch (s) {
	case PRINTER_STARTING:		return "starting";
	case PRINTER_CONNECTING:	return "connecting";
	case PRINTER_READY:		return "ready";
	case PRINTER_BUSY:		return "busy";
	case PRINTER_ERROR:		return "error";
	}
	return "?";
}

struct printer *
printer_find(struct spoold *sd, const char *name)
{
	size_t i;

	for (i = 0; i < sd->nprinters; i++)
		if (strcmp(sd->printers[i].conf->name, name) == 0)
			return &sd->printers[i];
	return NULL;
}

void
printer_init(struct spoold *sd)
{
	size_t i;

	sd->nprinters = sd->conf.nprinters;
	sd->printers = xcalloc(sd->nprinters, sizeof(*sd->printers));
	for (i = 0; i < sd->nprinters; i++) {
		sd->printers[i].conf = &sd->conf.printers[i];
		sd->printers[i].sock = -1;
	}
}

void
printer_start(struct spoold *sd, struct printer *p)
{
	char *prog, baud[32], retry[32], hs[32], win[32], rx[32], okt[32];
	char maxt[32];
	int sv[2], i;
	pid_t pid;

	prog = xasprintf("%s/serial", sd->conf.backend_dir);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		log_warn("%s: socketpair", p->conf->name);
		goto retry;
	}
	snprintf(baud, sizeof(baud), "%ld", p->conf->baud);
	snprintf(retry, sizeof(retry), "%ld", p->conf->reconnect_interval);
	snprintf(hs, sizeof(hs), "%ld", p->conf->handshake_timeout);
	snprintf(win, sizeof(win), "%ld", p->conf->window);
	snprintf(rx, sizeof(rx), "%ld", p->conf->rx_buffer);
	snprintf(okt, sizeof(okt), "%ld", p->conf->ok_timeout);
	snprintf(maxt, sizeof(maxt), "%ld", p->conf->max_timeouts);
	switch ((pid = fork())) {
	case -1:
		log_warn("%s: fork", p->conf->name);
		close(sv[0]);
		close(sv[1]);
		goto retry;
	case 0: {
		sigset_t none;

		/* spoold blocks the signals it reads from a signalfd; the
		 * backend must receive them. */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (dup2(sv[1], STDIN_FILENO) < 0 ||
		    dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		execl(prog, "serial", "-b", baud, "-r", retry, "-t", hs,
		    "-w", win, "-x", rx, "-o", okt, "-m", maxt,
		    "-k", p->conf->resend_ok, p->conf->name,
		    p->conf->device_path, (char *)NULL);
		fprintf(stderr, "spoold: %s: cannot run %s: %s\n",
		    p->conf->name, prog, strerror(errno));
		_exit(127);
	}
	}
	close(sv[1]);
	p->pid = pid;
	p->sock = sv[0];
	for (i = 0; i < CONF_SCRIPTS; i++)
		if (msg_send(p->sock, -1, "script", conf_script_names[i],
		    p->conf->script[i], (char *)NULL) < 0)
			log_warn("%s: cannot give the backend its %s G-code",
			    p->conf->name, conf_script_names[i]);
	p->state = PRINTER_STARTING;
	snprintf(p->message, sizeof(p->message), "starting the backend");
	log_debug("%s: backend %s started, pid %ld", p->conf->name, prog,
	    (long)pid);
	free(prog);
	return;
retry:
	free(prog);
	p->restart_at = monotonic_ms() + p->conf->reconnect_interval * 1000;
}

/* The job a printer was printing ends, however it ends. */
static void
printer_job_end(struct spoold *sd, struct printer *p, long id,
    const char *state, const char *reason)
{
	if (id == 0 || id != p->job)
		return;
	p->job = 0;
	if (p->lines_done > 0)
		queue_set_progress(sd, id, p->lines_done, p->layer);
	p->lines_done = 0;
	p->layer = 0;
	p->bytes_done = 0;
	p->activity[0] = '\0';
	if (queue_set_state(sd, id, state, reason, p->conf->name) < 0)
		log_warnx("%s-%ld: could not record the end (%s)",
		    p->conf->name, id, state);
	else
		log_info("%s-%ld: %s%s%s", p->conf->name, id, state,
		    reason && reason[0] ? ": " : "", reason ? reason : "");
	control_job_ended(sd, id);
}

static void
printer_gone(struct spoold *sd, struct printer *p, const char *why)
{
	if (p->sock >= 0)
		close(p->sock);
	p->sock = -1;
	p->state = PRINTER_ERROR;
	snprintf(p->message, sizeof(p->message), "%s", why);
	if (p->job)
		printer_job_end(sd, p, p->job, "stopped", "interrupted: the"
		    " printer's backend exited during the print");
	p->restart_at = monotonic_ms() + p->conf->reconnect_interval * 1000;
}

void
printer_message(struct spoold *sd, struct printer *p)
{
	struct msg m;
	const char *verb;
	long id, v;
	int r;

	r = msg_recv(p->sock, &m);
	if (r < 0 && errno == EBADMSG) {
		log_warnx("%s: malformed message from the backend",
		    p->conf->name);
		return;
	}
	if (r <= 0) {
		if (r < 0 && errno == EAGAIN)
			return;
		printer_gone(sd, p, "the backend exited");
		return;
	}
	if (m.fd >= 0)
		close(m.fd);
	verb = msg_field(&m, 0);
	if (strcmp(verb, "status") == 0) {
		const char *st = msg_field(&m, 1);

		if (strcmp(st, "ready") == 0)
			p->state = PRINTER_READY;
		else if (strcmp(st, "connecting") == 0)
			p->state = PRINTER_CONNECTING;
		else if (strcmp(st, "busy") == 0)
			p->state = PRINTER_BUSY;
		else
			p->state = PRINTER_ERROR;
		snprintf(p->message, sizeof(p->message), "%s",
		    msg_field(&m, 2));
		if (p->state == PRINTER_READY)
			printer_dispatch(sd);
		return;
	}
	if (strcmp(verb, "temps") == 0) {
		snprintf(p->temps, sizeof(p->temps), "%s", msg_field(&m, 1));
		return;
	}
	if (parse_long(msg_field(&m, 1), 1, 2000000000L, &id) < 0) {
		log_warnx("%s: message '%s' without a job id", p->conf->name,
		    verb);
		return;
	}
	if (strcmp(verb, "progress") == 0) {
		if (id == p->job &&
		    parse_long(msg_field(&m, 2), 0, 2000000000L, &v) == 0)
			p->lines_done = v;
		if (id == p->job &&
		    parse_long(msg_field(&m, 4), 0, LONG_MAX, &v) == 0)
			p->bytes_done = v;
		if (id == p->job &&
		    parse_long(msg_field(&m, 3), 0, 2000000000L, &v) == 0 &&
		    v != p->layer) {
			/* Each new layer is recorded: where a job stopped is
			 * known to the layer whatever happens next. */
			p->layer = v;
			queue_set_progress(sd, id, p->lines_done, p->layer);
		}
		return;
	}
	if (strcmp(verb, "job") == 0) {
		/* printing, pausing, paused, canceling: the job's activity,
		 * which its state (processing) does not show. */
		if (id != p->job)
			return;
		snprintf(p->activity, sizeof(p->activity), "%s",
		    msg_field(&m, 2));
		queue_add_event(sd, id, p->activity, msg_field(&m, 3),
		    p->conf->name);
		return;
	}
	if (strcmp(verb, "end") == 0) {
		const char *state = msg_field(&m, 2);

		if (strcmp(state, "pending") == 0 && id == p->job) {
			/* The backend could not start it: try later. */
			p->job = 0;
			queue_set_state(sd, id, "pending", msg_field(&m, 3),
			    p->conf->name);
			return;
		}
		if (!job_state_final(state) && strcmp(state, "stopped") != 0) {
			log_warnx("%s-%ld: backend reported unknown state"
			    " '%s'", p->conf->name, id, state);
			state = "aborted";
		}
		printer_job_end(sd, p, id, state, msg_field(&m, 3));
		printer_dispatch(sd);
		return;
	}
	log_warnx("%s: unknown message '%s' from the backend", p->conf->name,
	    verb);
}

void
printer_reaped(struct spoold *sd, pid_t pid, int status)
{
	char why[128];
	size_t i;

	for (i = 0; i < sd->nprinters; i++) {
		struct printer *p = &sd->printers[i];

		if (p->pid != pid)
			continue;
		p->pid = 0;
		if (WIFSIGNALED(status))
			snprintf(why, sizeof(why), "the backend was killed by"
			    " signal %d", WTERMSIG(status));
		else
			snprintf(why, sizeof(why), "the backend exited with"
			    " status %d", WEXITSTATUS(status));
		log_warnx("%s: %s", p->conf->name, why);
		printer_gone(sd, p, why);
		return;
	}
}

void
printer_dispatch(struct spoold *sd)
{
	size_t i;

	for (i = 0; i < sd->nprinters; i++) {
		struct printer *p = &sd->printers[i];
		char ids[32], *path;
		long id;
		int fd;

		if (p->state != PRINTER_READY || p->job != 0 || p->sock < 0 ||
		    sd->quitting)
			continue;
		if ((id = queue_next_pending(sd, p->conf->name)) <= 0)
			continue;
		path = queue_job_path(sd, id);
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0) {
			log_warn("%s-%ld: %s", p->conf->name, id, path);
			queue_set_state(sd, id, "aborted", "the spool file is"
			    " missing", "spoold");
			free(path);
			control_job_ended(sd, id);
			i--;		/* look at this printer again */
			continue;
		}
		free(path);
		snprintf(ids, sizeof(ids), "%ld", id);
		if (queue_set_state(sd, id, "processing", "", p->conf->name) < 0) {
			close(fd);
			continue;
		}
		if (msg_send(p->sock, fd, "print", ids, (char *)NULL) < 0) {
			log_warn("%s-%ld: cannot hand the job to the backend",
			    p->conf->name, id);
			queue_set_state(sd, id, "pending", "", "spoold");
			close(fd);
			continue;
		}
		close(fd);
		p->job = id;
		p->lines_done = 0;
		log_info("%s-%ld: sent to the printer", p->conf->name, id);
	}
}

int
printer_cancel(struct spoold *sd, long id)
{
	char ids[32];
	size_t i;

	for (i = 0; i < sd->nprinters; i++) {
		struct printer *p = &sd->printers[i];

		if (p->job != id)
			continue;
		snprintf(ids, sizeof(ids), "%ld", id);
		if (p->sock >= 0 &&
		    msg_send(p->sock, -1, "cancel", ids, (char *)NULL) == 0)
			return 1;	/* the backend reports the end */
		printer_job_end(sd, p, id, "canceled", "canceled by request");
		return 1;
	}
	return 0;
}

/* Pass a request about the job a printer is printing to its backend:
 * "pause", "resume" or "estop".  -1 with a reason when it cannot go. */
int
printer_request(struct spoold *sd, struct printer *p, const char *verb,
    char *why, size_t whysz)
{
	char ids[32];

	(void)sd;
	if (p->sock < 0) {
		snprintf(why, whysz, "%s: the printer's backend is not"
		    " running", p->conf->name);
		return -1;
	}
	if (strcmp(verb, "estop") != 0 && p->job == 0) {
		snprintf(why, whysz, "%s: no job is printing", p->conf->name);
		return -1;
	}
	if (strcmp(verb, "pause") == 0 && strcmp(p->activity, "printing") &&
	    p->activity[0] != '\0') {
		snprintf(why, whysz, "%s-%ld is %s", p->conf->name, p->job,
		    p->activity);
		return -1;
	}
	if (strcmp(verb, "resume") == 0 && strcmp(p->activity, "paused")) {
		snprintf(why, whysz, "%s-%ld is not paused", p->conf->name,
		    p->job);
		return -1;
	}
	snprintf(ids, sizeof(ids), "%ld", p->job);
	if (msg_send(p->sock, -1, verb, ids, (char *)NULL) < 0) {
		snprintf(why, whysz, "%s: cannot reach the printer's backend:"
		    " %s", p->conf->name, strerror(errno));
		return -1;
	}
	return 0;
}

long
printer_timeout(struct spoold *sd, long long now)
{
	long long t = -1;
	size_t i;

	for (i = 0; i < sd->nprinters; i++) {
		struct printer *p = &sd->printers[i];

		if (p->pid == 0 && p->sock < 0 &&
		    (t < 0 || p->restart_at < t))
			t = p->restart_at;
	}
	if (t < 0)
		return -1;
	return t <= now ? 0 : (long)(t - now);
}

void
printer_tick(struct spoold *sd, long long now)
{
	size_t i;

	for (i = 0; i < sd->nprinters; i++) {
		struct printer *p = &sd->printers[i];

		if (p->pid == 0 && p->sock < 0 && now >= p->restart_at &&
		    !sd->quitting)
			printer_start(sd, p);
	}
}

void
printer_close_all(struct spoold *sd)
{
	size_t i;

	/* Closing the socket tells a backend to finish its job and exit;
	 * a print in progress is never stopped by spoold going away. */
	for (i = 0; i < sd->nprinters; i++) {
		if (sd->printers[i].sock >= 0)
			close(sd->printers[i].sock);
		sd->printers[i].sock = -1;
	}
}
