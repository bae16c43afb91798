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
 *
 * Backends outlive spoold.  Each listens on SPOOL/run/PRINTER.sock while
 * it prints; a starting spoold connects there first (printer_attach_all)
 * and follows the job the backend reports in its "hello".  Each backend
 * also writes how a job ended to SPOOL/run/PRINTER.end before it tells
 * spoold, so an end no spoold heard is recorded by the next one
 * (printer_recover); spoold removes the file once it has recorded it.
 *
 * After a job ends its printer waits in awaiting-clear until gpc ready,
 * unless it clears its own bed (clears_bed), in which case between_jobs
 * runs before the next job.  Jobs for a class go to the first ready
 * member, round robin.
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
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "gcode.h"
#include "crash.h"
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
		queue_dest_load(sd, sd->conf.printers[i].name,
		    &sd->printers[i].d);
	}
	sd->classes = xcalloc(sd->conf.nclasses + 1, sizeof(*sd->classes));
	for (i = 0; i < sd->conf.nclasses; i++)
		queue_dest_load(sd, sd->conf.classes[i].name, &sd->classes[i]);
}

/* What an operator set on a printer or a class. */
struct dest *
dest_find(struct spoold *sd, const char *name)
{
	struct printer *p;
	size_t i;

	if ((p = printer_find(sd, name)) != NULL)
		return &p->d;
	for (i = 0; i < sd->conf.nclasses; i++)
		if (strcmp(sd->conf.classes[i].name, name) == 0)
			return &sd->classes[i];
	return NULL;
}

int
dest_known(struct spoold *sd, const char *name)
{
	return conf_printer(&sd->conf, name) != NULL ||
	    conf_class(&sd->conf, name) != NULL;
}

void
dest_save(struct spoold *sd, const char *name)
{
	struct dest *d = dest_find(sd, name);

	if (d != NULL)
		queue_dest_save(sd, name, d);
}

/* The end a backend kept in SPOOL/run/PRINTER.end: 1 if it is job id's,
 * with its state, reason, lines and layer. */
static int
end_file_read(struct spoold *sd, const char *printer, long id, char *state,
    size_t statesz, char *reason, size_t reasonsz, long *lines, long *layer)
{
	char *path = xasprintf("%s/%s.end", sd->dir_run, printer);
	char line[1024], *f[5], *s, *save = NULL;
	FILE *fp;
	long v;
	int n = 0;

	fp = fopen(path, "re");
	free(path);
	if (fp == NULL)
		return 0;
	if (fgets(line, sizeof(line), fp) == NULL) {
		fclose(fp);
		return 0;
	}
	fclose(fp);
	line[strcspn(line, "\n")] = '\0';
	for (s = line; n < 5; s = NULL) {
		f[n] = strtok_r(s, "\t", &save);
		if (f[n] == NULL)
			break;
		n++;
	}
	if (n < 4 || parse_long(f[0], 1, 2000000000L, &v) < 0 || v != id)
		return 0;
	snprintf(state, statesz, "%s", f[1]);
	snprintf(reason, reasonsz, "%s", n == 5 ? f[4] : "");
	if (parse_long(f[2], 0, 2000000000L, lines) < 0)
		*lines = 0;
	if (parse_long(f[3], 0, 2000000000L, layer) < 0)
		*layer = 0;
	if (!job_state_final(state) && strcmp(state, "stopped") != 0)
		snprintf(state, statesz, "aborted");
	return 1;
}

static void
end_file_remove(struct spoold *sd, const char *printer)
{
	char *path = xasprintf("%s/%s.end", sd->dir_run, printer);

	unlink(path);
	free(path);
}

static void
send_scripts(struct printer *p)
{
	int i;

	for (i = 0; i < CONF_SCRIPTS; i++)
		if (msg_send(p->sock, -1, "script", conf_script_names[i],
		    p->conf->script[i], (char *)NULL) < 0)
			log_warn("%s: cannot give the backend its %s G-code",
			    p->conf->name, conf_script_names[i]);
}

void
printer_start(struct spoold *sd, struct printer *p)
{
	char *prog, baud[32], retry[32], hs[32], win[32], rx[32], okt[32];
	char maxt[32], parkt[32], heat[32];
	int sv[2];
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
	snprintf(parkt, sizeof(parkt), "%ld", p->conf->park_timeout);
	snprintf(heat, sizeof(heat), "%ld", p->conf->heaters_off_after);
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
		execl(prog, "serial", "-d", sd->dir_run, "-b", baud, "-r",
		    retry, "-t", hs,
		    "-w", win, "-x", rx, "-o", okt, "-m", maxt, "-p", parkt,
		    "-H", heat, "-u", p->conf->on_unknown_command,
		    "-k", p->conf->resend_ok, p->conf->name,
		    p->conf->device_path, (char *)NULL);
		fprintf(stderr, "spoold: %s: cannot run %s: %s\n",
		    p->conf->name, prog, strerror(errno));
		_exit(127);
	}
	}
	close(sv[1]);
	p->pid = pid;
	p->backend_pid = pid;
	p->attached = 0;
	p->sock = sv[0];
	send_scripts(p);
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

/* The job a printer was printing ends, however it ends.  A completed
 * copy of a job with more to print puts it back in the queue.  The bed
 * now holds what was printed: the printer waits to be cleared. */
static void
printer_job_end(struct spoold *sd, struct printer *p, long id,
    const char *state, const char *reason)
{
	int more = 0;

	if (id == 0 || id != p->job)
		return;
	p->job = 0;
	if (p->lines_done > 0)
		queue_set_progress(sd, id, p->lines_done, p->layer);
	p->lines_done = 0;
	p->layer = 0;
	p->bytes_done = 0;
	p->activity[0] = '\0';
	if (strcmp(state, "completed") == 0)
		more = queue_copy_done(sd, id, p->conf->name);
	else
		more = queue_set_state(sd, id, state, reason, p->conf->name);
	if (more < 0)
		log_warnx("%s-%ld: could not record the end (%s)",
		    p->conf->name, id, state);
	else
		log_info("%s-%ld: %s%s%s%s", p->conf->name, id, state,
		    reason && reason[0] ? ": " : "", reason ? reason : "",
		    more > 0 ? "; another copy to print" : "");
	crash_point("ended");
	filter_job_end(sd, id, more > 0 ? "completed" : state);
	end_file_remove(sd, p->conf->name);
	if (!p->conf->clears_bed)
		log_info("%s: awaiting-clear: the bed holds job %ld; gpc ready"
		    " %s when it is clear", p->conf->name, id, p->conf->name);
	if (more <= 0)
		control_job_ended(sd, id);
	sd->next_expire = 0;		/* a sweep of the history soon */
}

static void
printer_gone(struct spoold *sd, struct printer *p, const char *why)
{
	char state[16], reason[512];
	long lines, layer;

	control_manual_done(sd, p, 0, why);
	if (p->sock >= 0)
		close(p->sock);
	p->sock = -1;
	p->attached = 0;
	p->state = PRINTER_ERROR;
	snprintf(p->message, sizeof(p->message), "%s", why);
	if (p->job && end_file_read(sd, p->conf->name, p->job, state,
	    sizeof(state), reason, sizeof(reason), &lines, &layer)) {
		/* It ended, and said so where we look, but not to us. */
		p->lines_done = lines;
		p->layer = layer;
		printer_job_end(sd, p, p->job, state, reason);
	} else if (p->job)
		printer_job_end(sd, p, p->job, "stopped", "interrupted: the"
		    " printer's backend exited during the print");
	p->restart_at = monotonic_ms() + p->conf->reconnect_interval * 1000;
}

/* A backend left printing by an earlier spoold: connect to it and learn
 * the job it prints from its hello.  1 if attached. */
static int
printer_attach(struct spoold *sd, struct printer *p)
{
	struct timeval tv = { .tv_sec = 5 };
	struct sockaddr_un sun;
	struct job_row j;
	struct msg m;
	char *path = xasprintf("%s/%s.sock", sd->dir_run, p->conf->name);
	long pid, id, v;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		free(path);
		return 0;
	}
	strcpy(sun.sun_path, path);
	free(path);
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) < 0)
		return 0;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		close(fd);
		return 0;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (msg_recv(fd, &m) <= 0 || strcmp(msg_field(&m, 0), "hello") != 0 ||
	    parse_long(msg_field(&m, 1), 1, LONG_MAX, &pid) < 0 ||
	    parse_long(msg_field(&m, 2), 0, 2000000000L, &id) < 0) {
		log_warnx("%s: a backend left running did not greet us;"
		    " starting a new one", p->conf->name);
		close(fd);
		return 0;
	}
	if (m.fd >= 0)
		close(m.fd);
	tv.tv_sec = 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	p->sock = fd;
	p->pid = 0;			/* not our child */
	p->backend_pid = (pid_t)pid;
	p->attached = 1;
	p->state = PRINTER_STARTING;
	snprintf(p->message, sizeof(p->message), "re-attached to its"
	    " backend");
	if (id != 0 && queue_get(sd, id, &j) > 0 &&
	    strcmp(j.state, "processing") == 0 &&
	    strcmp(j.ran_on[0] ? j.ran_on : j.printer, p->conf->name) == 0) {
		p->job = id;
		p->job_size = j.size;
		if (parse_long(msg_field(&m, 3), 0, 2000000000L, &v) == 0)
			p->lines_done = v;
		if (parse_long(msg_field(&m, 4), 0, 2000000000L, &v) == 0)
			p->layer = v;
		if (parse_long(msg_field(&m, 5), 0, LONG_MAX, &v) == 0)
			p->bytes_done = v;
		snprintf(p->activity, sizeof(p->activity), "%s",
		    msg_field(&m, 6));
		queue_add_event(sd, id, "re-attached", "spoold restarted; the"
		    " print went on", "spoold");
		log_info("%s-%ld: re-attached to backend %ld: the print goes"
		    " on at line %ld", p->conf->name, id, pid, p->lines_done);
	} else if (id != 0) {
		char ids[32];

		log_warnx("%s: its backend prints job %ld, which the queue"
		    " does not have printing there; canceling it",
		    p->conf->name, id);
		snprintf(ids, sizeof(ids), "%ld", id);
		msg_send(fd, -1, "cancel", ids, (char *)NULL);
	} else
		log_info("%s: re-attached to backend %ld", p->conf->name, pid);
	send_scripts(p);
	return 1;
}

void
printer_attach_all(struct spoold *sd)
{
	size_t i;

	for (i = 0; i < sd->nprinters; i++)
		printer_attach(sd, &sd->printers[i]);
}

/* Jobs an earlier spoold left processing that no backend prints now:
 * their backend kept how they ended, or they were interrupted.  Never
 * started again by themselves: the bed holds a part. */
void
printer_recover(struct spoold *sd)
{
	char state[16], reason[512];
	struct job_row j;
	struct printer *p;
	long ids[64], after = 0, lines, layer;
	size_t k;
	int n, i;

	while ((n = queue_ids(sd, "processing", after, ids, 64)) > 0) {
		for (i = 0; i < n; i++) {
			after = ids[i];
			if (printer_of_job(sd, ids[i]) != NULL ||
			    queue_get(sd, ids[i], &j) <= 0)
				continue;
			p = printer_find(sd, j.ran_on[0] ? j.ran_on :
			    j.printer);
			if (p != NULL && end_file_read(sd, p->conf->name,
			    ids[i], state, sizeof(state), reason,
			    sizeof(reason), &lines, &layer)) {
				queue_set_progress(sd, ids[i], lines, layer);
				if (strcmp(state, "completed") == 0)
					queue_copy_done(sd, ids[i], "spoold");
				else
					queue_set_state(sd, ids[i], state,
					    reason, "spoold");
				log_info("%s-%ld: ended %s while spoold was"
				    " away", p->conf->name, ids[i], state);
			} else {
				log_warnx("job %ld was printing when spoold"
				    " stopped, and its backend is gone;"
				    " recorded as stopped", ids[i]);
				queue_set_state(sd, ids[i], "stopped",
				    "interrupted: the printer's backend was"
				    " gone when spoold restarted", "spoold");
			}
			if (p != NULL) {
				end_file_remove(sd, p->conf->name);
				p->d.awaiting_clear = 1;
				p->d.last_job = ids[i];
				dest_save(sd, p->conf->name);
			}
		}
	}
	/* An end left by a backend that is gone, already recorded. */
	for (k = 0; k < sd->nprinters; k++)
		if (!sd->printers[k].attached)
			end_file_remove(sd, sd->printers[k].conf->name);
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

		if (strcmp(st, "ready") == 0) {
			int fw = gcode_firmware_guess(msg_field(&m, 2));

			/* Jobs are checked for the dialect of the firmware
			 * it says it runs (check.c). */
			if (fw != GCODE_FW_UNKNOWN && fw != p->firmware) {
				log_info("%s: the firmware is %s: jobs are"
				    " checked for its dialect%s", p->conf->name,
				    gcode_firmware_title(fw),
				    p->conf->check.firmware != GCODE_FW_UNKNOWN ?
				    " unless firmware= says otherwise" : "");
				p->firmware = fw;
			}
			if (p->state != PRINTER_READY)
				log_info("%s: the printer is ready%s%s",
				    p->conf->name, p->d.awaiting_clear &&
				    !p->conf->clears_bed && p->job == 0 ?
				    "; its bed waits to be cleared" : "",
				    p->d.enabled ? "" : "; disabled");
			p->state = PRINTER_READY;
		}
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
	if (strcmp(verb, "park") == 0) {
		/* Parked at a layer change: the filters take their frame
		 * and say UNPARK (the backend unparks by itself after
		 * park_timeout). */
		char ev[64];

		if (parse_long(msg_field(&m, 1), 1, 2000000000L, &id) == 0 &&
		    id == p->job) {
			snprintf(ev, sizeof(ev), "parked %s", msg_field(&m, 2));
			filter_event(sd, id, ev);
		}
		return;
	}
	if (strcmp(verb, "heaters") == 0) {
		log_info("%s: the heaters are %s: %s", p->conf->name,
		    msg_field(&m, 1), msg_field(&m, 2));
		return;
	}
	if (strcmp(verb, "manual") == 0) {
		control_manual_done(sd, p, strcmp(msg_field(&m, 1), "done") ==
		    0, msg_field(&m, 2));
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
		    parse_long(msg_field(&m, 4), 0, LONG_MAX, &v) == 0) {
			p->bytes_done = v;
			filter_progress(sd, id, p->bytes_done, p->job_size);
		}
		if (id == p->job &&
		    parse_long(msg_field(&m, 3), 0, 2000000000L, &v) == 0 &&
		    v != p->layer) {
			char ev[96];

			/* Each new layer is recorded: where a job stopped is
			 * known to the layer whatever happens next. */
			p->layer = v;
			queue_set_progress(sd, id, p->lines_done, p->layer);
			snprintf(ev, sizeof(ev), "layer %ld z=%s", v,
			    msg_field(&m, 5)[0] ? msg_field(&m, 5) : "0");
			filter_event(sd, id, ev);
		}
		return;
	}
	if (strcmp(verb, "complaint") == 0) {
		/* The firmware complained of a command of the job: an
		 * event of the job, counted, and heard by filters and
		 * notify. */
		char ev[320];

		if (id != p->job)
			return;
		queue_add_event(sd, id, "complaint", msg_field(&m, 3),
		    p->conf->name);
		queue_set_attr(sd, id, "printer.complaints", msg_field(&m, 2));
		queue_set_attr(sd, id, "printer.complaint", msg_field(&m, 3));
		snprintf(ev, sizeof(ev), "complaint %s", msg_field(&m, 3));
		filter_event(sd, id, ev);
		return;
	}
	if (strcmp(verb, "attr") == 0) {
		/* The link's figures (link.resends, link.faults, ...): kept
		 * with the job, shown by gqueue -l. */
		if (id == p->job && strncmp(msg_field(&m, 2), "link.", 5) == 0)
			queue_set_attr(sd, id, msg_field(&m, 2),
			    msg_field(&m, 3));
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
		if (strcmp(p->activity, "paused") == 0)
			filter_event(sd, id, "paused");
		else if (strcmp(p->activity, "printing") == 0)
			filter_event(sd, id, "resumed");
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

/* The size of the file of the job a printer prints: its progress. */
static void
printer_job_size(struct spoold *sd, struct printer *p)
{
	struct job_row j;

	p->job_size = queue_get(sd, p->job, &j) > 0 ? j.size : 0;
}

/* Where a printer takes jobs from: itself and its enabled classes, as
 * the JSON array queue_next_pending() reads (names are plain). */
static void
printer_sources(struct spoold *sd, struct printer *p, char *buf,
    size_t bufsz)
{
	size_t i, o;

	o = (size_t)snprintf(buf, bufsz, "[\"%s\"", p->conf->name);
	for (i = 0; i < sd->conf.nclasses && o < bufsz; i++)
		if (sd->classes[i].enabled &&
		    conf_class_has(&sd->conf.classes[i], p->conf->name))
			o += (size_t)snprintf(buf + o, bufsz - o, ",\"%s\"",
			    sd->conf.classes[i].name);
	if (o < bufsz)
		snprintf(buf + o, bufsz - o, "]");
}

/* Ready for a job: its backend ready, nothing printing, enabled, and
 * its bed clear (or clearing itself). */
static int
printer_takes_jobs(const struct printer *p)
{
	return p->state == PRINTER_READY && p->job == 0 && p->sock >= 0 &&
	    p->d.enabled && (!p->d.awaiting_clear || p->conf->clears_bed);
}

/* Job id does not fit printer p (why says how).  A job sent to p is
 * held with the reason; one sent to a class waits for another member,
 * and is held once it fits none. */
static void
printer_unfit(struct spoold *sd, struct printer *p, long id,
    const char *why)
{
	struct conf_class *k;
	struct job_row j;
	char reason[1200], fp[20], mwhy[512];
	size_t m;
	int r;

	if (queue_get(sd, id, &j) <= 0 || strcmp(j.state, "pending") != 0)
		return;
	if ((k = conf_class(&sd->conf, j.printer)) == NULL) {
		snprintf(reason, sizeof(reason), "does not fit %s: %s",
		    p->conf->name, why);
		goto hold;
	}
	for (m = 0; m < k->nmembers; m++) {
		struct printer *q = printer_find(sd, k->members[m]);

		if (q == NULL)
			continue;
		check_fingerprint(q, fp, sizeof(fp));
		r = queue_check_get(sd, id, q->conf->name, fp, mwhy,
		    sizeof(mwhy));
		if (r != 0)
			return;		/* it may fit that one */
	}
	snprintf(reason, sizeof(reason), "fits no printer of %s; %s: %s",
	    k->name, p->conf->name, why);
hold:
	log_warnx("%s-%ld: held: %s", j.printer, id, reason);
	queue_set_state(sd, id, "held", reason, "spoold");
	control_job_ended(sd, id);
}

/* Pending jobs a printer looks through for one that fits it: the class
 * jobs that fit none of their members are held as they are met, so only
 * those waiting for another member are passed over. */
#define PENDING_LOOK	64

void
printer_dispatch(struct spoold *sd)
{
	size_t n, i;

	if (sd->quitting || sd->nprinters == 0)
		return;
	/* Round robin: a class's jobs spread over its ready members. */
	for (n = 0; n < sd->nprinters; n++) {
		struct printer *p;
		char ids[32], *path, src[1024], fp[20], why[512];
		const char *between;
		long id, pend[PENDING_LOOK];
		int fd, was_clear, r, k, npend;

		i = (sd->rr + n) % sd->nprinters;
		p = &sd->printers[i];
		if (!printer_takes_jobs(p) || check_busy(sd, p))
			continue;
		printer_sources(sd, p, src, sizeof(src));
		check_fingerprint(p, fp, sizeof(fp));
		/* The first job checked against this printer as it is now,
		 * past the class jobs that do not fit it (check.c); a job
		 * not yet checked is checked, and the printer waits for the
		 * verdict, which runs this again. */
		npend = queue_pending(sd, src, pend, PENDING_LOOK);
		for (id = 0, k = 0; k < npend; k++) {
			r = queue_check_get(sd, pend[k], p->conf->name, fp,
			    why, sizeof(why));
			if (r > 0) {
				id = pend[k];
				break;
			}
			if (r < 0) {
				check_start(sd, pend[k], p);
				break;
			}
			printer_unfit(sd, p, pend[k], why);
		}
		if (id == 0)
			continue;
		path = queue_job_path(sd, id);
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0) {
			log_warn("%s-%ld: %s", p->conf->name, id, path);
			queue_set_state(sd, id, "aborted", "the spool file is"
			    " missing", "spoold");
			free(path);
			control_job_ended(sd, id);
			n--;		/* look at this printer again */
			continue;
		}
		free(path);
		snprintf(ids, sizeof(ids), "%ld", id);
		if (queue_start(sd, id, p->conf->name) < 0) {
			close(fd);
			continue;
		}
		/* A printer that clears its own bed runs between_jobs
		 * first, once a job has left a part on it. */
		between = p->d.awaiting_clear && p->conf->clears_bed &&
		    p->conf->script[CONF_BETWEEN][0] ? "between" : "";
		/* From here the bed holds this job's part: that is kept
		 * before the job can print, so that no crash at its end
		 * lets the next job start on it. */
		was_clear = !p->d.awaiting_clear;
		p->d.awaiting_clear = 1;
		p->d.last_job = id;
		dest_save(sd, p->conf->name);
		if (msg_send(p->sock, fd, "print", ids, between,
		    (char *)NULL) < 0) {
			log_warn("%s-%ld: cannot hand the job to the backend",
			    p->conf->name, id);
			queue_set_state(sd, id, "pending", "", "spoold");
			p->d.awaiting_clear = !was_clear;
			dest_save(sd, p->conf->name);
			close(fd);
			continue;
		}
		close(fd);
		p->job = id;
		p->lines_done = 0;
		p->layer = 0;
		p->bytes_done = 0;
		sd->rr = i + 1;
		log_info("%s-%ld: sent to the printer%s", p->conf->name, id,
		    between[0] ? " after its between_jobs G-code" : "");
		printer_job_size(sd, p);
		filter_job_start(sd, p, id);
	}
}

/* gpc resume-from: a stopped job starts again at a layer, on the
 * printer it stopped on, over the part it left there (so the bed is not
 * waited on).  0, or -1 with why. */
int
printer_resume_from(struct spoold *sd, const struct job_row *j, long layer,
    const char *who, char *why, size_t whysz)
{
	const char *name = j->ran_on[0] ? j->ran_on : j->printer;
	struct printer *p = printer_find(sd, name);
	char ids[32], ls[32], lines[32], *path, reason[64];
	int fd;

	if (strcmp(j->state, "stopped") != 0) {
		snprintf(why, whysz, "%s-%ld is %s; only a stopped job can be"
		    " resumed from a layer", j->printer, j->id, j->state);
		return -1;
	}
	if (p == NULL) {
		snprintf(why, whysz, "%s-%ld never reached a printer",
		    j->printer, j->id);
		return -1;
	}
	if (p->state != PRINTER_READY || p->job != 0 || p->sock < 0) {
		snprintf(why, whysz, "%s is not ready for it (%s%s%s)", name,
		    p->job ? "printing" : printer_state_name(p->state),
		    p->message[0] && !p->job ? ": " : "", p->job ? "" :
		    p->message);
		return -1;
	}
	path = queue_job_path(sd, j->id);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	free(path);
	if (fd < 0) {
		snprintf(why, whysz, "%s-%ld: its file is no longer kept",
		    j->printer, j->id);
		return -1;
	}
	snprintf(reason, sizeof(reason), "resumed from layer %ld", layer);
	if (queue_set_state(sd, j->id, "processing", reason, who) < 0) {
		close(fd);
		snprintf(why, whysz, "%s-%ld: cannot record it", j->printer,
		    j->id);
		return -1;
	}
	snprintf(ids, sizeof(ids), "%ld", j->id);
	snprintf(ls, sizeof(ls), "%ld", layer);
	snprintf(lines, sizeof(lines), "%ld", j->lines_done);
	if (msg_send(p->sock, fd, "print", ids, "resume", ls, lines,
	    (char *)NULL) < 0) {
		close(fd);
		queue_set_state(sd, j->id, "stopped", "interrupted: the"
		    " backend could not be reached to resume", "spoold");
		snprintf(why, whysz, "%s: cannot reach its backend", name);
		return -1;
	}
	close(fd);
	p->job = j->id;
	p->lines_done = j->lines_done;
	p->layer = layer - 1;
	p->bytes_done = 0;
	snprintf(p->activity, sizeof(p->activity), "printing");
	p->d.awaiting_clear = 1;	/* the part stays on the bed */
	p->d.last_job = j->id;
	dest_save(sd, name);
	log_info("%s-%ld: resumed from layer %ld by %s", name, j->id, layer,
	    who);
	p->job_size = j->size;
	filter_job_start(sd, p, j->id);
	return 0;
}

/* The printer printing a job, or NULL. */
struct printer *
printer_of_job(struct spoold *sd, long id)
{
	size_t i;

	for (i = 0; i < sd->nprinters; i++)
		if (id != 0 && sd->printers[i].job == id)
			return &sd->printers[i];
	return NULL;
}

/* A filter has its frame: the printer parked for it goes on. */
void
printer_unpark(struct spoold *sd, long id)
{
	struct printer *p = printer_of_job(sd, id);
	char ids[32];

	if (p == NULL || p->sock < 0)
		return;
	snprintf(ids, sizeof(ids), "%ld", id);
	msg_send(p->sock, -1, "unpark", ids, (char *)NULL);
}

/* gpc ready: the bed is clear; the next job may start. */
void
printer_ready(struct spoold *sd, struct printer *p, const char *who)
{
	if (p->d.awaiting_clear) {
		p->d.awaiting_clear = 0;
		dest_save(sd, p->conf->name);
		log_info("%s: bed cleared (%s)", p->conf->name, who);
	}
	printer_dispatch(sd);
}

/* Held jobs whose time has come, and the retention of the history and
 * of refused files. */
void
printer_timers(struct spoold *sd, long long now)
{
	long long t = (long long)time(NULL);
	int n;

	if (sd->next_release != 0 && t >= sd->next_release) {
		sd->next_release = queue_release_due(sd, t);
		printer_dispatch(sd);
	}
	if (now >= sd->next_expire) {
		n = queue_expire(sd, t, 256);
		/* Refused files past keep_rejected go with the history. */
		if (reject_expire(sd, t, 64) >= 64)
			n = 256;
		/* More to do: again soon, not all at once. */
		sd->next_expire = now + (n >= 256 ? 1000 : 600000);
	}
}

int
printer_cancel(struct spoold *sd, long id)
{
	struct printer *p = printer_of_job(sd, id);
	char ids[32];

	if (p == NULL)
		return 0;
	snprintf(ids, sizeof(ids), "%ld", id);
	if (p->sock >= 0 &&
	    msg_send(p->sock, -1, "cancel", ids, (char *)NULL) == 0)
		return 1;	/* the backend reports the end */
	printer_job_end(sd, p, id, "canceled", "canceled by request");
	return 1;
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
	long long t = sd->next_expire;
	size_t i;

	if (sd->next_release != 0) {
		/* The time comes from the queue, where an older spoold may
		 * have left any number: a day at most, then look again. */
		long long left = 86400, r;

		if (sd->next_release >= 0 && sd->next_release <= HOLD_UNTIL_MAX)
			left = sd->next_release - (long long)time(NULL);
		if (left > 86400)
			left = 86400;
		r = now + (left > 0 ? left : 0) * 1000;
		if (r < t)
			t = r;
	}

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
